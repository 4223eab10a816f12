// src/cli/api-client.ts — how `xvs list`, `xvs weight`, `xvs drain` and `xvs save` reach a
// running instance: the --api / --config / --token-file options, the address they resolve to
// (--api, else the config file's api.listen, else 127.0.0.1:9475, the default of api.listen)
// and the bearer token (--token-file, else the config file's api.token_file), and one HTTP
// request with the API's errors turned into one-line CliErrors (unreachable: exit 1). Main
// thread of the CLI process.
import type { Argv } from 'yargs';

import { readApiToken } from '../api/token.js';
import { listenProblem } from '../config/address.js';
import { DEFAULTS } from '../config/defaults.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../config/types.js';
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

/** The API's JSON answer; an error answer or no answer at all becomes a one-line CliError. */
export async function callApi<T>(target: ApiTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const { address, token } = target;
  const headers: Record<string, string> = {};
  if (method === 'POST') headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`http://${address}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new CliError(`xvs: cannot reach the xvs API at ${address} (${why}): is xvs run running there? (--api HOST:PORT or --config FILE)`);
  }
  const text = await res.text();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CliError(`xvs: ${address} answered ${res.status} with something that is not the xvs API's JSON`);
  }
  if (!res.ok) {
    const error = (doc as { error?: { message?: string; problems?: string[] } }).error;
    const problems = error?.problems?.length ? `\n${error.problems.join('\n')}` : '';
    throw new CliError(`xvs: ${error?.message ?? `the API answered ${res.status}`}${problems}`);
  }
  return doc as T;
}
