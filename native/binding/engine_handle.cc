// native/binding/engine_handle.cc — argument checking and JS conversion around control::Engine.
// Options arrive already validated by TypeScript; this still refuses wrong types with
// XVS_EINVAL rather than crashing.
#include "binding/engine_handle.h"

#include <cstring>
#include <vector>

#include "abi/counters.h"
#include "bench/forward_only.h"
#include "binding/connections_js.h"
#include "binding/errors.h"

namespace xvs::binding {
namespace {

uint32_t get_u32(Napi::Env env, const Napi::Object& o, const char* key, uint32_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw_invalid(env, std::string("option ") + key + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d > 4294967295.0 || d != static_cast<double>(static_cast<uint32_t>(d)))
    throw_invalid(env, std::string("option ") + key + " must be a non-negative integer");
  return static_cast<uint32_t>(d);
}

control::EngineOptions parse_options(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(env, "new Engine(options): options object required");
  Napi::Object o = info[0].As<Napi::Object>();
  control::EngineOptions opts;
  if (Napi::Value b = o.Get("backend"); b.IsString()) opts.backend = b.As<Napi::String>().Utf8Value();
  if (Napi::Value b = o.Get("bpfObject"); b.IsString()) opts.bpf_object = b.As<Napi::String>().Utf8Value();
  if (Napi::Value p = o.Get("workerPriority"); p.IsNumber()) opts.worker_priority = p.As<Napi::Number>().Int32Value();
  if (Napi::Value b = o.Get("workerPriorityBestEffort"); b.IsBoolean()) opts.worker_priority_best_effort = b.As<Napi::Boolean>().Value();
  if (Napi::Value b = o.Get("fastPath"); b.IsBoolean()) opts.fast_path = b.As<Napi::Boolean>().Value();
  if (Napi::Value b = o.Get("sync"); b.IsBoolean()) opts.sync = b.As<Napi::Boolean>().Value();
  if (Napi::Value n = o.Get("syncRefreshSeconds"); n.IsNumber()) opts.sync_refresh_seconds = n.As<Napi::Number>().Uint32Value();
  // Benchmarks only (`xvs bench veth`'s I/O-loop case): no lb::process at all.
  if (Napi::Value b = o.Get("forwardOnly"); b.IsBoolean() && b.As<Napi::Boolean>().Value())
    opts.burst_path = bench::forward_only_burst;
  if (Napi::Value k = o.Get("portKey"); !k.IsUndefined()) {
    // Copied at once: the engine keeps no reference to a JS buffer.
    if (!k.IsBuffer() || k.As<Napi::Buffer<uint8_t>>().Length() != 16) throw_invalid(env, "option portKey must be a 16-byte Buffer");
    const uint8_t* bytes = k.As<Napi::Buffer<uint8_t>>().Data();
    std::memcpy(&opts.port_key.k0, bytes, 8);
    std::memcpy(&opts.port_key.k1, bytes + 8, 8);
  }
  if (Napi::Value r = o.Get("localPorts"); !r.IsUndefined()) {
    Napi::Array a = r.IsArray() ? r.As<Napi::Array>() : Napi::Array::New(env);
    const double first = a.Length() == 2 && a.Get(0u).IsNumber() ? a.Get(0u).As<Napi::Number>().DoubleValue() : -1;
    const double last = a.Length() == 2 && a.Get(1u).IsNumber() ? a.Get(1u).As<Napi::Number>().DoubleValue() : -1;
    if (!(first >= lb::kMinLocalPort && last <= 65535 && first <= last) || first != static_cast<uint16_t>(first) ||
        last != static_cast<uint16_t>(last))
      throw_invalid(env, "option localPorts must be [first, last], integers with 1024 <= first <= last <= 65535");
    opts.local_ports = {static_cast<uint16_t>(first), static_cast<uint16_t>(last)};
  }
  opts.workers = get_u32(env, o, "workers", 1);
  opts.conn_table_size = get_u32(env, o, "connTableSize", opts.conn_table_size);
  opts.mem_frames = get_u32(env, o, "memFrames", opts.mem_frames);
  if (Napi::Value cpus = o.Get("cpus"); cpus.IsArray()) {
    Napi::Array a = cpus.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value c = a.Get(i);
      if (!c.IsNumber()) throw_invalid(env, "option cpus must hold numbers");
      opts.cpus.push_back(c.As<Napi::Number>().Int32Value());
    }
  }
  if (Napi::Value d = o.Get("dpdk"); d.IsObject()) {
    Napi::Object dpdk = d.As<Napi::Object>();
    if (Napi::Value v = dpdk.Get("driver"); v.IsString()) opts.dpdk_driver = v.As<Napi::String>().Utf8Value();
    const auto strings = [&](const char* key, std::vector<std::string>& out) {
      Napi::Value v = dpdk.Get(key);
      if (v.IsUndefined()) return;
      if (!v.IsArray()) throw_invalid(env, std::string("option dpdk.") + key + " must be an array of strings");
      Napi::Array list = v.As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); ++i) {
        if (!list.Get(i).IsString()) throw_invalid(env, std::string("option dpdk.") + key + " must hold strings");
        out.push_back(list.Get(i).As<Napi::String>().Utf8Value());
      }
    };
    strings("devices", opts.dpdk_devices);
    strings("eal", opts.dpdk_eal);
  }
  Napi::Value ifs = o.Get("interfaces");
  if (!ifs.IsArray()) throw_invalid(env, "option interfaces must be an array of names");
  Napi::Array a = ifs.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value n = a.Get(i);
    if (!n.IsString()) throw_invalid(env, "option interfaces must hold strings");
    opts.interfaces.push_back(n.As<Napi::String>().Utf8Value());
  }
  return opts;
}

}  // namespace

