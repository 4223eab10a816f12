// src/netns/hugepages.ts — hugepages for a DPDK run that the machine has not reserved (the DPDK
// e2e suites, the DPDK case of `xvs bench veth`): raises vm.nr_hugepages until enough are free
// and mounts hugetlbfs at /dev/hugepages if nothing is mounted there, and gives both back
// afterwards, so that the machine ends as it was. Main thread; needs root.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

import { freeHugepages } from '../control/worker/dpdk-eal.js';

const NR_HUGEPAGES = '/proc/sys/vm/nr_hugepages';
const HUGETLBFS = '/dev/hugepages';
/** 2 MiB pages a run wants free: two workers' pools on two ports take ~120 MiB, the EAL's own heap the rest. */
const WANTED = 512;

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
