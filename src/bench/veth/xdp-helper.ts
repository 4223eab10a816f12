// src/bench/veth/xdp-helper.ts — a short-lived process `xvs bench veth` starts inside a
// namespace (`ip netns exec NS node xdp-helper.js ...`) to attach one of its XDP programs to
// an interface there, then exits; the attachment stays until `ip link set dev IF xdp off` or
// the namespace goes. Arguments:
//   sink IFACE SERVER_ADDR PIN_PATH          count + drop IPv4 (sink.bpf.c), counters pinned
//   redirect IFACE TO_IFINDEX SRC_MAC DST_MAC  the XDP-redirect ceiling (redirect.bpf.c)
// Prints nothing on success; one line on stderr and exit 1 on failure. Its own main thread.
import { bpfObjectPath, vethBenchNative } from '../../native/addon.js';

function mac(text: string | undefined): Uint8Array {
  const bytes = (text ?? '').split(':').map((h) => Number.parseInt(h, 16));
  if (bytes.length !== 6 || bytes.some((b) => !(b >= 0 && b <= 255))) throw new Error(`not a MAC address: ${text}`);
  return Uint8Array.from(bytes);
}

try {
  const [what, iface, ...rest] = process.argv.slice(2);
  if (!iface) throw new Error('usage: xdp-helper.js sink|redirect IFACE ...');
  const native = vethBenchNative();
  if (what === 'sink') {
    native.vethAttachSink({ object: bpfObjectPath('sink'), iface, serverAddr: rest[0] ?? '', pinPath: rest[1] ?? '' });
  } else if (what === 'redirect') {
    native.vethAttachRedirect({
      object: bpfObjectPath('redirect'),
      iface,
      toIfindex: Number(rest[0]),
      srcMac: mac(rest[1]),
      dstMac: mac(rest[2]),
    });
  } else {
    throw new Error(`unknown program ${what} (sink, redirect)`);
  }
} catch (err) {
  process.stderr.write(`xvs bench veth: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
