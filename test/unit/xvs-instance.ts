// test/unit/xvs-instance.ts — a real `xvs run` for the API and CLI tests: config/mem.yaml's
// services on the mem backend (no root) with api.listen on 127.0.0.1 and a free port, started
// as a child process, waited for ("started" log line) and killed by the caller (kill()). Also
// a raw HTTP client, so that tests control bodies, headers and methods exactly.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort } from '../../src/free-port.js';

export { freePort };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const XVS = path.join(ROOT, 'bin', 'xvs.js');

/** config/mem.yaml's text with api.listen on 127.0.0.1:port, then `edit`ed (tests of reload change it). */
export function memConfig(port: number, edit: (text: string) => string = (t) => t): string {
  const text = fs.readFileSync(path.join(ROOT, 'config', 'mem.yaml'), 'utf8').replace('127.0.0.1:9475', `127.0.0.1:${port}`);
  return edit(text);
}

export interface Instance {
  api: string;
  port: number;
  file: string;
  child: ChildProcessWithoutNullStreams;
  /** Log events seen so far, in order. */
  events: string[];
  /** The log lines behind them (parsed). */
  logs: Record<string, unknown>[];
  kill(): Promise<void>;
}

export async function startXvs(configText?: (port: number) => string): Promise<Instance> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-api-'));
  const file = path.join(dir, 'xvs.yaml');
  fs.writeFileSync(file, configText ? configText(port) : memConfig(port));
  const child = spawn(process.execPath, [XVS, 'run', '--config', file], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: string[] = [];
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`xvs run did not start within 20 s; stderr: ${stderr}`)), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`xvs run exited (${code}) before starting; stderr: ${stderr}`));
    });
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const entry = JSON.parse(line) as { event: string };
        const { event } = entry;
        events.push(event);
        logs.push(entry);
        if (event === 'started') {
          clearTimeout(timer);
          resolve();
        }
      }
    });
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await started;
  } catch (err) {
    await kill();
    throw err;
  }
  return { api: `127.0.0.1:${port}`, port, file, child, events, logs, kill };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** As received (still compressed when the server compressed it). */
  body: Buffer;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export function request(
  port: number,
  method: string,
  urlPath: string,
  options: { body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
      });
    });
    // The server may answer (413) before the whole body is sent; the answer is what counts.
    req.on('error', reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

export function postJson(port: number, urlPath: string, body: unknown): Promise<Reply> {
  return request(port, 'POST', urlPath, { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

export function xvs(...args: string[]) {
  const r = spawnSync(process.execPath, [XVS, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
