// test/native/mem_engine_options.h — the engine options of the engine-level tests: io/mem, two
// ports (client, server), a small connection table and frame pool, every local port from 1024
// (as the Dataplane fixture: the rows' client ports, 40000 and up, are in range).
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
  o.local_ports = {1024, 65535};
  return o;
}

}  // namespace xvs::test