Napi::Function EngineHandle::define(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {
                         InstanceMethod("start", &EngineHandle::start),
                         InstanceMethod("stop", &EngineHandle::stop),
                         InstanceMethod("close", &EngineHandle::close),
                         InstanceMethod("describe", &EngineHandle::describe),
                         InstanceMethod("commit", &EngineHandle::commit),
                         InstanceMethod("connections", &EngineHandle::connections),
                         InstanceMethod("reclaim", &EngineHandle::reclaim),
                         InstanceMethod("counters", &EngineHandle::counters),
                         InstanceMethod("status", &EngineHandle::status),
                         InstanceMethod("serverCounters", &EngineHandle::server_counters),
                         InstanceMethod("publishPeerLoads", &EngineHandle::publish_peer_loads),
                         InstanceMethod("settle", &EngineHandle::settle),
                         InstanceMethod("advanceClock", &EngineHandle::advance_clock),
                         InstanceMethod("restorePortHolds", &EngineHandle::restore_port_holds),
                         InstanceMethod("portHolds", &EngineHandle::port_holds),
                         InstanceMethod("memInject", &EngineHandle::mem_inject),
                         InstanceMethod("memCollect", &EngineHandle::mem_collect),
                         InstanceMethod("syncDrain", &EngineHandle::sync_drain),
                         InstanceMethod("syncInstall", &EngineHandle::sync_install),
                         InstanceMethod("syncDump", &EngineHandle::sync_dump),
                         InstanceMethod("syncDumpFinished", &EngineHandle::sync_dump_finished),
                         InstanceMethod("hostPorts", &EngineHandle::host_ports),
                         InstanceMethod("neighbour", &EngineHandle::neighbour),
                         InstanceMethod("neighbourChanges", &EngineHandle::neighbour_changes),
                         InstanceMethod("neighbours", &EngineHandle::neighbours),
                     });
}

EngineHandle::EngineHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineHandle>(info) {
  Napi::Env env = info.Env();
  const control::EngineOptions opts = parse_options(info);
  throw_if_error(env, control::Engine::create(opts, engine_));
}

control::Engine& EngineHandle::engine(Napi::Env env) {
  if (!engine_) throw_if_error(env, control::Status::error(control::kErrState, "engine handle is closed"));
  return *engine_;
}

Napi::Value EngineHandle::start(const Napi::CallbackInfo& info) {
  throw_if_error(info.Env(), engine(info.Env()).start());
  return info.Env().Undefined();
}

Napi::Value EngineHandle::stop(const Napi::CallbackInfo& info) {
  engine(info.Env()).stop();
  return info.Env().Undefined();
}

Napi::Value EngineHandle::close(const Napi::CallbackInfo& info) {
  if (engine_) engine_->close();
  return info.Env().Undefined();
}

Napi::Value EngineHandle::describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  control::Engine& e = engine(env);
  Napi::Object out = Napi::Object::New(env);
  out.Set("backend", e.describe());
  const auto warnings = e.warnings();
  Napi::Array list = Napi::Array::New(env, warnings.size());
  for (uint32_t i = 0; i < warnings.size(); ++i) list.Set(i, warnings[i]);
  out.Set("warnings", list);
  return out;
}

