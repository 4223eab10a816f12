// native/kernel/netlink.cc — see netlink.h. Any thread; nothing is cached.
#include "kernel/netlink.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace xvs::kernel {

namespace {

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

bool ifreq_for(const std::string& name, ifreq& ifr) {
  if (name.empty() || name.size() >= IFNAMSIZ) return false;
  std::memset(&ifr, 0, sizeof ifr);
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  return true;
}

std::string rtnl_query(void* request, uint32_t len, uint16_t want, const std::function<void(const nlmsghdr&)>& each) {
  return netlink_query(NETLINK_ROUTE, request, len, want, each);
}

}  // namespace

std::string netlink_query(int protocol, void* request, uint32_t len, uint16_t want, const std::function<void(const nlmsghdr&)>& each) {
  Fd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
  if (sock.fd < 0) return std::string("netlink socket: ") + std::strerror(errno);
  timeval tv{1, 0};
  setsockopt(sock.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  auto* hdr = static_cast<nlmsghdr*>(request);
  const bool dump = (hdr->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  hdr->nlmsg_seq = 1;
  if (sendto(sock.fd, request, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return std::string("netlink send: ") + std::strerror(errno);
  std::vector<char> buf(64 * 1024);
  ReplyProgress progress;
  for (int reads = 0; reads < 4096; ++reads) {  // bounded: a dump of ~100k neighbours
    const ssize_t n = recv(sock.fd, buf.data(), buf.size(), 0);
    if (n < 0) return std::string("netlink receive: ") + std::strerror(errno);
    read_reply(buf.data(), static_cast<size_t>(n), want, dump, each, progress);
    if (progress.finished) return progress.error;
  }
  return "netlink: answer too long";
}

const char* neighbour_state_name(uint16_t s) {
  if (s & NUD_PERMANENT) return "permanent";
  if (s & NUD_NOARP) return "noarp";
  if (s & NUD_REACHABLE) return "reachable";
  if (s & NUD_STALE) return "stale";
  if (s & NUD_DELAY) return "delay";
  if (s & NUD_PROBE) return "probe";
  if (s & NUD_INCOMPLETE) return "incomplete";
  if (s & NUD_FAILED) return "failed";
  return "none";
}

bool neighbour_state_usable(uint16_t s) {
  return (s & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP)) != 0;
}

std::string link_info(const std::string& name, LinkInfo& out, bool& missing) {
  missing = false;
  ifreq ifr;
  if (!ifreq_for(name, ifr)) {
    missing = true;
    return "'" + name + "' is not an interface name";
  }
  out.ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  if (out.ifindex == 0) {
    missing = true;
    return "no network interface '" + name + "' in this network namespace";
  }
  Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.fd < 0) return std::string("socket: ") + std::strerror(errno);
  if (ioctl(sock.fd, SIOCGIFMTU, &ifr) != 0) return name + ": cannot read the MTU: " + std::strerror(errno);
  out.mtu = static_cast<uint32_t>(ifr.ifr_mtu);
  ifreq_for(name, ifr);
  if (ioctl(sock.fd, SIOCGIFHWADDR, &ifr) != 0) return name + ": cannot read the MAC address: " + std::strerror(errno);
  std::memcpy(out.mac, ifr.ifr_hwaddr.sa_data, 6);
  ifreq_for(name, ifr);
  out.address = 0;
  if (ioctl(sock.fd, SIOCGIFADDR, &ifr) == 0)
    out.address = reinterpret_cast<const sockaddr_in*>(&ifr.ifr_addr)->sin_addr.s_addr;
  // A global IPv6 address (link-local ones need the interface to mean anything): the first with a
  // prefix shorter than /128, the interface's own; the VIPs and LIPs an operator adds are /128s,
  // and whichever of them came first must not become the tunnel's outer source. A /128 only when
  // there is nothing else.
  out.address6 = core::Ipv6Address{};
  if (ifaddrs* all = nullptr; getifaddrs(&all) == 0) {
    bool prefixed = false;
    for (const ifaddrs* a = all; a != nullptr && !prefixed; a = a->ifa_next) {
      if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET6 || name != a->ifa_name) continue;
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) || IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) continue;
      bool host_route = true;  // a /128
      if (a->ifa_netmask != nullptr) {
        const auto* mask = reinterpret_cast<const sockaddr_in6*>(a->ifa_netmask);
        host_route = std::memcmp(mask->sin6_addr.s6_addr, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 16) == 0;
      }
      if (!host_route) prefixed = true;
      else if (!out.address6.is_zero()) continue;
      out.address6 = core::Ipv6Address::load(sin6->sin6_addr.s6_addr);
    }
    freeifaddrs(all);
  }
  ethtool_channels ch{};
  ch.cmd = ETHTOOL_GCHANNELS;
  ifreq_for(name, ifr);
  ifr.ifr_data = reinterpret_cast<char*>(&ch);
  out.rx_queues = out.tx_queues = 1;
  if (ioctl(sock.fd, SIOCETHTOOL, &ifr) == 0) {
    // Drivers report either separate rx/tx counts or combined channels.
    out.rx_queues = ch.rx_count + ch.combined_count;
    out.tx_queues = ch.tx_count + ch.combined_count;
    if (out.rx_queues == 0) out.rx_queues = 1;
    if (out.tx_queues == 0) out.tx_queues = 1;
  }
  return "";
}

