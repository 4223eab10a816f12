// native/kernel/xdp_features.h — what an interface's driver can do with XDP, as the kernel
// reports it (generic netlink family "netdev", NETDEV_A_DEV_XDP_FEATURES, Linux 6.3+). The
// XDP fast path needs NDO_XMIT on its egress interface: without it an XDP_TX or a redirect
// there is dropped. A veth has it only while its peer runs NAPI (the peer has an XDP program or
// GRO on), and the kernel updates the flag as that changes. Control thread; no N-API here.
#pragma once
#include <cstdint>
#include <string>

namespace xvs::kernel {

// enum netdev_xdp_act (<linux/netdev.h>, which Debian 12's headers predate).
inline constexpr uint64_t kXdpActNdoXmit = 1u << 2;

struct XdpFeatures {
  bool known = false;  // false: the kernel does not report them (before 6.3)
  uint64_t flags = 0;
};

// "" or what went wrong.
std::string xdp_features(int ifindex, XdpFeatures& out);

}  // namespace xvs::kernel
