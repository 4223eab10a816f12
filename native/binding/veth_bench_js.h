// native/binding/veth_bench_js.h — JS entry points of `xvs bench veth`'s native half
// (bench/pktgen.h, bench/veth_xdp.h); exported by addon.cc as vethPktgen, vethAttachSink,
// vethAttachRedirect, vethReadSink, vethLiveFramesRefusal.
#pragma once
#include <napi.h>

namespace xvs::binding {

Napi::Value veth_pktgen_js(const Napi::CallbackInfo& info);
Napi::Value veth_attach_sink_js(const Napi::CallbackInfo& info);
Napi::Value veth_attach_redirect_js(const Napi::CallbackInfo& info);
Napi::Value veth_read_sink_js(const Napi::CallbackInfo& info);
Napi::Value veth_live_frames_refusal_js(const Napi::CallbackInfo& info);

}  // namespace xvs::binding