namespace {

// commit(): build_snapshot on a libuv pool thread, the rest of the commit back on the owner
// thread. Holds the handle (so its engine outlives the build) and its own copy of the caller's
// bytes, taken during the call: a JS buffer may be transferred, detached, collected or reused as
// soon as the call returns, and the pool thread must never read it.
class CommitWorker : public Napi::AsyncWorker {
 public:
  CommitWorker(Napi::Env env, Napi::Object handle, control::Engine& engine, Napi::Uint8Array bytes,
               std::unique_ptr<control::BuildContext> ctx)
      : Napi::AsyncWorker(env, "xvs.commit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        handle_(Napi::Persistent(handle)),
        bytes_(bytes.Data(), bytes.Data() + bytes.ByteLength()),
        engine_(engine),
        ctx_(std::move(ctx)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      built_ = control::build_snapshot(bytes_.data(), bytes_.size(), *ctx_, next_);
    } catch (const std::exception& e) {  // bad_alloc on a huge snapshot: a refused commit, not a crash
      built_ = control::Status::error(control::kErrSystem, std::string("building the snapshot failed: ") + e.what());
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    const control::Status st = engine_.finish_commit(built_, std::move(next_));
    if (st.is_ok()) deferred_.Resolve(Napi::BigInt::New(env, engine_.generation()));
    else deferred_.Reject(to_js_error(env, st).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference handle_;
  const std::vector<uint8_t> bytes_;
  control::Engine& engine_;
  std::unique_ptr<control::BuildContext> ctx_;
  control::Status built_;
  std::unique_ptr<lb::Snapshot> next_;
};

}  // namespace

// commit(snapshot) -> Promise<generation>: the one way a snapshot reaches the engine from JS.
// Every refusal is a rejected promise, never a throw: callers handle one kind of failure.
Napi::Value EngineHandle::commit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto refuse = [&](const control::Status& st) {
    Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
    d.Reject(to_js_error(env, st).Value());
    return d.Promise();
  };
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return refuse(control::Status::error(control::kErrInvalidArgument, "commit(snapshot): snapshot must be a Uint8Array"));
  if (!engine_) return refuse(control::Status::error(control::kErrState, "engine handle is closed"));
  control::Engine& e = *engine_;
  std::unique_ptr<control::BuildContext> ctx;
  if (control::Status st = e.begin_commit(ctx); !st.is_ok()) return refuse(st);
  try {
    auto* worker = new CommitWorker(env, info.This().As<Napi::Object>(), e, info[0].As<Napi::Uint8Array>(), std::move(ctx));
    const Napi::Promise promise = worker->promise();
    worker->Queue();  // deletes itself after OnOK
    return promise;
  } catch (...) {
    // Not queued: end the commit begun above, or every later one would be refused as busy.
    (void)e.finish_commit(control::Status::error(control::kErrSystem, "the commit could not be queued"), nullptr);
    throw;
  }
}

// connections(limit, timeoutMs[, starts]): up to `limit` entries per worker, taken at their safe
// points; with starts, a page of each worker's table and where its next page starts.
Napi::Value EngineHandle::connections(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto positive = [&](size_t i, const char* what) {
    const double v = info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : 0;
    if (!(v >= 1 && v <= 1e6))  // NaN fails too
      throw_invalid(env, std::string("connections(limit, timeoutMs): ") + what + " must be a number from 1 to 1000000");
    return info[i].As<Napi::Number>().Uint32Value();
  };
  const uint32_t limit = positive(0, "limit");
  const uint32_t timeout_ms = positive(1, "timeoutMs");
  // starts (optional): per worker the table slot its page starts at, -1 for a worker that is done.
  std::vector<uint32_t> starts;
  const bool paged = info.Length() > 2 && !info[2].IsUndefined();
  if (paged) {
    if (!info[2].IsArray()) throw_invalid(env, "connections(limit, timeoutMs, starts): starts must be an array of slot numbers");
    const Napi::Array list = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      const Napi::Value v = list.Get(i);
      const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -2;
      if (!(d == -1 || (d >= 0 && d < 4294967295.0 && d == static_cast<double>(static_cast<uint32_t>(d)))))
        throw_invalid(env, "connections(limit, timeoutMs, starts): each start must be a slot number or -1 (done)");
      starts.push_back(d == -1 ? worker::ConnDump::kEnd : static_cast<uint32_t>(d));
    }
  }
  std::vector<control::WorkerConnections> workers;
  throw_if_error(env, engine(env).dump_connections(limit, timeout_ms, workers, paged ? &starts : nullptr));
  return connections_value(env, workers, paged);
}

Napi::Value EngineHandle::reclaim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(engine(info.Env()).reclaim()));
}

