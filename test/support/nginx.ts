// test/support/nginx.ts — a real server for the client-address e2e tests: nginx from Debian in a
// server's namespace, one listener with `proxy_protocol` (its access log and /whoami give the
// PROXY header's client address and port beside the TCP peer, PUT stores uploads) and a plain
// one (/whoami gives the TCP peer); and a packet-socket capture that prints the first TOA option
// arriving for a port, in its IPv4 (length 8) or IPv6 (length 20) form. Used by
// test/e2e/client-address*.test.ts, on the test's thread.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import type { NetnsLab } from '../../src/netns/lab.js';

export const NGINX_PROXY_PORT = 9090;
export const NGINX_PLAIN_PORT = 9091;

/** Why the tests that need nginx cannot run here, or undefined. */
export const nginxMissing = (): string | undefined =>
  spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0 ? undefined : 'nginx is not installed (Debian: nginx-light)';

/** `listen` is the server's address as nginx writes it: bracketed for IPv6. */
function nginxConfig(dir: string, listen: string): string {
  return `
daemon off;
user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  log_format client '$proxy_protocol_addr $proxy_protocol_port $remote_addr $request_length';
  client_max_body_size 16m;
  server {
    listen ${listen}:${NGINX_PROXY_PORT} proxy_protocol;
    access_log ${dir}/proxied.log client;
    location = /whoami { return 200 "$proxy_protocol_addr $proxy_protocol_port $remote_addr\\n"; }
    location / { root ${dir}/www; dav_methods PUT; create_full_put_path on; }
  }
  server {
    listen ${listen}:${NGINX_PLAIN_PORT};
    location = /whoami { return 200 "$remote_addr $remote_port\\n"; }
  }
}
`;
}

/**
 * Starts nginx in `ns` on `address` with its files under `dir` (www/ is its document root), and
 * returns once its plain port answers from inside that namespace (10 s at most). It is a child of
 * the lab, which ends it with the namespace.
 */
export async function startNginx(lab: NetnsLab, ns: string, dir: string, address: string): Promise<void> {
  const listen = address.includes(':') ? `[${address}]` : address;
  fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig(dir, listen));
  const nginx = lab.spawnIn(ns, ['nginx', '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')]);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = spawnSync('ip', ['netns', 'exec', ns, 'curl', '-s', '-g', '-o', '/dev/null', `http://${listen}:${NGINX_PLAIN_PORT}/whoami`], { timeout: 5000 });
    if (probe.status === 0) return;
    if (nginx.exitCode !== null || Date.now() > deadline)
      throw new Error(`nginx did not start: ${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : 'no log'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A Python script for a packet socket in the server's namespace: prints "ready", then
 * "toa ADDRESS PORT from SOURCE" for the first TCP segment to port argv[1] carrying a TOA option
 * of its family (IPv4: kind 254 length 8; IPv6 without extension headers: kind 254 length 20),
 * and exits; bounded to 20 s.
 */
export const TOA_CAPTURE = `
import socket, struct, sys, time
port = int(sys.argv[1])
ipv6 = len(sys.argv) > 2 and sys.argv[2] == "6"
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86dd if ipv6 else 0x0800))
s.settimeout(0.5)
print("ready", flush=True)
deadline = time.time() + 20
while time.time() < deadline:
    try:
        f = s.recv(65535)
    except socket.timeout:
        continue
    ip = f[14:]
    if ipv6:
        if len(ip) < 40 or ip[6] != 6:
            continue
        tcp, family, size, source = ip[40:], socket.AF_INET6, 20, ip[8:24]
    else:
        if len(ip) < 20 or ip[9] != 6:
            continue
        tcp, family, size, source = ip[(ip[0] & 15) * 4:], socket.AF_INET, 8, ip[12:16]
    if len(tcp) < 20 or struct.unpack("!H", tcp[2:4])[0] != port:
        continue
    opts, i = tcp[20:(tcp[12] >> 4) * 4], 0
    while i + 1 < len(opts) and opts[i] != 0:
        if opts[i] == 1:
            i += 1
            continue
        if opts[i] == 254 and opts[i + 1] == size:
            address = socket.inet_ntop(family, opts[i + 4:i + size])
            print("toa %s %d from %s" % (address, struct.unpack("!H", opts[i + 2:i + 4])[0], socket.inet_ntop(family, source)), flush=True)
            sys.exit(0)
        i += max(opts[i + 1], 2)
sys.exit(1)
`;
