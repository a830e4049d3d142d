#include "config/command_line.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace trellis::config {
namespace {

Result<CommandLine> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "trellis");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

std::string parse_error(std::vector<const char*> args) {
  auto r = parse(std::move(args));
  if (r.ok()) {
    ADD_FAILURE() << "parse succeeded";
    return "";
  }
  EXPECT_EQ(r.error().code, "usage");
  return r.error().message;
}

TEST(CommandLine, NoArgumentsAsksForNothing) {
  auto r = parse({});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->help);
  EXPECT_FALSE(r->version);
  EXPECT_FALSE(r->print_config);
  EXPECT_FALSE(r->config_file);
  EXPECT_TRUE(r->sets.empty());
}

TEST(CommandLine, EveryOption) {
  auto r = parse({"--config", "a.jsonc", "--set", "mqtt.tcp_port=1", "--set", "threads=2",
                  "--print-config", "--help", "--version"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->help);
  EXPECT_TRUE(r->version);
  EXPECT_TRUE(r->print_config);
  EXPECT_EQ(r->config_file, "a.jsonc");
  EXPECT_EQ(r->sets, (std::vector<std::string>{"mqtt.tcp_port=1", "threads=2"}));
}

TEST(CommandLine, ShortHelp) {
  auto r = parse({"-h"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->help);
}

TEST(CommandLine, ValuesAfterEqualsSign) {
  auto r = parse({"--config=b.jsonc", "--set=mqtt.ws_path=/a=b"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->config_file, "b.jsonc");
  EXPECT_EQ(r->sets, (std::vector<std::string>{"mqtt.ws_path=/a=b"}));
}

// A value that looks like an option is still the value: "--set" always takes the next word.
TEST(CommandLine, ValueMayStartWithDashes) {
  auto r = parse({"--config", "--odd-name.jsonc"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->config_file, "--odd-name.jsonc");
}

TEST(CommandLine, UnknownOptionIsAnError) {
  EXPECT_EQ(parse_error({"--verbose"}), "unknown option --verbose (see --help)");
  EXPECT_EQ(parse_error({"-x"}), "unknown option -x (see --help)");
  EXPECT_EQ(parse_error({"--port=1"}), "unknown option --port (see --help)");
}

TEST(CommandLine, StrayArgumentIsAnError) {
  EXPECT_EQ(parse_error({"trellis.jsonc"}), "unexpected argument \"trellis.jsonc\" (see --help)");
}

TEST(CommandLine, ConfigNeedsAFileName) {
  EXPECT_EQ(parse_error({"--config"}), "option --config needs a file name (see --help)");
}

TEST(CommandLine, SetNeedsAnAssignment) {
  EXPECT_EQ(parse_error({"--set"}), "option --set needs key=value (see --help)");
}

TEST(CommandLine, ConfigGivenTwiceIsAnError) {
  EXPECT_EQ(parse_error({"--config", "a", "--config", "b"}),
            "option --config given twice (see --help)");
}

TEST(CommandLine, FlagTakesNoValue) {
  EXPECT_EQ(parse_error({"--help=yes"}), "option --help takes no value (see --help)");
}

}  // namespace
}  // namespace trellis::config
