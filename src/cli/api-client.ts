// src/cli/api-client.ts — how `xvs list`, `xvs weight`, `xvs drain` and `xvs save` reach a
// running instance: the --api / --config / --token-file options, the address they resolve to
// (--api, else the config file's api.listen, else 127.0.0.1:9475, the default of api.listen)
// and the bearer token (--token-file, else the config file's api.token_file), and one HTTP
// request with the API's errors turned into one-line CliErrors (unreachable: exit 1). Main
// thread of the CLI process.
import http from 'node:http';

import type { Argv } from 'yargs';

import { readApiToken } from '../api/token.js';
import { listenProblem, splitListen } from '../config/address.js';
import { DEFAULTS } from '../config/defaults.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../config/types.js';
import { xvsVersion } from '../version.js';
import { CliError, EXIT_USAGE } from './errors.js';

export interface ApiArgs {
  api?: string;
  config?: string;
  'token-file'?: string;
}

/** Where a command's requests go and what they prove. */
export interface ApiTarget {
  address: string;
  token?: string;
}

export function withApiOptions<T>(y: Argv<T>): Argv<T & ApiArgs> {
  return y
    .option('api', { type: 'string', describe: `host:port of the running instance's API (default: api.listen of --config, else ${DEFAULTS.api_listen})` })
    .option('config', { alias: 'f', type: 'string', describe: 'the config file of the running instance: its api.listen is used' })
    .option('token-file', { type: 'string', describe: "file holding the instance's bearer token (default: api.token_file of --config)" })
    .conflicts('api', 'config') as Argv<T & ApiArgs>;
}

/** A wildcard listen address is reached through the loopback address of its family. */
function reachable(listen: string): string {
  if (listen.startsWith('0.0.0.0:')) return `127.0.0.1:${listen.slice('0.0.0.0:'.length)}`;
  if (listen.startsWith('[::]:')) return `[::1]:${listen.slice('[::]:'.length)}`;
  return listen;
}

function tokenFrom(file: string | undefined, option: string): { token?: string } {
  if (file === undefined) return {};
  try {
    return { token: readApiToken(file) };
  } catch (err) {
    throw new CliError(`xvs: ${option}: ${(err as Error).message.replace(/^api\.token_file: /, '')}`);
  }
}

export function apiTarget(args: ApiArgs): ApiTarget {
  const explicitToken = tokenFrom(args['token-file'], '--token-file');
  if (args.api !== undefined) {
    const bad = listenProblem(args.api);
    if (bad) throw new CliError(`xvs: --api ${bad}`, EXIT_USAGE);
    return { address: reachable(args.api), ...explicitToken };
  }
  if (args.config !== undefined) {
    let api;
    try {
      api = loadConfigFile(args.config).api;
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message);
      throw err;
    }
    return { address: reachable(api.listen), ...(args['token-file'] !== undefined ? explicitToken : tokenFrom(api.token_file, 'api.token_file')) };
  }
  return { address: DEFAULTS.api_listen, ...explicitToken };
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * One HTTP request with node:http. Not fetch: it refuses the ports browsers block (6000, 10080,
 * ...), which an operator may well have given the API.
 */
function request(address: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...splitListen(address), method, path, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

/** Every request's headers: the program (the API logs who made a runtime change) and the token, if any. */
function clientHeaders(target: ApiTarget): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': `xvs-cli/${xvsVersion()}` };
  if (target.token !== undefined) headers.authorization = `Bearer ${target.token}`;
  return headers;
}

function unreachable(address: string, err: unknown): CliError {
  const e = err as Error & { code?: string };
  return new CliError(`xvs: cannot reach the xvs API at ${address} (${e.code ?? e.message}): is xvs run running there? (--api HOST:PORT or --config FILE)`);
}

/** The API's JSON answer; an error answer or no answer at all becomes a one-line CliError. */
export async function callApi<T>(target: ApiTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const { address } = target;
  const headers = clientHeaders(target);
  if (method === 'POST') headers['content-type'] = 'application/json';
  let res: { status: number; text: string };
  try {
    res = await request(address, method, path, headers, body !== undefined ? JSON.stringify(body) : undefined);
  } catch (err) {
    throw unreachable(address, err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(res.text);
  } catch {
    throw new CliError(`xvs: ${address} answered ${res.status} with something that is not the xvs API's JSON`);
  }
  if (res.status < 200 || res.status > 299) {
    const error = (doc as { error?: { message?: string; problems?: string[] } }).error;
    const problems = error?.problems?.length ? `\n${error.problems.join('\n')}` : '';
    throw new CliError(`xvs: ${error?.message ?? `the API answered ${res.status}`}${problems}`);
  }
  return doc as T;
}

/**
 * A streamed answer (GET /connections/stream): `onLine` gets each line as it arrives; resolves
 * once the answer is complete. An error answer, no answer, or an answer cut off becomes a
 * one-line CliError.
 */
export async function streamApi(target: ApiTarget, path: string, onLine: (line: string) => void | Promise<void>): Promise<void> {
  const { address } = target;
  const headers = clientHeaders(target);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({ ...splitListen(address), method: 'GET', path, headers, timeout: REQUEST_TIMEOUT_MS }, (answer) => {
      // Answered: the stream may pause as long as its reader does (a pager), so no idle timeout from here.
      req.setTimeout(0);
      resolve(answer);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  }).catch((err: unknown) => {
    throw unreachable(address, err);
  });
  if (res.statusCode !== 200) {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    let message = `the API answered ${res.statusCode}`;
    try {
      message = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      // not the API's JSON: the status says enough
    }
    throw new CliError(`xvs: ${message}`);
  }
  let buffered = '';
  const chunks = res[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<unknown>;
    try {
      next = await chunks.next();
    } catch {
      break; // the answer broke off: said below
    }
    if (next.done) break;
    buffered += (next.value as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      await onLine(line); // its own errors (a closed pipe) are the caller's
    }
  }
  if (!res.complete || buffered !== '') throw new CliError(`xvs: the answer from ${address} was cut off (see xvs run's log); what arrived is above`);
}
