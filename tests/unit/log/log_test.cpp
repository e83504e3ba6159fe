// Issue 26.3: journald reads <N> at each line start as the priority, so a newline from outside could forge a
// line of any priority. Every message is one line, whatever a caller forgot to quote.
#include <gtest/gtest.h>

#include <string>

#include "drivers/log/log.h"

namespace hemd {
namespace {

std::size_t lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST(Log, ANewlineFromOutsideCannotStartAForgedLine) {
  ::testing::internal::CaptureStderr();
  log::warning("mqtt: payload {}", "x\n<0>hemd: FORGED emergency line\r\n<1>again");
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(lines(out), 1u) << out;
  EXPECT_EQ(out.rfind("<4>mqtt: payload x\\n<0>hemd: FORGED", 0), 0u) << out;
  EXPECT_EQ(out.find("\n<0>"), std::string::npos) << out;
}

TEST(Log, QuotedTextIsEscapedAndCut) {
  const std::string megabyte(1 << 20, 'A');
  const std::string q = log::quoted(megabyte + "\n<0>x");
  EXPECT_LT(q.size(), 200u);
  EXPECT_NE(q.find("…(+"), std::string::npos) << q;
  EXPECT_EQ(log::quoted("a\"b\n\xff"), "\"a\\\"b\\n\\xFF\"");
  ::testing::internal::CaptureStderr();
  log::error("prices: body {}", megabyte);  // even unquoted, a line is cut at 4 KiB
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(lines(out), 1u);
  EXPECT_LT(out.size(), 4200u);
}

}  // namespace
}  // namespace hemd
