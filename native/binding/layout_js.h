// native/binding/layout_js.h — exports abi::layout() to JS.
#pragma once
#include <napi.h>

namespace xvs::binding {
Napi::Value layout_js(const Napi::CallbackInfo& info);
}
