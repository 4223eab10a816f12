// native/binding/netlink_js.cc — see netlink_js.h. Argument checking and conversion only.
#include "binding/netlink_js.h"

#include <arpa/inet.h>

#include "binding/errors.h"
#include "core/ipv4_text.h"
#include "kernel/netlink.h"

namespace xvs::binding {
namespace {

uint32_t address_arg(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  in_addr a{};
  if (info.Length() < 1 || !info[0].IsString() || inet_pton(AF_INET, info[0].As<Napi::String>().Utf8Value().c_str(), &a) != 1)
    throw_invalid(env, std::string(fn) + "(address): address must be a dotted-quad IPv4 string");
  return a.s_addr;
}

Napi::Value address_value(Napi::Env env, uint32_t a) {
  if (a == 0) return env.Null();
  return Napi::String::New(env, core::ipv4_text(a));
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
  out.Set("rxQueues", li.rx_queues);
  out.Set("txQueues", li.tx_queues);
  return out;
}

Napi::Value next_hop_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t address = address_arg(info, "nextHop");
  kernel::NextHop hop;
  const std::string err = kernel::next_hop(address, hop);
  Napi::Object out = Napi::Object::New(env);
  if (!err.empty()) {
    out.Set("error", err);
    return out;
  }
  out.Set("ifindex", hop.ifindex);
  out.Set("gateway", address_value(env, hop.gateway));
  out.Set("neighbour", address_value(env, hop.neighbour));
  out.Set("mac", hop.resolved ? Napi::Value(Napi::Buffer<uint8_t>::Copy(env, hop.mac, 6)) : env.Null());
  out.Set("state", hop.state);
  return out;
}

Napi::Value solicit_js(const Napi::CallbackInfo& info) {
  kernel::solicit(address_arg(info, "solicit"));
  return info.Env().Undefined();
}

}  // namespace xvs::binding
