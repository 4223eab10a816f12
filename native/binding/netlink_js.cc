// native/binding/netlink_js.cc — see netlink_js.h. Argument checking and conversion only.
#include "binding/netlink_js.h"

#include <arpa/inet.h>

#include "binding/errors.h"
#include "core/ipv4_text.h"
#include "core/ipv6_text.h"
#include "kernel/netlink.h"

namespace xvs::binding {
namespace {

// An IPv4 or IPv6 address argument: `ipv6` says which of the two outputs holds it.
void address_arg(const Napi::CallbackInfo& info, const char* fn, bool& ipv6, uint32_t& v4, core::Ipv6Address& v6) {
  Napi::Env env = info.Env();
  const std::string text = info.Length() >= 1 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  in_addr a{};
  in6_addr a6{};
  ipv6 = text.find(':') != std::string::npos;
  if (!ipv6 && inet_pton(AF_INET, text.c_str(), &a) == 1) {
    v4 = a.s_addr;
    return;
  }
  if (ipv6 && inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    v6 = core::Ipv6Address::load(a6.s6_addr);
    return;
  }
  throw_invalid(env, std::string(fn) + "(address): address must be an IPv4 or IPv6 address string");
}

Napi::Value address_value(Napi::Env env, uint32_t a) {
  if (a == 0) return env.Null();
  return Napi::String::New(env, core::ipv4_text(a));
}
Napi::Value address_value(Napi::Env env, const core::Ipv6Address& a) {
  if (a.is_zero()) return env.Null();
  return Napi::String::New(env, core::ipv6_text(a));
}

}  // namespace

Napi::Value link_info_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_invalid(env, "linkInfo(name): name must be a string");
  kernel::LinkInfo li;
  bool missing = false;
  const std::string err = kernel::link_info(info[0].As<Napi::String>().Utf8Value(), li, missing);
  if (!err.empty()) throw_if_error(env, control::Status::error(missing ? control::kErrInvalidArgument : control::kErrSystem, err));
  Napi::Object out = Napi::Object::New(env);
  out.Set("ifindex", li.ifindex);
  out.Set("mtu", li.mtu);
  out.Set("mac", Napi::Buffer<uint8_t>::Copy(env, li.mac, 6));
  out.Set("address", address_value(env, li.address));
  out.Set("address6", address_value(env, li.address6));
  out.Set("rxQueues", li.rx_queues);
  out.Set("txQueues", li.tx_queues);
  return out;
}

Napi::Value next_hop_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool ipv6 = false;
  uint32_t v4 = 0;
  core::Ipv6Address v6{};
  address_arg(info, "nextHop", ipv6, v4, v6);
  kernel::NextHop hop;
  const std::string err = ipv6 ? kernel::next_hop(v6, hop) : kernel::next_hop(v4, hop);
  Napi::Object out = Napi::Object::New(env);
  if (!err.empty()) {
    out.Set("error", err);
    return out;
  }
  out.Set("ifindex", hop.ifindex);
  out.Set("gateway", ipv6 ? address_value(env, hop.gateway6) : address_value(env, hop.gateway));
  out.Set("neighbour", ipv6 ? address_value(env, hop.neighbour6) : address_value(env, hop.neighbour));
  out.Set("mac", hop.resolved ? Napi::Value(Napi::Buffer<uint8_t>::Copy(env, hop.mac, 6)) : env.Null());
  out.Set("state", hop.state);
  return out;
}

Napi::Value solicit_js(const Napi::CallbackInfo& info) {
  bool ipv6 = false;
  uint32_t v4 = 0;
  core::Ipv6Address v6{};
  address_arg(info, "solicit", ipv6, v4, v6);
  if (ipv6) kernel::solicit(v6);
  else kernel::solicit(v4);
  return info.Env().Undefined();
}

}  // namespace xvs::binding
