// src/control/worker/cluster-control.ts — the cluster as the control worker runs it: after every
// commit it recomputes what this node announces (src/cluster/announcements.ts) from the running
// config and the health view and hands changes to the BGP speaker; on stop it withdraws first
// and keeps forwarding for cluster.drain_time before the data plane stops. Tells the main thread
// about session changes, route changes and speaker failures (ControlEvent). Consumes configs and
// health views; produces the cluster part of the status. Runs on the control worker thread.
import { announcements, routeChanges, type Route } from '../../cluster/announcements.js';
import { BgpSpeaker } from '../../cluster/bgp-speaker.js';
import { ClusterSync, syncEnabled, type SyncEngine } from '../../cluster/sync-node.js';
import type { Config } from '../../config/types.js';
import type { HealthView } from '../../health/index.js';
import type { ClusterStatus, ControlEvent } from '../protocol.js';
import { portKey } from './port-key.js';

// How long a starting node waits for its peers' tables before it announces itself: a running
// peer sends a table of a million connections in well under this; one that is down never answers.
const TABLE_WAIT_MS = 3000;

export class ClusterControl {
  private speaker: BgpSpeaker | undefined;
  private sync: ClusterSync | undefined;
  private desired: Route[] = [];

  private constructor(
    private config: Config,
    private readonly tell: (event: ControlEvent) => void,
  ) {}

  /**
   * Starts connection sync (with more than one node: the peers' tables first) and then announces
   * what `config` and `health` call for (a speaker only with cluster.bgp).
   */
  static async start(config: Config, health: HealthView, tell: (event: ControlEvent) => void, engine: SyncEngine): Promise<ClusterControl> {
    const control = new ClusterControl(config, tell);
    control.desired = announcements(config, health);
    try {
      await control.startSpeaking(config, engine);
    } catch (err) {
      await control.close();
      throw err;
    }
    return control;
  }

  private async startSpeaking(config: Config, engine: SyncEngine): Promise<void> {
    const tell = this.tell;
    if (config.cluster && syncEnabled(config)) {
      this.sync = await ClusterSync.start(config.cluster, portKey(config).key, engine);
      const started = Date.now();
      await this.sync.receiveTables(TABLE_WAIT_MS);
      const peers = this.sync.status().peers;
      tell({
        event: 'sync_tables',
        received: peers.filter((p) => p.tableReceived).map((p) => p.node),
        missing: peers.filter((p) => !p.tableReceived).map((p) => p.node),
        records: peers.reduce((n, p) => n + p.records, 0),
        ms: Date.now() - started,
      });
    }
    if (config.cluster?.bgp) {
      const control = this;
      control.speaker = await BgpSpeaker.start(config.cluster, control.desired, {
        onSession: (s) => tell({ event: 'bgp_session', peer: s.peer, asn: s.asn, established: s.established, info: s.info }),
        onExit: (message) => tell({ event: 'bgp_failed', message: `${message}; restarting it (its routes are withdrawn meanwhile)` }),
      });
      tell({ event: 'bgp_routes', changes: routeChanges([], control.desired) });
    }
  }

  /** After a commit: announce what the running config and the health now call for. */
  update(config: Config, health: HealthView): void {
    this.config = config;
    const next = announcements(config, health);
    const changes = routeChanges(this.desired, next);
    if (changes.length === 0) return;
    this.desired = next;
    if (!this.speaker) return;
    this.speaker.announce(next).then(
      () => this.tell({ event: 'bgp_routes', changes }),
      (err: Error) => this.tell({ event: 'bgp_failed', message: err.message }),
    );
  }

  /** A clean stop's first step: every route withdrawn, then drain_time of forwarding. */
  async withdraw(): Promise<void> {
    if (!this.speaker) return;
    const before = this.desired;
    this.desired = [];
    try {
      await this.speaker.withdrawAll();
      this.tell({ event: 'bgp_routes', changes: routeChanges(before, []) });
    } catch (err) {
      this.tell({ event: 'bgp_failed', message: (err as Error).message });
    }
    await new Promise((resolve) => setTimeout(resolve, (this.config.cluster?.drain_time ?? 0) * 1000));
  }

  /** Stops the speaker and sync (what the workers still queued is sent first). Before the data plane stops. */
  async close(): Promise<void> {
    await this.speaker?.stop();
    this.speaker = undefined;
    await this.sync?.close();
    this.sync = undefined;
  }

  status(): ClusterStatus | undefined {
    const cluster = this.config.cluster;
    if (!cluster) return undefined;
    return {
      node: cluster.node,
      nodes: cluster.nodes.map((n) => ({ ...n, self: n.id === cluster.node })),
      ...(this.sync ? { sync: this.sync.status() } : {}),
      ...(cluster.bgp && this.speaker
        ? {
            bgp: {
              asn: cluster.bgp.asn,
              sessions: this.speaker.sessions(),
              announced: this.speaker.announced(),
              restarts: this.speaker.restarts,
            },
          }
        : {}),
    };
  }
}
