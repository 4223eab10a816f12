// IPv6 text <-> bytes (src/config/ipv6-address.ts): every textual form node accepts parses to the
// right 16 bytes, and printing gives RFC 5952's canonical form (section 4's rules, one row each).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { canonicalIpv6, ipv6Text, ipv6ToBytes } from '../../src/config/ipv6-address.js';

const hex = (b: Uint8Array | undefined): string | undefined => b && Buffer.from(b).toString('hex');

test('IPv6 text parses to its bytes in every form', () => {
  const rows: [string, string][] = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['2001:DB8:0:0:0:0:0:1', '20010db8000000000000000000000001'],
    ['fe80::', 'fe800000000000000000000000000000'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1::8', '00010000000000000000000000000008'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['64:ff9b::10.1.2.3', '0064ff9b00000000000000000a010203'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
  ];
  for (const [text, bytes] of rows) assert.equal(hex(ipv6ToBytes(text)), bytes, text);
});

test('what is not an IPv6 address is refused', () => {
  for (const text of ['', '10.0.0.1', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', 'fe80::1%eth0', '[::1]', '::1/64', '12345::'])
    assert.equal(ipv6ToBytes(text), undefined, text);
});

test('printing gives the RFC 5952 canonical form', () => {
  const rows: [string, string][] = [
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // 4.1 zeros, 4.3 lower case
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // 4.2.2 one zero group stays
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // 4.2.3 the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // 4.2.3 the first of equal runs
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ];
  for (const [text, canonical] of rows) assert.equal(canonicalIpv6(text), canonical, text);
  const random = new Uint8Array(16).map((_, i) => (i * 37 + 11) & 0xff);
  assert.equal(hex(ipv6ToBytes(ipv6Text(random))), hex(random), 'round trip');
});
