// test/unit/dpdk-config.test.ts — the dataplane.dpdk section (src/config/schema.ts, validate.ts,
// normalise.ts): what a valid one normalises to, the defaults without one, and one case per
// message, each asserting the field path, place and wording; then the EAL arguments an engine
// starts with (src/control/worker/dpdk-eal.ts) and the free-hugepage count it reads from a
// meminfo file. Runs under node:test on the main thread; the only I/O is a temporary file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import type { DpdkConfig } from '../../src/config/types.js';
import { dpdkEal, freeHugepages } from '../../src/control/worker/dpdk-eal.js';
import { expectOne, problemsOf, text } from '../support/config-problems.js';

/** backend on line 2, interfaces on line 3, the given lines from line 4. */
const dataplane = (backend: string, interfaces: string, ...lines: string[]): string =>
  text('dataplane:', `  backend: ${backend}`, `  interfaces: ${interfaces}`, ...lines);

const dpdk = (...lines: string[]): string => dataplane('dpdk', '[eth0]', ...lines);

// --- valid configs and what they normalise to ---

test('a valid dpdk section normalises to its driver, no devices and its EAL arguments', () => {
  const source = dpdk('  dpdk: { driver: af_packet, eal: [--no-huge, -m, "512"] }');
  assert.deepEqual(problemsOf(source), []);
  const config = parseConfigText(source, 'test.yaml');
  assert.equal(config.dataplane.backend, 'dpdk');
  assert.deepEqual(config.dataplane.dpdk, { driver: 'af_packet', devices: [], eal: ['--no-huge', '-m', '512'] });
});

test('backend dpdk without a dpdk section: driver af_xdp, no devices, no EAL arguments', () => {
  const config = parseConfigText(dpdk(), 'test.yaml');
  assert.deepEqual(config.dataplane.dpdk, { driver: 'af_xdp', devices: [] });
  assert.equal('eal' in config.dataplane.dpdk!, false, 'eal left out stays absent (dpdkEal then decides)');
});

test('PCI devices, one per interface, are kept as written', () => {
  const source = dataplane('dpdk', '[p0, p1]', '  dpdk: { devices: ["0000:03:00.0", "0000:03:00.1"] }');
  assert.deepEqual(problemsOf(source), []);
  assert.deepEqual(parseConfigText(source, 'test.yaml').dataplane.dpdk, { driver: 'af_xdp', devices: ['0000:03:00.0', '0000:03:00.1'] });
});

test('another backend has no dpdk section after normalisation', () => {
  assert.equal(parseConfigText(dataplane('afxdp', '[eth0]'), 'test.yaml').dataplane.dpdk, undefined);
});

// --- messages ---

test('dpdk with another backend is refused at its key', () => {
  const source = dataplane('afxdp', '[eth0]', '  dpdk: { driver: af_packet }');
  expectOne(source, 'dataplane.dpdk', 4, 3, 'backend dpdk only');
  expectOne(source, 'dataplane.dpdk', 4, 3, '(backend is afxdp)');
  expectOne(source, 'dataplane.dpdk', 4, 3, 'set dataplane.backend: dpdk');
});

test('an unknown driver is refused, naming the allowed ones', () => {
  expectOne(dpdk('  dpdk: { driver: pcap }'), 'dataplane.dpdk.driver', 4, 19, 'must be one of af_xdp, af_packet (got "pcap")');
});

test('a device that is not a PCI address is refused', () => {
  expectOne(dpdk('  dpdk: { devices: [eth0] }'), 'dataplane.dpdk.devices[0]', 4, 21, 'must be a PCI address such as 0000:03:00.0 (got "eth0")');
});

test('devices must be as many as interfaces', () => {
  const source = dataplane('dpdk', '[eth0, eth1]', '  dpdk: { devices: ["0000:03:00.0"] }');
  expectOne(source, 'dataplane.dpdk.devices', 4, 20, 'lists 1 device for 2 interfaces');
  expectOne(source, 'dataplane.dpdk.devices', 4, 20, 'interfaces name the ports');
});

test('with backend dpdk an interface name must leave room for .kni', () => {
  const source = dataplane('dpdk', '[abcdefghijkl]');
  expectOne(source, 'dataplane.interfaces[0]', 3, 16, 'at most 11 characters');
  expectOne(source, 'dataplane.interfaces[0]', 3, 16, '(got "abcdefghijkl")');
  expectOne(source, 'dataplane.interfaces[0]', 3, 16, 'NAME.kni, which must fit in 15');
  assert.deepEqual(problemsOf(dataplane('dpdk', '[abcdefghijk]')), [], '11 characters fit');
  assert.deepEqual(problemsOf(dataplane('afxdp', '[abcdefghijkl]')), [], 'other backends allow 15');
});

test('an empty EAL list is accepted, an empty EAL argument is not', () => {
  const empty = dpdk('  dpdk: { eal: [] }');
  assert.deepEqual(problemsOf(empty), []);
  assert.deepEqual(parseConfigText(empty, 'test.yaml').dataplane.dpdk?.eal, []);
  expectOne(dpdk('  dpdk: { eal: [""] }'), 'dataplane.dpdk.eal[0]', 4, 17, 'must be a non-empty string (got "")');
});

// --- dpdkEal and freeHugepages ---

const withEal = (eal?: string[]): DpdkConfig => ({ driver: 'af_xdp', devices: [], ...(eal ? { eal } : {}) });

test('dpdkEal: explicit EAL arguments are returned as given, a copy, whatever the hugepages', () => {
  const eal = ['--no-huge', '-m', '512'];
  for (const hugepages of [0, 1, 512]) {
    const got = dpdkEal(withEal(eal), hugepages);
    assert.deepEqual(got, ['--no-huge', '-m', '512'], `hugepages ${hugepages}`);
    assert.notEqual(got, eal, 'a copy, not the config\'s own array');
  }
  const got = dpdkEal(withEal(eal), 0);
  got.push('--extra');
  assert.deepEqual(eal, ['--no-huge', '-m', '512'], 'changing the result leaves the config alone');
  assert.deepEqual(dpdkEal(withEal([]), 0), [], 'an explicit empty list is the operator\'s choice too');
});

test('dpdkEal: no EAL arguments and free hugepages: none added', () => {
  assert.deepEqual(dpdkEal(withEal(), 1), []);
  assert.deepEqual(dpdkEal(undefined, 512), []);
});

test('dpdkEal: no EAL arguments and no free hugepages: refused, saying what to do', () => {
  for (const dpdk of [withEal(), undefined]) {
    assert.throws(
      () => dpdkEal(dpdk, 0),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'XVS_EINVAL');
        assert.match(e.message, /^dataplane\.dpdk\.eal: /);
        assert.match(e.message, /nr_hugepages/);
        assert.match(e.message, /--no-huge/);
        return true;
      },
    );
  }
});

test('freeHugepages reads HugePages_Free, 0 for a missing file', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xvs-meminfo-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const meminfo = path.join(dir, 'meminfo');
  fs.writeFileSync(
    meminfo,
    ['MemTotal:       16303092 kB', 'HugePages_Total:     512', 'HugePages_Free:      137', 'HugePages_Rsvd:        3', 'Hugepagesize:       2048 kB', ''].join('\n'),
  );
  assert.equal(freeHugepages(meminfo), 137);
  fs.writeFileSync(meminfo, 'MemTotal:       16303092 kB\nHugePages_Total:       0\n');
  assert.equal(freeHugepages(meminfo), 0, 'no HugePages_Free line');
  assert.equal(freeHugepages(path.join(dir, 'none')), 0);
});
