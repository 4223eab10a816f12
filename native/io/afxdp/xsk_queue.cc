// native/io/afxdp/xsk_queue.cc — see xsk_queue.h. open/settle/destructor: control thread;
// receive/transmit/release: the owning worker.
#include "io/afxdp/xsk_queue.h"

#include <linux/if_xdp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace xvs::io::afxdp {

namespace {
// Copy-mode transmit budget per sendto() (default 32). Debian 12's headers lack the name.
constexpr int kXdpMaxTxSkbBudget = 9;
}  // namespace

XskQueue::XskQueue(Umem& umem, uint32_t worker, uint8_t port)
    : umem_(umem), pool_(umem.pool(worker)), port_(port) {}

XskQueue::~XskQueue() {
  if (xsk_ != nullptr) xsk_socket__delete(xsk_);
}

std::string XskQueue::open(const std::string& ifname, uint32_t queue_id, const XskConfig& c, bool first, int& error) {
  queue_id_ = static_cast<uint8_t>(queue_id);
  if (first) {
    fill_ = umem_.first_fill();
    comp_ = umem_.first_comp();
  }
  xsk_socket_config cfg{};
  cfg.rx_size = c.rx_size;
  cfg.tx_size = c.tx_size;
  cfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;  // the steering program is ours
  cfg.xdp_flags = 0;
  cfg.bind_flags = XDP_USE_NEED_WAKEUP;  // later sockets inherit it (and copy/zero-copy) from the first
  const int err = xsk_socket__create_shared(&xsk_, ifname.c_str(), queue_id, umem_.handle(), &rx_, &tx_, fill_, comp_, &cfg);
  error = -err;
  if (err != 0) {
    xsk_ = nullptr;
    std::string msg = "cannot bind an AF_XDP socket to " + ifname + " queue " + std::to_string(queue_id) + ": " +
                      std::strerror(-err);
    if (err == -EBUSY) msg += " (another AF_XDP socket holds this queue)";
    if (err == -EINVAL) msg += " (does the interface have that many queues?)";
    return msg;
  }
  fd_ = xsk_socket__fd(xsk_);
  // Best effort: lets one sendto() push a whole burst in copy mode (kernels that know option 9).
  const int budget = static_cast<int>(c.tx_size);
  (void)setsockopt(fd_, SOL_XDP, kXdpMaxTxSkbBudget, &budget, sizeof budget);
  xdp_options opts{};
  socklen_t len = sizeof opts;
  if (getsockopt(fd_, SOL_XDP, XDP_OPTIONS, &opts, &len) == 0) zero_copy_ = (opts.flags & XDP_OPTIONS_ZEROCOPY) != 0;
  return "";
}

void XskQueue::refill() {
  pool_.take_returns();
  const uint32_t room = xsk_prod_nb_free(fill_, kRefillMax);
  uint32_t want = room < kRefillMax ? room : kRefillMax;
  if (want == 0 || pool_.free_count() == 0) return;
  uint64_t addrs[kRefillMax];
  want = pool_.take(addrs, want);
  uint32_t idx = 0;
  xsk_ring_prod__reserve(fill_, want, &idx);  // cannot fail: room was checked
  for (uint32_t i = 0; i < want; ++i) *xsk_ring_prod__fill_addr(fill_, idx + i) = addrs[i];
  xsk_ring_prod__submit(fill_, want);
}

uint32_t XskQueue::reap() {
  uint32_t idx = 0;
  const uint32_t n = xsk_ring_cons__peek(comp_, kReapMax, &idx);
  if (n == 0) return 0;
  for (uint32_t i = 0; i < n; ++i) pool_.put(*xsk_ring_cons__comp_addr(comp_, idx + i));
  xsk_ring_cons__release(comp_, n);
  pool_.in_flight -= n;
  return n;
}

uint32_t XskQueue::receive(Frame* frames, uint32_t max) {
  reap();
  refill();
  uint32_t idx = 0;
  const uint32_t n = xsk_ring_cons__peek(&rx_, max, &idx);
  if (n == 0) {
    // Zero-copy drivers stop filling when the fill ring ran dry and ask to be woken.
    if (zero_copy_ && xsk_ring_prod__needs_wakeup(fill_)) recvfrom(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, nullptr);
    return 0;
  }
  uint8_t* const area = umem_.area();
  const uint64_t chunk_mask = ~static_cast<uint64_t>(umem_.frame_size() - 1);
  for (uint32_t i = 0; i < n; ++i) {
    const xdp_desc* d = xsk_ring_cons__rx_desc(&rx_, idx + i);
    const uint64_t chunk = d->addr & chunk_mask;
    const auto headroom = static_cast<uint32_t>(d->addr - chunk);
    frames[i] = Frame{area + d->addr, d->len, headroom, chunk, port_, queue_id_, umem_.frame_size() - headroom};
  }
  xsk_ring_cons__release(&rx_, n);
  return n;
}

uint32_t XskQueue::transmit(Frame* frames, uint32_t n) {
  reap();
  const uint32_t room = xsk_prod_nb_free(&tx_, n);
  const uint32_t k = n < room ? n : room;
  if (k > 0) {
    uint32_t idx = 0;
    xsk_ring_prod__reserve(&tx_, k, &idx);
    const uint8_t* const area = umem_.area();
    for (uint32_t i = 0; i < k; ++i) {
      xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, idx + i);
      d->addr = static_cast<uint64_t>(frames[i].data - area);
      d->len = frames[i].len;
      d->options = 0;
    }
    xsk_ring_prod__submit(&tx_, k);
    pool_.in_flight += k;
  }
  kick_tx();
  return k;
}

void XskQueue::kick_tx() {
  if (zero_copy_ && !xsk_ring_prod__needs_wakeup(&tx_)) return;
  // Copy mode sends at most the tx budget per call and answers EAGAIN while frames remain;
  // EBUSY means one frame was dropped by the device, ENOBUFS a full completion ring.
  for (uint32_t round = 0; round < kKickRounds; ++round) {
    const ssize_t r = sendto(fd_, nullptr, 0, MSG_DONTWAIT, nullptr, 0);
    const int e = r < 0 ? errno : 0;
    if (__atomic_load_n(tx_.consumer, __ATOMIC_ACQUIRE) == *tx_.producer) return;
    if (e != 0 && e != EAGAIN && e != EBUSY && e != ENOBUFS && e != EINTR) return;  // e.g. ENETDOWN: frames wait
    reap();
  }
}

uint64_t XskQueue::settle() {
  if (xsk_ == nullptr) return 0;
  if (__atomic_load_n(tx_.consumer, __ATOMIC_ACQUIRE) != *tx_.producer) kick_tx();
  while (reap() != 0) {
  }
  return pool_.in_flight;
}

uint64_t XskQueue::frames_in_rings() const {
  if (xsk_ == nullptr) return 0;
  const uint32_t fill = *fill_->producer - __atomic_load_n(fill_->consumer, __ATOMIC_ACQUIRE);
  const uint32_t rx = __atomic_load_n(rx_.producer, __ATOMIC_ACQUIRE) - *rx_.consumer;
  return static_cast<uint64_t>(fill) + rx;
}

}  // namespace xvs::io::afxdp
