// src/cluster/bgp-speaker.ts — a node's BGP speaker: a BIRD 2 process that xvs starts, configures
// and stops (we drive a maintained BGP implementation; we do not write one). Its configuration
// lives in a private directory (bird-config.ts); a change of the announced routes rewrites it and
// asks BIRD to reconfigure, which changes the routes without touching the sessions. BIRD runs
// with the parent-death signal set to SIGKILL (setpriv --pdeathsig), so when xvs dies — even by
// kill -9 — BIRD dies with it, its sessions close, and the routers withdraw the node at once. The
// sessions are polled every second; a change is reported through `onSession`. A BIRD that exits
// on its own is restarted (its sessions and routes are down meanwhile) and reported. Consumes the
// cluster config and route lists; runs on the control worker thread.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { ClusterConfig } from '../config/types.js';
import { routeChanges, type Route } from './announcements.js';
import { birdConfig, peerProtocolName } from './bird-config.js';
import { birdCommand, parseProtocols, replyError } from './bird-control.js';

const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 3000;
const POLL_MS = 1000;
const RESTART_DELAY_MS = 1000;
// BIRD's replies to `configure` that mean the new file is (being) applied.
const CONFIGURE_OK = new Set([3, 4, 5, 19]);

export interface BgpSession {
  peer: string;
  asn: number;
  /** BIRD's protocol state: up, start, down. */
  state: string;
  /** BGP state or last error, as BIRD says it: Established, Active, Connect, "Error: ...". */
  info: string;
  established: boolean;
  /** When the state last changed (BIRD's clock, as it prints it). */
  since: string;
}

export interface BgpSpeakerEvents {
  onSession(session: BgpSession): void;
  /** BIRD exited without being asked to (it is restarted). */
  onExit(message: string): void;
}

/** Where the BIRD binary is: PATH, then the sbin directories a non-root PATH lacks. */
function findBird(): string | undefined {
  for (const candidate of ['bird', '/usr/sbin/bird', '/usr/local/sbin/bird', '/sbin/bird']) {
    const r = spawnSync(candidate, ['--version'], { stdio: 'ignore', timeout: 2000 });
    if (!r.error) return candidate;
  }
  return undefined;
}

export class BgpSpeaker {
  private child: ChildProcess | undefined;
  private stopping = false;
  private routes: Route[];
  private applied: Route[] = [];
  private sessionsByPeer = new Map<string, BgpSession>();
  private pollTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private stderrTail = '';
  restarts = 0;

  private constructor(
    private readonly cluster: ClusterConfig,
    private readonly bird: string,
    private readonly dir: string,
    private readonly events: BgpSpeakerEvents,
    routes: Route[],
  ) {
    this.routes = routes;
  }

  private get configFile(): string {
    return path.join(this.dir, 'bird.conf');
  }
  get socketPath(): string {
    return path.join(this.dir, 'bird.ctl');
  }

