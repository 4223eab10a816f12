// native/binding/veth_bench_js.cc — argument checking and JS conversion around the native half
// of `xvs bench veth` (bench/pktgen.h, bench/veth_xdp.h). Consumes plain objects built by
// src/native/addon.ts (options already validated there; wrong types still become XVS_EINVAL
// errors, never crashes); produces plain objects. Runs synchronously on the calling JS thread:
// vethPktgen blocks it for the generator's whole run (the generator process has nothing else
// to do).
#include "binding/veth_bench_js.h"

#include <arpa/inet.h>

#include "bench/pktgen.h"
#include "bench/veth_xdp.h"
#include "binding/errors.h"

namespace xvs::binding {
namespace {

Napi::Object object_arg(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(info.Env(), std::string(fn) + "(options): an options object");
  return info[0].As<Napi::Object>();
}

std::string get_string(Napi::Env env, const Napi::Object& o, const char* fn, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw_invalid(env, std::string(fn) + ": " + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

double get_number(Napi::Env env, const Napi::Object& o, const char* fn, const char* key, double min, double max,
                  bool integer = true) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw_invalid(env, std::string(fn) + ": " + key + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= min && d <= max) || (integer && d != static_cast<double>(static_cast<int64_t>(d))))
    throw_invalid(env, std::string(fn) + ": " + key + " must be " + (integer ? "an integer" : "a number") + " from " +
                           std::to_string(min) + " to " + std::to_string(max));
  return d;
}

// A dotted IPv4 address -> network order.
uint32_t get_ipv4(Napi::Env env, const Napi::Object& o, const char* fn, const char* key) {
  in_addr a{};
  if (inet_pton(AF_INET, get_string(env, o, fn, key).c_str(), &a) != 1)
    throw_invalid(env, std::string(fn) + ": " + key + " must be a dotted IPv4 address");
  return a.s_addr;
}

bench::Mac get_mac(Napi::Env env, const Napi::Object& o, const char* fn, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      v.As<Napi::Uint8Array>().ElementLength() != 6)
    throw_invalid(env, std::string(fn) + ": " + key + " must be a Uint8Array of 6 bytes");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  bench::Mac mac{};
  for (size_t i = 0; i < 6; ++i) mac[i] = a[i];
  return mac;
}

}  // namespace

Napi::Value veth_pktgen_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "vethPktgen";
  Napi::Object o = object_arg(info, fn);
  bench::PktgenParams p;
  p.object = get_string(env, o, fn, "object");
  p.iface = get_string(env, o, fn, "iface");
  p.src_mac = get_mac(env, o, fn, "srcMac");
  p.dst_mac = get_mac(env, o, fn, "dstMac");
  p.src_base = ntohl(get_ipv4(env, o, fn, "srcBase"));
  p.dst_addr = get_ipv4(env, o, fn, "dstAddr");
  p.dst_port = static_cast<uint16_t>(get_number(env, o, fn, "dstPort", 1, 65535));
  p.src_port_base = static_cast<uint16_t>(get_number(env, o, fn, "srcPortBase", 1, 65535));
  p.flows = static_cast<uint32_t>(get_number(env, o, fn, "flows", 1, 1 << 24));
  p.ports_per_address = static_cast<uint32_t>(get_number(env, o, fn, "portsPerAddress", 1, 65535));
  if (p.src_port_base + p.ports_per_address - 1 > 65535) throw_invalid(env, "vethPktgen: srcPortBase + portsPerAddress exceeds 65536");
  p.rate = static_cast<uint64_t>(get_number(env, o, fn, "rate", 0, 1e9));
  p.seconds = get_number(env, o, fn, "seconds", 0.001, 3600, false);
  p.cpu = static_cast<int>(get_number(env, o, fn, "cpu", -1, 4095));
  bench::PktgenResult r;
  throw_if_error(env, bench::run_pktgen(p, r));
  Napi::Object out = Napi::Object::New(env);
  out.Set("frames", static_cast<double>(r.frames));
  out.Set("calls", static_cast<double>(r.calls));
  out.Set("seconds", r.seconds);
  return out;
}

Napi::Value veth_live_frames_refusal_js(const Napi::CallbackInfo& info) {
  // A refusal is an answer; anything else (no XDP program loads) is an error.
  const control::Status st = bench::probe_live_frames();
  if (st.is_ok()) return info.Env().Null();
  if (st.code != control::kErrNotSupported) throw_if_error(info.Env(), st);
  return Napi::String::New(info.Env(), st.message);
}

Napi::Value veth_attach_sink_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "vethAttachSink";
  Napi::Object o = object_arg(info, fn);
  throw_if_error(env, bench::attach_sink(get_string(env, o, fn, "object"), get_string(env, o, fn, "iface"),
                                         get_ipv4(env, o, fn, "serverAddr"), get_string(env, o, fn, "pinPath")));
  return env.Undefined();
}

Napi::Value veth_attach_redirect_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "vethAttachRedirect";
  Napi::Object o = object_arg(info, fn);
  throw_if_error(env, bench::attach_redirect(get_string(env, o, fn, "object"), get_string(env, o, fn, "iface"),
                                             static_cast<uint32_t>(get_number(env, o, fn, "toIfindex", 1, 4294967295.0)),
                                             get_mac(env, o, fn, "srcMac"), get_mac(env, o, fn, "dstMac")));
  return env.Undefined();
}

Napi::Value veth_read_sink_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_invalid(env, "vethReadSink(pinPath): a path");
  bench::SinkCounts c;
  throw_if_error(env, bench::read_sink(info[0].As<Napi::String>().Utf8Value(), c));
  Napi::Object out = Napi::Object::New(env);
  out.Set("toServer", static_cast<double>(c.to_server));
  out.Set("otherIpv4", static_cast<double>(c.other_ipv4));
  return out;
}

}  // namespace xvs::binding
