// test/fuzz/byte_reader.h — reads a fuzz input front to back as fixed-size little-endian
// fields; past the end every read is zero, so any input decodes to a complete script (and a
// seed written field by field, test/fuzz/make_seeds.cc, decodes to exactly what was written).
// ByteWriter is its mirror for the seed writer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace xvs::fuzz {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool done() const { return at_ >= size_; }
  uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return u16() | static_cast<uint32_t>(u16()) << 16; }
  // Up to `n` bytes (fewer when the input ends).
  std::vector<uint8_t> bytes(size_t n) {
    const size_t take = n < size_ - at_ ? n : (at_ < size_ ? size_ - at_ : 0);
    std::vector<uint8_t> out(data_ + at_, data_ + at_ + take);
    at_ += take;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

class ByteWriter {
 public:
  ByteWriter& u8(uint8_t v) {
    out.push_back(v);
    return *this;
  }
  ByteWriter& u16(uint16_t v) { return u8(static_cast<uint8_t>(v)).u8(static_cast<uint8_t>(v >> 8)); }
  ByteWriter& u32(uint32_t v) { return u16(static_cast<uint16_t>(v)).u16(static_cast<uint16_t>(v >> 16)); }
  ByteWriter& bytes(const std::vector<uint8_t>& v) {
    out.insert(out.end(), v.begin(), v.end());
    return *this;
  }
  std::vector<uint8_t> out;
};

}  // namespace xvs::fuzz
