// native/kernel/libxdp_log.h — libxdp's and libbpf's log lines, kept in a short buffer instead
// of going to stderr, so that an error can quote the library's own reason (for example the
// kernel's verifier or attach message). XVS_LIBXDP_DEBUG=1 in the environment prints every line
// to stderr too. Consumes: the libraries' print callbacks. Produces: last_library_messages().
// Threads: whichever thread calls libxdp/libbpf (the control thread, the CLI's main thread);
// the buffer is guarded by a mutex.
#pragma once
#include <string>

namespace xvs::kernel {

// Installs the print callbacks (once per process).
void quiet_libraries();
// The last few library lines joined by " | ", and forgets them.
std::string last_library_messages();
// libxdp_strerror(): errno values and libxdp's own codes as text.
std::string library_error_text(int err);

}  // namespace xvs::kernel
