// native/binding/addon.cc — module entry: exports { Engine, layout }. Loaded by src/native/addon.ts
// on whichever JS thread imports it (the control worker; tests).
#include <napi.h>

#include "binding/engine_handle.h"
#include "binding/layout_js.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", xvs::binding::EngineHandle::define(env));
  exports.Set("layout", Napi::Function::New(env, xvs::binding::layout_js, "layout"));
  return exports;
}

}  // namespace

NODE_API_MODULE(xvs, init)
