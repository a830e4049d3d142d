#include "core/log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

namespace trellis::log {
namespace {

using namespace std::chrono_literals;
using Clock = Limit::Clock;

TEST(LogLimit, LetsABurstThroughThenHoldsBackUntilThePeriodEnds) {
  Limit limit(1s, 3);
  const auto t0 = Clock::time_point{} + 100s;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limit.admit(t0 + i * 1ms), std::uint64_t{0}) << i;
  EXPECT_EQ(limit.admit(t0 + 10ms), std::nullopt);
  EXPECT_EQ(limit.admit(t0 + 999ms), std::nullopt);
  // The first line of the next period says how many were held back.
  EXPECT_EQ(limit.admit(t0 + 1s), std::uint64_t{2});
  EXPECT_EQ(limit.admit(t0 + 1s + 1ms), std::uint64_t{0});
}

TEST(LogLimit, AQuietSiteIsNeverHeldBack) {
  Limit limit(1s, 1);
  const auto t0 = Clock::time_point{} + 100s;
  for (int i = 0; i < 50; ++i) EXPECT_EQ(limit.admit(t0 + i * 1s), std::uint64_t{0}) << i;
}

TEST(LogLimit, TheHeldBackCountStartsAgainAfterItIsReported) {
  Limit limit(1s, 1);
  const auto t0 = Clock::time_point{} + 100s;
  EXPECT_EQ(limit.admit(t0), std::uint64_t{0});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limit.admit(t0 + 1ms), std::nullopt);
  EXPECT_EQ(limit.admit(t0 + 5s), std::uint64_t{1000});
  EXPECT_EQ(limit.admit(t0 + 5s + 1ms), std::nullopt);
  EXPECT_EQ(limit.admit(t0 + 6s), std::uint64_t{1});
}

void flood_one_site(int n) {
  for (int i = 0; i < n; ++i) TLOG_LIMITED(info, "test") << "flood" << kv("i", i);
}

TEST(LogLimit, TlogLimitedWritesABurstPerCallSite) {
  set_level(Level::info);
  testing::internal::CaptureStderr();
  flood_one_site(100);
  const std::string out = testing::internal::GetCapturedStderr();
  // The default limit lets ten lines through per second; a slow machine may
  // cross into the next second once, letting up to ten more through.
  std::size_t lines = 0;
  for (char c : out) lines += c == '\n';
  EXPECT_GE(lines, 10u) << out;
  EXPECT_LE(lines, 20u) << out;
  EXPECT_NE(out.find("INFO test: flood i=0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("INFO test: flood i=9\n"), std::string::npos) << out;
}

void one_site(const char* text) {
  TLOG_LIMITED(info, "test") << text;
}

TEST(LogLimit, TlogLimitedCountsNothingWhenTheLevelIsOff) {
  set_level(Level::warn);
  testing::internal::CaptureStderr();
  for (int i = 0; i < 100; ++i) one_site("hidden");
  set_level(Level::info);
  for (int i = 0; i < 3; ++i) one_site("shown");
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("hidden"), std::string::npos);
  EXPECT_EQ(out.find("held_back"), std::string::npos) << out;
  std::size_t shown = 0;
  for (auto at = out.find("INFO test: shown\n"); at != std::string::npos;
       at = out.find("INFO test: shown\n", at + 1))
    ++shown;
  EXPECT_EQ(shown, 3u) << out;
}

TEST(LogLine, SaysHowManyLinesWereHeldBack) {
  set_level(Level::info);
  testing::internal::CaptureStderr();
  Line(Level::warn, "test", 7) << "after a flood" << kv("peer", "a b");
  Line(Level::warn, "test", 0) << "alone";
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("WARN test: after a flood peer=\"a b\" held_back=7\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("WARN test: alone\n"), std::string::npos) << out;
}

TEST(LogKv, ControlCharactersAreEscapedSoAValueCannotForgeALine) {
  std::ostringstream out;
  out << kv("client", "evil\n2026-12-03T00:00:00.000Z INFO http: forged")
      << kv("topic", std::string("a\0b\x1b[31m\r\t", 10)) << kv("plain", "dev-1")
      << kv("quoted", "say \"hi\" \\o/") << kv("empty", "");
  EXPECT_EQ(out.str(),
            " client=\"evil\\n2026-12-03T00:00:00.000Z INFO http: forged\""
            " topic=\"a\\x00b\\x1b[31m\\r\\t\" plain=dev-1"
            " quoted=\"say \\\"hi\\\" \\\\o/\" empty=\"\"");
}

TEST(LogLine, FreeTextCannotForgeALineEither) {
  set_level(Level::info);
  testing::internal::CaptureStderr();
  Line(Level::warn, "libcoap") << "bad packet\nINFO http: forged\x1b[0m";
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("WARN libcoap: bad packet\\nINFO http: forged\\x1b[0m\n"), std::string::npos)
      << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
}

}  // namespace
}  // namespace trellis::log
