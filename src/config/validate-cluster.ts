// Semantic checks of the `cluster` section (DESIGN §5, issue 15): ids and addresses that must be
// unique, this node among the nodes, BGP peers, and what the other sections must give a cluster —
// the same local-port key file on every node (the hashing schedulers and Full-NAT local ports
// must agree between nodes) and a share of every local-address pool for every node
// (src/cluster/shares.ts). Consumes the untyped document; produces Findings. Runs on the
// config-loading thread.

import { hostAddressProblem, ipv6HostProblem, isIpv6Text } from './address.js';
import { has, isInt, isObj, type Finding, type Obj } from './raw.js';

export function checkCluster(doc: Obj, vips: ReadonlyMap<string, string>, out: Finding[]): void {
  const cluster = doc.cluster;
  if (!isObj(cluster)) return;
  const nodes = Array.isArray(cluster.nodes) ? cluster.nodes : [];
  const ids = new Map<number, number>();
  const addresses = new Map<string, number>();
  const addresses6 = new Map<string, number>();
  // IPv6 VIPs and local addresses are announced with each node's IPv6 address as their next hop.
  const needsAddress6 = isObj(cluster.bgp) && [...vips.keys()].some(isIpv6Text);
  nodes.forEach((n, i) => {
    if (!isObj(n)) return;
    if (typeof n.address6 === 'string') {
      const bad = isIpv6Text(n.address6) ? ipv6HostProblem(n.address6) : `must be an IPv6 address such as 2001:db8::11 (got "${n.address6}"); the IPv4 one is address`;
      const first = addresses6.get(n.address6);
      if (bad) out.push({ path: ['cluster', 'nodes', i, 'address6'], message: bad });
      else if (first !== undefined)
        out.push({ path: ['cluster', 'nodes', i, 'address6'], message: `${n.address6} is already the IPv6 address of nodes[${first}]: every node needs its own` });
      else if (vips.has(n.address6))
        out.push({ path: ['cluster', 'nodes', i, 'address6'], message: `${n.address6} is also the VIP of service ${vips.get(n.address6)}: a node's own address must not be a VIP` });
      else addresses6.set(n.address6, i);
    } else if (needsAddress6) {
      out.push({
        path: ['cluster', 'nodes', i],
        message: 'has no address6: with IPv6 services, BGP announces their VIPs and local addresses with each node\'s IPv6 address as the next hop; add address6 (this node\'s IPv6 address towards the routers)',
      });
    }
    if (isInt(n.id, 1, Number.MAX_SAFE_INTEGER)) {
      const first = ids.get(n.id);
      if (first === undefined) ids.set(n.id, i);
      else out.push({ path: ['cluster', 'nodes', i, 'id'], message: `node id ${n.id} is already used by nodes[${first}]: give every node its own id` });
    }
    if (typeof n.address !== 'string') return;
    const bad = hostAddressProblem(n.address);
    const first = addresses.get(n.address);
    const vip = vips.get(n.address);
    if (bad) out.push({ path: ['cluster', 'nodes', i, 'address'], message: bad });
    else if (first !== undefined)
      out.push({ path: ['cluster', 'nodes', i, 'address'], message: `${n.address} is already the address of nodes[${first}]: every node needs its own` });
    else if (vip !== undefined)
      out.push({ path: ['cluster', 'nodes', i, 'address'], message: `${n.address} is also the VIP of service ${vip}: a node's own address must not be a VIP` });
    else addresses.set(n.address, i);
  });
  if (isInt(cluster.node, 1, Number.MAX_SAFE_INTEGER) && ids.size > 0 && !ids.has(cluster.node))
    out.push({
      path: ['cluster', 'node'],
      message: `${cluster.node} is not the id of any node in cluster.nodes (${[...ids.keys()].join(', ')}): set it to this machine's id`,
    });

  if (isObj(cluster.bgp) && Array.isArray(cluster.bgp.peers)) {
    const peers = new Map<string, number>();
    cluster.bgp.peers.forEach((p, i) => {
      if (!isObj(p) || typeof p.address !== 'string' || hostAddressProblem(p.address)) {
        if (isObj(p) && typeof p.address === 'string')
          out.push({ path: ['cluster', 'bgp', 'peers', i, 'address'], message: hostAddressProblem(p.address)! });
        return;
      }
      const first = peers.get(p.address);
      if (first !== undefined)
        out.push({ path: ['cluster', 'bgp', 'peers', i, 'address'], message: `${p.address} is already peers[${first}]: list each router once` });
      else if (addresses.has(p.address))
        out.push({ path: ['cluster', 'bgp', 'peers', i, 'address'], message: `${p.address} is a node's address (cluster.nodes): peers are the routers` });
      else peers.set(p.address, i);
    });
  }

  if (nodes.length > 1 && !(isObj(doc.dataplane) && has(doc.dataplane, 'port_key_file')))
    out.push({
      path: ['cluster'],
      at: 'key',
      message:
        'a cluster of several nodes needs dataplane.port_key_file, the same file on every node: the hashing schedulers (mh) ' +
        'and the Full-NAT local ports of every node must agree (head -c 32 /dev/urandom > /etc/xvs/port.key, then copy it to every node)',
    });

  if (nodes.length > 1 && isObj(doc.local_address_pools)) {
    for (const [name, list] of Object.entries(doc.local_address_pools)) {
      if (!Array.isArray(list) || list.length === 0 || list.length >= nodes.length) continue;
      out.push({
        path: ['local_address_pools', name],
        message: `pool "${name}" has ${list.length} address${list.length === 1 ? '' : 'es'} for ${nodes.length} cluster nodes: every node needs its own share (the i-th address goes to the (i mod ${nodes.length})-th node by id); list at least ${nodes.length}`,
      });
    }
  }
}
