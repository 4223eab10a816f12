// src/native/abi.ts — the TypeScript mirror of native/abi: record layouts of the snapshot
// format, counter names, enumerations and limits. Offsets are derived here by laying fields
// end to end; compareAbi() compares the result with the addon's layout() so that the two sides
// cannot drift apart silently. Pure; used by the control thread and tests.

export type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 'be16' | 'be32' | 'mac48' | 'in6';
export const FIELD_SIZES: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, be16: 2, be32: 4, mac48: 6, in6: 16 };

export const ABI_VERSION = 5;
export const SNAPSHOT_MAGIC = 0x53535658;

type FieldList = readonly (readonly [string, FieldType])[];

const RECORD_FIELDS = {
  header: [
    ['magic', 'u32'], ['abi_version', 'u32'], ['generation', 'u64'], ['total_size', 'u32'], ['workers', 'u32'],
    ['timeout_tcp', 'u32'], ['timeout_tcp_fin', 'u32'], ['timeout_tcp_syn', 'u32'], ['timeout_udp', 'u32'],
    ['timeout_server_time_wait', 'u32'], ['port_offset', 'u32'], ['port_count', 'u32'], ['service_offset', 'u32'], ['service_count', 'u32'],
    ['backend_offset', 'u32'], ['backend_count', 'u32'], ['pool_offset', 'u32'], ['pool_count', 'u32'],
    ['lip_offset', 'u32'], ['lip_count', 'u32'], ['sched_offset', 'u32'], ['sched_count', 'u32'],
    ['syn_proxy_above', 'u32'], ['half_open_limit', 'u32'], ['reserved0', 'u32'],
  ],
  port: [['mac', 'mac48'], ['reserved0', 'u16'], ['mtu', 'u32'], ['address', 'be32'], ['address6', 'in6']],
  service: [
    ['vip', 'be32'], ['port', 'be16'], ['protocol', 'u8'], ['forwarding', 'u8'], ['scheduler', 'u8'], ['flags', 'u8'],
    ['pool', 'u16'], ['service_id', 'u32'], ['backend_first', 'u32'], ['backend_count', 'u32'], ['sched_first', 'u32'],
    ['sched_count', 'u32'], ['persist_timeout', 'u32'], ['persist_netmask', 'be32'], ['family', 'u8'], ['persist_prefix6', 'u8'],
    ['reserved0', 'u16'], ['vip6', 'in6'],
  ],
  backend: [
    ['address', 'be32'], ['port', 'be16'], ['port_index', 'u8'], ['flags', 'u8'], ['weight', 'u32'], ['backend_id', 'u32'],
    ['upper_threshold', 'u32'], ['lower_threshold', 'u32'], ['mac', 'mac48'], ['family', 'u8'], ['reserved0', 'u8'],
    ['address6', 'in6'],
  ],
  pool: [['lip_first', 'u32'], ['lip_count', 'u32']],
  lip: [['address', 'be32'], ['family', 'u8'], ['reserved0', 'u8'], ['reserved1', 'u16'], ['address6', 'in6']],
  // Not part of a snapshot: one synced connection, the wire format between cluster nodes (native/abi/sync.h):
  // IPv4 (sync) or IPv6 and NAT64 (sync6), each starting with its family (4 or 6).
  sync: [
    ['family', 'u8'], ['protocol', 'u8'], ['forwarding', 'u8'], ['state', 'u8'],
    ['client_saddr', 'be32'], ['client_daddr', 'be32'], ['client_sport', 'be16'], ['client_dport', 'be16'],
    ['server_saddr', 'be32'], ['server_daddr', 'be32'], ['server_sport', 'be16'], ['server_dport', 'be16'],
    ['backend_address', 'be32'], ['backend_port', 'be16'], ['flags', 'u8'], ['client_port', 'u8'], ['owner', 'u8'],
    ['reserved0', 'u8'], ['client_mac', 'mac48'], ['timeout_left', 'u32'],
  ],
  sync6: [
    ['family', 'u8'], ['protocol', 'u8'], ['forwarding', 'u8'], ['state', 'u8'],
    ['client_saddr', 'in6'], ['client_daddr', 'in6'], ['server_saddr', 'in6'], ['server_daddr', 'in6'], ['backend_address', 'in6'],
    ['server_saddr4', 'be32'], ['server_daddr4', 'be32'], ['backend_address4', 'be32'],
    ['client_sport', 'be16'], ['client_dport', 'be16'], ['server_sport', 'be16'], ['server_dport', 'be16'], ['backend_port', 'be16'],
    ['flags', 'u8'], ['client_port', 'u8'], ['owner', 'u8'], ['server_family', 'u8'], ['client_mac', 'mac48'], ['timeout_left', 'u32'],
  ],
} as const satisfies Record<string, FieldList>;