namespace {

// next_hop() for either family: `bytes` is the address (4 or 16 bytes); out.ipv6 says which.
std::string next_hop_of(const void* bytes, NextHop& out) {
  const bool ipv6 = out.ipv6;
  const uint32_t size = ipv6 ? 16 : 4;
  struct {
    nlmsghdr hdr;
    rtmsg rt;
    char attrs[64];
  } req{};
  req.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  req.hdr.nlmsg_type = RTM_GETROUTE;
  req.hdr.nlmsg_flags = NLM_F_REQUEST;
  req.rt.rtm_family = ipv6 ? AF_INET6 : AF_INET;
  req.rt.rtm_dst_len = static_cast<unsigned char>(size * 8);
  auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.hdr.nlmsg_len));
  rta->rta_type = RTA_DST;
  rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
  std::memcpy(RTA_DATA(rta), bytes, size);
  req.hdr.nlmsg_len = NLMSG_ALIGN(req.hdr.nlmsg_len) + RTA_ALIGN(rta->rta_len);

  uint8_t type = RTN_UNSPEC;
  std::string err = rtnl_query(&req, req.hdr.nlmsg_len, RTM_NEWROUTE, [&](const nlmsghdr& m) { read_route_answer(m, type, out); });
  if (!err.empty()) return err;
  if (type == RTN_LOCAL) return "a local address of this host";
  if (type != RTN_UNICAST || out.ifindex == 0) return "no unicast route";
  if (ipv6) out.neighbour6 = out.gateway6.is_zero() ? core::Ipv6Address::load(static_cast<const uint8_t*>(bytes)) : out.gateway6;
  else std::memcpy(&out.neighbour, out.gateway != 0 ? &out.gateway : bytes, 4);

  struct {
    nlmsghdr hdr;
    ndmsg nd;
  } dump{};
  dump.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(ndmsg));
  dump.hdr.nlmsg_type = RTM_GETNEIGH;
  dump.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  dump.nd.ndm_family = ipv6 ? AF_INET6 : AF_INET;
  dump.nd.ndm_ifindex = out.ifindex;  // a filter only with strict checking: filtered below too
  uint16_t state = NUD_NONE;
  err = rtnl_query(&dump, dump.hdr.nlmsg_len, RTM_NEWNEIGH, [&](const nlmsghdr& m) { read_neighbour_answer(m, out, state); });
  out.state = neighbour_state_name(state);
  return err;
}

}  // namespace

std::string next_hop(uint32_t address, NextHop& out) {
  out = NextHop{};
  return next_hop_of(&address, out);
}

