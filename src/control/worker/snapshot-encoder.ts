// src/control/worker/snapshot-encoder.ts — turns a DataplaneModel into the versioned snapshot bytes of
// native/abi (header, then one section per record kind). A SnapshotEncoder keeps the encoded
// backend records of each ServiceModel and the encoded entries of each scheduler table, so the
// next snapshot encodes only the services that were rebuilt and copies the rest: a service's
// records do not depend on where it lands (scheduler entries count from the service's first
// backend). Pure apart from that cache; runs on the control thread and in tests. Field offsets
// come from the ABI mirror, never from literals here.
import { isIPv4 } from 'node:net';

import { ipv6ToBytes } from '../../config/ipv6-address.js';
import { ABI_VERSION, ENUMS, RECORDS, SNAPSHOT_MAGIC, type FieldName, type RecordName } from '../../native/abi.js';
import type { DataplaneModel, ServiceModel } from './model.js';
import { runAtOnce, type Steps } from '../../time-slices.js';

type RecordValues<R extends RecordName> = Partial<Record<FieldName<R>, number | bigint | string | Uint8Array>>;

function ipv4Bytes(address: string): number[] {
  if (!isIPv4(address)) throw new Error(`snapshot encoder: ${address} is not an IPv4 address`);
  return address.split('.').map(Number);
}

function ipv6Bytes(address: string): Uint8Array {
  const bytes = ipv6ToBytes(address);
  if (!bytes) throw new Error(`snapshot encoder: ${address} is not an IPv6 address`);
  return bytes;
}

