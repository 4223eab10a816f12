// native/io/dpdk/dpdk_queue.cc — see dpdk_queue.h. Runs on the owning worker (reclaim_transmitted: the control thread, once the worker stopped).
#include "io/dpdk/dpdk_queue.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "abi/counters.h"
#include "io/arp.h"
#include "io/ndp.h"
#include "io/dpdk/eal.h"

// After xvs's headers: DPDK's pull in <arpa/inet.h>, whose htons macros core/net.h must not meet.
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

namespace xvs::io::dpdk {

using abi::Counter;

bool OwnedAddresses::contains(uint32_t address) const { return std::binary_search(sorted.begin(), sorted.end(), address); }
bool address6_less(const core::Ipv6Address& a, const core::Ipv6Address& b) { return std::memcmp(a.bytes, b.bytes, 16) < 0; }
bool OwnedAddresses::contains6(const core::Ipv6Address& address) const {
  return std::binary_search(sorted6.begin(), sorted6.end(), address, address6_less);
}

DpdkQueue::DpdkQueue(uint16_t device_id, uint16_t device_queue, uint16_t tap_id, uint16_t tap_queue, uint8_t port_index,
                     const uint8_t mac[6], rte_mempool* pool, const std::atomic<const OwnedAddresses*>& owned, int device_fd,
                     int tap_fd)
    : port_id_(device_id), queue_(device_queue), tap_id_(tap_id), tap_queue_(tap_queue), port_index_(port_index), pool_(pool),
      owned_(owned), device_fd_(device_fd), tap_fd_(tap_fd), side_work_cycles_(rte_get_tsc_hz() / 1'000'000 * kSideWorkMicros) {
  std::memcpy(mac_, mac, 6);
}

int DpdkQueue::wait_fds(int* out) const {
  if (device_fd_ < 0 || tap_fd_ < 0 || flush_rounds_ != 0) return -1;
  out[0] = device_fd_;
  out[1] = tap_fd_;
  return 2;
}

void DpdkQueue::count(Counter c, uint64_t n) {
  if (counters_ != nullptr && n != 0) counters_[static_cast<uint32_t>(c)] += n;
}

// The mbuf of a frame, its data window set from the frame (the packet path may have moved the
// start into the headroom and changed the length; a frame is one segment).
rte_mbuf* DpdkQueue::sync_mbuf(const Frame& f) {
  auto* m = reinterpret_cast<rte_mbuf*>(f.handle);
  m->data_off = static_cast<uint16_t>(f.data - static_cast<uint8_t*>(m->buf_addr));
  m->data_len = static_cast<uint16_t>(f.len);
  m->pkt_len = f.len;
  return m;
}

void DpdkQueue::reclaim_transmitted() {
  // Each empty burst collects what the kernel completed since the one before (veth completes
  // within the send itself); a few rounds a millisecond apart leave nothing behind.
  for (int round = 0; round < 4; ++round) {
    rte_eth_tx_burst(port_id_, queue_, nullptr, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

uint16_t DpdkQueue::send(rte_mbuf** mbufs, uint16_t n) {
  flush_rounds_ = kTxFlushRounds;
  return rte_eth_tx_burst(port_id_, queue_, mbufs, n);
}

uint32_t DpdkQueue::receive(Frame* frames, uint32_t max) {
  // On the worker's own thread: an lcore id gives it the mempools' per-lcore caches (without one
  // it runs, only slower; eal.cc unregisters it when the thread exits).
  if (!registered_) {
    registered_ = true;
    (void)eal_register_thread();
  }
  rte_mbuf* mbufs[64];
  if (max > 64) max = 64;
  const uint16_t n = rte_eth_rx_burst(port_id_, queue_, mbufs, static_cast<uint16_t>(max));
  // The system calls at most every kSideWorkMicros: the host's side (a TAP read each) and
  // net_af_xdp's pending transmissions (a wake-up each; under load every transmit wakes it anyway).
  const uint64_t now = rte_get_tsc_cycles();
  if (now - side_work_at_ >= side_work_cycles_) {
    side_work_at_ = now;
    relay_host_frames();
    if (tap_queue_ == 0) send_solicitations();
    if (flush_rounds_ != 0) {
      --flush_rounds_;
      rte_eth_tx_burst(port_id_, queue_, nullptr, 0);
    }
  }
  uint32_t out = 0;
  rte_mbuf* chained[64];
  uint16_t chained_count = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = mbufs[i];
    if (m->nb_segs != 1) {  // a jumbo frame in several buffers: not the data plane's (MTU <= one buffer)
      chained[chained_count++] = m;
      continue;
    }
    frames[out++] = Frame{rte_pktmbuf_mtod(m, uint8_t*),
                          m->data_len,
                          rte_pktmbuf_headroom(m),
                          reinterpret_cast<uint64_t>(m),
                          port_index_,
                          static_cast<uint8_t>(tap_queue_),
                          static_cast<uint32_t>(m->data_len + rte_pktmbuf_tailroom(m))};
  }
  if (chained_count != 0) {
    const uint16_t given = rte_eth_tx_burst(tap_id_, tap_queue_, chained, chained_count);
    count(Counter::kernel_rx_dropped, chained_count - given);
    for (uint16_t i = given; i < chained_count; ++i) rte_pktmbuf_free(chained[i]);
  }
  return out;
}

uint32_t DpdkQueue::transmit(Frame* frames, uint32_t n) {
  rte_mbuf* mbufs[64];
  uint32_t sent = 0;
  while (sent < n) {
    const uint16_t chunk = static_cast<uint16_t>(std::min<uint32_t>(n - sent, 64));
    for (uint16_t i = 0; i < chunk; ++i) mbufs[i] = sync_mbuf(frames[sent + i]);
    const uint16_t took = send(mbufs, chunk);
    sent += took;
    if (took < chunk) break;
  }
  return sent;  // the worker releases (and counts) the rest
}

void DpdkQueue::pass_to_kernel(Frame* frames, uint32_t n) {
  rte_mbuf* replies[64];
  bool reply_is_nd[64];
  rte_mbuf* host[64];
  uint16_t reply_count = 0, host_count = 0;
  const OwnedAddresses* owned = owned_.load(std::memory_order_acquire);
  uint64_t lost = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Frame& f = frames[i];
    arp::View v;
    if (arp::parse(f.data, f.len, v)) {
      const bool ours = owned != nullptr && owned->contains(v.target_ip);
      if ((v.op == arp::kOpReply || ours) && v.sender_ip != 0) {
        ArpHeard heard_one{{v.sender_ip, {}, port_index_}, v.op == arp::kOpReply};
        std::memcpy(heard_one.seen.mac, v.sender_mac, 6);
        if (!heard.push(heard_one)) ++lost;
      }
      if (v.op == arp::kOpRequest && ours && reply_count < 64) {
        arp::answer_in_place(f.data, v, mac_);
        reply_is_nd[reply_count] = false;
        replies[reply_count++] = sync_mbuf(f);
        continue;
      }
    } else if (neighbour_discovery(f, owned, reply_count < 64, lost)) {
      reply_is_nd[reply_count] = true;
      replies[reply_count++] = sync_mbuf(f);
      continue;
    }
    if (host_count < 64) host[host_count++] = sync_mbuf(f);
    else rte_pktmbuf_free(sync_mbuf(f));
  }
  count(Counter::arp_observations_lost, lost);
  if (reply_count != 0) {
    const uint16_t sent = send(replies, reply_count);
    uint64_t nd = 0;
    for (uint16_t i = 0; i < sent; ++i) nd += reply_is_nd[i];
    count(Counter::arp_replied, sent - nd);
    count(Counter::nd_replied, nd);
    count(Counter::kernel_tx_dropped, reply_count - sent);
    for (uint16_t i = sent; i < reply_count; ++i) rte_pktmbuf_free(replies[i]);
  }
  if (host_count != 0) {
    const uint16_t given = rte_eth_tx_burst(tap_id_, tap_queue_, host, host_count);
    count(Counter::kernel_rx_dropped, host_count - given);
    for (uint16_t i = given; i < host_count; ++i) rte_pktmbuf_free(host[i]);
  }
}

bool DpdkQueue::neighbour_discovery(Frame& f, const OwnedAddresses* owned, bool may_answer, uint64_t& lost) {
  ndp::View v;
  if (!ndp::parse(f.data, f.len, v)) return false;
  const bool ours = owned != nullptr && owned->contains6(v.target);
  // An advertisement names its target's MAC; a solicitation for one of xvs's addresses its
  // sender's (as an ARP request for one does). Neither for duplicate address detection (::).
  NdHeard heard_one{};
  bool learnt = false;
  if (v.type == ndp::kNeighbourAdvert && v.has_link) {
    heard_one = {{v.target, {}, port_index_}, (v.flags & ndp::kFlagSolicited) != 0};
    learnt = true;
  } else if (v.type == ndp::kNeighbourSolicit && ours && v.has_link && !v.source.is_zero()) {
    heard_one = {{v.source, {}, port_index_}, false};
    learnt = true;
  }
  if (learnt) {
    std::memcpy(heard_one.seen.mac, v.link, 6);
    if (!heard6.push(heard_one)) ++lost;
  }
  if (v.type != ndp::kNeighbourSolicit || !ours || !may_answer) return false;
  const uint32_t len = ndp::answer_in_place(f.data, f.capacity, v, mac_);
  if (len == 0) return false;  // no room (an mbuf always has it): the host's, then
  f.len = len;
  return true;
}

void DpdkQueue::release(Frame* frames, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) rte_pktmbuf_free(reinterpret_cast<rte_mbuf*>(frames[i].handle));
}

void DpdkQueue::relay_host_frames() {
  rte_mbuf* mbufs[32];
  const uint16_t n = rte_eth_rx_burst(tap_id_, tap_queue_, mbufs, 32);
  if (n == 0) return;
  const uint16_t sent = send(mbufs, n);
  count(Counter::kernel_tx_packets, sent);
  count(Counter::kernel_tx_dropped, n - sent);
  for (uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(mbufs[i]);
}

void DpdkQueue::send_solicitations() {
  Solicit6Request r6;
  while (solicit6.pop(r6)) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) {
      count(Counter::arp_solicit_failed, 1);
      continue;
    }
    const bool announce = r6.source == r6.target;
    uint8_t* out = rte_pktmbuf_mtod(m, uint8_t*);
    const uint32_t len = announce ? ndp::build_announcement(out, mac_, r6.target) : ndp::build_solicit(out, mac_, r6.source, r6.target);
    m->data_len = static_cast<uint16_t>(len);
    m->pkt_len = len;
    if (send(&m, 1) == 1) {
      count(announce ? Counter::nd_announced : Counter::nd_solicited, 1);
    } else {
      rte_pktmbuf_free(m);
      count(Counter::arp_solicit_failed, 1);
    }
  }
  SolicitRequest r;
  while (solicit.pop(r)) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) {
      count(Counter::arp_solicit_failed, 1);
      continue;
    }
    const uint32_t len = arp::build_request(rte_pktmbuf_mtod(m, uint8_t*), mac_, r.sender, r.target);
    m->data_len = static_cast<uint16_t>(len);
    m->pkt_len = len;
    if (send(&m, 1) == 1) {
      count(r.sender == r.target ? Counter::arp_announced : Counter::arp_solicited, 1);
    } else {
      rte_pktmbuf_free(m);
      count(Counter::arp_solicit_failed, 1);
    }
  }
}

}  // namespace xvs::io::dpdk