  /** Starts BIRD announcing `routes`; rejects with one line when BIRD is missing or refuses. */
  static async start(cluster: ClusterConfig, routes: Route[], events: BgpSpeakerEvents): Promise<BgpSpeaker> {
    const bird = findBird();
    if (!bird) throw Object.assign(new Error('cluster.bgp needs BIRD 2 to speak BGP: install it (apt-get install bird2)'), { code: 'XVS_ENOENT' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-bgp-'));
    const speaker = new BgpSpeaker(cluster, bird, dir, events, routes);
    try {
      await speaker.launch();
    } catch (err) {
      await speaker.stop();
      throw err;
    }
    speaker.pollTimer = setInterval(() => void speaker.poll(), POLL_MS);
    speaker.pollTimer.unref();
    return speaker;
  }

  private writeConfig(routes: Route[]): void {
    const tmp = `${this.configFile}.new`;
    fs.writeFileSync(tmp, birdConfig(this.cluster, routes));
    fs.renameSync(tmp, this.configFile);
  }

  private async launch(): Promise<void> {
    this.writeConfig(this.routes);
    fs.rmSync(this.socketPath, { force: true });
    this.stderrTail = '';
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', this.bird, '-f', '-c', this.configFile, '-s', this.socketPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-2000)));
    const exited = new Promise<string>((resolve) => {
      child.once('error', (err) => resolve(`cannot run ${this.bird}: ${err.message}`));
      child.once('exit', (code, signal) => resolve(`BIRD exited (${signal ?? code})${this.stderrTail ? `: ${lastLine(this.stderrTail)}` : ''}`));
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const outcome = await Promise.race([exited, delay(50).then(() => undefined)]);
      if (outcome !== undefined) throw Object.assign(new Error(`cluster.bgp: ${outcome}`), { code: 'XVS_ESYSTEM' });
      if (fs.existsSync(this.socketPath)) {
        try {
          await birdCommand(this.socketPath, 'show status', 1000);
          break;
        } catch {
          // not listening yet
        }
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw Object.assign(new Error(`cluster.bgp: BIRD did not open its control socket within ${START_TIMEOUT_MS} ms`), { code: 'XVS_ESYSTEM' });
      }
    }
    this.applied = this.routes;
    void exited.then((message) => this.onExit(child, message));
  }

  private onExit(child: ChildProcess, message: string): void {
    if (this.stopping || this.child !== child) return;
    this.child = undefined;
    this.restarts++;
    this.events.onExit(message);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.queue = this.queue.then(() => this.launch()).catch((err: Error) => this.events.onExit(err.message));
    }, RESTART_DELAY_MS);
  }

  /** Announces `routes` instead of what is announced now (serialised; the latest list wins). */
  announce(routes: Route[]): Promise<void> {
    this.routes = routes;
    const applied = this.queue.then(() => this.apply());
    this.queue = applied.catch(() => undefined);
    return applied;
  }

  private async apply(): Promise<void> {
    if (this.stopping || !this.child || routeChanges(this.applied, this.routes).length === 0) return;
    const routes = this.routes;
    this.writeConfig(routes);
    const reply = await birdCommand(this.socketPath, 'configure');
    const bad = replyError(reply);
    const last = reply[reply.length - 1];
    if (bad || !last || !CONFIGURE_OK.has(last.code)) throw new Error(`BIRD refused the new routes: ${bad ?? last?.text ?? 'no reply'}`);
    this.applied = routes;
  }

  /** The routes BIRD was last configured with. */
  announced(): Route[] {
    return this.applied;
  }

  sessions(): BgpSession[] {
    return (this.cluster.bgp?.peers ?? []).map(
      (p) =>
        this.sessionsByPeer.get(p.address) ?? { peer: p.address, asn: p.asn, state: 'down', info: 'not started', established: false, since: '' },
    );
  }

  private async poll(): Promise<void> {
    if (this.stopping || !this.child) return;
    let rows;
    try {
      rows = parseProtocols(await birdCommand(this.socketPath, 'show protocols'));
    } catch {
      return; // restarting, or busy: the next poll tries again
    }
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const peer of this.cluster.bgp?.peers ?? []) {
      const row = byName.get(peerProtocolName(peer));
      if (!row) continue;
      const session: BgpSession = {
        peer: peer.address,
        asn: peer.asn,
        state: row.state,
        info: row.info,
        established: row.info.startsWith('Established'),
        since: row.since,
      };
      const before = this.sessionsByPeer.get(peer.address);
      this.sessionsByPeer.set(peer.address, session);
      if (!before || before.established !== session.established || before.info !== session.info) this.events.onSession(session);
    }
  }

  /** Withdraws every route (the sessions stay up): the first step of a clean stop. */
  withdrawAll(): Promise<void> {
    return this.announce([]);
  }

  /** Stops BIRD (its sessions close with a Cease) and removes its directory. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    clearTimeout(this.restartTimer);
    await this.queue.catch(() => undefined);
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
