#pragma once
// MQTT usernames are one namespace shared by devices and applications, so a
// connect resolves to exactly one of them.
#include <optional>
#include <string>
#include <string_view>

#include "db/sqlite.hpp"

namespace trellis::db {

// "device 'x'" or "application 'y'" when the username is taken, else nullopt.
std::optional<std::string> username_holder(Connection& c, std::string_view username);

}  // namespace trellis::db
