// native/binding/addon.cc — module entry: exports { Engine, layout, benchDataplane, linkInfo,
// nextHop, solicit, RouteMonitor, attachDecap, detachDecap, decapCounters, vethPktgen,
// vethAttachSink, vethAttachRedirect, vethReadSink, vethLiveFramesRefusal }. Loaded by
// src/native/addon.ts on whichever JS thread imports it (the control worker; tests; benches).
#include <napi.h>

#include "binding/bench_js.h"
#include "binding/decap_js.h"
#include "binding/engine_handle.h"
#include "binding/layout_js.h"
#include "binding/netlink_js.h"
#include "binding/route_monitor_js.h"
#include "binding/service_notify_js.h"
#include "binding/veth_bench_js.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", xvs::binding::EngineHandle::define(env));
  exports.Set("layout", Napi::Function::New(env, xvs::binding::layout_js, "layout"));
  exports.Set("benchDataplane", Napi::Function::New(env, xvs::binding::bench_dataplane_js, "benchDataplane"));
  exports.Set("linkInfo", Napi::Function::New(env, xvs::binding::link_info_js, "linkInfo"));
  exports.Set("nextHop", Napi::Function::New(env, xvs::binding::next_hop_js, "nextHop"));
  exports.Set("solicit", Napi::Function::New(env, xvs::binding::solicit_js, "solicit"));
  exports.Set("RouteMonitor", xvs::binding::RouteMonitorHandle::define(env));
  exports.Set("attachDecap", Napi::Function::New(env, xvs::binding::attach_decap_js, "attachDecap"));
  exports.Set("detachDecap", Napi::Function::New(env, xvs::binding::detach_decap_js, "detachDecap"));
  exports.Set("decapCounters", Napi::Function::New(env, xvs::binding::decap_counters_js, "decapCounters"));
  exports.Set("vethPktgen", Napi::Function::New(env, xvs::binding::veth_pktgen_js, "vethPktgen"));
  exports.Set("vethAttachSink", Napi::Function::New(env, xvs::binding::veth_attach_sink_js, "vethAttachSink"));
  exports.Set("vethAttachRedirect", Napi::Function::New(env, xvs::binding::veth_attach_redirect_js, "vethAttachRedirect"));
  exports.Set("vethReadSink", Napi::Function::New(env, xvs::binding::veth_read_sink_js, "vethReadSink"));
  exports.Set("vethLiveFramesRefusal",
              Napi::Function::New(env, xvs::binding::veth_live_frames_refusal_js, "vethLiveFramesRefusal"));
  exports.Set("serviceNotify", Napi::Function::New(env, xvs::binding::service_notify_js, "serviceNotify"));
  return exports;
}

}  // namespace

NODE_API_MODULE(xvs, init)
