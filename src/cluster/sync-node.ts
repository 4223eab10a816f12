// src/cluster/sync-node.ts — connection sync between the nodes of a cluster, the control thread's
// side (IPVS sync-daemon semantics; the worker side is native/lb/sync.h). Every TICK_MS it drains
// the records the workers queued and sends them, batched into datagrams (sync-wire.ts), to every
// other node's cluster.sync.port; what arrives from a node is checked (its address, its id, the
// MAC of the shared key) and handed to the engine, which routes each record to the worker that
// would own it. A node that starts asks every peer for its table and waits, bounded, until each
// running peer has sent it whole (tableEnd) before it announces itself. Every queue is bounded:
// the workers' rings (losses counted there as sync_queue_full, and here as `refused` when a
// ring takes no more), sends in flight (MAX_IN_FLIGHT: the rest stays in the rings), and the
// socket's buffers (send errors and sequence gaps counted per peer). Runs on the control worker.
import dgram from 'node:dgram';

import type { ClusterConfig, Config } from '../config/types.js';
import { countRecords, datagramChunks, decodeDatagram, encodeDatagram, RECORDS_PER_DATAGRAM, SyncKind, syncKey, type Decoded } from './sync-wire.js';

const TICK_MS = 10;
// Datagrams handed to the socket and not yet sent: beyond this the records wait in the rings.
const MAX_IN_FLIGHT = 2048;
const TABLE_REQUEST_RETRY_MS = 500;
// A starting node's table (about 50 bytes a connection on the wire) arrives in bursts: ask the
// kernel for room for a few thousand datagrams (Linux caps it at net.core.rmem_max / wmem_max).
const SOCKET_BUFFER_BYTES = 8 << 20;

export interface SyncEngine {
  syncDrain(maxRecords: number): Buffer;
  syncInstall(records: Uint8Array): { accepted: number; refused: number };
  syncDump(): void;
  syncDumpFinished(): boolean;
}

/** Connection sync runs in a cluster of more than one node. */
export function syncEnabled(config: Config): boolean {
  return (config.cluster?.nodes.length ?? 0) > 1;
}

export interface PeerSyncStatus {
  node: number;
  address: string;
  /** Datagrams and records received from it, and datagrams it sent that never arrived (sequence gaps). */
  datagrams: number;
  records: number;
  lost: number;
  /** Records of it the workers' rings had no room for. */
  refused: number;
  /** ms since its last datagram (undefined: none yet). */
  lastSeenMs?: number;
  /** Its clock at sending to ours at receiving, for its last datagram (ms; includes clock skew). */
  lagMs?: number;
  /** Whether its whole table has arrived since this node started. */
  tableReceived: boolean;
  sendErrors: number;
}

export interface SyncStatus {
  port: number;
  /** The socket's receive buffer as the kernel granted it (bytes; net.core.rmem_max caps it). */
  receiveBuffer: number;
  sent: { datagrams: number; records: number };
  /** Datagrams refused, by reason: short, magic, version, length, mac (not our key), sender (not a node). */
  invalid: Record<string, number>;
  peers: PeerSyncStatus[];
}

interface Peer {
  node: number;
  address: string;
  lastSequence?: number;
  lastSeenAt?: number;
  stats: Omit<PeerSyncStatus, 'node' | 'address' | 'lastSeenMs'>;
  /** It asked for our table and has not had its end yet. */
  wantsTableEnd: boolean;
}

export class ClusterSync {
  private readonly socket = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
  private readonly key: Buffer;
  private readonly peers: Peer[];
  private readonly self: { id: number; address: string };
  private timer: NodeJS.Timeout | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private sequence = 0;
  private inFlight = 0;
  private sent = { datagrams: 0, records: 0 };
  /** Records drained from the engine and not sent yet (whole records). */
  private pending: Buffer = Buffer.alloc(0);
  private readonly invalid: Record<string, number> = {};
  private tablesWanted = new Set<number>();
  private tablesArrived: () => void = () => {};

  private constructor(
    private readonly cluster: ClusterConfig,
    portKey: Uint8Array,
    private readonly engine: SyncEngine,
  ) {
    this.key = syncKey(portKey);
    this.self = cluster.nodes.find((n) => n.id === cluster.node)!;
    this.peers = cluster.nodes
      .filter((n) => n.id !== cluster.node)
      .map((n) => ({
        node: n.id,
        address: n.address,
        wantsTableEnd: false,
        stats: { datagrams: 0, records: 0, lost: 0, refused: 0, tableReceived: false, sendErrors: 0 },
      }));
  }

