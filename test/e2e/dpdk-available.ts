// test/e2e/dpdk-available.ts — what the e2e tests of backend dpdk need here: the DPDK build of
// the addon (npm run build:dpdk; CI builds it) and /dev/net/tun for the exception interfaces;
// hugepages (DPDK's default) come from src/netns/hugepages.ts, re-exported for the suites.
import fs from 'node:fs';

import { addonPath } from '../../src/native/addon.js';

export { reserveHugepages } from '../../src/netns/hugepages.js';

/** Why the suite cannot run here, or undefined. In CI (CI set) a missing prerequisite is an error, not a skip. */
export function dpdkUnbuilt(strict = Boolean(process.env.CI)): string | undefined {
  let why: string | undefined;
  if (!fs.existsSync(addonPath('dpdk')))
    why = `the DPDK build of the addon is missing (${addonPath('dpdk')}): apt-get install -y libdpdk-dev dpdk, then npm run build:dpdk`;
  else if (!fs.existsSync('/dev/net/tun')) why = '/dev/net/tun is missing: the exception interfaces are TAPs';
  if (why && strict) throw new Error(`backend dpdk cannot be tested: ${why}`);
  return why;
}
