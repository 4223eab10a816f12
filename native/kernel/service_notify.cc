// native/kernel/service_notify.cc — see service_notify.h.
#include "kernel/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace xvs::kernel {

std::string notify_service_manager(const std::string& socket_path, const std::string& message) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // "@name": the abstract namespace, whose names start with a NUL byte.
  const bool abstract = !socket_path.empty() && socket_path[0] == '@';
  if (socket_path.size() < 2 || (socket_path[0] != '/' && !abstract) || socket_path.size() >= sizeof address.sun_path)
    return "NOTIFY_SOCKET must be an absolute path or @name shorter than " + std::to_string(sizeof address.sun_path) +
           " characters (got \"" + socket_path + "\")";
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  if (abstract) address.sun_path[0] = '\0';
  const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size() + (abstract ? 0 : 1));
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket(AF_UNIX): ") + std::strerror(errno);
  const ssize_t sent = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address), length);
  const int err = errno;
  close(fd);
  if (sent < 0) return "cannot notify the service manager at " + socket_path + ": " + std::strerror(err);
  if (static_cast<size_t>(sent) != message.size()) return "cannot notify the service manager at " + socket_path + ": short write";
  return "";
}

}  // namespace xvs::kernel
