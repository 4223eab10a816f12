// src/cluster/bird-control.ts — a client of BIRD's control socket (the protocol birdc speaks:
// a greeting, then per command reply lines "CODE-text" that continue, " text" that continue the
// previous code, and one "CODE text" that ends the reply; codes from 8000 on are errors). One
// connection per command, bounded in time. Also the parser of `show protocols`. Runs on the
// control worker thread (the BGP speaker's owner).
import net from 'node:net';

export interface ReplyLine {
  code: number;
  text: string;
}

/** Sends `command` to the BIRD listening on `socketPath` and resolves with its reply lines. */
export function birdCommand(socketPath: string, command: string, timeoutMs = 2000): Promise<ReplyLine[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const lines: ReplyLine[] = [];
    let buffered = '';
    let greeted = false;
    let code = 0;
    const timer = setTimeout(() => finish(new Error(`BIRD did not answer "${command}" within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(lines);
    };
    socket.on('error', (err) => finish(new Error(`BIRD control socket ${socketPath}: ${err.message}`)));
    socket.on('close', () => finish(new Error(`BIRD closed its control socket before answering "${command}"`)));
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let end: number;
      while ((end = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        const m = /^(\d{4})([ -])(.*)$/.exec(line);
        if (!greeted) {
          // "0001 BIRD x.y.z ready."
          greeted = true;
          socket.write(`${command}\n`);
          continue;
        }
        if (!m) {
          lines.push({ code, text: line.replace(/^ /, '') });
          continue;
        }
        code = Number(m[1]);
        lines.push({ code, text: m[3]! });
        if (m[2] === ' ') return finish();
      }
    });
  });
}

/** The reply's error line (code ≥ 8000), if any. */
export function replyError(lines: readonly ReplyLine[]): string | undefined {
  const bad = lines.find((l) => l.code >= 8000);
  return bad ? `${bad.text} (BIRD ${bad.code})` : undefined;
}

export interface ProtocolRow {
  name: string;
  proto: string;
  state: string;
  since: string;
  info: string;
}

/** The rows of `show protocols` (code 1002 and their continuations). */
export function parseProtocols(lines: readonly ReplyLine[]): ProtocolRow[] {
  const rows: ProtocolRow[] = [];
  for (const { code, text } of lines) {
    if (code !== 1002) continue;
    // name proto table state since(date? time) info...
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+((?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d(?:\.\d+)?)\s*(.*)$/.exec(text);
    if (m) rows.push({ name: m[1]!, proto: m[2]!, state: m[4]!, since: m[5]!, info: m[6]!.trim() });
  }
  return rows;
}
