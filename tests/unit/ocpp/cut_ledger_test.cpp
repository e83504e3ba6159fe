// The ledger the listeners share (issue 26, 5): a raise waits while a cut is out on any listener, and the
// listeners that held raises are woken once the last cut is taken, the one that answered it is not.
#include "drivers/ocpp/cut_ledger.h"

#include <gtest/gtest.h>

namespace hemd::ocpp {
namespace {

TEST(CutLedger, ARaiseWaitsForACutOnAnyOtherChargerAndNotForItsOwn) {
  CutLedger cuts;
  const int tls = cuts.join([] {}), plain = cuts.join([] {});
  cuts.cutting(tls, "cp1");
  EXPECT_TRUE(cuts.others_cutting("cp2"));
  EXPECT_FALSE(cuts.others_cutting("cp1"));
  cuts.answered(tls, "cp1");
  EXPECT_FALSE(cuts.others_cutting("cp2"));
  (void)plain;
}

TEST(CutLedger, TheOtherListenersAreWokenWhenTheLastCutIsTaken) {
  CutLedger cuts;
  int woken_tls = 0, woken_plain = 0;
  const int tls = cuts.join([&] { ++woken_tls; });
  const int plain = cuts.join([&] { ++woken_plain; });
  cuts.cutting(tls, "cp1");
  cuts.cutting(plain, "cp2");
  cuts.answered(tls, "cp1");
  EXPECT_EQ(woken_plain, 0) << "cp2's cut is still out";
  cuts.answered(plain, "cp2");
  EXPECT_EQ(woken_tls, 1);
  EXPECT_EQ(woken_plain, 0) << "the listener that took the last cut updates its own chargers itself";
  cuts.answered(plain, "cp2");  // an answer twice (a timeout, then the late answer) wakes nobody again
  EXPECT_EQ(woken_tls, 1);
}

TEST(CutLedger, AListenerThatLeftIsNotWoken) {
  CutLedger cuts;
  int woken = 0;
  const int gone = cuts.join([&] { ++woken; });
  const int plain = cuts.join([] {});
  cuts.leave(gone);
  cuts.cutting(plain, "cp2");
  cuts.answered(plain, "cp2");
  EXPECT_EQ(woken, 0);
}

}  // namespace
}  // namespace hemd::ocpp
