// native/kernel/xdp_features.cc — see xdp_features.h: two generic netlink requests, the family
// id of "netdev" (CTRL_CMD_GETFAMILY), then NETDEV_CMD_DEV_GET for one interface.
#include "kernel/xdp_features.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <functional>

#include "kernel/netlink.h"

namespace xvs::kernel {

namespace {

// <linux/netdev.h> values (Linux 6.3+).
constexpr uint8_t kNetdevCmdDevGet = 1;
constexpr uint16_t kNetdevAttrIfindex = 1;
constexpr uint16_t kNetdevAttrXdpFeatures = 3;

struct Request {
  nlmsghdr header;
  genlmsghdr genl;
  char attributes[64];
};

void put_attribute(Request& r, uint16_t type, const void* data, uint16_t len) {
  auto* a = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(&r) + NLMSG_ALIGN(r.header.nlmsg_len));
  a->nla_type = type;
  a->nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
  std::memcpy(reinterpret_cast<char*>(a) + NLA_HDRLEN, data, len);
  r.header.nlmsg_len = NLMSG_ALIGN(r.header.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

// Calls each(type, payload, length) for every attribute of a generic netlink answer.
void each_attribute(const nlmsghdr& m, const std::function<void(uint16_t, const char*, uint16_t)>& each) {
  if (m.nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) return;
  const char* at = reinterpret_cast<const char*>(NLMSG_DATA(&m)) + GENL_HDRLEN;
  const char* const end = reinterpret_cast<const char*>(&m) + m.nlmsg_len;
  while (end - at >= static_cast<ptrdiff_t>(NLA_HDRLEN)) {
    nlattr a;
    std::memcpy(&a, at, sizeof a);
    if (a.nla_len < NLA_HDRLEN || a.nla_len > end - at) return;
    each(static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK), at + NLA_HDRLEN, static_cast<uint16_t>(a.nla_len - NLA_HDRLEN));
    at += NLA_ALIGN(a.nla_len);
  }
}

Request request(uint16_t type, uint8_t cmd) {
  Request r{};
  r.header.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
  r.header.nlmsg_type = type;
  r.header.nlmsg_flags = NLM_F_REQUEST;
  r.genl.cmd = cmd;
  r.genl.version = 1;
  return r;
}

}  // namespace

std::string xdp_features(int ifindex, XdpFeatures& out) {
  out = XdpFeatures{};
  Request family = request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
  static const char kName[] = "netdev";
  put_attribute(family, CTRL_ATTR_FAMILY_NAME, kName, sizeof kName);
  uint16_t id = 0;
  std::string err = netlink_query(NETLINK_GENERIC, &family, family.header.nlmsg_len, GENL_ID_CTRL, [&](const nlmsghdr& m) {
    each_attribute(m, [&](uint16_t type, const char* data, uint16_t len) {
      if (type == CTRL_ATTR_FAMILY_ID && len >= 2) std::memcpy(&id, data, 2);
    });
  });
  if (!err.empty() || id == 0) return "";  // no "netdev" family: a kernel before 6.3, features unknown
  Request get = request(id, kNetdevCmdDevGet);
  const auto index = static_cast<uint32_t>(ifindex);
  put_attribute(get, kNetdevAttrIfindex, &index, sizeof index);
  err = netlink_query(NETLINK_GENERIC, &get, get.header.nlmsg_len, id, [&](const nlmsghdr& m) {
    each_attribute(m, [&](uint16_t type, const char* data, uint16_t len) {
      if (type == kNetdevAttrXdpFeatures && len >= 8) {
        std::memcpy(&out.flags, data, 8);
        out.known = true;
      }
    });
  });
  if (!err.empty()) return "cannot read the XDP features of interface " + std::to_string(ifindex) + ": " + err;
  return "";
}

}  // namespace xvs::kernel
