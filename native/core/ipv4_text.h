// native/core/ipv4_text.h — an IPv4 address (network order) as dotted-quad text, for messages
// and diagnostics (snapshot refusals, the binding's JS objects). Allocates: never on the packet
// path. Any thread.
#pragma once
#include <cstdint>
#include <string>

namespace xvs::core {

inline std::string ipv4_text(uint32_t network_order) {
  const auto* b = reinterpret_cast<const uint8_t*>(&network_order);
  return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." + std::to_string(b[3]);
}

}  // namespace xvs::core
