// native/kernel/libxdp_log.cc — see libxdp_log.h. Any thread (mutex-guarded buffer).
#include "kernel/libxdp_log.h"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>

namespace xvs::kernel {

namespace {

std::mutex log_mutex;
std::deque<std::string> log_lines;  // the last few library messages
bool log_to_stderr = false;

void keep_line(const char* format, va_list args) {
  char buf[512];
  vsnprintf(buf, sizeof buf, format, args);
  std::string line(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
  if (line.empty()) return;
  std::lock_guard<std::mutex> lock(log_mutex);
  if (log_to_stderr) fprintf(stderr, "xvs: libxdp: %s\n", line.c_str());
  log_lines.push_back(std::move(line));
  while (log_lines.size() > 6) log_lines.pop_front();
}

int libxdp_print(enum libxdp_print_level level, const char* format, va_list args) {
  if (level == LIBXDP_DEBUG && !log_to_stderr) return 0;
  keep_line(format, args);
  return 0;
}

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG && !log_to_stderr) return 0;
  keep_line(format, args);
  return 0;
}

}  // namespace

void quiet_libraries() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* debug = std::getenv("XVS_LIBXDP_DEBUG");
    log_to_stderr = debug != nullptr && debug[0] == '1';
    libxdp_set_print(libxdp_print);
    libbpf_set_print(libbpf_print);
  });
}

std::string last_library_messages() {
  std::lock_guard<std::mutex> lock(log_mutex);
  std::string out;
  for (const auto& l : log_lines) out += (out.empty() ? "" : " | ") + l;
  log_lines.clear();
  return out;
}

std::string library_error_text(int err) {
  char buf[128];
  libxdp_strerror(err, buf, sizeof buf);
  return buf;
}

}  // namespace xvs::kernel
