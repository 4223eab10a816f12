// native/kernel/route_monitor.cc — see route_monitor.h. Runs on whichever thread owns the
// monitor (the control worker, through the binding); holds no lock and blocks nowhere.
#include "kernel/route_monitor.h"

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kernel/netlink.h"

namespace xvs::kernel {

namespace {

// Large enough that a burst of neighbour notifications (a switch flapping, a /24 being
// re-learned) does not overflow before the event loop reads it. Raising the limit above
// net.core.rmem_max needs CAP_NET_ADMIN (SO_RCVBUFFORCE); without it the plain request is
// capped by the kernel, and an overflow is still reported (ENOBUFS -> overflow).
constexpr int kReceiveBuffer = 4 << 20;
constexpr size_t kReadBuffer = 64 * 1024;

void parse_neighbour(const nlmsghdr* m, RouteChanges& out) {
  if (m->nlmsg_len < NLMSG_LENGTH(sizeof(ndmsg))) return;
  const auto* nd = static_cast<const ndmsg*>(NLMSG_DATA(m));
  if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) return;
  NeighbourChange change;
  change.ipv6 = nd->ndm_family == AF_INET6;
  change.ifindex = nd->ndm_ifindex;
  change.deleted = m->nlmsg_type == RTM_DELNEIGH;
  bool has_dst = false;
  const uint8_t* lladdr = nullptr;
  int len = static_cast<int>(m->nlmsg_len - NLMSG_LENGTH(sizeof(ndmsg)));
  for (auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(nd) + NLMSG_ALIGN(sizeof(ndmsg)));
       RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == (change.ipv6 ? 16u : 4u)) {
      if (change.ipv6) change.address6 = core::Ipv6Address::load(static_cast<const uint8_t*>(RTA_DATA(a)));
      else std::memcpy(&change.address, RTA_DATA(a), 4);
      has_dst = true;
    }
    if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) lladdr = static_cast<const uint8_t*>(RTA_DATA(a));
  }
  if (!has_dst) return;
  const uint16_t state = change.deleted ? NUD_NONE : nd->ndm_state;
  change.state = neighbour_state_name(state);
  if (neighbour_state_usable(state) && lladdr != nullptr) {
    std::memcpy(change.mac, lladdr, 6);
    change.has_mac = (lladdr[0] | lladdr[1] | lladdr[2] | lladdr[3] | lladdr[4] | lladdr[5]) != 0;
  }
  out.note_neighbour(change);
}

void parse_route(const nlmsghdr* m, RouteChanges& out) {
  if (m->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return;
  const auto* rt = static_cast<const rtmsg*>(NLMSG_DATA(m));
  // Cloned entries are the kernel's route cache (PMTU, redirects), not the routing table.
  if ((rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6) || (rt->rtm_flags & RTM_F_CLONED) != 0) return;
  out.routes = true;
}

}  // namespace

void RouteChanges::note_neighbour(const NeighbourChange& change) {
  std::string key(reinterpret_cast<const char*>(&change.ifindex), sizeof change.ifindex);
  if (change.ipv6) key.append(reinterpret_cast<const char*>(change.address6.bytes), 16);
  else key.append(reinterpret_cast<const char*>(&change.address), 4);
  auto [slot, added] = neighbour_slot_.try_emplace(key, neighbours.size());
  if (added)
    neighbours.push_back(change);
  else
    neighbours[slot->second] = change;
}

void parse_route_messages(const void* data, size_t length, RouteChanges& out) {
  if (length > static_cast<size_t>(INT32_MAX)) return;
  int left = static_cast<int>(length);
  for (auto* m = static_cast<const nlmsghdr*>(data); NLMSG_OK(m, left); m = NLMSG_NEXT(m, left)) {
    switch (m->nlmsg_type) {
      case RTM_NEWNEIGH:
      case RTM_DELNEIGH:
        parse_neighbour(m, out);
        break;
      case RTM_NEWROUTE:
      case RTM_DELROUTE:
        parse_route(m, out);
        break;
      case RTM_NEWLINK:
      case RTM_DELLINK:
        if (m->nlmsg_len >= NLMSG_LENGTH(sizeof(ifinfomsg))) out.links = true;
        break;
      case RTM_NEWADDR:
      case RTM_DELADDR:
        if (m->nlmsg_len >= NLMSG_LENGTH(sizeof(ifaddrmsg)) &&
            (static_cast<const ifaddrmsg*>(NLMSG_DATA(m))->ifa_family == AF_INET ||
             static_cast<const ifaddrmsg*>(NLMSG_DATA(m))->ifa_family == AF_INET6))
          out.addresses = true;
        break;
      default:
        break;  // NLMSG_ERROR, NLMSG_DONE, other families' kinds: nothing we follow
    }
  }
}

std::string RouteMonitor::open() {
  close();
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) return std::string("route monitor: netlink socket: ") + std::strerror(errno);
  const int size = kReceiveBuffer;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    const std::string err = std::string("route monitor: netlink bind: ") + std::strerror(errno);
    ::close(fd);
    return err;
  }
  for (int group : {RTNLGRP_NEIGH, RTNLGRP_IPV4_ROUTE, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV6_IFADDR}) {
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
      const std::string err = "route monitor: cannot subscribe to rtnetlink group " + std::to_string(group) + ": " + std::strerror(errno);
      ::close(fd);
      return err;
    }
  }
  fd_ = fd;
  buffer_.resize(kReadBuffer);
  return "";
}

std::string RouteMonitor::drain(RouteChanges& out) {
  out.clear();
  if (fd_ < 0) return "route monitor: closed";
  for (int reads = 0; reads < kReadsPerDrain; ++reads) {
    const ssize_t n = recv(fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return "";
      if (errno == ENOBUFS) {
        // The kernel dropped notifications; the socket stays usable and we keep reading.
        out.overflow = true;
        continue;
      }
      out.overflow = true;  // whatever it was, what we derived may be stale now
      return std::string("route monitor: netlink receive: ") + std::strerror(errno);
    }
    if (n == 0) return "";
    parse_route_messages(buffer_.data(), static_cast<size_t>(n), out);
  }
  out.more = true;
  return "";
}

void RouteMonitor::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace xvs::kernel
