// src/import/keepalived-syntax.ts — keepalived.conf as a tree of statements: a keyword, its
// arguments, and a block of statements when braces follow. As keepalived reads it: `#` and `!`
// start comments, double quotes group words, `{` and `}` may stand on the keyword's line or
// their own, `include PATTERN` reads more files (glob, relative to the including file). Each
// statement keeps its file and line for the importer's notes. Consumes file text; produces
// Statement[]; malformed input (an unclosed block, a stray brace, an unclosed quote) is a
// KeepalivedSyntaxError naming the place. CLI thread.
import fs from 'node:fs';
import path from 'node:path';

export interface Statement {
  keyword: string;
  args: string[];
  /** Present when the statement opens a block. */
  block?: Statement[];
  where: string;
}

export class KeepalivedSyntaxError extends Error {}

interface Token {
  text: string;
  quoted: boolean;
  line: number;
}

/** The words of each line, braces as words of their own; comments dropped. */
function tokenize(text: string, file: string): Token[][] {
  const lines: Token[][] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const tokens: Token[] = [];
    let at = 0;
    while (at < raw.length) {
      const c = raw[at]!;
      if (c === ' ' || c === '\t') at++;
      else if (c === '#' || c === '!') break;
      else if (c === '{' || c === '}') tokens.push({ text: c, quoted: false, line: i + 1 }), at++;
      else if (c === '"') {
        const end = raw.indexOf('"', at + 1);
        if (end < 0) throw new KeepalivedSyntaxError(`${file}:${i + 1}: a quote is not closed`);
        tokens.push({ text: raw.slice(at + 1, end), quoted: true, line: i + 1 });
        at = end + 1;
      } else {
        let end = at;
        while (end < raw.length && !' \t{}"#!'.includes(raw[end]!)) end++;
        tokens.push({ text: raw.slice(at, end), quoted: false, line: i + 1 });
        at = end;
      }
    }
    if (tokens.length) lines.push(tokens);
  });
  return lines;
}

/** Files an include pattern names: `*`, `?` and `[...]` in the last path part. */
function expandInclude(pattern: string, from: string): string[] {
  // Relative to the including file, and kept relative when it was: notes name files as the user does.
  const full = path.isAbsolute(pattern) ? pattern : path.join(path.dirname(from), pattern);
  const dir = path.dirname(full);
  const base = path.basename(full);
  if (!/[*?[]/.test(base)) return [full];
  const re = new RegExp(`^${base.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => re.test(n)).sort().map((n) => path.join(dir, n));
}

const MAX_INCLUDE_DEPTH = 8;

export function parseKeepalived(text: string, file: string, depth = 0): Statement[] {
  const lines = tokenize(text, file);
  // Flatten into a stream of (token, startsLine) so a brace on its own line closes/opens correctly.
  const stream: { t: Token; first: boolean }[] = lines.flatMap((l) => l.map((t, i) => ({ t, first: i === 0 })));
  let at = 0;
  const where = (t: Token) => `${file}:${t.line}`;

  const block = (closing: Token | undefined): Statement[] => {
    const out: Statement[] = [];
    while (at < stream.length) {
      const { t } = stream[at]!;
      if (t.text === '}' && !t.quoted) {
        if (!closing) throw new KeepalivedSyntaxError(`${where(t)}: "}" closes no block`);
        at++;
        return out;
      }
      if (t.text === '{' && !t.quoted) throw new KeepalivedSyntaxError(`${where(t)}: "{" opens a block without a keyword before it`);
      const statement: Statement = { keyword: t.text, args: [], where: where(t) };
      at++;
      // Arguments: the rest of the keyword's line, up to a brace.
      while (at < stream.length && !stream[at]!.first && !['{', '}'].includes(stream[at]!.t.text)) statement.args.push(stream[at++]!.t.text);
      if (at < stream.length && stream[at]!.t.text === '{' && !stream[at]!.t.quoted) {
        const open = stream[at++]!.t;
        statement.block = block(open);
      }
      if (statement.keyword === 'include') {
        if (depth >= MAX_INCLUDE_DEPTH) throw new KeepalivedSyntaxError(`${statement.where}: includes nested more than ${MAX_INCLUDE_DEPTH} deep`);
        for (const included of statement.args.flatMap((p) => expandInclude(p, file))) {
          let text: string;
          try {
            text = fs.readFileSync(included, 'utf8');
          } catch (err) {
            throw new KeepalivedSyntaxError(`${statement.where}: include ${included}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
          }
          out.push(...parseKeepalived(text, included, depth + 1));
        }
        continue;
      }
      out.push(statement);
    }
    if (closing) throw new KeepalivedSyntaxError(`${where(closing)}: this "{" is never closed`);
    return out;
  };
  return block(undefined);
}
