// test/native/mem_engine_options.h — the engine options of the engine-level tests: io/mem, two
// ports (client, server), a small connection table and frame pool.
#pragma once
#include <cstdint>

#include "control/engine.h"

namespace xvs::test {

inline control::EngineOptions mem_engine_options(uint32_t workers) {
  control::EngineOptions o;
  o.backend = "mem";
  o.workers = workers;
  o.interfaces = {"client", "server"};
  o.conn_table_size = 1024;
  o.mem_frames = 256;
  return o;
}

}  // namespace xvs::test
