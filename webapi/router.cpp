#include "webapi/router.hpp"

#include <algorithm>
#include <string_view>

#include "webapi/query.hpp"

namespace trellis::webapi {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  // A trailing slash names the same resource ("/devices/" is "/devices").
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return out;
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path = path.substr(slash + 1);
  }
  return out;
}

bool is_param(std::string_view s) {
  return s.size() > 2 && s.front() == '{' && s.back() == '}';
}

bool match_pattern(std::string_view pattern, const std::vector<std::string_view>& path,
                   std::map<std::string, std::string>& params) {
  const auto pat = segments(pattern);
  if (pat.size() != path.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    if (is_param(pat[i])) {
      auto v = percent_decode(path[i]);
      if (!v || v->empty()) return false;
      found[std::string(pat[i].substr(1, pat[i].size() - 2))] = std::move(*v);
    } else if (pat[i] != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

void Router::add(Route r) {
  routes_.push_back(std::move(r));
}

RouteMatch Router::match(const std::string& method, const std::string& path) const {
  RouteMatch m;
  const auto segs = segments(path);
  for (auto s : segs) {
    if (!percent_decode(s)) {
      m.kind = RouteMatch::Kind::bad_path;
      m.bad_segment = std::string(s);
      return m;
    }
  }
  // Literal segments win over parameters ("/telemetry/latest" over "/{x}/{y}"):
  // the first route in table order that matches is taken, so the table lists
  // literal routes first where they overlap.
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match_pattern(r.pattern, segs, params)) continue;
    if (r.method == method || (method == "HEAD" && r.method == "GET")) {
      if (m.kind != RouteMatch::Kind::found) {
        m.kind = RouteMatch::Kind::found;
        m.route = &r;
        m.params = std::move(params);
      }
    }
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end()) {
      m.allowed.push_back(r.method);
    }
  }
  if (std::find(m.allowed.begin(), m.allowed.end(), "GET") != m.allowed.end())
    m.allowed.push_back("HEAD");
  if (m.kind != RouteMatch::Kind::found && !m.allowed.empty())
    m.kind = RouteMatch::Kind::wrong_method;
  return m;
}

}  // namespace trellis::webapi