std::string next_hop(const core::Ipv6Address& address, NextHop& out) {
  out = NextHop{};
  out.ipv6 = true;
  return next_hop_of(address.bytes, out);
}

void solicit(uint32_t address) {
  Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.fd < 0) return;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);  // discard
  to.sin_addr.s_addr = address;
  if (connect(sock.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return;
  (void)send(sock.fd, "", 0, MSG_DONTWAIT);
}

void solicit(const core::Ipv6Address& address) {
  Fd sock(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.fd < 0) return;
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons(9);  // discard
  std::memcpy(to.sin6_addr.s6_addr, address.bytes, 16);
  if (connect(sock.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return;
  (void)send(sock.fd, "", 0, MSG_DONTWAIT);
}

namespace {

// Every route of `family` (a dump of all tables), each handed to `each`.
std::string dump_routes(uint8_t family, const std::function<void(const nlmsghdr&)>& each) {
  struct {
    nlmsghdr hdr;
    rtmsg rt;
  } dump{};
  dump.hdr.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  dump.hdr.nlmsg_type = RTM_GETROUTE;
  dump.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  dump.rt.rtm_family = family;
  return rtnl_query(&dump, dump.hdr.nlmsg_len, RTM_NEWROUTE, each);
}

}  // namespace

std::string local_routes6(std::vector<LocalPrefix6>& out) {
  out.clear();
  return dump_routes(AF_INET6, [&](const nlmsghdr& m) {
    LocalPrefix6 p;
    if (read_local_route6(m, p)) out.push_back(p);
  });
}

std::string local_routes(std::vector<LocalPrefix>& out) {
  out.clear();
  return dump_routes(AF_INET, [&](const nlmsghdr& m) {
    LocalPrefix p;
    if (read_local_route(m, p)) out.push_back(p);
  });
}

void read_reply(const void* data, size_t length, uint16_t want, bool dump, const std::function<void(const nlmsghdr&)>& each,
                ReplyProgress& progress) {
  if (progress.finished || length > static_cast<size_t>(INT32_MAX)) return;
  int left = static_cast<int>(length);
  for (auto* m = static_cast<const nlmsghdr*>(data); NLMSG_OK(m, left); m = NLMSG_NEXT(m, left)) {
    if (m->nlmsg_type == NLMSG_DONE) {
      progress.finished = true;
      return;
    }
    if (m->nlmsg_type == NLMSG_ERROR) {
      progress.finished = true;
      int error = 0;
      if (m->nlmsg_len < NLMSG_LENGTH(sizeof error)) {
        progress.error = "netlink: truncated error message";
        return;
      }
      std::memcpy(&error, NLMSG_DATA(m), sizeof error);  // nlmsgerr::error, the only field read
      // -errno; negated in 64 bits: a forged INT_MIN must not overflow (C++20 wraps the cast back).
      if (error != 0) progress.error = std::strerror(static_cast<int>(-static_cast<int64_t>(error)));
      return;
    }
    if (m->nlmsg_type == want) each(*m);
    if (!dump) {
      progress.finished = true;
      return;
    }
  }
}

void read_route_answer(const nlmsghdr& m, uint8_t& type, NextHop& out) {
  if (m.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return;
  const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(&m));
  type = rt->rtm_type;
  int len = static_cast<int>(RTM_PAYLOAD(&m));
  for (auto* a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == 4) std::memcpy(&out.ifindex, RTA_DATA(a), 4);
    if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == 4) std::memcpy(&out.gateway, RTA_DATA(a), 4);
    if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == 16) out.gateway6 = core::Ipv6Address::load(static_cast<const uint8_t*>(RTA_DATA(a)));
  }
}

