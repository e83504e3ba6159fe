// The closed-loop time: from a step in what the grid meter reads to hemd's SetChargingProfile reaching the
// charger. Real peers (tests/e2e/closed_loop/closed_loop.h): a pymodbus SDM630, a strict ocpp-rpc charge
// point, the hemd binary. The car charges at 16 A; the house's L1 jumps from 2 to 20 A (36 A on a 25 A fuse),
// hemd must cut; the load goes, the car comes back; repeated. evcc's default cycle is 30 s.
//
// usage: bench_closed_loop [steps]        prints the cut times (ms) and their median and maximum
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "tests/e2e/closed_loop/closed_loop.h"

int main(int argc, char** argv) {
  using namespace hemd::test;
  const int steps = argc > 1 ? std::atoi(argv[1]) : 8;
  ClosedLoop loop;
  try {
    loop.start("now");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_closed_loop: %s\n", e.what());
    return 1;
  }
  loop.site("house 2 1 1");
  if (!loop.wait_limit([](double a) { return a == 16; }, 0, 60s)) {
    std::fprintf(stderr, "bench_closed_loop: the car never reached 16 A\n%s\n", loop.logs().c_str());
    return 1;
  }
  std::vector<double> cuts_ms;
  for (int i = 0; i < steps; ++i) {
    std::this_thread::sleep_for(2s);  // the car settles at 16 A
    const auto step = loop.mark();
    const auto t0 = Clock::now();
    loop.site("house 20 1 1");
    if (!loop.wait_limit([](double a) { return a < 16; }, step, 30s)) {
      std::fprintf(stderr, "bench_closed_loop: no cut after step %d\n%s\n", i + 1, loop.logs().c_str());
      return 1;
    }
    cuts_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    std::printf("step %2d: cut seen by the charge point after %6.0f ms\n", i + 1, cuts_ms.back());
    std::fflush(stdout);
    const auto back = loop.mark();
    loop.site("house 2 1 1");
    if (!loop.wait_limit([](double a) { return a == 16; }, back, 60s)) {
      std::fprintf(stderr, "bench_closed_loop: the car did not come back\n");
      return 1;
    }
  }
  std::sort(cuts_ms.begin(), cuts_ms.end());
  std::printf(
      "grid meter step -> SetChargingProfile at the charger, %zu steps: median %.0f ms, max %.0f ms "
      "(goal <= 1000 ms; evcc's default cycle: 30000 ms)\n",
      cuts_ms.size(), cuts_ms[cuts_ms.size() / 2], cuts_ms.back());
  std::printf("(meter read every 500 ms; a phase near the fuse runs the control cycle at once)\n");
  return 0;
}
