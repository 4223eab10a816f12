// native/binding/bench_js.h — `benchDataplane(snapshot, params)`: runs bench/dataplane_bench on
// the calling JS thread (it blocks that thread for the whole run) and returns a plain object.
#pragma once
#include <napi.h>

namespace xvs::binding {
Napi::Value bench_dataplane_js(const Napi::CallbackInfo& info);
}
