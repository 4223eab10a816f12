// native/binding/bench_js.cc — argument checking and JS conversion around
// bench::run_dataplane. Consumes (snapshot: Uint8Array, params object) from
// src/native/addon.ts; produces a plain object of timings, verdicts, counters and memory
// figures. Runs synchronously on the calling JS thread; errors become JS errors with `code`.
#include "binding/bench_js.h"

#include "abi/counters.h"
#include "bench/dataplane_bench.h"
#include "core/siphash_batch.h"
#include "lb/conn_table.h"
#include "binding/errors.h"

namespace xvs::binding {
namespace {

double get_number(Napi::Env env, const Napi::Object& o, const char* key, double fallback, double max) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw_invalid(env, std::string("benchDataplane: ") + key + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= max) || d != static_cast<double>(static_cast<uint64_t>(d)))
    throw_invalid(env, std::string("benchDataplane: ") + key + " must be an integer from 0 to " + std::to_string(max));
  return d;
}

std::vector<uint8_t> get_frame(Napi::Env env, const Napi::Object& templates, const char* key, bool required) {
  Napi::Value v = templates.Get(key);
  if (v.IsUndefined() && !required) return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_invalid(env, std::string("benchDataplane: templates.") + key + " must be a Uint8Array");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  return std::vector<uint8_t>(a.Data(), a.Data() + a.ByteLength());
}

Napi::Array numbers(Napi::Env env, const std::vector<double>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); ++i) out.Set(i, values[i]);
  return out;
}

}  // namespace

Napi::Value bench_dataplane_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !info[1].IsObject())
    throw_invalid(env, "benchDataplane(snapshot, params): a Uint8Array and an object");
  Napi::Uint8Array snapshot = info[0].As<Napi::Uint8Array>();
  Napi::Object o = info[1].As<Napi::Object>();

  bench::Params p;
  Napi::Value workload = o.Get("workload");
  const std::string w = workload.IsString() ? workload.As<Napi::String>().Utf8Value() : "";
  if (w == "established") p.workload = bench::Workload::established;
  else if (w == "new") p.workload = bench::Workload::new_connections;
  else if (w == "cookies") p.workload = bench::Workload::syn_cookies;
  else throw_invalid(env, "benchDataplane: workload must be 'established', 'new' or 'cookies'");
  p.conn_capacity = static_cast<uint32_t>(get_number(env, o, "connTableSize", p.conn_capacity, lb::ConnTable::kMaxCapacity));
  p.flows = static_cast<uint32_t>(get_number(env, o, "flows", p.flows, 4294967295.0));
  p.packets = static_cast<uint64_t>(get_number(env, o, "packets", static_cast<double>(p.packets), 1099511627776.0));
  p.repeat = static_cast<uint32_t>(get_number(env, o, "repeat", p.repeat, 4294967295.0));
  p.seed = static_cast<uint64_t>(get_number(env, o, "seed", static_cast<double>(p.seed), 9007199254740991.0));
  if (Napi::Value r = o.Get("replies"); !r.IsUndefined()) {
    if (!r.IsBoolean()) throw_invalid(env, "benchDataplane: replies must be a boolean");
    p.replies = r.As<Napi::Boolean>().Value();
  }
  Napi::Value t = o.Get("templates");
  if (!t.IsObject()) throw_invalid(env, "benchDataplane: templates must be an object of Uint8Arrays");
  Napi::Object to = t.As<Napi::Object>();
  bench::Templates templates;
  templates.syn = get_frame(env, to, "syn", true);
  templates.ack = get_frame(env, to, "ack", p.workload == bench::Workload::established);
  templates.reply = get_frame(env, to, "reply", p.replies);

  const auto workers = static_cast<uint32_t>(get_number(env, o, "workers", 1, 64));
  std::vector<bench::Result> all;
  if (workers > 1) {
    throw_if_error(env, bench::run_dataplane_workers(snapshot.Data(), snapshot.ByteLength(), templates, p, workers, all));
  } else {
    all.emplace_back();
    throw_if_error(env, bench::run_dataplane(snapshot.Data(), snapshot.ByteLength(), templates, p, all[0]));
  }
  // Worker 0's figures, as for one; every worker's timings beside them, and any worker's problem.
  bench::Result& r = all[0];
  for (const bench::Result& other : all)
    if (r.problem.empty() && !other.problem.empty()) r.problem = other.problem;

  Napi::Object out = Napi::Object::New(env);
  out.Set("packets", static_cast<double>(r.packets));
  out.Set("flows", r.flows);
  out.Set("nsPerPacket", numbers(env, r.ns_per_packet));
  out.Set("copyNsPerPacket", numbers(env, r.copy_ns_per_packet));
  Napi::Array per_worker = Napi::Array::New(env, all.size());
  for (uint32_t w = 0; w < all.size(); ++w) per_worker.Set(w, numbers(env, all[w].ns_per_packet));
  out.Set("workerNsPerPacket", per_worker);
  Napi::Array alone = Napi::Array::New(env, all.size());
  for (uint32_t w = 0; w < all.size(); ++w) alone.Set(w, numbers(env, all[w].alone_ns_per_packet));
  out.Set("workerAloneNsPerPacket", alone);
  Napi::Object verdicts = Napi::Object::New(env);
  verdicts.Set("tx", static_cast<double>(r.tx));
  verdicts.Set("pass", static_cast<double>(r.pass));
  verdicts.Set("drop", static_cast<double>(r.drop));
  out.Set("verdicts", verdicts);
  out.Set("connCreated", static_cast<double>(r.conn_created));
  out.Set("connections", static_cast<double>(r.connections));
  out.Set("fillSeconds", r.fill_seconds);
  out.Set("bytesPerConnection", static_cast<double>(r.bytes_per_connection));
  Napi::Object rss = Napi::Object::New(env);
  rss.Set("before", static_cast<double>(r.rss_before));
  rss.Set("built", static_cast<double>(r.rss_built));
  rss.Set("filled", static_cast<double>(r.rss_filled));
  out.Set("rss", rss);
  Napi::Object counters = Napi::Object::New(env);
  for (uint32_t i = 0; i < r.counters.size() && i < abi::kCounterCount; ++i)
    if (r.counters[i] != 0) counters.Set(abi::kCounterInfo[i].name, static_cast<double>(r.counters[i]));
  out.Set("counters", counters);
  out.Set("hashBatch", core::siphash13_batch_variant());
  if (!r.problem.empty()) out.Set("problem", r.problem);
  return out;
}

}  // namespace xvs::binding
