// native/io/dpdk/eal.cc — see eal.h.
#include "io/dpdk/eal.h"

#include <fcntl.h>
#include <pthread.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <mutex>

namespace xvs::io::dpdk {

namespace {

// The EAL's log, last lines only. DPDK writes to it from any thread (the interrupt thread, PMDs).
struct LogBuffer {
  std::mutex mutex;
  std::deque<std::string> lines;
  std::string partial;
  static constexpr size_t kKeep = 64;
};
LogBuffer& log_buffer() {
  static LogBuffer b;
  return b;
}

ssize_t log_write(void*, const char* data, size_t size) {
  LogBuffer& b = log_buffer();
  std::lock_guard<std::mutex> lock(b.mutex);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != '\n') {
      b.partial.push_back(data[i]);
      continue;
    }
    if (!b.partial.empty()) b.lines.push_back(std::move(b.partial));
    b.partial.clear();
    if (b.lines.size() > LogBuffer::kKeep) b.lines.pop_front();
  }
  return static_cast<ssize_t>(size);
}

struct EalState {
  std::mutex mutex;
  bool initialised = false;
  std::vector<std::string> args;  // what it was initialised with
};
EalState& eal_state() {
  static EalState s;
  return s;
}

// Unregisters a worker thread's lcore when the thread ends (tests start many engines; lcore ids are few).
struct ThreadRegistration {
  bool registered = false;
  ~ThreadRegistration() {
    if (registered) rte_thread_unregister();
  }
};
thread_local ThreadRegistration registration;

}  // namespace

std::string eal_recent_log(size_t lines) {
  LogBuffer& b = log_buffer();
  std::lock_guard<std::mutex> lock(b.mutex);
  std::string out;
  const size_t first = b.lines.size() > lines ? b.lines.size() - lines : 0;
  for (size_t i = first; i < b.lines.size(); ++i) out += (out.empty() ? "" : "; ") + b.lines[i];
  return out;
}

void eal_clear_log() {
  LogBuffer& b = log_buffer();
  std::lock_guard<std::mutex> lock(b.mutex);
  b.lines.clear();
}

std::string eal_init(const std::vector<std::string>& extra, const std::vector<std::string>& pci) {
  EalState& s = eal_state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::vector<std::string> args = extra;
  for (const std::string& device : pci) {
    args.push_back("-a");
    args.push_back(device);
  }
  if (s.initialised) {
    if (args == s.args) return "";
    return "DPDK's EAL already runs in this process with other arguments (dataplane.dpdk.eal or devices changed): restart xvs";
  }
  static cookie_io_functions_t functions{nullptr, log_write, nullptr, nullptr};
  if (FILE* stream = fopencookie(nullptr, "w", functions)) {
    setvbuf(stream, nullptr, _IOLBF, 0);
    rte_openlog_stream(stream);
  }
  // --in-memory would be --no-shconf + --huge-unlink, but the EAL refuses it with --no-huge.
  std::vector<std::string> argv_strings = {"xvs", "--no-shconf", "--no-telemetry", "--file-prefix=xvs" + std::to_string(getpid())};
  if (std::find(args.begin(), args.end(), "--no-huge") == args.end()) argv_strings.push_back("--huge-unlink");
  if (pci.empty()) argv_strings.push_back("--no-pci");
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  // rte_eal_init pins the calling thread (the control worker) to the main lcore: undo that.
  cpu_set_t affinity;
  const bool saved = pthread_getaffinity_np(pthread_self(), sizeof affinity, &affinity) == 0;
  // getopt inside the EAL keeps state across calls; start it afresh. The EAL prints its usage on
  // stdout and getopt its complaint on stderr, where xvs writes its log and its one error line:
  // both go to a scratch file while it parses, and the complaint into the message.
  optind = 1;
  fflush(stdout);
  fflush(stderr);
  const int saved_stdout = dup(STDOUT_FILENO), saved_stderr = dup(STDERR_FILENO);
  const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  FILE* scratch = tmpfile();
  const bool redirected = saved_stdout >= 0 && saved_stderr >= 0 && null_fd >= 0 && scratch != nullptr;
  if (redirected) {
    dup2(null_fd, STDOUT_FILENO);
    dup2(fileno(scratch), STDERR_FILENO);
  }
  const int parsed = rte_eal_init(static_cast<int>(argv.size() - 1), argv.data());
  fflush(stdout);
  fflush(stderr);
  std::string complaint;
  if (redirected) {
    dup2(saved_stdout, STDOUT_FILENO);
    dup2(saved_stderr, STDERR_FILENO);
    rewind(scratch);
    char line[256];
    while (complaint.empty() && fgets(line, sizeof line, scratch) != nullptr) {
      std::string text(line);
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      if (text.rfind("EAL:", 0) != 0 && !text.empty()) complaint = text;  // getopt's, e.g. "xvs: unrecognized option '--x'"
    }
  }
  for (int fd : {saved_stdout, saved_stderr, null_fd})
    if (fd >= 0) close(fd);
  if (scratch != nullptr) fclose(scratch);
  optind = 1;
  if (saved) pthread_setaffinity_np(pthread_self(), sizeof affinity, &affinity);
  // --no-shconf shares nothing, yet the EAL still makes /var/run/dpdk/<file prefix>: empty, and
  // one per xvs process that ever ran. rmdir leaves it if anything did go there.
  if (const char* runtime_dir = rte_eal_get_runtime_dir(); runtime_dir != nullptr && runtime_dir[0] != '\0') rmdir(runtime_dir);
  if (parsed < 0) {
    const int err = rte_errno;
    std::string why = !complaint.empty() ? complaint : eal_recent_log(2);
    if (why.empty()) why = rte_strerror(err);
    if (err == EALREADY) why = "a failed start cannot be retried in this process: restart xvs";
    std::string failure = "DPDK's EAL did not start with dataplane.dpdk.eal [";
    for (size_t i = 0; i < extra.size(); ++i) failure += (i ? ", " : "") + extra[i];
    failure += "]: " + why;
    if (why.find("hugepage") != std::string::npos || err == ENOMEM)
      failure += " (no hugepages: reserve them, e.g. echo 512 > /proc/sys/vm/nr_hugepages, or run without: "
                 "dataplane.dpdk.eal: [--no-huge, -m, \"512\"])";
    return failure;
  }
  s.initialised = true;
  s.args = args;
  return "";
}

std::string eal_register_thread() {
  if (registration.registered) return "";
  if (rte_thread_register() != 0) return std::string("cannot register a worker as an EAL lcore: ") + rte_strerror(rte_errno);
  registration.registered = true;
  return "";
}

}  // namespace xvs::io::dpdk