void read_neighbour_answer(const nlmsghdr& m, NextHop& out, uint16_t& state) {
  if (m.nlmsg_len < NLMSG_LENGTH(sizeof(ndmsg))) return;
  const auto* nd = static_cast<const ndmsg*>(NLMSG_DATA(&m));
  if (nd->ndm_ifindex != out.ifindex || nd->ndm_family != (out.ipv6 ? AF_INET6 : AF_INET)) return;
  uint32_t dst = 0;
  core::Ipv6Address dst6{};
  bool has_dst = false;
  const uint8_t* lladdr = nullptr;
  int len = static_cast<int>(m.nlmsg_len - NLMSG_LENGTH(sizeof(ndmsg)));
  for (auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(nd) + NLMSG_ALIGN(sizeof(ndmsg)));
       RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == (out.ipv6 ? 16u : 4u)) {
      if (out.ipv6) dst6 = core::Ipv6Address::load(static_cast<const uint8_t*>(RTA_DATA(a)));
      else std::memcpy(&dst, RTA_DATA(a), 4);
      has_dst = true;
    }
    if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) lladdr = static_cast<const uint8_t*>(RTA_DATA(a));
  }
  if (!has_dst || (out.ipv6 ? dst6 != out.neighbour6 : dst != out.neighbour)) return;
  // The last entry for the neighbour wins, state and MAC together (never one entry's MAC with
  // another's state).
  state = nd->ndm_state;
  out.resolved = false;
  std::memset(out.mac, 0, sizeof out.mac);
  if (neighbour_state_usable(state) && lladdr != nullptr) {
    std::memcpy(out.mac, lladdr, 6);
    out.resolved = (out.mac[0] | out.mac[1] | out.mac[2] | out.mac[3] | out.mac[4] | out.mac[5]) != 0;
  }
}

bool read_local_route(const nlmsghdr& m, LocalPrefix& out) {
  if (m.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return false;
  const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(&m));
  if (rt->rtm_family != AF_INET || rt->rtm_type != RTN_LOCAL || rt->rtm_dst_len > 32) return false;
  out = LocalPrefix{};
  out.prefix_len = rt->rtm_dst_len;
  int len = static_cast<int>(RTM_PAYLOAD(&m));
  for (auto* a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len))
    if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) == 4) std::memcpy(&out.address, RTA_DATA(a), 4);
  if (out.prefix_len < 32) out.address &= htonl(out.prefix_len == 0 ? 0 : ~0u << (32 - out.prefix_len));
  return true;
}

bool read_local_route6(const nlmsghdr& m, LocalPrefix6& out) {
  if (m.nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return false;
  const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(&m));
  if (rt->rtm_family != AF_INET6 || rt->rtm_type != RTN_LOCAL || rt->rtm_dst_len > 128) return false;
  out = LocalPrefix6{};
  out.prefix_len = rt->rtm_dst_len;
  int len = static_cast<int>(RTM_PAYLOAD(&m));
  for (auto* a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len))
    if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) == 16) out.address = core::Ipv6Address::load(static_cast<const uint8_t*>(RTA_DATA(a)));
  for (uint32_t i = 0; i < 16; ++i) {
    const uint32_t keep = out.prefix_len > i * 8 ? out.prefix_len - i * 8 : 0;
    if (keep < 8) out.address.bytes[i] &= static_cast<uint8_t>(0xff00u >> keep);
  }
  return true;
}

std::string set_all_multicast(const std::string& name, bool on, bool& was_on) {
  ifreq ifr{};
  if (!ifreq_for(name, ifr)) return "'" + name + "' is not an interface name";
  Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (sock.fd < 0) return std::string("socket: ") + std::strerror(errno);
  if (ioctl(sock.fd, SIOCGIFFLAGS, &ifr) != 0) return name + ": cannot read the interface flags: " + std::strerror(errno);
  was_on = (ifr.ifr_flags & IFF_ALLMULTI) != 0;
  if (was_on == on) return "";
  ifr.ifr_flags = static_cast<short>(on ? (ifr.ifr_flags | IFF_ALLMULTI) : (ifr.ifr_flags & ~IFF_ALLMULTI));
  if (ioctl(sock.fd, SIOCSIFFLAGS, &ifr) != 0) return name + ": cannot set all-multicast: " + std::strerror(errno);
  return "";
}

}  // namespace xvs::kernel
