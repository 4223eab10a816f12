// native/binding/service_notify_js.h — JS face of kernel/service_notify.h:
// serviceNotify(socketPath, message) for src/service/systemd-notify.ts. Throws (XVS_ESYSTEM) when
// the datagram cannot be sent. Runs on the calling JS thread (the main thread of `xvs run`).
#pragma once
#include <napi.h>

namespace xvs::binding {
Napi::Value service_notify_js(const Napi::CallbackInfo& info);
}  // namespace xvs::binding