Napi::Value EngineHandle::counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<uint64_t> values;
  engine(env).read_counters(values);
  Napi::BigUint64Array out = Napi::BigUint64Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return out;
}

Napi::Value EngineHandle::status(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  control::Engine& e = engine(env);
  Napi::Object out = Napi::Object::New(env);
  out.Set("running", e.running());
  out.Set("generation", Napi::BigInt::New(env, e.generation()));
  out.Set("retiredSnapshots", static_cast<double>(e.reclaim()));
  const auto workers = e.worker_status();
  Napi::Array list = Napi::Array::New(env, workers.size());
  for (uint32_t i = 0; i < workers.size(); ++i) {
    Napi::Object w = Napi::Object::New(env);
    w.Set("id", i);
    w.Set("running", workers[i].running);
    w.Set("seenGeneration", Napi::BigInt::New(env, workers[i].seen_generation));
    w.Set("connections", static_cast<double>(workers[i].connections));
    list.Set(i, w);
  }
  out.Set("workers", list);
  const lb::BackendTraffic t = e.traffic_total();
  Napi::Object traffic = Napi::Object::New(env);
  traffic.Set("conns", static_cast<double>(t.conns));
  traffic.Set("inPackets", static_cast<double>(t.in_packets));
  traffic.Set("inBytes", static_cast<double>(t.in_bytes));
  traffic.Set("outPackets", static_cast<double>(t.out_packets));
  traffic.Set("outBytes", static_cast<double>(t.out_bytes));
  out.Set("traffic", traffic);
  if (const control::Engine::FastPathTotals f = e.fast_path_totals(); f.valid) {
    Napi::Object fast = Napi::Object::New(env);
    fast.Set("packets", static_cast<double>(f.counters.packets));
    fast.Set("bytes", static_cast<double>(f.counters.bytes));
    fast.Set("stale", static_cast<double>(f.counters.stale));
    fast.Set("uncounted", static_cast<double>(f.counters.uncounted));
    out.Set("fastPath", fast);
  }
  if (const io::FrameAudit a = e.frame_audit(); a.valid) {
    Napi::Object frames = Napi::Object::New(env);
    frames.Set("total", static_cast<double>(a.total));
    frames.Set("free", static_cast<double>(a.free));
    frames.Set("inRings", static_cast<double>(a.in_rings));
    frames.Set("inFlight", static_cast<double>(a.in_flight));
    frames.Set("lost", static_cast<double>(a.lost));
    out.Set("frames", frames);
  }
  return out;
}

Napi::Value EngineHandle::publish_peer_loads(const Napi::CallbackInfo& info) {
  engine(info.Env()).publish_peer_loads();
  return info.Env().Undefined();
}

// Parallel arrays, one entry per (server, worker) row: cheap to build and to read for any
// number of servers, where an object per row would not be.
Napi::Value EngineHandle::server_counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<control::ServerCounterRow> rows;
  engine(env).read_server_counters(rows);
  Napi::Uint32Array ids = Napi::Uint32Array::New(env, rows.size());
  Napi::Uint32Array workers = Napi::Uint32Array::New(env, rows.size());
  Napi::Uint32Array active = Napi::Uint32Array::New(env, rows.size());
  Napi::Uint32Array inactive = Napi::Uint32Array::New(env, rows.size());
  Napi::Uint32Array persistent = Napi::Uint32Array::New(env, rows.size());
  // Traffic as doubles: exact below 2^53, which a counter reaches after centuries at line rate.
  Napi::Float64Array conns = Napi::Float64Array::New(env, rows.size());
  Napi::Float64Array in_packets = Napi::Float64Array::New(env, rows.size());
  Napi::Float64Array out_packets = Napi::Float64Array::New(env, rows.size());
  Napi::Float64Array in_bytes = Napi::Float64Array::New(env, rows.size());
  Napi::Float64Array out_bytes = Napi::Float64Array::New(env, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    ids[i] = rows[i].backend_id;
    workers[i] = rows[i].worker;
    active[i] = rows[i].active;
    inactive[i] = rows[i].inactive;
    persistent[i] = rows[i].persistent;
    conns[i] = static_cast<double>(rows[i].traffic.conns);
    in_packets[i] = static_cast<double>(rows[i].traffic.in_packets);
    out_packets[i] = static_cast<double>(rows[i].traffic.out_packets);
    in_bytes[i] = static_cast<double>(rows[i].traffic.in_bytes);
    out_bytes[i] = static_cast<double>(rows[i].traffic.out_bytes);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("backendId", ids);
  out.Set("worker", workers);
  out.Set("active", active);
  out.Set("inactive", inactive);
  out.Set("persistent", persistent);
  out.Set("conns", conns);
  out.Set("inPackets", in_packets);
  out.Set("outPackets", out_packets);
  out.Set("inBytes", in_bytes);
  out.Set("outBytes", out_bytes);
  return out;
}

