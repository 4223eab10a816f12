// src/control/snapshot-encoder.ts — turns a DataplaneModel into the versioned snapshot bytes of
// native/abi (header, then one section per record kind). Pure; runs on the control thread and
// in tests. Field offsets come from the ABI mirror, never from literals here.
import { isIPv4 } from 'node:net';

import { ABI_VERSION, RECORDS, SNAPSHOT_MAGIC, type FieldName, type RecordName } from '../native/abi.js';
import type { DataplaneModel } from './model.js';

type RecordValues<R extends RecordName> = Partial<Record<FieldName<R>, number | bigint | string | Uint8Array>>;

function ipv4Bytes(address: string): number[] {
  if (!isIPv4(address)) throw new Error(`snapshot encoder: ${address} is not an IPv4 address`);
  return address.split('.').map(Number);
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
    }
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

export function encodeSnapshot(model: DataplaneModel): Uint8Array {
  const backends = model.services.flatMap((s) => s.backends);
  const lips = model.pools.flatMap((p) => p.lips);
  const schedCount = model.services.reduce((n, s) => n + s.schedTable.length, 0);

  const sections: [RecordName | 'sched', number, number][] = []; // name, count, record size
  sections.push(['port', model.ports.length, RECORDS.port.size]);
  sections.push(['service', model.services.length, RECORDS.service.size]);
  sections.push(['backend', backends.length, RECORDS.backend.size]);
  sections.push(['pool', model.pools.length, RECORDS.pool.size]);
  sections.push(['lip', lips.length, RECORDS.lip.size]);
  sections.push(['sched', schedCount, 4]);
  const offsets: Record<string, number> = {};
  let size = align8(RECORDS.header.size);
  for (const [name, count, recordSize] of sections) {
    offsets[name] = size;
    size = align8(size + count * recordSize);
  }

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
    timeout_udp: model.timeouts.udp,
    port_offset: offsets.port, port_count: model.ports.length,
    service_offset: offsets.service, service_count: model.services.length,
    backend_offset: offsets.backend, backend_count: backends.length,
    pool_offset: offsets.pool, pool_count: model.pools.length,
    lip_offset: offsets.lip, lip_count: lips.length,
    sched_offset: offsets.sched, sched_count: schedCount,
  });

  model.ports.forEach((p, i) => writeRecord(view, offsets.port! + i * RECORDS.port.size, 'port', { mac: p.mac, mtu: p.mtu, address: p.address }));

  let backendFirst = 0;
  let schedFirst = 0;
  model.services.forEach((s, i) => {
    writeRecord(view, offsets.service! + i * RECORDS.service.size, 'service', {
      vip: s.vip, port: s.port, protocol: s.protocol, forwarding: s.forwarding, scheduler: s.scheduler, flags: s.flags,
      pool: s.pool, service_id: s.serviceId,
      backend_first: backendFirst, backend_count: s.backends.length,
      sched_first: schedFirst, sched_count: s.schedTable.length,
      persist_timeout: s.persistTimeout, persist_netmask: s.persistNetmask,
    });
    s.backends.forEach((b, j) => {
      writeRecord(view, offsets.backend! + (backendFirst + j) * RECORDS.backend.size, 'backend', {
        address: b.address, port: b.port, port_index: b.portIndex, weight: b.weight, backend_id: b.backendId,
        upper_threshold: b.upperThreshold, lower_threshold: b.lowerThreshold, mac: b.mac,
      });
    });
    s.schedTable.forEach((local, k) => view.setUint32(offsets.sched! + (schedFirst + k) * 4, backendFirst + local, true));
    backendFirst += s.backends.length;
    schedFirst += s.schedTable.length;
  });

  let lipFirst = 0;
  model.pools.forEach((p, i) => {
    writeRecord(view, offsets.pool! + i * RECORDS.pool.size, 'pool', { lip_first: lipFirst, lip_count: p.lips.length });
    p.lips.forEach((address, j) => writeRecord(view, offsets.lip! + (lipFirst + j) * RECORDS.lip.size, 'lip', { address }));
    lipFirst += p.lips.length;
  });
  return bytes;
}
