// native/binding/engine_handle.h — the JS class `Engine` wrapping control::Engine. Every method
// runs on the JS thread that created the handle (the control worker; tests use it directly).
#pragma once
#include <napi.h>

#include <memory>

#include "control/engine.h"

namespace xvs::binding {

class EngineHandle : public Napi::ObjectWrap<EngineHandle> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit EngineHandle(const Napi::CallbackInfo& info);

 private:
  control::Engine& engine(Napi::Env env);
  Napi::Value start(const Napi::CallbackInfo& info);
  Napi::Value stop(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value describe(const Napi::CallbackInfo& info);
  Napi::Value commit(const Napi::CallbackInfo& info);
  Napi::Value connections(const Napi::CallbackInfo& info);
  Napi::Value reclaim(const Napi::CallbackInfo& info);
  Napi::Value counters(const Napi::CallbackInfo& info);
  Napi::Value status(const Napi::CallbackInfo& info);
  Napi::Value server_counters(const Napi::CallbackInfo& info);
  Napi::Value publish_peer_loads(const Napi::CallbackInfo& info);
  Napi::Value settle(const Napi::CallbackInfo& info);
  Napi::Value restore_port_holds(const Napi::CallbackInfo& info);
  Napi::Value port_holds(const Napi::CallbackInfo& info);
  Napi::Value advance_clock(const Napi::CallbackInfo& info);
  Napi::Value mem_inject(const Napi::CallbackInfo& info);
  Napi::Value mem_collect(const Napi::CallbackInfo& info);
  Napi::Value sync_drain(const Napi::CallbackInfo& info);
  Napi::Value sync_install(const Napi::CallbackInfo& info);
  Napi::Value sync_dump(const Napi::CallbackInfo& info);
  Napi::Value sync_dump_finished(const Napi::CallbackInfo& info);
  // host_ports_js.cc: the DPDK backend's exception interfaces and neighbour table.
  Napi::Value host_ports(const Napi::CallbackInfo& info);
  Napi::Value neighbour(const Napi::CallbackInfo& info);
  Napi::Value neighbour_changes(const Napi::CallbackInfo& info);
  Napi::Value neighbours(const Napi::CallbackInfo& info);

  std::unique_ptr<control::Engine> engine_;
};

}  // namespace xvs::binding
