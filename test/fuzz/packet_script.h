// test/fuzz/packet_script.h — the language of packet_path_fuzz inputs: a header (workers, table
// size, where the clock starts, frame headroom, the snapshot knobs and first variant), then
// operations, each an opcode byte and fixed fields: a packet built from fields, the answer to a
// frame the balancer sent, an ICMP error about one, a frame that came in sent again, raw bytes,
// the clock moving (small steps, timeout boundaries, jumps of days), a worker's safe point
// (installs, expiry with a budget), a reload, a burst of answers and repeats. Each field is
// read and written by the same struct (ByteReader / ByteWriter), so the seed writer
// (make_seeds.cc) speaks exactly what the target decodes; any byte string is a valid script.
#pragma once
#include <cstdint>
#include <vector>

#include "answers.h"
#include "byte_reader.h"
#include "fuzz_topology.h"
#include "packet_world.h"

namespace xvs::fuzz {

enum class Op : uint8_t { packet, answer, icmp_error, resend, raw, clock, safe_point, reload, burst, sync };
inline constexpr uint8_t kOps = 10;

struct ScriptHeader {
  uint8_t shape = 0;    // bits 0-1 workers - 1, 2-3 table size, 4-5 clock start, 6-7 headroom
  uint8_t knobs = 0;    // bit 0 SYN proxy auto from 2 half-open, bit 1 half-open limit 3, bits 2-3 server TIME_WAIT,
                        // bit 4 4 KiB frames, bits 5-6 local port range
  uint8_t variant = 0;  // of the first snapshot (fuzz_topology.h)

  void read(ByteReader& r) { shape = r.u8(), knobs = r.u8(), variant = r.u8(); }
  void write(ByteWriter& w) const { w.u8(shape).u8(knobs).u8(variant); }
  WorldConfig config() const {
    static constexpr uint32_t kCapacity[4] = {16, 64, 512, 4096};
    // Engine clocks start anywhere: near the signed and the unsigned wrap too.
    static constexpr uint32_t kClock[4] = {1000, 0x7fffff00u, 0xffffff00u, 86400};
    static constexpr uint32_t kHeadroom[4] = {256, 64, 20, 0};
    static constexpr uint32_t kServerTimeWait[4] = {60, 0, 5, 600};
    WorldConfig c;
    c.workers = 1 + (shape & 3);
    c.conn_capacity = kCapacity[shape >> 2 & 3];
    c.clock = kClock[shape >> 4 & 3];
    c.headroom = kHeadroom[shape >> 6 & 3];
    c.knobs.syn_proxy_above = knobs & 1 ? 2 : 1024;
    c.knobs.half_open_limit = knobs & 2 ? 3 : 1u << 30;
    c.knobs.server_time_wait = kServerTimeWait[knobs >> 2 & 3];
    c.frame_size = knobs & 16 ? 4096 : 2048;
    // The tests' range, the engine's default, and ranges small enough to run out.
    static constexpr lb::LocalPortRange kLocalPorts[4] = {{1024, 65535}, {1024, 32767}, {40000, 40015}, {65533, 65535}};
    c.local_ports = kLocalPorts[knobs >> 5 & 3];
    c.variant = variant;
    return c;
  }
};

// A packet made from fields: who sends it to whom, ports, TCP flags, numbers and options, IP
// details, and how its bytes are spoilt.
struct PacketOp {
  uint8_t worker = 0;
  uint8_t source = 0;    // bits 0-1: client, server, router, raw_address; bits 2-6: which; bit 7: raw arrives on port 1
  uint8_t target = 0;    // bits 0-1: service, LIP, client, raw_address; bits 2-7: which
  uint8_t protocol = 0;  // 0: the service's, 1: TCP, 2: UDP, 3: ICMP (type tcp_flags, code options); bit 7: IPv6
  uint8_t tcp_flags = core::kTcpSyn;
  uint8_t options = 0;   // bits: MSS, window scale (shift in bits 5-7), SACK-permitted, timestamps, a SACK block
  uint8_t ip = 0;        // bits 0-1 TTL 64/1/0/2; DF; MF; fragment offset; IP options; VLAN tag; TOS
  uint8_t corrupt = 0;   // 0 none, IP sum, L4 sum, L4 sum 0, cut short, padded, bad IHL, long total length
  uint16_t sport = 0, dport = 0;  // below 8: the natural port + that; else this port
  uint16_t payload = 0;
  uint32_t seq = 1000, ack = 0, raw_address = 0;

