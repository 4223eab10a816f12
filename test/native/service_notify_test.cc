// test/native/service_notify_test.cc — kernel/service_notify.h against a real AF_UNIX datagram
// socket standing in for systemd: the message arrives whole, on a path and in the abstract
// namespace; a bad NOTIFY_SOCKET and a socket nobody listens on are errors, not crashes.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "kernel/service_notify.h"

namespace xvs::test {
namespace {

// A datagram socket bound to `name` (a path, or "@abstract"); -1 on failure.
int listener(const std::string& name) {
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, name.data(), name.size());
  const bool abstract = name[0] == '@';
  if (abstract) a.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string receive(int fd) {
  char buffer[512];
  const ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
  return n < 0 ? std::string("(nothing)") : std::string(buffer, static_cast<size_t>(n));
}

TEST(ServiceNotify, DeliversTheMessageToAPathAndToAnAbstractName) {
  const std::string path = "/tmp/xvs-notify-test-" + std::to_string(getpid());
  const std::string abstract = "@xvs-notify-test-" + std::to_string(getpid());
  for (const std::string& name : {path, abstract}) {
    SCOPED_TRACE(name);
    unlink(path.c_str());
    const int fd = listener(name);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(kernel::notify_service_manager(name, "READY=1\nSTATUS=running\n"), "");
    EXPECT_EQ(receive(fd), "READY=1\nSTATUS=running\n");
    close(fd);
  }
  unlink(path.c_str());
}

TEST(ServiceNotify, RefusesABadSocketNameAndReportsANoListener) {
  for (const std::string& bad : std::vector<std::string>{"", "relative/path", "@", std::string(200, '/')})
    EXPECT_NE(kernel::notify_service_manager(bad, "READY=1"), "") << bad;
  const std::string error = kernel::notify_service_manager("/tmp/xvs-notify-nobody-" + std::to_string(getpid()), "READY=1");
  EXPECT_NE(error.find("cannot notify the service manager"), std::string::npos) << error;
}

}  // namespace
}  // namespace xvs::test
