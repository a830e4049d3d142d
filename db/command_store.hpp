#pragma once
// Commands sent to devices (MQTT tasks, LwM2M operations) and their states:
// pending -> sent -> done | failed | timed_out. Pending and sent commands
// survive a restart; an offline device's tasks wait here until it connects.
// Thread-safe.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace trellis::db {

class Database;

enum class CommandState { pending, sent, done, failed, timed_out };

std::string_view command_state_name(CommandState s);
std::optional<CommandState> parse_command_state(std::string_view name);
inline bool is_final(CommandState s) {
  return s == CommandState::done || s == CommandState::failed || s == CommandState::timed_out;
}

struct Command {
  std::string uid{};
  std::string device_id{};
  std::string protocol{};
  nlohmann::json body{};
  CommandState state = CommandState::pending;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t deadline_ms = 0;  // 0: no deadline
  nlohmann::json result{};  // null until the device answers
  std::string message{};    // the ack's message, or why it failed
};

struct NewCommand {
  std::string uid{};  // empty: a random one is chosen
  std::string device_id{};
  std::string protocol{};
  nlohmann::json body = nlohmann::json::object();
  int64_t deadline_ms = 0;
};

struct CommandPage {
  std::vector<Command> commands{};  // newest first
  std::string next_cursor{};
};

class CommandStore {
 public:
  explicit CommandStore(Database& db);

  // Errors: not_found (device), conflict (uid taken), invalid_argument.
  Result<Command> create(const NewCommand& c);
  Result<Command> get(std::string_view uid) const;
  // Moves a command on: pending -> sent; pending or sent -> a final state.
  // Errors: not_found, conflict (already final, or sent -> pending).
  Result<Command> transition(std::string_view uid, CommandState to,
                             std::optional<nlohmann::json> result = std::nullopt,
                             std::string message = {});
  // Pending commands of a device, oldest first: what to send when it connects.
  Result<std::vector<Command>> pending_for_device(std::string_view device_id) const;
  Result<CommandPage> list(std::string_view device_id, std::size_t limit,
                           std::string_view cursor = {}) const;
  // Pending or sent commands whose deadline is at or before now_ms become
  // timed_out; returns them in their new state.
  Result<std::vector<Command>> expire_overdue(int64_t now_ms);

 private:
  Database& db_;
};

}  // namespace trellis::db