  void read(ByteReader& r) {
    worker = r.u8(), source = r.u8(), target = r.u8(), protocol = r.u8(), tcp_flags = r.u8(), options = r.u8(), ip = r.u8();
    corrupt = r.u8(), sport = r.u16(), dport = r.u16(), payload = r.u16(), seq = r.u32(), ack = r.u32(), raw_address = r.u32();
  }
  void write(ByteWriter& w) const {
    w.u8(static_cast<uint8_t>(Op::packet)).u8(worker).u8(source).u8(target).u8(protocol).u8(tcp_flags).u8(options).u8(ip);
    w.u8(corrupt).u16(sport).u16(dport).u16(payload).u32(seq).u32(ack).u32(raw_address);
  }
};

struct AnswerOp {
  uint8_t worker = 0, pick = 0;  // pick: which sent frame, newest first; from 0x80: which received frame
  AnswerChoice choice{};
  void read(ByteReader& r) {
    worker = r.u8(), pick = r.u8(), choice.flags = r.u8(), choice.raw_flags = r.u8(), choice.options = r.u8();
    choice.payload = r.u16(), choice.isn = r.u32();
  }
  void write(ByteWriter& w) const {
    w.u8(static_cast<uint8_t>(Op::answer)).u8(worker).u8(pick).u8(choice.flags).u8(choice.raw_flags).u8(choice.options);
    w.u16(choice.payload).u32(choice.isn);
  }
};

struct ErrorOp {
  uint8_t worker = 0, pick = 0, kind = 0, quote = 0, from = 0;  // pick as AnswerOp's; from: bit 0 a router, bit 1 the outer IPIP datagram
  void read(ByteReader& r) { worker = r.u8(), pick = r.u8(), kind = r.u8(), quote = r.u8(), from = r.u8(); }
  void write(ByteWriter& w) const { w.u8(static_cast<uint8_t>(Op::icmp_error)).u8(worker).u8(pick).u8(kind).u8(quote).u8(from); }
  ErrorChoice choice() const { return {kind, quote, (from & 1) != 0, (from & 2) != 0}; }
};

struct ResendOp {
  uint8_t worker = 0, pick = 0;  // pick: which frame that came in, newest first
  void read(ByteReader& r) { worker = r.u8(), pick = r.u8(); }
  void write(ByteWriter& w) const { w.u8(static_cast<uint8_t>(Op::resend)).u8(worker).u8(pick); }
};

struct RawOp {
  uint8_t worker = 0, port = 0;
  std::vector<uint8_t> bytes;
  void read(ByteReader& r) {
    worker = r.u8(), port = r.u8();
    bytes = r.bytes(r.u16() % 2048);
  }
  void write(ByteWriter& w) const {
    w.u8(static_cast<uint8_t>(Op::raw)).u8(worker).u8(port).u16(static_cast<uint16_t>(bytes.size())).bytes(bytes);
  }
};

struct ClockOp {
  uint8_t how = 0;  // 0: seconds, 1: a timeout's boundary, 2: days, 3: hours
  uint32_t amount = 0;
  void read(ByteReader& r) { how = r.u8(), amount = r.u32(); }
  void write(ByteWriter& w) const { w.u8(static_cast<uint8_t>(Op::clock)).u8(how).u32(amount); }
  // Forward only (the engine clock is monotonic), by at most 194 days at once.
  uint32_t seconds() const {
    static constexpr uint32_t kBoundaries[16] = {1, 2, 3, 5, 10, 30, 60, 63, 64, 65, 120, 128, 300, 600, 900, 901};
    switch (how % 4) {
      case 0: return amount & 0xff;
      case 1: return kBoundaries[amount % 16];
      case 2: return amount & 0xffffff;
      default: return amount & 0x3fff;
    }
  }
};

struct SafePointOp {
  uint8_t workers = 0;  // bit mask; 0: all
  uint8_t budget = 0;   // 0: the worker's own, 1-3: 1, 3, 16 entries
  void read(ByteReader& r) { workers = r.u8(), budget = r.u8(); }
  void write(ByteWriter& w) const { w.u8(static_cast<uint8_t>(Op::safe_point)).u8(workers).u8(budget); }
  uint32_t entries() const {
    static constexpr uint32_t kBudget[4] = {worker::Worker::kExpireBudget, 1, 3, 16};
    return kBudget[budget % 4];
  }
};

struct ReloadOp {
  uint8_t variant = 0, lag = 0;  // lag: workers (bit mask) that install it only at their next safe point
  void read(ByteReader& r) { variant = r.u8(), lag = r.u8(); }
  void write(ByteWriter& w) const { w.u8(static_cast<uint8_t>(Op::reload)).u8(variant).u8(lag); }
};

// Frames that arrive together: answers to sent frames, repeats of received ones, ICMP errors.
struct BurstOp {
  struct Item {
    uint8_t kind = 0;  // 0: answer (AnswerOp's pick, choices from `flags`), 1: resend, 2: ICMP error (kind and quote from `flags`)
    uint8_t pick = 0;
    uint8_t flags = 0;
  };
  uint8_t worker = 0;
  std::vector<Item> items;  // at most 16
  void read(ByteReader& r) {
    worker = r.u8();
    items.resize(r.u8() % 17);
    for (Item& i : items) i.kind = r.u8(), i.pick = r.u8(), i.flags = r.u8();
  }
  void write(ByteWriter& w) const {
    w.u8(static_cast<uint8_t>(Op::burst)).u8(worker).u8(static_cast<uint8_t>(items.size()));
    for (const Item& i : items) w.u8(i.kind).u8(i.pick).u8(i.flags);
  }
};

// Connection sync (lb/sync.h): the record of one of a worker's entries, as another node would
// send it (IPv4 or IPv6 record), spoilt or not, installed on the worker that would own it — or
// 48 raw bytes (the start of a record of whatever family their first byte names).
struct SyncOp {
  uint8_t worker = 0, pick = 0;  // the entry: the pick-th of the worker's table (wrapping)
  uint8_t field = 0;             // 0: as it is; 1-24: that field's bytes XORed with `mask`; from 0x80: `raw`
  uint32_t mask = 0;
  std::vector<uint8_t> raw;      // 48 bytes when field >= 0x80
  void read(ByteReader& r) {
    worker = r.u8(), pick = r.u8(), field = r.u8(), mask = r.u32();
    if (field >= 0x80) raw = r.bytes(48);
  }
  void write(ByteWriter& w) const {
    w.u8(static_cast<uint8_t>(Op::sync)).u8(worker).u8(pick).u8(field).u32(mask);
    if (field >= 0x80) w.bytes(raw);
  }
};

}  // namespace xvs::fuzz
