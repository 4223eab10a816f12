// src/free-port.ts — a TCP port on 127.0.0.1 nobody listens on right now (the kernel picks it),
// for a child `xvs run`'s API in benchmarks and tests. Another process may take it before the
// caller binds it: callers start what binds it at once. Any thread.
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
