#pragma once
// The effective configuration: every schema key with a checked value and the
// place that value came from. Built once at start-up by load(), then read-only,
// so any thread may read it.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/command_line.hpp"
#include "config/schema.hpp"
#include "core/auth.hpp"
#include "core/result.hpp"

namespace trellis::config {

class Config {
 public:
  // Every key at its default, derived defaults resolved.
  static Config defaults();

  // Typed access. A key missing from the schema, or read as the wrong type, is
  // a programming error: it aborts with the key's name so typos show in tests.
  bool get_bool(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  const std::string& get_string(std::string_view key) const;
  // A string list; a boolean-or-list key holding a boolean reads as empty.
  std::vector<std::string> get_strings(std::string_view key) const;
  std::map<std::string, std::string> get_map(std::string_view key) const;  // string map
  Acl get_acl(std::string_view key) const;
  const nlohmann::json& get(std::string_view key) const;  // any type, as JSON

  // Where the value came from: "default", the config file's path, the
  // environment variable's name, or "--set".
  const std::string& origin(std::string_view key) const;

  // The effective config as nested JSON ({"mqtt": {"tcp_port": 1883, ...}}).
  nlohmann::json to_nested_json() const;
  // What --print-config prints: the nested JSON in schema order, indented, with
  // no newline at the end.
  std::string dump() const;

  // db.path resolved against data_dir.
  std::filesystem::path db_path() const;
  // threads, with 0 resolved to one fewer than the cores (at least 1).
  unsigned thread_count() const;
  std::chrono::microseconds busy_poll() const;

 private:
  friend class Loader;
  Config() = default;
  struct Entry {
    nlohmann::json value;
    std::string origin;
  };
  const Entry& entry(std::string_view key, std::initializer_list<Type> types) const;

  std::map<std::string, Entry, std::less<>> entries_;
};

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

// The process environment, for load().
std::optional<std::string> process_env(const std::string& name);

// Builds the config: defaults < config file < environment < --set. Every bad
// key, type or value is reported, one line each, in the error's message
// ("config: mqtt.tcp_port: expected an integer from 0 to 65535, got \"abc\"
// (from --set)"); error code "config". The caller exits with status 2.
Result<Config> load(const CommandLine& command_line, const Getenv& getenv);

// 127.0.0.0/8, ::1 (also v4-mapped 127/8, and in brackets) and "localhost".
bool is_loopback_address(std::string_view address);

}  // namespace trellis::config
