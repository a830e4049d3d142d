#include "db/command_store.hpp"

#include "core/message.hpp"
#include "core/text_encoding.hpp"
#include "db/crypto.hpp"
#include "db/cursor.hpp"
#include "db/database.hpp"
#include "db/device.hpp"
#include "db/errors.hpp"
#include "db/validate.hpp"

namespace trellis::db {

namespace {

constexpr std::string_view columns =
    "uid, device_id, protocol, body, state, created_ms, updated_ms, deadline_ms, result, message";
constexpr std::string_view cursor_tag = "commands";

std::string select_where(std::string_view condition) {
  return "SELECT " + std::string(columns) + " FROM commands WHERE " + std::string(condition);
}

nlohmann::json parse_json(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

Command read_row(const Statement& st) {
  Command c;
  c.uid = st.column_text(0);
  c.device_id = st.column_text(1);
  c.protocol = st.column_text(2);
  c.body = parse_json(st.column_text(3));
  c.state = parse_command_state(st.column_text(4)).value_or(CommandState::failed);
  c.created_ms = st.column_int(5);
  c.updated_ms = st.column_int(6);
  c.deadline_ms = st.column_int(7);
  if (!st.is_null(8)) c.result = parse_json(st.column_text(8));
  c.message = st.column_text(9);
  return c;
}

std::optional<Command> read_command(Connection& c, std::string_view uid) {
  auto st = c.prepare(select_where("uid = ?"));
  st.bind(1, uid);
  if (!st.step()) return std::nullopt;
  auto cmd = read_row(st);
  st.reset();
  return cmd;
}

Error not_found(std::string_view uid) {
  return error(errc::not_found, "command '" + std::string(uid) + "' does not exist");
}

}  // namespace

std::string_view command_state_name(CommandState s) {
  switch (s) {
    case CommandState::pending:
      return "pending";
    case CommandState::sent:
      return "sent";
    case CommandState::done:
      return "done";
    case CommandState::failed:
      return "failed";
    case CommandState::timed_out:
      return "timed_out";
  }
  return "failed";
}

std::optional<CommandState> parse_command_state(std::string_view name) {
  for (auto s : {CommandState::pending, CommandState::sent, CommandState::done,
                 CommandState::failed, CommandState::timed_out}) {
    if (command_state_name(s) == name) return s;
  }
  return std::nullopt;
}

CommandStore::CommandStore(Database& db) : db_(db) {}

Result<Command> CommandStore::create(const NewCommand& nc) {
  std::string uid = nc.uid.empty() ? hex_encode(random_bytes(8)) : nc.uid;
  if (auto st = validate_text(uid, "command uid", max_id_length); !st) return st.error();
  if (nc.body.is_discarded()) return error(errc::invalid_argument, "command body is not JSON");
  std::string body = nc.body.dump();
  auto r = db_.writer().call([&](Connection& c) -> Result<Command> {
    auto dev = c.prepare("SELECT 1 FROM devices WHERE id = ?");
    dev.bind(1, nc.device_id);
    if (!dev.step()) {
      return error(errc::not_found, "device '" + nc.device_id + "' does not exist");
    }
    dev.reset();
    if (read_command(c, uid)) {
      return error(errc::conflict, "command '" + uid + "' already exists");
    }
    int64_t now = now_ms();
    c.prepare(
         "INSERT INTO commands(uid, device_id, protocol, body, state, created_ms, updated_ms, "
         "deadline_ms) VALUES(?, ?, ?, ?, 'pending', ?, ?, ?)")
        .bind_all(uid, nc.device_id, nc.protocol, body, now, now, nc.deadline_ms)
        .run();
    return *read_command(c, uid);
  });
  return r;
}

Result<Command> CommandStore::get(std::string_view uid) const {
  return guarded([&]() -> Result<Command> {
    auto c = db_.readers().acquire();
    auto cmd = read_command(*c, uid);
    if (!cmd) return not_found(uid);
    return std::move(*cmd);
  });
}

Result<Command> CommandStore::transition(std::string_view uid, CommandState to,
                                         std::optional<nlohmann::json> result,
                                         std::string message) {
  std::optional<std::string> result_text;
  if (result) result_text = result->dump();
  return db_.writer().call([&](Connection& c) -> Result<Command> {
    auto cur = read_command(c, uid);
    if (!cur) return not_found(uid);
    if (is_final(cur->state)) {
      return error(errc::conflict, "command '" + std::string(uid) + "' is already " +
                                       std::string(command_state_name(cur->state)));
    }
    if (to == CommandState::pending && cur->state == CommandState::sent) {
      return error(errc::conflict, "command '" + std::string(uid) + "' was already sent");
    }
    auto st = c.prepare(
        "UPDATE commands SET state = ?, updated_ms = ?, result = COALESCE(?, result), "
        "message = ? WHERE uid = ?");
    st.bind_all(command_state_name(to), now_ms(), result_text,
                message.empty() ? cur->message : message, uid);
    st.run();
    return *read_command(c, uid);
  });
}

Result<std::vector<Command>> CommandStore::pending_for_device(std::string_view device_id) const {
  return guarded([&]() -> Result<std::vector<Command>> {
    auto c = db_.readers().acquire();
    auto st =
        c->prepare(select_where("device_id = ? AND state = 'pending' ORDER BY created_ms, uid"));
    st.bind(1, device_id);
    std::vector<Command> out;
    while (st.step()) out.push_back(read_row(st));
    return out;
  });
}

Result<CommandPage> CommandStore::list(std::string_view device_id, std::size_t limit,
                                       std::string_view cursor) const {
  int64_t before_ms = std::numeric_limits<int64_t>::max();
  std::string before_uid;
  bool has_cursor = !cursor.empty();
  if (has_cursor) {
    auto f = decode_cursor(cursor, cursor_tag, 2);
    if (!f) return error(errc::invalid_argument, "cursor is not one this list gave out");
    try {
      before_ms = std::stoll((*f)[0]);
    } catch (const std::exception&) {
      return error(errc::invalid_argument, "cursor is not one this list gave out");
    }
    before_uid = (*f)[1];
  }
  limit = std::clamp<std::size_t>(limit, 1, max_page_size);
  return guarded([&]() -> Result<CommandPage> {
    auto c = db_.readers().acquire();
    auto st = c->prepare(
        select_where("device_id = ?1 AND (?2 = 0 OR created_ms < ?3 OR "
                     "(created_ms = ?3 AND uid < ?4)) ORDER BY created_ms DESC, uid DESC "
                     "LIMIT ?5"));
    st.bind_all(device_id, has_cursor, before_ms, before_uid, static_cast<int64_t>(limit + 1));
    CommandPage page;
    while (st.step()) page.commands.push_back(read_row(st));
    if (page.commands.size() > limit) {
      page.commands.pop_back();
      const auto& last = page.commands.back();
      page.next_cursor = encode_cursor(cursor_tag, {std::to_string(last.created_ms), last.uid});
    }
    return page;
  });
}

Result<std::vector<Command>> CommandStore::expire_overdue(int64_t now) {
  return db_.writer().call([&](Connection& c) -> Result<std::vector<Command>> {
    std::vector<std::string> uids;
    auto sel = c.prepare(
        "SELECT uid FROM commands WHERE state IN ('pending', 'sent') AND deadline_ms > 0 AND "
        "deadline_ms <= ?");
    sel.bind(1, now);
    while (sel.step()) uids.push_back(sel.column_text(0));
    std::vector<Command> out;
    for (const auto& uid : uids) {
      c.prepare(
           "UPDATE commands SET state = 'timed_out', updated_ms = ?, "
           "message = CASE WHEN message = '' THEN 'no answer before the deadline' "
           "ELSE message END WHERE uid = ?")
          .bind_all(now, uid)
          .run();
      out.push_back(*read_command(c, uid));
    }
    return out;
  });
}

}  // namespace trellis::db
