#include "core/auth.hpp"

#include "core/topic.hpp"

namespace trellis {

namespace {

// Expands Mosquitto-style %c / %u in an ACL pattern. A substituted value that
// holds wildcards or '/' cannot widen the pattern: such a client gets no match.
std::optional<std::string> expand(std::string_view pattern, std::string_view client_id,
                                  std::string_view username) {
  if (pattern.find('%') == std::string_view::npos) return std::string(pattern);
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() &&
        (pattern[i + 1] == 'c' || pattern[i + 1] == 'u')) {
      std::string_view value = pattern[i + 1] == 'c' ? client_id : username;
      if (value.empty() || value.find_first_of("+#/") != std::string_view::npos) {
        return std::nullopt;
      }
      out += value;
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

template <typename Test>
bool any_pattern(const std::vector<std::string>& patterns, std::string_view client_id,
                 std::string_view username, Test test) {
  for (const auto& p : patterns) {
    auto expanded = expand(p, client_id, username);
    if (expanded && test(*expanded)) return true;
  }
  return false;
}

}  // namespace

const Acl& SharedAcl::none() {
  static const Acl empty;
  return empty;
}

bool Principal::may_publish(std::string_view topic, std::string_view client_id) const {
  auto matches = [&](const std::string& p) { return topic::matches(p, topic, false); };
  if (any_pattern(acl->deny, client_id, username, matches)) return false;
  return any_pattern(acl->publish, client_id, username, matches);
}

bool Principal::may_subscribe(std::string_view filter, std::string_view client_id) const {
  auto covered = [&](const std::string& p) { return topic::covers(p, filter); };
  if (any_pattern(acl->deny, client_id, username, covered)) return false;
  return any_pattern(acl->subscribe, client_id, username, covered);
}

bool Principal::may_receive(std::string_view topic, std::string_view client_id) const {
  if (acl->deny.empty()) return true;
  auto matches = [&](const std::string& p) { return topic::matches(p, topic, false); };
  return !any_pattern(acl->deny, client_id, username, matches);
}

}  // namespace trellis
