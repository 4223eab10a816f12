// native/io/dpdk/eal.h — DPDK's Environment Abstraction Layer, once per process. The EAL cannot
// be initialised twice nor cleaned up and started again, so the first DPDK engine of a process
// initialises it with its dataplane.dpdk.eal arguments and later engines (a restart in the same
// process, tests) reuse it; an engine asking for other arguments is refused. xvs adds its own:
// --no-shconf and --huge-unlink (no files left in /dev/hugepages or /var/run, and a file prefix
// of its own: several xvs processes coexist), no telemetry socket, no PCI scan unless devices are named (then only those, by -a). The EAL's log
// goes to a bounded buffer whose last lines explain a failure (the EAL prints nothing itself).
// Worker threads register as EAL lcores (the mempool's per-lcore caches need an lcore id) and
// unregister when they exit.
//
// Threads: eal_init and eal_recent_log on the control thread; eal_register_thread on a worker.
#pragma once
#include <string>
#include <vector>

namespace xvs::io::dpdk {

// "" once the EAL runs with `args` (extra EAL arguments, then `-a PCI` for each of `pci`),
// else what went wrong in one line.
std::string eal_init(const std::vector<std::string>& args, const std::vector<std::string>& pci);
// The EAL's last log lines (at most `lines`), joined with "; ", for error messages.
std::string eal_recent_log(size_t lines = 3);
// Forgets the log so far (before an operation whose failure should quote only its own lines).
void eal_clear_log();
// Registers the calling thread as an EAL lcore once (later calls do nothing); it unregisters
// when the thread exits. "" or why not (the thread then runs without mempool caches: slower).
std::string eal_register_thread();

}  // namespace xvs::io::dpdk