  /** Binds cluster.sync.port on this node's address and starts sending; rejects with one line when it cannot. */
  static async start(cluster: ClusterConfig, portKey: Uint8Array, engine: SyncEngine): Promise<ClusterSync> {
    const sync = new ClusterSync(cluster, portKey, engine);
    await new Promise<void>((resolve, reject) => {
      sync.socket.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          Object.assign(
            new Error(
              `cluster.sync: cannot listen on ${sync.self.address}:${cluster.sync.port} (${err.code ?? err.message})` +
                (err.code === 'EADDRNOTAVAIL' ? `: ${sync.self.address} (cluster.nodes, id ${cluster.node}) is not an address of this machine` : ''),
            ),
            { code: 'XVS_ESYSTEM' },
          ),
        ),
      );
      sync.socket.bind(cluster.sync.port, sync.self.address, () => resolve());
    });
    sync.socket.on('error', () => {}); // per-send errors arrive in the send callbacks
    sync.socket.on('message', (msg, rinfo) => sync.receive(msg, rinfo.address));
    sync.timer = setInterval(() => sync.tick(), TICK_MS);
    return sync;
  }

  /**
   * Asks every peer for its table and resolves once each has sent it whole, or after `timeoutMs`
   * (a peer that is not running never answers). Requests are repeated until then.
   */
  receiveTables(timeoutMs: number): Promise<void> {
    this.tablesWanted = new Set(this.peers.map((p) => p.node));
    const done = new Promise<void>((resolve) => {
      this.tablesArrived = resolve;
      const ask = () => {
        for (const p of this.peers) if (this.tablesWanted.has(p.node)) this.send(p, SyncKind.tableRequest);
      };
      ask();
      this.requestTimer = setInterval(ask, TABLE_REQUEST_RETRY_MS);
    });
    const bound = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    return Promise.race([done, bound]).finally(() => clearInterval(this.requestTimer));
  }

  private tick(): void {
    // Datagrams the socket may take now: records beyond them (IPv6 ones are 2.5 times an IPv4
    // one) wait in `pending` for the next tick, drained but not yet sent.
    let room = Math.floor(Math.max(0, MAX_IN_FLIGHT - this.inFlight) / Math.max(1, this.peers.length));
    let drainedShort = false; // this tick's drain took less than it asked for: the workers' rings are empty
    if (this.pending.length === 0 && room > 0) {
      const asked = room * RECORDS_PER_DATAGRAM;
      try {
        this.pending = this.engine.syncDrain(asked);
      } catch {
        return; // the engine stopped: close() follows
      }
      drainedShort = (countRecords(this.pending) ?? 0) < asked;
    }
    let sentBytes = 0;
    for (const chunk of datagramChunks(this.pending)) {
      if (room-- <= 0) break;
      const datagram = encodeDatagram(this.key, { kind: SyncKind.records, node: this.cluster.node, sequence: this.sequence++, sentMs: Date.now() }, chunk);
      for (const p of this.peers) this.transmit(p, datagram);
      this.sent.datagrams++;
      this.sent.records += countRecords(chunk) ?? 0;
      sentBytes += chunk.length;
    }
    this.pending = this.pending.subarray(sentBytes);
    // A table asked for has gone out whole once the workers finished it and nothing waits here
    // or in their rings (a drain that filled the room may have left records there).
    const drainedAll = this.pending.length === 0 && drainedShort;
    if (drainedAll && this.peers.some((p) => p.wantsTableEnd) && this.engine.syncDumpFinished()) {
      for (const p of this.peers.filter((x) => x.wantsTableEnd)) {
        p.wantsTableEnd = false;
        this.send(p, SyncKind.tableEnd);
      }
    }
  }

  private send(p: Peer, kind: SyncKind): void {
    this.transmit(p, encodeDatagram(this.key, { kind, node: this.cluster.node, sequence: this.sequence++, sentMs: Date.now() }));
  }

  private transmit(p: Peer, datagram: Buffer): void {
    this.inFlight++;
    this.socket.send(datagram, this.cluster.sync.port, p.address, (err) => {
      this.inFlight--;
      if (err) p.stats.sendErrors++;
    });
  }

  private refuse(reason: string): void {
    this.invalid[reason] = (this.invalid[reason] ?? 0) + 1;
  }

  private receive(msg: Buffer, from: string): void {
    const peer = this.peers.find((p) => p.address === from);
    if (!peer) return this.refuse('sender');
    const d: Decoded = decodeDatagram(this.key, msg);
    if (!d.ok) return this.refuse(d.reason);
    if (d.header.node !== peer.node) return this.refuse('sender');
    const { header } = d;
    // A gap is lost datagrams; going backwards is a restarted peer (its sequence starts again).
    if (peer.lastSequence !== undefined && header.sequence > peer.lastSequence + 1) peer.stats.lost += header.sequence - peer.lastSequence - 1;
    peer.lastSequence = header.sequence;
    peer.lastSeenAt = Date.now();
    peer.stats.lagMs = peer.lastSeenAt - header.sentMs;
    peer.stats.datagrams++;
    switch (header.kind) {
      case SyncKind.records: {
        peer.stats.records += header.count;
        try {
          peer.stats.refused += this.engine.syncInstall(d.records).refused;
        } catch {
          // stopping
        }
        return;
      }
      case SyncKind.tableRequest:
        if (!peer.wantsTableEnd) {
          peer.wantsTableEnd = true;
          try {
            this.engine.syncDump();
          } catch {
            // stopping
          }
        }
        return;
      case SyncKind.tableEnd:
        peer.stats.tableReceived = true;
        this.tablesWanted.delete(peer.node);
        if (this.tablesWanted.size === 0) this.tablesArrived();
        return;
    }
  }

  status(): SyncStatus {
    const now = Date.now();
    let receiveBuffer = 0;
    try {
      receiveBuffer = this.socket.getRecvBufferSize();
    } catch {
      // closed
    }
    return {
      port: this.cluster.sync.port,
      receiveBuffer,
      sent: { ...this.sent },
      invalid: { ...this.invalid },
      peers: this.peers.map((p) => ({
        node: p.node,
        address: p.address,
        ...p.stats,
        ...(p.lastSeenAt !== undefined ? { lastSeenMs: now - p.lastSeenAt } : {}),
      })),
    };
  }

  /** Sends what is still queued, then closes the socket. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.requestTimer);
    this.tablesArrived();
    this.tick();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
