// native/binding/host_ports_js.cc — the JS face of io::HostPorts (the DPDK backend's exception
// interfaces and neighbour tables), as EngineHandle methods: hostPorts(), neighbour(address,
// port) (IPv4 or IPv6), neighbourChanges(), neighbours() (MACs as text there: it goes into
// /status). On a backend without a host side (afxdp, mem) they answer undefined / null / []. The control worker's thread only.
#include "binding/engine_handle.h"
#include "binding/errors.h"
#include "core/ipv4_text.h"
#include "core/ipv6_text.h"

#include <cstdio>

#include <arpa/inet.h>  // after core/net.h, whose htons it would otherwise redefine as a macro

namespace xvs::binding {

namespace {

std::string mac_text(const uint8_t mac[6]) {
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return out;
}

Napi::Value mac_value(Napi::Env env, const uint8_t mac[6]) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, 6);
  for (size_t i = 0; i < 6; ++i) out[i] = mac[i];
  return out;
}

}  // namespace

Napi::Value EngineHandle::host_ports(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  io::HostPorts* host = engine(env).host_ports();
  if (host == nullptr) return env.Undefined();
  const uint32_t count = engine(env).port_count();
  Napi::Array out = Napi::Array::New(env, count);
  for (uint32_t p = 0; p < count; ++p) {
    Napi::Object port = Napi::Object::New(env);
    uint8_t mac[6];
    host->port_mac(p, mac);
    port.Set("exceptionInterface", host->exception_interface(p));
    port.Set("mac", mac_value(env, mac));
    port.Set("mtu", host->port_mtu(p));
    out.Set(p, port);
  }
  return out;
}

Napi::Value EngineHandle::neighbour(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  in_addr a{};
  in6_addr a6{};
  const std::string text = info.Length() >= 1 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  const bool ipv4 = inet_pton(AF_INET, text.c_str(), &a) == 1;
  if (info.Length() < 2 || !info[1].IsNumber() || (!ipv4 && inet_pton(AF_INET6, text.c_str(), &a6) != 1))
    throw_invalid(env, "neighbour(address, port): an IPv4 or IPv6 address and a port index");
  io::HostPorts* host = engine(env).host_ports();
  const uint32_t port = info[1].As<Napi::Number>().Uint32Value();
  uint8_t mac[6];
  if (host == nullptr) return env.Null();
  const bool known = ipv4 ? host->neighbour(a.s_addr, port, mac) : host->neighbour6(core::Ipv6Address::load(a6.s6_addr), port, mac);
  return known ? mac_value(env, mac) : env.Null();
}

Napi::Value EngineHandle::neighbour_changes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  io::HostPorts* host = engine(env).host_ports();
  std::vector<uint32_t> changed;
  std::vector<core::Ipv6Address> changed6;
  if (host != nullptr) host->neighbour_changes(changed, changed6);
  Napi::Array out = Napi::Array::New(env, changed.size() + changed6.size());
  for (uint32_t i = 0; i < changed.size(); ++i) out.Set(i, core::ipv4_text(changed[i]));
  for (uint32_t i = 0; i < changed6.size(); ++i) out.Set(static_cast<uint32_t>(changed.size() + i), core::ipv6_text(changed6[i]));
  return out;
}

Napi::Value EngineHandle::neighbours(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  io::HostPorts* host = engine(env).host_ports();
  const auto all = host != nullptr ? host->neighbours() : std::vector<io::HostPorts::Neighbour>{};
  Napi::Array out = Napi::Array::New(env, all.size());
  for (uint32_t i = 0; i < all.size(); ++i) {
    Napi::Object n = Napi::Object::New(env);
    n.Set("address", all[i].ipv6 ? core::ipv6_text(all[i].address6) : core::ipv4_text(all[i].address));
    n.Set("port", all[i].port);
    n.Set("mac", mac_text(all[i].mac));
    n.Set("state", all[i].state);
    if (all[i].confirmed_ago_ms >= 0) n.Set("confirmedAgoMs", static_cast<double>(all[i].confirmed_ago_ms));
    out.Set(i, n);
  }
  return out;
}

}  // namespace xvs::binding
