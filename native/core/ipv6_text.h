// native/core/ipv6_text.h — an IPv6 address as RFC 5952 text (lower case, the longest run of
// two or more zero groups as "::", leftmost on a tie), for messages and diagnostics. The same
// form src/config/ipv6-address.ts prints. Allocates: never on the packet path. Any thread.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/ipv6_address.h"

namespace xvs::core {

inline std::string ipv6_text(const Ipv6Address& a) {
  uint32_t groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<uint32_t>(a.bytes[2 * i]) << 8 | a.bytes[2 * i + 1];
  int best_start = -1, best_length = 1;  // a single zero group is not compressed
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length) best_start = i, best_length = j - i;
    i = j;
  }
  std::string out;
  char group[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(group, sizeof group, "%x", groups[i]);
    out += group;
  }
  return out;
}

}  // namespace xvs::core
