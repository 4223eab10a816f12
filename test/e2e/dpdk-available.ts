// test/e2e/dpdk-available.ts — what the e2e tests of backend dpdk need here: the DPDK build of
// the addon (npm run build:dpdk; CI builds it), /dev/net/tun for the exception interfaces, and
// hugepages (DPDK's default), which describeDpdk reserves for its suite and gives back.
import fs from 'node:fs';
import { after, before, describe } from 'node:test';

import { addonPath } from '../../src/native/addon.js';
import { reserveHugepages } from '../../src/netns/hugepages.js';

/** Why the suite cannot run here, or undefined. In CI (CI set) a missing prerequisite is an error, not a skip. */
export function dpdkUnbuilt(strict = Boolean(process.env.CI)): string | undefined {
  let why: string | undefined;
  if (!fs.existsSync(addonPath('dpdk')))
    why = `the DPDK build of the addon is missing (${addonPath('dpdk')}): apt-get install -y libdpdk-dev dpdk, then npm run build:dpdk`;
  else if (!fs.existsSync('/dev/net/tun')) why = '/dev/net/tun is missing: the exception interfaces are TAPs';
  if (why && strict) throw new Error(`backend dpdk cannot be tested: ${why}`);
  return why;
}

/**
 * A suite on the DPDK backend: skipped (loudly) where `skip` says so or DPDK cannot run here, and
 * with 512 hugepages reserved around it.
 */
export function describeDpdk(title: string, skip: string | undefined, body: () => void): void {
  const why = skip ?? dpdkUnbuilt();
  if (!skip && why) console.warn(`\n*** e2e tests of backend dpdk SKIPPED: ${why} ***\n`);
  describe(title, { skip: why }, () => {
    let release: (() => void) | undefined;
    before(() => {
      release = reserveHugepages();
    });
    after(() => release?.());
    body();
  });
}
