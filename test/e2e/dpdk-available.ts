// test/e2e/dpdk-available.ts — whether the e2e tests of backend dpdk can run here: the DPDK
// build of the addon (npm run build:dpdk; CI builds it) and /dev/net/tun for the exception
// interfaces. A reason to skip (printed loudly by the suite), or undefined.
import fs from 'node:fs';

import { addonPath } from '../../src/native/addon.js';

export function dpdkUnbuilt(): string | undefined {
  if (!fs.existsSync(addonPath('dpdk'))) return `the DPDK build of the addon is missing (${addonPath('dpdk')}): apt-get install -y libdpdk-dev, then npm run build:dpdk`;
  if (!fs.existsSync('/dev/net/tun')) return '/dev/net/tun is missing: the exception interfaces are TAPs';
  return undefined;
}
