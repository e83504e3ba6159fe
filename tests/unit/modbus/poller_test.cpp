// The poller's thread and its stop.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "drivers/modbus/poller.h"

namespace hemd::modbus {
namespace {

// A loopback port nothing listens on: a connect is refused at once.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// A stop that comes while the thread is between its last poll and its wait must still wake it: otherwise
// hemd's shutdown waits out the poll interval (up to a minute with poll_ms: 60000).
TEST(Poller, StopsAtOnceWhateverItsThreadIsDoing) {
  Endpoint e;
  e.host = "127.0.0.1";
  e.port = closed_port();
  DeviceSpec d;
  d.name = "dev";
  d.timeout = std::chrono::milliseconds(50);
  for (int i = 0; i < 200; ++i) {
    auto p = std::make_unique<Poller>(e, std::vector<DeviceSpec>{d}, std::chrono::hours(1));
    p->start();
    if (i % 2) std::this_thread::sleep_for(std::chrono::microseconds(50 * (i % 20)));  // stops land all over
    const auto before = std::chrono::steady_clock::now();
    p.reset();
    ASSERT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5)) << "stop " << i;
  }
}

}  // namespace
}  // namespace hemd::modbus
