#pragma once
// Helpers shared by the config tests: a fake environment and temporary files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "config/config.hpp"

namespace trellis::config::testing {

inline Getenv fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline Getenv no_env() {
  return fake_env({});
}

// A file under the test's temporary folder, named after the running test.
inline std::string write_temp(const std::string& content, const std::string& suffix = ".jsonc") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) /
      (std::string("cfg_") + info->test_suite_name() + "_" + info->name() + suffix);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

inline CommandLine with_file(const std::string& path) {
  CommandLine cl;
  cl.config_file = path;
  return cl;
}

inline CommandLine with_sets(std::vector<std::string> sets) {
  CommandLine cl;
  cl.sets = std::move(sets);
  return cl;
}

// The error message load() gives, or a failure when it succeeds.
inline std::string load_error(const CommandLine& cl, const Getenv& env) {
  auto r = load(cl, env);
  if (r.ok()) {
    ADD_FAILURE() << "load() succeeded";
    return "";
  }
  EXPECT_EQ(r.error().code, "config");
  return r.error().message;
}

}  // namespace trellis::config::testing
