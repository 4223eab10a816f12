// native/binding/connections_js.h — JS face of Engine::dump_connections (engine.connections() in
// src/native/addon.ts, for `xvs list -c` / GET /connections): per worker its entry count and
// entries as plain objects with dotted-quad endpoints and IPVS state names. Runs on the JS
// thread that owns the engine handle.
#pragma once
#include <napi.h>

#include <vector>

#include "control/engine.h"

namespace xvs::binding {
// paged: each worker's object carries `next`, the slot its next page starts at (-1: done).
Napi::Value connections_value(Napi::Env env, const std::vector<control::WorkerConnections>& workers, bool paged);
}  // namespace xvs::binding