Napi::Value EngineHandle::settle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t timeout = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 1000;
  return Napi::Boolean::New(env, engine(env).settle(timeout));
}

Napi::Value EngineHandle::advance_clock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw_invalid(env, "advanceClock(seconds): seconds must be a number");
  engine(env).advance_clock(info[0].As<Napi::Number>().Uint32Value());
  return env.Undefined();
}

Napi::Value EngineHandle::restore_port_holds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsNumber())
    throw_invalid(env, "restorePortHolds(bytes, elapsedSeconds): a Uint8Array and a number");
  const Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  const double elapsed = info[1].As<Napi::Number>().DoubleValue();
  const auto seconds = static_cast<uint32_t>(elapsed < 0 ? 0 : elapsed > 4294967295.0 ? 4294967295.0 : elapsed);
  uint32_t kept = 0;
  // The bytes are read during the call only (decoded into the engine's own vector).
  throw_if_error(env, engine(env).restore_port_holds(bytes.Data(), bytes.ByteLength(), seconds, kept));
  return Napi::Number::New(env, kept);
}

Napi::Value EngineHandle::port_holds(const Napi::CallbackInfo& info) {
  const std::vector<uint8_t> bytes = engine(info.Env()).port_holds();
  return Napi::Buffer<uint8_t>::Copy(info.Env(), bytes.data(), bytes.size());
}

Napi::Value EngineHandle::mem_inject(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  io::MemBackend* mem = engine(env).mem();
  if (mem == nullptr) throw_if_error(env, control::Status::error(control::kErrState, "memInject needs the mem backend"));
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsTypedArray())
    throw_invalid(env, "memInject(port, queue, frame): numbers and a Uint8Array");
  Napi::Uint8Array frame = info[2].As<Napi::Uint8Array>();
  switch (mem->inject(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value(),
                      frame.Data(), static_cast<uint32_t>(frame.ByteLength()))) {
    case io::MemBackend::Inject::ok: return Napi::Boolean::New(env, true);
    case io::MemBackend::Inject::no_frame:
    case io::MemBackend::Inject::ring_full: return Napi::Boolean::New(env, false);
    case io::MemBackend::Inject::too_long: throw_invalid(env, "memInject: frame longer than a mem-backend buffer"); break;
    case io::MemBackend::Inject::bad_queue: throw_invalid(env, "memInject: no such port or queue"); break;
  }
  return env.Undefined();
}

Napi::Value EngineHandle::mem_collect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  io::MemBackend* mem = engine(env).mem();
  if (mem == nullptr) throw_if_error(env, control::Status::error(control::kErrState, "memCollect needs the mem backend"));
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  mem->collect([&](io::MemBackend::Output kind, uint32_t port, uint32_t queue, const uint8_t* data, uint32_t len) {
    Napi::Object f = Napi::Object::New(env);
    f.Set("verdict", kind == io::MemBackend::Output::tx ? "tx" : "pass");
    f.Set("port", port);
    f.Set("queue", queue);
    f.Set("data", Napi::Buffer<uint8_t>::Copy(env, data, len));
    out.Set(n++, f);
  });
  return out;
}

Napi::Value EngineHandle::sync_drain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw_invalid(env, "syncDrain(maxRecords): a number");
  const double max = info[0].As<Napi::Number>().DoubleValue();
  std::vector<uint8_t> out;
  throw_if_error(env, engine(env).sync_drain(max < 0 ? 0 : static_cast<size_t>(max), out));
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), out.size());
}

Napi::Value EngineHandle::sync_install(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) throw_invalid(env, "syncInstall(records): a Uint8Array");
  const Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  size_t accepted = 0, refused = 0;
  throw_if_error(env, engine(env).sync_install(bytes.Data(), bytes.ByteLength(), accepted, refused));
  Napi::Object out = Napi::Object::New(env);
  out.Set("accepted", static_cast<double>(accepted));
  out.Set("refused", static_cast<double>(refused));
  return out;
}

Napi::Value EngineHandle::sync_dump(const Napi::CallbackInfo& info) {
  throw_if_error(info.Env(), engine(info.Env()).sync_dump());
  return info.Env().Undefined();
}

Napi::Value EngineHandle::sync_dump_finished(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), engine(info.Env()).sync_dump_finished());
}

}  // namespace xvs::binding
