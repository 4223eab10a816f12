// native/control/port_hold_blob.h — lb::PortHold lists as bytes, for the state file `xvs run`
// keeps across restarts (src/control/main/port-hold-file.ts stores them and gives them back, it
// never reads inside). Self-describing: magic, format version, record size and count, then the
// records in host byte order; anything else is refused with a reason (a file from another build
// or machine is not trusted). Format 2 holds both families; format 1 (IPv4 only) is still read.
// Control thread only.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "lb/port_holds.h"

namespace xvs::control {

struct PortHoldBlobHeader {
  uint32_t magic;
  uint32_t version;
  uint32_t record_size;
  uint32_t count;
};
inline constexpr uint32_t kPortHoldMagic = 0x48535658;  // "XVSH" little-endian
inline constexpr uint32_t kPortHoldVersion = 2;  // 2: both families (lb::HoldFamily)

// Format 1 (IPv4 holds only; a NAT64 one's client without addresses), still read: a file left by
// the xvs an upgrade replaced keeps its holds.
struct PortHoldV1 {
  lb::ConnTuple client;
  lb::ConnTuple server;
  uint32_t seconds_left;
  uint8_t protocol;
};
inline constexpr uint32_t kPortHoldVersion1 = 1;

inline std::vector<uint8_t> encode_port_holds(const std::vector<lb::PortHold>& holds) {
  const PortHoldBlobHeader h{kPortHoldMagic, kPortHoldVersion, sizeof(lb::PortHold), static_cast<uint32_t>(holds.size())};
  std::vector<uint8_t> out(sizeof h + holds.size() * sizeof(lb::PortHold));
  std::memcpy(out.data(), &h, sizeof h);
  if (!holds.empty()) std::memcpy(out.data() + sizeof h, holds.data(), holds.size() * sizeof(lb::PortHold));
  return out;
}

// "" and the holds, or why `data` is not a list of holds.
inline std::string decode_port_holds(const uint8_t* data, size_t len, std::vector<lb::PortHold>& out) {
  out.clear();
  PortHoldBlobHeader h{};
  if (len < sizeof h) return "shorter than its header";
  std::memcpy(&h, data, sizeof h);
  if (h.magic != kPortHoldMagic) return "not a list of held local ports (bad magic number)";
  const bool v1 = h.version == kPortHoldVersion1 && h.record_size == sizeof(PortHoldV1);
  if (!v1 && (h.version != kPortHoldVersion || h.record_size != sizeof(lb::PortHold)))
    return "format " + std::to_string(h.version) + " with " + std::to_string(h.record_size) + "-byte records; this build reads format " +
           std::to_string(kPortHoldVersion) + " with " + std::to_string(sizeof(lb::PortHold)) + "-byte records (and format 1)";
  const size_t record = h.record_size;
  if ((len - sizeof h) / record != h.count || (len - sizeof h) % record != 0)
    return "says " + std::to_string(h.count) + " records but holds " + std::to_string(len - sizeof h) + " bytes of them";
  out.resize(h.count);
  for (uint32_t i = 0; i < h.count; ++i) {
    const uint8_t* at = data + sizeof h + i * record;
    if (!v1) {
      std::memcpy(&out[i], at, sizeof(lb::PortHold));
      if (static_cast<uint8_t>(out[i].family) > static_cast<uint8_t>(lb::HoldFamily::nat64))
        return "record " + std::to_string(i) + " names address family " + std::to_string(static_cast<uint8_t>(out[i].family));
      continue;
    }
    PortHoldV1 old;
    std::memcpy(&old, at, sizeof old);
    out[i] = lb::PortHold{old.client, old.server, {}, {}, old.seconds_left, old.protocol, lb::HoldFamily::ipv4};
  }
  return "";
}

}  // namespace xvs::control
