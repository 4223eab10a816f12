// native/abi/layout.cc — builds the AbiLayout description once from the record X-macros.
// Runs on whichever thread first asks (the JS thread loading the addon).
#include "abi/layout.h"

#include <cstddef>

#include "abi/control.h"
#include "abi/counters.h"
#include "abi/records.h"
#include "abi/sync.h"

namespace xvs::abi {
namespace {

template <typename Record>
RecordLayout describe(const char* name, std::vector<FieldLayout> fields) {
  return RecordLayout{name, static_cast<uint32_t>(sizeof(Record)), std::move(fields)};
}


AbiLayout build() {
  AbiLayout out;
  out.version = kAbiVersion;
  out.magic = kSnapshotMagic;
#define XVS_FIELD(Record, name, type) \
  FieldLayout{#name, #type, static_cast<uint32_t>(offsetof(Record, name)), static_cast<uint32_t>(sizeof(Record::name))},
#define XVS_HEADER_FIELD(name, type) XVS_FIELD(SnapshotHeader, name, type)
#define XVS_PORT_FIELD(name, type) XVS_FIELD(PortRecord, name, type)
#define XVS_SERVICE_FIELD(name, type) XVS_FIELD(ServiceRecord, name, type)
#define XVS_BACKEND_FIELD(name, type) XVS_FIELD(BackendRecord, name, type)
#define XVS_POOL_FIELD(name, type) XVS_FIELD(PoolRecord, name, type)
#define XVS_LIP_FIELD(name, type) XVS_FIELD(LipRecord, name, type)
#define XVS_SYNC_FIELD(name, type) XVS_FIELD(SyncRecord, name, type)
#define XVS_SYNC6_FIELD(name, type) XVS_FIELD(SyncRecord6, name, type)
  out.records = {
      describe<SnapshotHeader>("header", {XVS_SNAPSHOT_HEADER(XVS_HEADER_FIELD)}),
      describe<PortRecord>("port", {XVS_PORT_RECORD(XVS_PORT_FIELD)}),
      describe<ServiceRecord>("service", {XVS_SERVICE_RECORD(XVS_SERVICE_FIELD)}),
      describe<BackendRecord>("backend", {XVS_BACKEND_RECORD(XVS_BACKEND_FIELD)}),
      describe<PoolRecord>("pool", {XVS_POOL_RECORD(XVS_POOL_FIELD)}),
      describe<LipRecord>("lip", {XVS_LIP_RECORD(XVS_LIP_FIELD)}),
      describe<SyncRecord>("sync", {XVS_SYNC_RECORD(XVS_SYNC_FIELD)}),
      describe<SyncRecord6>("sync6", {XVS_SYNC_RECORD6(XVS_SYNC6_FIELD)}),
  };
#undef XVS_FIELD

  for (const CounterInfo& c : kCounterInfo) out.counters.emplace_back(c.name);

#define XVS_ENUM_PAIR(name, value) {#name, value},
  out.enums = {
      {"forwarding", {XVS_FORWARDING_MODES(XVS_ENUM_PAIR)}},
      {"scheduler", {XVS_SCHEDULERS(XVS_ENUM_PAIR)}},
      {"protocol", {XVS_PROTOCOLS(XVS_ENUM_PAIR)}},
      {"address_family", {XVS_ADDRESS_FAMILIES(XVS_ENUM_PAIR)}},
      {"service_flag", {XVS_SERVICE_FLAGS(XVS_ENUM_PAIR)}},
      {"control_kind", {XVS_CONTROL_KINDS(XVS_ENUM_PAIR)}},
  };
#undef XVS_ENUM_PAIR
  out.limits = {{"workers", kMaxWorkers},     {"ports", kMaxPorts},
                {"services", kMaxServices},   {"backends", kMaxBackends},
                {"pools", kMaxPools},         {"lips", kMaxLips},
                {"sched_entries", kMaxSchedEntries}};
  return out;
}

}  // namespace

const AbiLayout& layout() {
  static const AbiLayout instance = build();
  return instance;
}

}  // namespace xvs::abi
