// test/e2e/dpdk-available.ts — what the e2e tests of backend dpdk need here: the DPDK build of
// the addon (npm run build:dpdk; CI builds it), /dev/net/tun for the exception interfaces, and
// hugepages (DPDK's default; net_af_xdp on ordinary pages loses full-size frames), which
// reserveHugepages provides for the suite and gives back afterwards.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

import { addonPath } from '../../src/native/addon.js';
import { freeHugepages } from '../../src/control/worker/dpdk-eal.js';

const NR_HUGEPAGES = '/proc/sys/vm/nr_hugepages';
const HUGETLBFS = '/dev/hugepages';
/** 2 MiB pages the suite wants free: two workers' pools on two ports take ~120 MiB, the EAL's own heap the rest. */
const WANTED = 512;

/** Why the suite cannot run here, or undefined. In CI (CI set) a missing prerequisite is an error, not a skip. */
export function dpdkUnbuilt(strict = Boolean(process.env.CI)): string | undefined {
  let why: string | undefined;
  if (!fs.existsSync(addonPath('dpdk')))
    why = `the DPDK build of the addon is missing (${addonPath('dpdk')}): apt-get install -y libdpdk-dev dpdk, then npm run build:dpdk`;
  else if (!fs.existsSync('/dev/net/tun')) why = '/dev/net/tun is missing: the exception interfaces are TAPs';
  if (why && strict) throw new Error(`backend dpdk cannot be tested: ${why}`);
  return why;
}

function hugetlbfsMounted(): boolean {
  return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === HUGETLBFS && l.split(' ')[2] === 'hugetlbfs');
}

/**
 * Makes WANTED hugepages free (raising vm.nr_hugepages) and mounts hugetlbfs at /dev/hugepages if
 * nothing is mounted there; returns what puts both back. Throws when the kernel grants too few.
 */
export function reserveHugepages(): () => void {
  const before = Number(fs.readFileSync(NR_HUGEPAGES, 'utf8').trim());
  const free = freeHugepages();
  let raised = false;
  if (free < WANTED) {
    fs.writeFileSync(NR_HUGEPAGES, String(before + WANTED - free));
    raised = true;
  }
  let mounted = false;
  const restore = () => {
    if (mounted) execFileSync('umount', [HUGETLBFS]);
    if (raised) fs.writeFileSync(NR_HUGEPAGES, String(before));
  };
  try {
    if (freeHugepages() < WANTED) throw new Error(`the kernel granted only ${freeHugepages()} free hugepages of ${WANTED} (memory too fragmented?)`);
    if (!hugetlbfsMounted()) {
      fs.mkdirSync(HUGETLBFS, { recursive: true });
      execFileSync('mount', ['-t', 'hugetlbfs', 'nodev', HUGETLBFS]);
      mounted = true;
    }
  } catch (err) {
    restore();
    throw err;
  }
  return restore;
}
