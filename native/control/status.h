// native/control/status.h — how native errors travel: a stable code (the binding turns it into
// err.code in JS) and a message that says what was wrong and what to do. Used by control/.
#pragma once
#include <string>
#include <utility>

namespace xvs::control {

// Codes are part of the JS API; add, never rename.
inline constexpr const char* kErrInvalidArgument = "XVS_EINVAL";
inline constexpr const char* kErrSnapshot = "XVS_ESNAPSHOT";
inline constexpr const char* kErrNotSupported = "XVS_ENOTSUP";
inline constexpr const char* kErrState = "XVS_ESTATE";
inline constexpr const char* kErrBusy = "XVS_EBUSY";
inline constexpr const char* kErrLimit = "XVS_ELIMIT";
inline constexpr const char* kErrSystem = "XVS_ESYSTEM";

struct Status {
  std::string code;  // empty when ok
  std::string message;

  static Status ok() { return {}; }
  static Status error(const char* code, std::string message) { return {code, std::move(message)}; }
  bool is_ok() const { return code.empty(); }
};

}  // namespace xvs::control
