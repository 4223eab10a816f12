// native/abi/layout.h — a plain description of the ABI (record field offsets and types, counter
// names, enumerations, limits) built from the same X-macros as the structs. The binding turns
// it into a JS object; src/native/abi.ts compares its own mirror with it at load time.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace xvs::abi {

struct FieldLayout {
  std::string name;
  std::string type;  // u8 u16 u32 u64 be16 be32 mac48
  uint32_t offset;
  uint32_t size;
};

struct RecordLayout {
  std::string name;
  uint32_t size;
  std::vector<FieldLayout> fields;
};

struct EnumLayout {
  std::string name;
  std::vector<std::pair<std::string, uint32_t>> values;
};

struct AbiLayout {
  uint32_t version;
  uint32_t magic;
  std::vector<RecordLayout> records;
  std::vector<std::string> counters;
  std::vector<EnumLayout> enums;
  std::vector<std::pair<std::string, uint32_t>> limits;
};

const AbiLayout& layout();

}  // namespace xvs::abi
