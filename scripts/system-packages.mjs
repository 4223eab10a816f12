// scripts/system-packages.mjs — the Debian/Ubuntu packages each step of xvs needs, checked before
// the step runs (`node scripts/system-packages.mjs STEP...`; npm runs it before install, demo,
// test and fuzz). Missing ones are installed with apt-get when this runs as root on Debian or
// Ubuntu (saying what it installs); otherwise, or with XVS_NO_APT=1, it prints the one command
// that installs them and exits 1. Steps: build (npm install; with XVS_BUILD_DPDK=1 the dpdk step
// too), dpdk (npm run build:dpdk), demo, test, fuzz. Runs on the machine that builds xvs.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Per step: package -> what needs it (the reason is the documentation; only the names are used). */
const STEPS = {
  build: {
    'build-essential': 'g++ and make for node-gyp',
    'pkg-config': 'finds libxdp and libbpf',
    python3: 'node-gyp',
    'libxdp-dev': 'the AF_XDP backend',
    'libbpf-dev': 'the AF_XDP backend and the BPF programs',
    clang: 'compiles the BPF programs (scripts/build-bpf.mjs)',
    llvm: 'BPF object tools beside clang',
  },
  dpdk: {
    cmake: 'cmake-js builds the DPDK variant of the addon',
    'libdpdk-dev': 'the DPDK backend (npm run build:dpdk)',
    dpdk: 'its poll-mode drivers (net_af_xdp, net_tap) and dpdk-testpmd',
  },
  demo: {
    iproute2: 'namespaces, veths and routes',
    ethtool: 'veth offloads',
  },
  test: {
    cmake: 'the native unit tests (cmake-js)',
    'libgtest-dev': 'the native unit tests',
    iproute2: 'namespaces, veths and routes',
    ethtool: 'veth offloads',
    python3: 'hand-made frames on packet sockets, the cluster tests\' servers',
    nftables: 'the kernel peers of the benchmarks',
    curl: 'clients of the e2e tests',
    hping3: 'the SYN-flood test',
    bird2: 'the BGP speaker of cluster mode and the router of its tests',
    dpdk: 'the poll-mode drivers dpdk-testpmd loads',
    // Debian 12's DPDK 22.11.11 moved dpdk-testpmd from `dpdk` to `dpdk-dev` (22.11.7 had it in `dpdk`).
    'dpdk-dev': 'dpdk-testpmd, the DPDK generator of xvs bench veth',
    prometheus: 'promtool: lints /metrics and parses the Grafana dashboard\'s queries',
    'nginx-light': 'a real server reading the PROXY protocol header of client_address: proxy_v2',
  },
  fuzz: {
    clang: 'libFuzzer',
    // Named after the clang the distribution gives (Debian 12: 14; Ubuntu 24.04: 18): fuzzRuntime().
    'libclang-rt-N-dev': "libFuzzer's and the sanitizers' runtimes for that clang",
  },
};

/** The libclang-rt package of the clang this machine has, or would get from apt (`clang` depends on clang-N). */
function fuzzRuntime() {
  const probe = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? '';
  const major = /version (\d+)\./.exec(probe('clang', ['--version']))?.[1] ?? /Depends: clang-(\d+)/.exec(probe('apt-cache', ['depends', 'clang']))?.[1] ?? '14';
  return `libclang-rt-${major}-dev`;
}
const TITLES = { build: 'the build', dpdk: 'the DPDK build', demo: 'the demo', test: 'the tests', fuzz: 'the fuzz targets' };

function usage(message) {
  console.error(`xvs: ${message}; usage: node scripts/system-packages.mjs ${Object.keys(STEPS).join('|')}...`);
  process.exit(2);
}

const steps = process.argv.slice(2);
if (steps.length === 0) usage('name at least one step');
for (const s of steps) if (!(s in STEPS)) usage(`unknown step ${s}`);
if (steps.includes('build') && process.env.XVS_BUILD_DPDK === '1' && !steps.includes('dpdk')) steps.push('dpdk');

const wanted = [...new Set(steps.flatMap((s) => Object.keys(STEPS[s])))].map((p) => (p === 'libclang-rt-N-dev' ? fuzzRuntime() : p));
const what = steps.map((s) => TITLES[s]).join(', ');

function hasDpkg() {
  return spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status === 0;
}
function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  // "install ok installed", or "hold ok installed" for a package the admin put on hold.
  return r.status === 0 && / ok installed$/.test(r.stdout);
}
function debianLike() {
  try {
    const release = fs.readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(release);
  } catch {
    return false;
  }
}

if (!hasDpkg()) {
  // Not Debian: the names are Debian's, and only the build's can be checked (by probing).
  if (steps.includes('build')) {
    const probe = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
    const lacking = [];
    if (!probe('pkg-config', ['--exists', 'libbpf']) || !probe('pkg-config', ['--exists', 'libxdp'])) lacking.push('libxdp and libbpf (with pkg-config files)');
    if (!probe('g++', ['--version']) || !probe('make', ['--version'])) lacking.push('g++ and make');
    if (!probe('clang', ['--version'])) lacking.push('clang');
    if (lacking.length > 0) {
      console.error(`xvs: missing for ${what}: ${lacking.join(', ')} (Debian: apt-get install -y ${Object.keys(STEPS.build).join(' ')})`);
      process.exit(1);
    }
  }
  process.exit(0);
}

const missing = wanted.filter((p) => !installed(p));
if (missing.length === 0) process.exit(0);

const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
const root = typeof process.getuid === 'function' && process.getuid() === 0;
if (!root || !debianLike() || process.env.XVS_NO_APT === '1') {
  const why = process.env.XVS_NO_APT === '1' ? ' (XVS_NO_APT=1)' : '';
  console.error(`xvs: missing system packages for ${what}${why}; install them with: ${root ? '' : 'sudo '}${command}`);
  process.exit(1);
}

console.error(`xvs: installing system packages for ${what}: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
// Servers and daemons the tests run themselves (nginx, bird, prometheus) must not also start as
// system services on install: Debian's policy-rc.d hook (exit 101: "action forbidden") while
// apt-get runs, unless the machine has one of its own.
const POLICY = '/usr/sbin/policy-rc.d';
const ownPolicy = !fs.existsSync(POLICY);
if (ownPolicy) fs.writeFileSync(POLICY, '#!/bin/sh\n# xvs: no service starts while its test packages install\nexit 101\n', { mode: 0o755 });
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
} catch {
  console.error(`xvs: apt-get could not install them (above); run: ${command}`);
  process.exit(1);
} finally {
  if (ownPolicy) fs.rmSync(POLICY, { force: true });
}
const still = missing.filter((p) => !installed(p));
if (still.length > 0) {
  console.error(`xvs: still missing after apt-get: ${still.join(' ')}`);
  process.exit(1);
}