export type RecordName = keyof typeof RECORD_FIELDS;
export type FieldName<R extends RecordName> = (typeof RECORD_FIELDS)[R][number][0];

export interface FieldLayout {
  name: string;
  type: FieldType;
  offset: number;
  size: number;
}
export interface RecordLayout {
  size: number;
  fields: FieldLayout[];
}

function layOut(fields: FieldList): RecordLayout {
  let offset = 0;
  const out: FieldLayout[] = [];
  for (const [name, type] of fields) {
    out.push({ name, type, offset, size: FIELD_SIZES[type] });
    offset += FIELD_SIZES[type];
  }
  return { size: offset, fields: out };
}

export const RECORDS: Record<RecordName, RecordLayout> = Object.fromEntries(
  Object.entries(RECORD_FIELDS).map(([name, fields]) => [name, layOut(fields)]),
) as Record<RecordName, RecordLayout>;

export const TRAFFIC_COUNTERS = [
  'rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'pass_packets', 'conn_created', 'conn_expired', 'conn_reused',
  'icmp_forwarded', 'icmp_frag_needed_sent', 'persistence_hits',
] as const;
export const DROP_COUNTERS = [
  'drop_truncated_l2', 'drop_truncated_ip', 'drop_bad_ip_header', 'drop_bad_ip_length', 'drop_truncated_l4',
  'drop_bad_icmp', 'drop_bad_tcp_header', 'drop_ip_fragment', 'drop_ttl_expired', 'drop_tcp_no_conn', 'drop_no_backend',
  'drop_lport_exhausted', 'drop_conn_table_full', 'drop_not_owner', 'drop_no_snapshot', 'drop_neighbor_unresolved',
  'drop_tx_full', 'drop_backend_removed', 'drop_tunnel_mtu', 'drop_no_headroom',
] as const;
/** The hand-over of frames to the worker owning their connection (a redirect verdict of lb::process, native/worker/worker.h). */
export const HANDOVER_COUNTERS = ['redirected', 'drop_handover_full'] as const;
/** Full-NAT local port decisions (native/lb/local_port.h). */
export const LOCAL_PORT_COUNTERS = ['lport_client_port', 'lport_busy', 'lport_reclaimed', 'conn_held'] as const;
/** The SYN proxy and the half-open bounds (native/lb/syn_proxy.cc, native/lb/process.cc). */
export const SYN_PROXY_COUNTERS = [
  'syn_proxy_cookie_sent', 'syn_proxy_accepted', 'drop_syn_cookie_invalid', 'syn_proxy_stashed', 'syn_proxy_syn_resent',
  'drop_syn_proxy_pending', 'drop_no_room', 'drop_half_open_limit', 'conn_evicted', 'syn_proxy_server_reset',
] as const;
/** The XDP fast path (native/lb/fast_path.h): what workers handed to it and collected from it. */
export const FAST_PATH_COUNTERS = [
  'fast_path_installed', 'fast_path_install_failed', 'fast_path_removed',
] as const;
/** Connection sync between cluster nodes (native/lb/sync.h). */
export const SYNC_COUNTERS = [
  'sync_queued', 'sync_queue_full', 'sync_installed', 'sync_updated', 'sync_adopted', 'sync_invalid', 'sync_no_server',
  'sync_table_full', 'sync_conflict',
] as const;
/** The exception path of a backend that serves the host itself (native/io/dpdk): ARP, the host's frames. */
export const HOST_PORT_COUNTERS = [
  'arp_replied', 'arp_solicited', 'arp_announced', 'arp_solicit_failed', 'arp_observations_lost', 'kernel_tx_packets', 'kernel_tx_dropped',
  'kernel_rx_dropped',
] as const;
/** The client's address behind Full-NAT: TOA option, PROXY protocol v2 header (native/lb/client_address.h). */
export const CLIENT_ADDRESS_COUNTERS = [
  'client_mss_clamped', 'toa_added', 'toa_no_room', 'toa_forged_removed', 'client_fast_open_removed', 'proxy_header_sent',
  'proxy_header_alone',
  'drop_proxy_header_no_room',
] as const;
/** IPv6 parsing (native/core/parse6.h), NAT64, and the dpdk backend's neighbour discovery (native/io/ndp.h). */
export const IPV6_COUNTERS = [
  'drop_ipv6_extension_headers', 'drop_ipv6_udp_zero_checksum', 'drop_nat64_icmp_untranslatable', 'drop_nat64_mtu',
  'nd_replied', 'nd_solicited', 'nd_announced',
] as const;
export const COUNTERS = [
  ...TRAFFIC_COUNTERS, ...DROP_COUNTERS, ...HANDOVER_COUNTERS, ...LOCAL_PORT_COUNTERS, ...SYN_PROXY_COUNTERS,
  ...FAST_PATH_COUNTERS, ...SYNC_COUNTERS, ...HOST_PORT_COUNTERS, ...CLIENT_ADDRESS_COUNTERS, ...IPV6_COUNTERS,
] as const;
export type CounterName = (typeof COUNTERS)[number];

