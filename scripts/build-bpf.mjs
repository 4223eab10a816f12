// Builds the XDP programs in native/bpf/ into build/Release/ (after node-gyp, which wipes
// build/): native/bpf/steer.bpf.c -> build/Release/xvs_steer.bpf.o, the balancer's steering
// program that io/afxdp loads through libxdp; native/bpf/decap.bpf.c ->
// build/Release/xvs_decap.bpf.o, the real server's IPIP decapsulation (`xvs decap`); pktgen,
// sink and redirect (xvs_*.bpf.o) are the generator, the counting sink and the XDP-redirect
// ceiling of `xvs bench veth`. Runs on
// `npm install` and `npm run build`.
// Fails with one line naming the Debian packages when clang or the libbpf headers are missing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'build', 'Release');
const programs = [
  { source: 'native/bpf/steer.bpf.c', output: 'xvs_steer.bpf.o' },
  { source: 'native/bpf/decap.bpf.c', output: 'xvs_decap.bpf.o' },
  { source: 'native/bpf/pktgen.bpf.c', output: 'xvs_pktgen.bpf.o' },
  { source: 'native/bpf/sink.bpf.c', output: 'xvs_sink.bpf.o' },
  { source: 'native/bpf/redirect.bpf.c', output: 'xvs_redirect.bpf.o' },
];

function fail(message) {
  console.error(`xvs: ${message}`);
  process.exit(1);
}

function run(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const clang = process.env.CLANG || 'clang';
try {
  run(clang, ['--version']);
} catch {
  fail('cannot build the XDP programs: clang is missing; install it with: apt-get install -y clang llvm libbpf-dev');
}

// <linux/*.h> includes <asm/types.h>, which lives under the multiarch directory on Debian;
// clang -target bpf does not look there by itself.
const includes = [];
try {
  const multiarch = run('gcc', ['-print-multiarch']);
  if (multiarch && fs.existsSync(`/usr/include/${multiarch}`)) includes.push(`-I/usr/include/${multiarch}`);
} catch {
  // no gcc: rely on clang's own search path
}
const headerDirs = ['/usr/include', '/usr/local/include'];
if (!headerDirs.some((d) => fs.existsSync(path.join(d, 'bpf', 'bpf_helpers.h'))))
  fail('cannot build the XDP programs: the libbpf headers are missing; install them with: apt-get install -y libbpf-dev');
if (!headerDirs.some((d) => fs.existsSync(path.join(d, 'linux', 'bpf.h'))))
  fail('cannot build the XDP programs: the Linux UAPI headers are missing; install them with: apt-get install -y linux-libc-dev');

fs.mkdirSync(outDir, { recursive: true });
for (const p of programs) {
  const output = path.join(outDir, p.output);
  try {
    execFileSync(clang, ['-O2', '-g', '-Wall', '-target', 'bpf', ...includes, '-c', path.join(root, p.source), '-o', output], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch {
    fail(`clang failed on ${p.source} (see above)`);
  }
  console.log(`xvs: built ${path.relative(root, output)}`);
}
