// src/api/token.ts — the API's optional bearer token (`api.token_file`): reading the file (the
// server at start, the CLI before a call) and checking a request's `Authorization: Bearer ...`.
// Consumes a path or an IncomingMessage; produces the token, a digest to compare with, or an
// ApiError 401. Main thread (server and CLI).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import { readSmallFile } from '../config/small-file.js';
import { ApiError } from './http-io.js';

/** Shorter than this, a token can be guessed over the network. */
export const MIN_TOKEN_CHARS = 16;
/** A token is a line of printable ASCII: what an Authorization header can carry. */
const TOKEN_FORM = /^[\x21-\x7e]+$/;

/**
 * The token in `file`: its first line without surrounding white space (so `openssl rand -hex 32
 * > file` works). Throws an Error naming api.token_file and the fix.
 */
export function readApiToken(file: string): string {
  const text = readSmallFile('api.token_file', file, 4096).toString('utf8');
  const token = (text.split('\n')[0] ?? '').trim();
  if (token.length < MIN_TOKEN_CHARS || !TOKEN_FORM.test(token))
    throw new Error(
      `api.token_file: ${file} must hold one line of at least ${MIN_TOKEN_CHARS} printable characters without spaces ` +
        `(got ${token.length}); write one with: openssl rand -hex 32 > ${file}`,
    );
  return token;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** What the server keeps: the token's digest, compared in constant time. */
export class BearerCheck {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** Throws 401 XVS_EAUTH unless the request carries `Authorization: Bearer <the token>`. */
  require(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      throw new ApiError(
        401,
        'XVS_EAUTH',
        header === ''
          ? 'this API requires a bearer token (api.token_file): send Authorization: Bearer <token>, or use xvs with --config FILE or --token-file FILE'
          : 'the Authorization header must be "Bearer <token>"',
      );
    }
    if (!timingSafeEqual(digest(m[1]!), this.expected)) throw new ApiError(401, 'XVS_EAUTH', 'wrong bearer token');
  }
}