export const ENUMS = {
  forwarding: { dr: 0, nat: 1, tunnel: 2, fullnat: 3 },
  scheduler: { rr: 0, wrr: 1, lc: 2, wlc: 3, sed: 4, nq: 5, lblc: 6, lblcr: 7, dh: 8, sh: 9, mh: 10, fo: 11 },
  protocol: { tcp: 6, udp: 17 },
  address_family: { ipv4: 0, ipv6: 1 },
  service_flag: { one_packet: 1, persistent: 2, syn_proxy_on: 4, syn_proxy_auto: 8, client_address_toa: 16, client_address_proxy_v2: 32 },
  control_kind: { install_snapshot: 1, stop: 2, dump_connections: 3 },
} as const;

export const LIMITS = {
  workers: 64, ports: 8, services: 16384, backends: 1 << 20, pools: 1024, lips: 1024, sched_entries: 1 << 24,
} as const;

export const NO_POOL = 0xffff;

/** What the addon's layout() returns. */
export interface NativeLayout {
  version: number;
  magic: number;
  records: Record<string, RecordLayout>;
  counters: string[];
  enums: Record<string, Record<string, number>>;
  limits: Record<string, number>;
}

/** Every difference between this mirror and the addon's layout, as readable lines. */
export function compareAbi(native: NativeLayout): string[] {
  const problems: string[] = [];
  if (native.version !== ABI_VERSION) problems.push(`ABI version: addon ${native.version}, TypeScript ${ABI_VERSION}`);
  if (native.magic !== SNAPSHOT_MAGIC) problems.push(`snapshot magic: addon ${native.magic}, TypeScript ${SNAPSHOT_MAGIC}`);
  const names = new Set([...Object.keys(RECORDS), ...Object.keys(native.records)]);
  for (const name of names) {
    const mine = RECORDS[name as RecordName];
    const theirs = native.records[name];
    if (!mine || !theirs) {
      problems.push(`record ${name}: only in ${mine ? 'TypeScript' : 'the addon'}`);
      continue;
    }
    if (mine.size !== theirs.size) problems.push(`record ${name}: size ${theirs.size} in the addon, ${mine.size} in TypeScript`);
    const count = Math.max(mine.fields.length, theirs.fields.length);
    for (let i = 0; i < count; i++) {
      const a = mine.fields[i];
      const b = theirs.fields[i];
      if (!a || !b || a.name !== b.name || a.type !== b.type || a.offset !== b.offset || a.size !== b.size)
        problems.push(`record ${name} field ${i}: addon ${describe(b)}, TypeScript ${describe(a)}`);
    }
  }
  if (JSON.stringify(native.counters) !== JSON.stringify(COUNTERS))
    problems.push(`counters: addon [${native.counters.join(', ')}], TypeScript [${COUNTERS.join(', ')}]`);
  for (const name of new Set([...Object.keys(native.enums), ...Object.keys(ENUMS)])) {
    const a = JSON.stringify((ENUMS as Record<string, unknown>)[name]);
    const b = JSON.stringify(native.enums[name]);
    if (a !== b) problems.push(`enum ${name}: addon ${b}, TypeScript ${a}`);
  }
  if (JSON.stringify(native.limits) !== JSON.stringify(LIMITS))
    problems.push(`limits: addon ${JSON.stringify(native.limits)}, TypeScript ${JSON.stringify(LIMITS)}`);
  return problems;
}

function describe(f: FieldLayout | undefined): string {
  return f ? `${f.name}:${f.type}@${f.offset}` : '(none)';
}

export class AbiMismatchError extends Error {
  readonly code = 'XVS_ABI_MISMATCH';
  constructor(readonly problems: string[]) {
    super(`the native addon and the TypeScript ABI mirror disagree (rebuild both: npm run build):\n  ${problems.join('\n  ')}`);
    this.name = 'AbiMismatchError';
  }
}
