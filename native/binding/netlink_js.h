// native/binding/netlink_js.h — JS face of kernel/netlink.h for the afxdp next-hop resolver
// (src/control/worker/nexthop/afxdp.ts): linkInfo(name), nextHop(address), solicit(address). Runs on
// the calling JS thread (the control worker) and answers from its network namespace.
#pragma once
#include <napi.h>

namespace xvs::binding {
Napi::Value link_info_js(const Napi::CallbackInfo& info);
Napi::Value next_hop_js(const Napi::CallbackInfo& info);
Napi::Value solicit_js(const Napi::CallbackInfo& info);
}  // namespace xvs::binding
