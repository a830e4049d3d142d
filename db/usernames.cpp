#include "db/usernames.hpp"

namespace trellis::db {

std::optional<std::string> username_holder(Connection& c, std::string_view username) {
  auto dev = c.prepare("SELECT id FROM devices WHERE mqtt_username = ?");
  dev.bind(1, username);
  if (dev.step()) {
    std::string who = "device '" + dev.column_text(0) + "'";
    dev.reset();
    return who;
  }
  auto app = c.prepare("SELECT name FROM applications WHERE username = ?");
  app.bind(1, username);
  if (app.step()) {
    std::string who = "application '" + app.column_text(0) + "'";
    app.reset();
    return who;
  }
  return std::nullopt;
}

}  // namespace trellis::db
