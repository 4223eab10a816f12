// native/kernel/service_notify.h — the service manager's notification protocol (sd_notify(3)):
// one datagram of "KEY=VALUE\n" lines ("READY=1", "STOPPING=1", "WATCHDOG=1", "STATUS=...") to
// the AF_UNIX socket systemd names in $NOTIFY_SOCKET (a path, or "@name" in the abstract
// namespace). Without libsystemd: the protocol is a sendto(). Runs on the caller's thread (the
// main thread of `xvs run`, through the binding).
#pragma once
#include <string>

namespace xvs::kernel {

// Sends `message` to `socket_path`; returns "" or why it could not (a bad path, no listener).
std::string notify_service_manager(const std::string& socket_path, const std::string& message);

}  // namespace xvs::kernel
