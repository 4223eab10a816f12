// native/io/dpdk/dpdk_queue.h — io::Queue on DPDK: worker w's receive and transmit queue w of one
// port, and queue w of that port's exception interface (a TAP: the host's side of the port).
// Frames are mbufs (Frame.handle); what lb::process passes goes through the exception path:
//   ARP request, or IPv6 neighbour solicitation, ─▶ answered in place, sent back on the port
//     for a VIP or local address
//   ARP reply, neighbour advertisement, or a     ─▶ its sender noted for the neighbour tables
//     request/solicitation for xvs's address        (rings to the control thread), then on to
//                                                   the host
//   anything else ─────────────────────────────▶ the host (TAP)
// and, every few receives, what the host sent through the TAP goes out on the port untouched,
// and on queue 0 the ARP requests and neighbour solicitations the control thread asked for
// (solicit rings) are sent.
// Everything runs on the owning worker; the rings have the control thread at their other end.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "abi/counters.h"
#include "core/ipv6_address.h"
#include "core/spsc_ring.h"
#include "io/backend.h"
#include "io/neighbour_table.h"

struct rte_mempool;
struct rte_mbuf;

namespace xvs::io::dpdk {

// The addresses xvs answers ARP and neighbour solicitations for (VIPs and local addresses),
// sorted (IPv6 ones by their bytes); immutable once published.
struct OwnedAddresses {
  std::vector<uint32_t> sorted;
  std::vector<core::Ipv6Address> sorted6;
  bool contains(uint32_t address) const;
  bool contains6(const core::Ipv6Address& address) const;
};
bool address6_less(const core::Ipv6Address& a, const core::Ipv6Address& b);

struct ArpHeard {
  NeighbourObservation seen;
  bool reply;
};
struct NdHeard {
  NeighbourObservation6 seen;
  bool reply;  // a solicited advertisement
};

struct SolicitRequest {
  uint32_t target;  // network order
  uint32_t sender;  // the port's host address, 0 (an ARP probe), or the target itself (an announcement)
};
struct Solicit6Request {
  core::Ipv6Address target;
  core::Ipv6Address source;  // the port's address (a solicitation), or the target itself (an unsolicited advertisement)
};

class DpdkQueue final : public Queue {
 public:
  static constexpr uint32_t kRingSize = 256;
  // The host's frames are taken, and pending transmissions pushed, at most this often: each is a
  // system call, which on every receive cost the DPDK backend ~half its rate on veth here.
  static constexpr uint64_t kSideWorkMicros = 50;
  // After a transmit, this many later rounds of side work ask the driver to go on sending:
  // net_af_xdp in copy mode (veth, drivers without zero-copy) hands the kernel at most 32 frames
  // per wake-up and wakes it only when given more, so the rest of a burst would wait for the next.
  static constexpr uint32_t kTxFlushRounds = 4;

  // Receives and transmits on queue `device_queue` of ethdev `device_id` (queue w of a multi-queue
  // port, or queue 0 of worker w's own single-queue vdev), and on queue `tap_queue` of the TAP.
  DpdkQueue(uint16_t device_id, uint16_t device_queue, uint16_t tap_id, uint16_t tap_queue, uint8_t port_index, const uint8_t mac[6],
            rte_mempool* pool, const std::atomic<const OwnedAddresses*>& owned, int device_fd, int tap_fd);

  uint32_t receive(Frame* frames, uint32_t max) override;
  uint32_t transmit(Frame* frames, uint32_t n) override;
  void pass_to_kernel(Frame* frames, uint32_t n) override;
  void release(Frame* frames, uint32_t n) override;
  void bind_counters(uint64_t* counters) override { counters_ = counters; }
  // The device's and the exception interface's receive interrupts; none (-1) when either lacks
  // them, or while transmitted frames wait for the driver to be asked again (kTxFlushRounds).
  int wait_fds(int* out) const override;

  // Once the worker has stopped (control thread, before the port closes): asks the driver for the
  // completions of what it transmitted last, so that their mbufs go back to the pool. net_af_xdp
  // collects completions only when asked to transmit, before it sends: a worker that stops right
  // after a burst would leave that burst's mbufs with the closed socket (the frame audit's "lost").
  void reclaim_transmitted();

  // Worker -> control thread: senders of the ARP and neighbour discovery packets heard.
  core::SpscRing<ArpHeard> heard{kRingSize};
  core::SpscRing<NdHeard> heard6{kRingSize};
  // Control thread -> worker (queue 0 of each port only): ARP requests and announcements, neighbour
  // solicitations and unsolicited advertisements to send.
  core::SpscRing<SolicitRequest> solicit{kRingSize};
  core::SpscRing<Solicit6Request> solicit6{kRingSize};

 private:
  void relay_host_frames();
  uint16_t send(rte_mbuf** mbufs, uint16_t n);
  void send_solicitations();
  // Notes what a neighbour discovery packet says of its sender and, if `may_answer` (room in the
  // burst's replies), answers a solicitation for an owned address: true when `f` became the
  // answer (to send back on the port); untouched otherwise.
  bool neighbour_discovery(Frame& f, const OwnedAddresses* owned, bool may_answer, uint64_t& lost);
  void count(abi::Counter c, uint64_t n);
  static rte_mbuf* sync_mbuf(const Frame& f);

  const uint16_t port_id_;
  const uint16_t queue_;
  const uint16_t tap_id_;
  const uint16_t tap_queue_;
  const uint8_t port_index_;
  uint8_t mac_[6];
  rte_mempool* const pool_;
  const std::atomic<const OwnedAddresses*>& owned_;
  uint64_t* counters_ = nullptr;
  uint64_t side_work_at_ = 0;
  uint32_t flush_rounds_ = 0;
  bool registered_ = false;
  const int device_fd_;
  const int tap_fd_;
  const uint64_t side_work_cycles_;
};

}  // namespace xvs::io::dpdk
