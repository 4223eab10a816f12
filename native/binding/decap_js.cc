// native/binding/decap_js.cc — see decap_js.h. Argument checking and conversion only.
#include "binding/decap_js.h"

#include "binding/errors.h"
#include "kernel/decap_program.h"
#include "kernel/netlink.h"

namespace xvs::binding {
namespace {

struct Interface {
  std::string name;
  int ifindex;
};

Interface interface_arg(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_invalid(env, std::string(fn) + "(ifname): ifname must be a string");
  Interface itf{info[0].As<Napi::String>().Utf8Value(), 0};
  kernel::LinkInfo li;
  bool missing = false;
  const std::string err = kernel::link_info(itf.name, li, missing);
  if (!err.empty()) throw_if_error(env, control::Status::error(missing ? control::kErrInvalidArgument : control::kErrSystem, err));
  itf.ifindex = li.ifindex;
  return itf;
}

void set_other(Napi::Object& out, const std::string& other) {
  if (!other.empty()) out.Set("other", other);
}

}  // namespace

Napi::Value attach_decap_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Interface itf = interface_arg(info, "attachDecap");
  if (info.Length() < 2 || !info[1].IsString()) throw_invalid(env, "attachDecap(ifname, objectPath): objectPath must be a string");
  kernel::DecapAttached attached;
  const std::string err = kernel::attach_decap(info[1].As<Napi::String>().Utf8Value(), itf.name, itf.ifindex, attached);
  if (!err.empty()) throw_if_error(env, control::Status::error(attached.foreign ? control::kErrBusy : control::kErrSystem, err));
  Napi::Object out = Napi::Object::New(env);
  out.Set("mode", attached.generic ? "generic" : "native");
  out.Set("id", attached.id);
  out.Set("localPrefixes", static_cast<double>(attached.local_prefixes));
  if (!attached.replaced_stale.empty()) out.Set("replacedStale", attached.replaced_stale);
  if (!attached.native_error.empty()) out.Set("nativeError", attached.native_error);
  return out;
}

Napi::Value detach_decap_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Interface itf = interface_arg(info, "detachDecap");
  kernel::DecapDetached detached;
  const std::string err = kernel::detach_decap(itf.name, itf.ifindex, detached);
  if (!err.empty()) throw_if_error(env, control::Status::error(control::kErrSystem, err));
  Napi::Object out = Napi::Object::New(env);
  out.Set("detached", detached.detached);
  if (detached.detached) out.Set("id", detached.id);
  set_other(out, detached.other);
  return out;
}

Napi::Value decap_counters_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Interface itf = interface_arg(info, "decapCounters");
  kernel::DecapCounters counters;
  const std::string err = kernel::read_decap_counters(itf.name, itf.ifindex, counters);
  if (!err.empty()) throw_if_error(env, control::Status::error(control::kErrSystem, err));
  Napi::Object out = Napi::Object::New(env);
  out.Set("attached", counters.attached);
  set_other(out, counters.other);
  if (!counters.attached) return out;
  out.Set("id", counters.id);
  out.Set("mode", counters.generic ? "generic" : "native");
  out.Set("localPrefixes", static_cast<double>(counters.local_prefixes));
  Napi::Object values = Napi::Object::New(env);
  for (size_t i = 0; i < kernel::kDecapCounters; ++i)
    values.Set(kernel::kDecapCounterNames[i], Napi::BigInt::New(env, counters.values[i]));
  out.Set("counters", values);
  return out;
}

}  // namespace xvs::binding
