// native/binding/service_notify_js.cc — see service_notify_js.h.
#include "binding/service_notify_js.h"

#include "binding/errors.h"
#include "kernel/service_notify.h"

namespace xvs::binding {

Napi::Value service_notify_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString())
    throw_invalid(env, "serviceNotify(socketPath, message): both must be strings");
  const std::string err = kernel::notify_service_manager(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value());
  if (!err.empty()) throw_if_error(env, control::Status::error(control::kErrSystem, err));
  return env.Undefined();
}

}  // namespace xvs::binding
