// native/abi/control.h — messages on the per-worker control rings. The control thread (the
// engine's commit, stop and connection listing, running on the JS control worker) is the only
// producer of each ring; the worker that owns the ring is its only consumer, at its safe point
// between bursts.
#pragma once
#include <cstdint>

namespace xvs::abi {

// K(name, value)
#define XVS_CONTROL_KINDS(K) \
  K(install_snapshot, 1)     \
  K(stop, 2)                 \
  K(dump_connections, 3)

enum class ControlKind : uint32_t {
#define XVS_CONTROL_ENUM(name, value) name = value,
  XVS_CONTROL_KINDS(XVS_CONTROL_ENUM)
#undef XVS_CONTROL_ENUM
};

}  // namespace xvs::abi
