// Builds the DPDK variant of the addon (build-dpdk/Release/xvs.node: the engine with io/dpdk, by
// cmake-js from native/CMakeLists.txt with XVS_DPDK=ON). `npm run build:dpdk` always builds it;
// `npm install` runs this with --if-asked, which builds it only when XVS_BUILD_DPDK=1 is set (the
// default install needs no DPDK). Fails with one line when libdpdk is missing.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.argv.includes('--if-asked') && process.env.XVS_BUILD_DPDK !== '1') process.exit(0);

try {
  execFileSync('pkg-config', ['--exists', 'libdpdk'], { stdio: 'ignore' });
} catch {
  console.error('xvs: DPDK is missing for the DPDK build; install it with: apt-get install -y libdpdk-dev dpdk');
  process.exit(1);
}
const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
const r = spawnSync(process.execPath, [cmakeJs, 'build', '--directory', 'native', '--out', 'build-dpdk', '--CDXVS_DPDK=ON'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
