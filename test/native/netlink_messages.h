// test/native/netlink_messages.h — builds buffers of rtnetlink messages for the tests of the
// netlink readers (netlink_reply_test.cc, route_monitor_test.cc), and IPv4 payloads: each message its header, its
// fixed part, then (type, payload) attributes, padded to the netlink alignment.
#pragma once
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace xvs::kernel {

// Appends one netlink message: header, fixed part, then (type, payload) attributes.
class Messages {
 public:
  template <typename Fixed>
  Messages& add(uint16_t type, const Fixed& fixed, std::vector<std::pair<uint16_t, std::vector<uint8_t>>> attrs = {}) {
    const size_t start = bytes_.size();
    bytes_.resize(start + NLMSG_LENGTH(sizeof(Fixed)));
    std::memcpy(bytes_.data() + start + NLMSG_HDRLEN, &fixed, sizeof(Fixed));
    for (auto& [atype, payload] : attrs) {
      bytes_.resize(NLMSG_ALIGN(bytes_.size()));
      const size_t at = bytes_.size();
      bytes_.resize(at + RTA_LENGTH(payload.size()));
      rtattr a{static_cast<unsigned short>(RTA_LENGTH(payload.size())), atype};
      std::memcpy(bytes_.data() + at, &a, sizeof a);
      std::memcpy(bytes_.data() + at + RTA_LENGTH(0), payload.data(), payload.size());
    }
    nlmsghdr h{};
    h.nlmsg_len = static_cast<uint32_t>(bytes_.size() - start);
    h.nlmsg_type = type;
    std::memcpy(bytes_.data() + start, &h, sizeof h);
    bytes_.resize(start + NLMSG_ALIGN(h.nlmsg_len));
    return *this;
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// An IPv4 address as an attribute payload, and as the network-order value the readers return.
inline std::vector<uint8_t> ipv4(const char* text) {
  in_addr a{};
  inet_pton(AF_INET, text, &a);
  std::vector<uint8_t> out(4);
  std::memcpy(out.data(), &a, 4);
  return out;
}
inline uint32_t ipv4_value(const char* text) {
  uint32_t v;
  std::memcpy(&v, ipv4(text).data(), 4);
  return v;
}

// One message alone.
template <typename Fixed>
std::vector<uint8_t> message(uint16_t type, const Fixed& fixed, std::vector<std::pair<uint16_t, std::vector<uint8_t>>> attrs = {}) {
  return Messages().add(type, fixed, std::move(attrs)).bytes();
}

}  // namespace xvs::kernel