function writeRecord<R extends RecordName>(view: DataView, base: number, record: R, values: RecordValues<R>): void {
  for (const field of RECORDS[record].fields) {
    const value = (values as Record<string, unknown>)[field.name];
    const at = base + field.offset;
    if (value === undefined) continue; // the buffer starts zeroed: reserved fields and defaults
    switch (field.type) {
      case 'u8': view.setUint8(at, Number(value)); break;
      case 'u16': view.setUint16(at, Number(value), true); break;
      case 'u32': view.setUint32(at, Number(value), true); break;
      case 'u64': view.setBigUint64(at, BigInt(value as number | bigint), true); break;
      case 'be16': view.setUint16(at, Number(value), false); break;
      case 'be32': ipv4Bytes(String(value)).forEach((b, i) => view.setUint8(at + i, b)); break;
      case 'mac48': (value as Uint8Array).forEach((b, i) => view.setUint8(at + i, b)); break;
      case 'in6': ipv6Bytes(String(value)).forEach((b, i) => view.setUint8(at + i, b)); break;
    }
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

/** An address of either family in the record's field for its family, and the family. */
function addressFields<V4 extends string, V6 extends string>(address: string, v4: V4, v6: V6) {
  return (isIPv4(address) ? { family: ENUMS.address_family.ipv4, [v4]: address } : { family: ENUMS.address_family.ipv6, [v6]: address }) as
    Record<'family', number> & Partial<Record<V4 | V6, string>>;
}

interface Layout {
  size: number;
  offsets: Record<'port' | 'service' | 'backend' | 'pool' | 'lip' | 'sched', number>;
}

function layout(model: DataplaneModel): Layout & { backends: number; lips: number; sched: number } {
  let backends = 0;
  let sched = 0;
  for (const s of model.services) {
    backends += s.backends.length;
    sched += s.schedTable.length;
  }
  const lips = model.pools.reduce((n, p) => n + p.lips.length, 0);
  const sections = [
    ['port', model.ports.length * RECORDS.port.size],
    ['service', model.services.length * RECORDS.service.size],
    ['backend', backends * RECORDS.backend.size],
    ['pool', model.pools.length * RECORDS.pool.size],
    ['lip', lips * RECORDS.lip.size],
    ['sched', sched * 4],
  ] as const;
  const offsets = {} as Layout['offsets'];
  let size = align8(RECORDS.header.size);
  for (const [name, bytes] of sections) {
    offsets[name] = size;
    size = align8(size + bytes);
  }
  return { size, offsets, backends, lips, sched };
}

function encodeBackends(service: ServiceModel): Uint8Array {
  const bytes = new Uint8Array(service.backends.length * RECORDS.backend.size);
  const view = new DataView(bytes.buffer);
  service.backends.forEach((b, j) => {
    writeRecord(view, j * RECORDS.backend.size, 'backend', {
      ...addressFields(b.address, 'address', 'address6'), port: b.port, port_index: b.portIndex, weight: b.weight, backend_id: b.backendId,
      upper_threshold: b.upperThreshold, lower_threshold: b.lowerThreshold, mac: b.mac,
    });
  });
  return bytes;
}

function encodeSchedTable(table: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(table.length * 4);
  const view = new DataView(bytes.buffer);
  table.forEach((local, k) => view.setUint32(k * 4, local, true));
  return bytes;
}

export class SnapshotEncoder {
  // Keyed by the objects a build reuses when nothing changed: a reused ServiceModel, a scheduler
  // table from SchedulerTables. They die with the models that hold them.
  private readonly backendBytes = new WeakMap<ServiceModel, Uint8Array>();
  private readonly schedBytes = new WeakMap<readonly number[], Uint8Array>();

  /** The snapshot of `model`, as steps (one per service) for runInSlices. */
  *steps(model: DataplaneModel): Steps<Uint8Array> {
    for (const s of model.services) {
      if (!this.backendBytes.has(s)) this.backendBytes.set(s, encodeBackends(s));
      if (!this.schedBytes.has(s.schedTable)) this.schedBytes.set(s.schedTable, encodeSchedTable(s.schedTable));
      yield;
    }
    return yield* this.assemble(model);
  }

  encode(model: DataplaneModel): Uint8Array {
    return runAtOnce(this.steps(model));
  }

  /** Lays the cached records out (a step per service: 29 MB of Maglev tables take a while to copy). */
  private *assemble(model: DataplaneModel): Steps<Uint8Array> {
    const { size, offsets, backends, lips, sched } = layout(model);
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    writeRecord(view, 0, 'header', {
      magic: SNAPSHOT_MAGIC,
      abi_version: ABI_VERSION,
      generation: model.generation,
      total_size: size,
      workers: model.workers,
      timeout_tcp: model.timeouts.tcp,
      timeout_tcp_fin: model.timeouts.tcp_fin,
      timeout_tcp_syn: model.timeouts.tcp_syn,
      timeout_server_time_wait: model.timeouts.server_time_wait,
      timeout_udp: model.timeouts.udp,
      port_offset: offsets.port, port_count: model.ports.length,
      service_offset: offsets.service, service_count: model.services.length,
      backend_offset: offsets.backend, backend_count: backends,
      pool_offset: offsets.pool, pool_count: model.pools.length,
      lip_offset: offsets.lip, lip_count: lips,
      sched_offset: offsets.sched, sched_count: sched,
      syn_proxy_above: model.halfOpen.proxyAbove,
      half_open_limit: model.halfOpen.limit,
    });

    model.ports.forEach((p, i) =>
      writeRecord(view, offsets.port + i * RECORDS.port.size, 'port', {
        mac: p.mac, mtu: p.mtu, address: p.address, ...(p.address6 !== '::' ? { address6: p.address6 } : {}),
      }),
    );

    let backendFirst = 0;
    let schedFirst = 0;
    for (const [i, s] of model.services.entries()) {
      if (i > 0) yield;
      writeRecord(view, offsets.service + i * RECORDS.service.size, 'service', {
        ...addressFields(s.vip, 'vip', 'vip6'), port: s.port, protocol: s.protocol, forwarding: s.forwarding, scheduler: s.scheduler, flags: s.flags,
        pool: s.pool, service_id: s.serviceId,
        backend_first: backendFirst, backend_count: s.backends.length,
        sched_first: schedFirst, sched_count: s.schedTable.length,
        persist_timeout: s.persistTimeout, persist_netmask: s.persistNetmask, persist_prefix6: s.persistPrefix6,
      });
      bytes.set(this.backendBytes.get(s) ?? encodeBackends(s), offsets.backend + backendFirst * RECORDS.backend.size);
      bytes.set(this.schedBytes.get(s.schedTable) ?? encodeSchedTable(s.schedTable), offsets.sched + schedFirst * 4);
      backendFirst += s.backends.length;
      schedFirst += s.schedTable.length;
    }

    let lipFirst = 0;
    model.pools.forEach((p, i) => {
      writeRecord(view, offsets.pool + i * RECORDS.pool.size, 'pool', { lip_first: lipFirst, lip_count: p.lips.length });
      p.lips.forEach((address, j) =>
        writeRecord(view, offsets.lip + (lipFirst + j) * RECORDS.lip.size, 'lip', addressFields(address, 'address', 'address6')),
      );
      lipFirst += p.lips.length;
    });
    return bytes;
  }
}

/** The snapshot of `model`, encoded from scratch. */
export function encodeSnapshot(model: DataplaneModel): Uint8Array {
  return new SnapshotEncoder().encode(model);
}
