// native/binding/decap_js.h — JS face of kernel/decap_program.h for `xvs decap`
// (src/cli/commands/decap.ts): attachDecap(ifname, objectPath), detachDecap(ifname),
// decapCounters(ifname). Runs on the calling JS thread (the CLI's main thread), in its network
// namespace; each call is short (a few netlink and bpf() calls). Errors cross as Error + code:
// XVS_EINVAL (no such interface), XVS_EBUSY (a foreign XDP program), XVS_ESYSTEM (the rest).
#pragma once
#include <napi.h>

namespace xvs::binding {
Napi::Value attach_decap_js(const Napi::CallbackInfo& info);
Napi::Value detach_decap_js(const Napi::CallbackInfo& info);
Napi::Value decap_counters_js(const Napi::CallbackInfo& info);
}  // namespace xvs::binding
