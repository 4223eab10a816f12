// native/binding/layout_js.cc — abi::layout() as a plain JS object for src/native/abi.ts.
#include "binding/layout_js.h"

#include "abi/layout.h"

namespace xvs::binding {

Napi::Value layout_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const abi::AbiLayout& l = abi::layout();
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", l.version);
  out.Set("magic", l.magic);
  Napi::Object records = Napi::Object::New(env);
  for (const auto& r : l.records) {
    Napi::Object rec = Napi::Object::New(env);
    rec.Set("size", r.size);
    Napi::Array fields = Napi::Array::New(env, r.fields.size());
    for (uint32_t i = 0; i < r.fields.size(); ++i) {
      Napi::Object f = Napi::Object::New(env);
      f.Set("name", r.fields[i].name);
      f.Set("type", r.fields[i].type);
      f.Set("offset", r.fields[i].offset);
      f.Set("size", r.fields[i].size);
      fields.Set(i, f);
    }
    rec.Set("fields", fields);
    records.Set(r.name, rec);
  }
  out.Set("records", records);
  Napi::Array counters = Napi::Array::New(env, l.counters.size());
  for (uint32_t i = 0; i < l.counters.size(); ++i) counters.Set(i, l.counters[i]);
  out.Set("counters", counters);
  Napi::Object enums = Napi::Object::New(env);
  for (const auto& e : l.enums) {
    Napi::Object values = Napi::Object::New(env);
    for (const auto& [name, value] : e.values) values.Set(name, value);
    enums.Set(e.name, values);
  }
  out.Set("enums", enums);
  Napi::Object limits = Napi::Object::New(env);
  for (const auto& [name, value] : l.limits) limits.Set(name, value);
  out.Set("limits", limits);
  return out;
}

}  // namespace xvs::binding
