// bench/page_cost_probe.cc — what a lookup's lines cost on this machine's memory, by where they
// lie: random lookups among 1 Mi entries in batches of 64, every line of the batch prefetched
// before any is read (as lb::process_burst does), arrays in transparent huge pages as
// core::HugeArray asks. The figures behind the connection table's layout (bench/README.md, "IPv6
// entries as line pairs"). Not part of the build or the tests: a one-file probe, run by hand.
//
//   g++ -O2 -std=c++20 -o /tmp/page_cost_probe bench/page_cost_probe.cc && taskset -c 0 /tmp/page_cost_probe
#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace {

constexpr size_t kEntries = size_t{1} << 20;
constexpr size_t kLine = 64;
constexpr int kBatch = 64;
constexpr size_t kLookups = 20'000'000;

uint8_t* huge_array(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    std::exit(1);
  }
  madvise(p, bytes, MADV_HUGEPAGE);
  for (size_t i = 0; i < bytes; i += 4096) static_cast<uint8_t*>(p)[i] = 1;
  return static_cast<uint8_t*>(p);
}

struct Arrays {
  uint8_t* entries = huge_array(2 * kEntries * kLine);  // 128 MiB
  uint8_t* other = huge_array(2 * kEntries * kLine);    // a second array as large
  uint8_t* buckets = huge_array(kEntries / 2 * kLine);  // 32 MiB: the table's share for 1 Mi
};

// The lines one lookup reads, from its random value `h`; nullptr: none.
struct Lines {
  const uint8_t* line[3];
};
using Layout = Lines (*)(const Arrays&, uint64_t h);

size_t entry(uint64_t h) { return h & (kEntries - 1); }
const uint8_t* bucket(const Arrays& a, uint64_t h) { return a.buckets + ((h >> 40) & (kEntries / 2 - 1)) * kLine; }

struct Case {
  const char* name;
  Layout layout;
};
const Case kCases[] = {
    {"one line in 128 MiB", [](const Arrays& a, uint64_t h) { return Lines{{a.entries + entry(h) * kLine, nullptr, nullptr}}; }},
    {"two lines, each in its own array",
     [](const Arrays& a, uint64_t h) {
       return Lines{{a.entries + entry(h) * kLine, a.other + ((h >> 24) & (kEntries - 1)) * kLine, nullptr}};
     }},
    {"two lines, adjacent (a 128-byte pair)",
     [](const Arrays& a, uint64_t h) { return Lines{{a.entries + entry(h) * kLine, a.entries + (entry(h) ^ 1) * kLine, nullptr}}; }},
    {"two lines of one 4 KiB page, 2 KiB apart",
     [](const Arrays& a, uint64_t h) { return Lines{{a.entries + entry(h) * kLine, a.entries + (entry(h) ^ 32) * kLine, nullptr}}; }},
    {"two lines of one 2 MiB page, different 4 KiB pages",
     [](const Arrays& a, uint64_t h) { return Lines{{a.entries + entry(h) * kLine, a.entries + (entry(h) ^ 2048) * kLine, nullptr}}; }},
    {"a bucket + a connection",
     [](const Arrays& a, uint64_t h) { return Lines{{bucket(a, h), a.entries + entry(h) * kLine, nullptr}}; }},
    {"... + the addresses line in a separate array",
     [](const Arrays& a, uint64_t h) { return Lines{{bucket(a, h), a.entries + entry(h) * kLine, a.other + entry(h) * kLine}}; }},
    {"... + the addresses line adjacent",
     [](const Arrays& a, uint64_t h) {
       return Lines{{bucket(a, h), a.entries + (entry(h) & ~size_t{1}) * kLine, a.entries + (entry(h) | 1) * kLine}};
     }},
    {"... + another line of the connection's 4 KiB page",
     [](const Arrays& a, uint64_t h) {
       const size_t e = entry(h);
       return Lines{{bucket(a, h), a.entries + e * kLine, a.entries + ((e & ~size_t{63}) | ((e + 17) & 63)) * kLine}};
     }},
};

double ns_per_lookup(const Arrays& a, Layout layout, const std::vector<uint64_t>& random) {
  uint64_t sum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < random.size(); i += kBatch) {
    Lines batch[kBatch];
    for (int k = 0; k < kBatch; ++k) {
      batch[k] = layout(a, random[i + k]);
      for (const uint8_t* l : batch[k].line)
        if (l != nullptr) __builtin_prefetch(l);
    }
    for (int k = 0; k < kBatch; ++k)
      for (const uint8_t* l : batch[k].line)
        if (l != nullptr) sum += *reinterpret_cast<const volatile uint64_t*>(l);
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  if (sum == 42) std::puts("");  // keeps the reads
  return ns / static_cast<double>(random.size());
}

}  // namespace

int main() {
  const Arrays arrays;
  std::mt19937_64 rng(1);
  std::vector<uint64_t> random(kLookups);
  for (uint64_t& r : random) r = rng();
  ns_per_lookup(arrays, kCases[0].layout, random);  // warm-up: the first timed case read slow otherwise
  for (const Case& c : kCases) std::printf("%-55s %5.1f ns/lookup\n", c.name, ns_per_lookup(arrays, c.layout, random));
}
