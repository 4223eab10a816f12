// native/binding/errors.h — native Status -> JS Error with `code`, thrown on the calling JS
// thread. Binding-only (includes napi.h).
#pragma once
#include <napi.h>

#include "control/status.h"

namespace xvs::binding {

inline Napi::Error to_js_error(Napi::Env env, const control::Status& st) {
  Napi::Error err = Napi::Error::New(env, st.message);
  err.Set("code", Napi::String::New(env, st.code));
  return err;
}

inline void throw_if_error(Napi::Env env, const control::Status& st) {
  if (!st.is_ok()) throw to_js_error(env, st);
}

inline void throw_invalid(Napi::Env env, const std::string& message) {
  throw_if_error(env, control::Status::error(control::kErrInvalidArgument, message));
}

}  // namespace xvs::binding
