// test/unit/import.test.ts — `xvs import keepalived|ipvsadm` (src/import/) on hand-written
// keepalived.conf and ipvsadm-save -n files covering their documented keywords
// (test/fixtures/import/): the services, servers and checks they become, every note on what
// was not carried over (with its file and line), the result accepted by xvs's own loader;
// malformed input refused with its place; the CLI's output, exit codes and standard input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { parseConfigText } from '../../src/config/load.js';
import { importIpvsadm } from '../../src/import/ipvsadm.js';
import { importKeepalived } from '../../src/import/keepalived.js';
import { KeepalivedSyntaxError, parseKeepalived } from '../../src/import/keepalived-syntax.js';
import { ImportError, importedText, importProblems } from '../../src/import/result.js';
import { ROOT, XVS } from './xvs-instance.js';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'import');
const KEEPALIVED = path.join(FIXTURES, 'keepalived.conf');
const IPVSADM = path.join(FIXTURES, 'ipvsadm.rules');
const rel = (p: string) => path.relative(ROOT, p);

function keepalived(text: string, file = 'inline.conf', interfaces: string[] = []) {
  return importKeepalived(parseKeepalived(text, file), { interfaces });
}

describe('xvs import keepalived', () => {
  const result = importKeepalived(parseKeepalived(fs.readFileSync(KEEPALIVED, 'utf8'), rel(KEEPALIVED)));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const services = result.doc.services as any[];
  const byName = (name: string) => services.find((s) => s.name === name) ?? assert.fail(`no service ${name}`);

  it('turns virtual_server blocks into services, groups expanded, interfaces from vrrp_instance', () => {
    assert.deepEqual(result.doc.dataplane, { interfaces: ['eth0'], timeouts: { tcp: 7200, tcp_fin: 120, udp: 300 } });
    assert.deepEqual(services.map((s) => s.name), ['tcp-192.168.200.16-80', 'udp-192.168.200.17-53', 'tcp-192.168.200.20-143', 'tcp-192.168.200.21-143']);
    const web = byName('tcp-192.168.200.16-80');
    assert.deepEqual(
      { ...web, health_check: undefined, servers: undefined },
      {
        name: 'tcp-192.168.200.16-80', vip: '192.168.200.16', port: 80, protocol: 'tcp', scheduler: 'wlc', forwarding: 'nat',
        sorry_server: { address: '192.168.200.200', port: 8080 }, persistence: { timeout: 50, netmask: 24 }, quorum: 1, health_check: undefined, servers: undefined,
      },
    );
    assert.deepEqual(web.servers, [
      { address: '192.168.201.100', port: 80, weight: 3, upper_threshold: 1000, lower_threshold: 800 },
      { address: '192.168.201.101', port: 80, weight: 1 },
    ]);
  });

  it("carries keepalived's checker semantics: fall = retry + 1, rise 1, delay_loop, connect_timeout, inhibit_on_failure false unless set", () => {
    assert.deepEqual(byName('tcp-192.168.200.16-80').health_check, {
      type: 'http', host: 'www.example.com', path: '/healthz', expect_status: 200, interval: 6, timeout: 3, rise: 1, fall: 3, inhibit_on_failure: false,
    }, 'the same check on every server: once, on the service');
    const dns = byName('udp-192.168.200.17-53');
    assert.equal(dns.one_packet, true);
    assert.deepEqual(dns.servers[0].health_check, {
      type: 'exec', command: ['/bin/sh', '-c', '/usr/local/bin/check_dns --zone example.com'], user: 'nobody', interval: 10, timeout: 5, rise: 1, fall: 2,
      inhibit_on_failure: true, initial_state: 'down',
    }, 'MISC_CHECK through sh -c; alpha starts servers down');
    assert.deepEqual(dns.servers[1].health_check, {
      type: 'udp', port: 53, payload: 'ping', expect_payload: 'pong', interval: 10, timeout: 2, rise: 1, fall: 2, inhibit_on_failure: true, initial_state: 'down',
    }, 'UDP_CHECK with its hex payloads as text');
    const imap = byName('tcp-192.168.200.21-143');
    assert.deepEqual([imap.scheduler, imap.forwarding], ['mh', 'tunnel']);
    assert.deepEqual(imap.health_check, { type: 'tcp', port: 143, interval: 2, timeout: 2, rise: 1, fall: 2, inhibit_on_failure: false });
  });

  it('lists everything it did not carry over, with file and line', () => {
    const group = 'test/fixtures/import/keepalived.d/group.conf';
    const main = 'test/fixtures/import/keepalived.conf';
    assert.deepEqual(result.notes, [
      `${main}:4: global_defs router_id: no xvs equivalent; ignored`,
      `${main}:5: global_defs notification_email: no xvs equivalent; ignored`,
      `${main}:11: vrrp_instance VI_1: xvs has no VRRP; keep keepalived for it, or announce the VIPs with cluster.bgp`,
      `${main}:46: delay_before_retry 3: xvs retries at the probe interval (6 s)`,
      `${main}:54: digest: xvs does not compare body digests; only the status is checked`,
      `${main}:59: delay_before_retry 3: xvs retries at the probe interval (6 s)`,
      `${main}:31: quorum 2: keepalived counts weight, xvs counts servers: quorum 1 (the fewest servers whose weights reach it)`,
      `${main}:32: hysteresis 1: weights differ, no server count matches; not imported`,
      `${group}:4: fwmark 7: xvs has no firewall-mark services; not imported`,
      `${group}:12: quorum_up /usr/local/bin/imap-up: no xvs equivalent; ignored`,
      `${group}:15: real_server notify_down: no xvs equivalent; ignored`,
      `${group}:20: SMTP_CHECK: xvs runs one check per server; only TCP_CHECK is imported`,
      `${group}:18: TCP_CHECK bindto: no xvs equivalent; ignored`,
      `${group}:16: connect_timeout 5 s exceeds the probe interval 2 s: xvs probes must not overlap, timeout set to 2 s`,
      `${group}:25: connect_timeout 5 s exceeds the probe interval 2 s: xvs probes must not overlap, timeout set to 2 s`,
      `${group}:31: virtual_server fwmark 1: xvs has no firewall-mark services; not imported`,
      `${group}:38: protocol SCTP: xvs balances TCP and UDP only; this virtual_server is not imported`,
    ]);
  });

  it('writes a config xvs loads as it is, the notes in its header', () => {
    const text = importedText(result, rel(KEEPALIVED));
    assert.deepEqual(importProblems(text), []);
    const config = parseConfigText(text, 'imported.yaml');
    assert.equal(config.services.length, 4);
    assert.equal(config.services[0]!.servers[0]!.health_check?.type ?? config.services[0]!.health_check?.type, 'http');
    assert.match(text, /^# Not imported as it was \(check each before going live\):\n# {3}test\/fixtures\/import\/keepalived\.conf:4: /m);
  });

  it('imports lb_kind FNAT with its local_address_group (keepalived for DPVS)', () => {
    const r = keepalived(`
local_address_group laddr_g1 {
    192.168.100.200 dpdk0
    192.168.100.201-202 dpdk0
}
virtual_server 10.0.0.100 80 {
    lb_algo rr
    lb_kind FNAT
    laddr_group_name laddr_g1
    syn_proxy
    real_server 192.168.100.2 80 {
        weight 100
    }
}`, 'dpvs.conf', ['dpdk0']);
    assert.deepEqual(r.doc.local_address_pools, { laddr_g1: ['192.168.100.200', '192.168.100.201', '192.168.100.202'] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const s = r.doc.services[0] as any;
    assert.deepEqual([s.forwarding, s.local_address_pool, s.syn_proxy], ['fullnat', 'laddr_g1', 'on']);
    assert.deepEqual(importProblems(importedText(r, 'dpvs.conf')), []);
  });

  it('imports IPv6 virtual servers: addresses canonical, ranges in hex, prefix lengths, NAT64 and IPv6 pools', () => {
    const r = keepalived(`
local_address_group lan6 {
    fd00:2:0:0::100-101 eth1
}
local_address_group lan4 {
    10.0.2.100 eth1
}
virtual_server_group web6 {
    2001:DB8::10-11 443
}
virtual_server 2001:db8:0::20 80 {
    lb_kind FNAT
    laddr_group_name lan6
    persistence_timeout 300
    persistence_granularity 64
    sorry_server fd00:2::99 8080
    real_server fd00:2::11 8080 {
        weight 2
    }
    real_server fd00:0002::12 8080 {
    }
}
virtual_server group web6 {
    lb_kind DR
    persistence_timeout 60
    real_server 2001:db8::31 443 {
    }
}
virtual_server 2001:db8::40 80 {
    lb_kind FNAT
    laddr_group_name lan4
    real_server 10.0.2.11 8080 {
    }
}
virtual_server 10.0.0.1 80 {
    persistence_timeout 60
    persistence_granularity 64
    real_server 10.0.2.11 80 {
    }
}`, 'v6.conf', ['eth0', 'eth1']);
    assert.deepEqual(r.doc.local_address_pools, { lan6: ['fd00:2::100', 'fd00:2::101'], lan4: ['10.0.2.100'] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const services = r.doc.services as any[];
    assert.deepEqual(services.map((s) => s.name), ['tcp-2001_db8__20-80', 'tcp-2001_db8__10-443', 'tcp-2001_db8__11-443', 'tcp-2001_db8__40-80', 'tcp-10.0.0.1-80']);
    assert.deepEqual(
      { vip: services[0].vip, forwarding: services[0].forwarding, pool: services[0].local_address_pool, persistence: services[0].persistence, sorry: services[0].sorry_server },
      { vip: '2001:db8::20', forwarding: 'fullnat', pool: 'lan6', persistence: { timeout: 300, netmask: 64 }, sorry: { address: 'fd00:2::99', port: 8080 } },
    );
    assert.deepEqual(services[0].servers, [{ address: 'fd00:2::11', port: 8080, weight: 2 }, { address: 'fd00:2::12', port: 8080 }]);
    assert.deepEqual(services[1].persistence, { timeout: 60, netmask: 128 }, "an IPv6 service's default: one address");
    assert.equal(services[3].servers[0].address, '10.0.2.11', 'NAT64: an IPv6 VIP over an IPv4 server');
    assert.deepEqual(services[4].persistence, { timeout: 60, netmask: 32 });
    assert.deepEqual(r.notes, ['v6.conf:37: persistence_granularity /64 is longer than an address of 10.0.0.1: /32 (one client address) for it']);
    assert.deepEqual(importProblems(importedText(r, 'v6.conf')), []);
  });

  it("converts keepalived's quorum and hysteresis (weights) into servers", () => {
    const vs = (weights: number[], quorum: number, hysteresis?: number) =>
      keepalived(
        `virtual_server 10.0.0.1 80 {\n  quorum ${quorum}\n${hysteresis === undefined ? '' : `  hysteresis ${hysteresis}\n`}` +
          weights.map((w, i) => `  real_server 10.0.1.${i + 1} 80 {\n    weight ${w}\n  }\n`).join('') + '}\n',
        'q.conf',
        ['eth0'],
      );
    const fields = (r: ReturnType<typeof vs>) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const s = r.doc.services[0] as any;
      return [s.quorum, s.quorum_hysteresis, r.notes];
    };
    assert.deepEqual(fields(vs([1, 1, 1], 2, 1)), [2, 1, []], 'weight 1 each: the same numbers, exact');
    assert.deepEqual(fields(vs([50, 50, 50], 100, 50)), [2, 1, []], 'equal weights: divided, exact');
    assert.deepEqual(fields(vs([50, 50], 75)), [2, undefined, ['q.conf:2: quorum 75: keepalived counts weight (each server 50), xvs counts servers: quorum 2']]);
    assert.deepEqual(fields(vs([1, 1], 5)), [2, undefined, ['q.conf:2: quorum 5: keepalived counts weight (each server 1), xvs counts servers: quorum 2']], 'never more than the servers');
    const mixed = fields(vs([100, 10, 10], 110, 10));
    assert.deepEqual(mixed.slice(0, 2), [2, undefined]);
    assert.match((mixed[2] as string[]).join('\n'), /quorum 110: .*quorum 2 \(the fewest servers whose weights reach it\)\n.*hysteresis 10: weights differ/);
    for (const r of [vs([1, 1, 1], 2, 1), vs([50, 50], 75), vs([100, 10, 10], 110, 10)]) assert.deepEqual(importProblems(importedText(r, 'q.conf')), []);
  });

  it('says when the result is not a config xvs accepts', () => {
    const r = keepalived('virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n    uthreshold 10\n    lthreshold 20\n  }\n}\n', 'q.conf', ['eth0']);
    assert.match(importProblems(importedText(r, 'q.conf')).join('\n'), /lower_threshold/);
  });

  it('refuses malformed files with their place, and a file that names no interface', () => {
    assert.throws(() => parseKeepalived('virtual_server 10.0.0.1 80 {\n  lb_algo rr\n', 'a.conf'), (e) => e instanceof KeepalivedSyntaxError && /^a\.conf:1: this "\{" is never closed$/.test(e.message));
    assert.throws(() => parseKeepalived('lb_algo rr\n}\n', 'b.conf'), (e) => e instanceof KeepalivedSyntaxError && /^b\.conf:2: "\}" closes no block$/.test(e.message));
    assert.throws(() => parseKeepalived('notify "/bin/x\n', 'c.conf'), (e) => e instanceof KeepalivedSyntaxError && /^c\.conf:1: a quote is not closed$/.test(e.message));
    assert.throws(() => keepalived('virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 80 {\n }\n}\n'), (e) => e instanceof ImportError && /--interface NAME/.test(e.message));
    assert.throws(() => parseKeepalived('include /nonexistent/xvs-test.conf\n', 'd.conf'), (e) => e instanceof KeepalivedSyntaxError && /^d\.conf:1: include \/nonexistent\/xvs-test\.conf: ENOENT$/.test(e.message));
    assert.deepEqual(parseKeepalived('include /nonexistent/*.conf\n', 'e.conf'), [], 'a pattern that matches nothing includes nothing');
  });
});

describe('xvs import ipvsadm', () => {
  // (IPv6 services and servers in ipvsadm's [address]:port form, written canonically.)
  const result = importIpvsadm(fs.readFileSync(IPVSADM, 'utf8'), 'ipvsadm.rules', ['eth0']);

  it('turns -A/-a rules (short and long options) into services, --set into timeouts', () => {
    assert.deepEqual(result.doc, {
      dataplane: { interfaces: ['eth0'], timeouts: { tcp: 7200, udp: 300 } },
      services: [
        {
          name: 'tcp-10.0.0.1-80', vip: '10.0.0.1', port: 80, protocol: 'tcp', scheduler: 'wlc', persistence: { timeout: 300, netmask: 24 }, forwarding: 'nat',
          servers: [{ address: '192.168.1.10', port: 8080, weight: 3 }, { address: '192.168.1.11', port: 8080, weight: 1 }, { address: '192.168.1.12', port: 80, weight: 1 }],
        },
        { name: 'udp-10.0.0.1-53', vip: '10.0.0.1', port: 53, protocol: 'udp', scheduler: 'rr', one_packet: true, forwarding: 'dr', servers: [{ address: '192.168.1.20', port: 53, weight: 1 }] },
        {
          name: 'tcp-10.0.0.2-443', vip: '10.0.0.2', port: 443, protocol: 'tcp', scheduler: 'sh', forwarding: 'tunnel',
          servers: [{ address: '192.168.1.30', port: 443, weight: 5, upper_threshold: 100, lower_threshold: 50 }],
        },
        {
          name: 'tcp-2001_db8__1-80', vip: '2001:db8::1', port: 80, protocol: 'tcp', scheduler: 'rr', persistence: { timeout: 60, netmask: 64 },
          forwarding: 'nat', servers: [{ address: '2001:db8::11', port: 8080, weight: 2 }],
        },
      ],
    });
    assert.deepEqual(importProblems(importedText(result, 'ipvsadm.rules')), []);
  });

  it('lists what has no xvs equivalent, a dr server port IPVS ignores, and the servers whose method the service overrides', () => {
    assert.deepEqual(result.notes, [
      "ipvsadm.rules:5: 192.168.1.12:8080: IPVS ignores a server's port in direct routing; the service's port 80 instead",
      'ipvsadm.rules:8: -b sh-port: xvs has no scheduler flags; ignored',
      'ipvsadm.rules:10: firewall-mark service 100: xvs has no firewall-mark services; not imported',
      'ipvsadm.rules:11: firewall-mark service 100: xvs has no firewall-mark services; not imported',
      'ipvsadm.rules:15: --start-daemon master --mcast-interface eth1: not a rule xvs imports (-A services, -a servers, --set timeouts)',
      'ipvsadm.rules:5: 192.168.1.12:80 forwards by dr in IPVS; xvs forwards a whole service one way: nat here',
    ]);
  });

  it('refuses rules without an interface to name; notes a server before its service', () => {
    assert.throws(() => importIpvsadm('-A -t 10.0.0.1:80\n', 'x', []), ImportError);
    const r = importIpvsadm('-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g\n-A -t 10.0.0.1:80 -s rr\n', 'y', ['eth0']);
    assert.deepEqual(r.notes, ['y:1: -a for tcp-10.0.0.1-80 before its -A: not imported', 'y:2: tcp-10.0.0.1-80: no server (-a) for it; not imported (xvs services need at least one server)']);
  });
});

describe('xvs import (CLI)', () => {
  const run = (args: string[], input?: string) => spawnSync(process.execPath, [XVS, 'import', ...args], { encoding: 'utf8', input, cwd: ROOT });

  it('prints the config on stdout and a summary on stderr; reads ipvsadm rules from standard input', () => {
    let r = run(['keepalived', rel(KEEPALIVED)]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, 'xvs import: 4 service(s); 17 thing(s) not imported as they were, listed in the header\n');
    assert.deepEqual(parseConfigText(r.stdout, 'x.yaml').services.length, 4);
    r = run(['ipvsadm', '-i', 'eth1'], fs.readFileSync(IPVSADM, 'utf8'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# xvs configuration imported from standard input by xvs import\./);
    assert.deepEqual(parseConfigText(r.stdout, 'x.yaml').dataplane.interfaces, ['eth1']);
  });

  it('exits 1 with the problems when xvs would refuse the result, 2 on usage errors', () => {
    let r = run(['ipvsadm', '-i', 'eth0'], '-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -x 5 -y 9\n');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /xvs check would refuse the result:\nimported:\d+:\d+: services\[0\]\.servers\[0\]\.lower_threshold/);
    assert.match(r.stdout, /^services:/m, 'the text is still printed, to be mended');
    r = run(['keepalived']);
    assert.equal(r.status, 2);
    r = run(['nginx', 'x.conf']);
    assert.equal(r.status, 2);
    r = run(['keepalived', 'no-such-file.conf']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^xvs import: cannot read no-such-file\.conf: /);
  });
});

describe('xvs import: odd input', () => {
  it('notes a value that is not a whole number instead of writing NaN', () => {
    const k = keepalived('virtual_server 10.0.0.1 80 {\n  quorum many\n  real_server 10.0.1.1 80 {\n    weight heavy\n  }\n}\n', 'n.conf', ['eth0']);
    assert.deepEqual(k.notes, ['n.conf:2: quorum many: not a whole number; ignored', 'n.conf:4: weight heavy: not a whole number; ignored']);
    assert.deepEqual(importProblems(importedText(k, 'n.conf')), []);
    const i = importIpvsadm('-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w x\n', 'r', ['eth0']);
    assert.deepEqual(i.notes, ['r:2: -w x: not a whole number; ignored']);
    assert.deepEqual(importProblems(importedText(i, 'r')), []);
  });

  it('takes keywords without their arguments, blocks without keywords inside, and empty files without crashing', () => {
    for (const text of [
      'virtual_server\n',
      'virtual_server 10.0.0.1 80 {\n  lb_algo\n  sorry_server\n  real_server {\n  }\n}\n',
      'virtual_server 10.0.0.1 80 {\n  real_server 10.0.1.1 80 {\n    HTTP_GET {\n      url {\n        path\n      }\n    }\n  }\n}\n',
      'vrrp_instance V {\n  interface\n}\n',
      '',
      '# nothing\n',
    ])
      assert.doesNotThrow(() => keepalived(text, 'odd.conf', ['eth0']), JSON.stringify(text));
    assert.doesNotThrow(() => importIpvsadm('-A\n-a\n-A -t\n-a -t 10.0.0.1:80 -r\n', 'odd', ['eth0']));
  });
});
