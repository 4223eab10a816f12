// Runs before node-gyp on `npm install`: fails with one line naming the Debian packages when a
// system build dependency is missing, instead of a page of compiler errors.
import { execFileSync } from 'node:child_process';

const missing = new Set();
const has = (cmd, args) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

if (!has('pkg-config', ['--version'])) missing.add('pkg-config');
else {
  if (!has('pkg-config', ['--exists', 'libbpf'])) missing.add('libbpf-dev');
  if (!has('pkg-config', ['--exists', 'libxdp'])) missing.add('libxdp-dev');
}
if (!has('g++', ['--version'])) missing.add('g++');
if (!has('make', ['--version'])) missing.add('make');

if (missing.size > 0) {
  console.error(`xvs: missing system build dependencies; install them with: apt-get install -y ${[...missing].join(' ')}`);
  process.exit(1);
}
