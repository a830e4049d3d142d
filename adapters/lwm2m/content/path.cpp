#include "adapters/lwm2m/content/path.hpp"

#include <array>

namespace trellis::lwm2m {

int Path::depth() const {
  if (!instance) return 1;
  if (!resource) return 2;
  if (!resource_instance) return 3;
  return 4;
}

Path Path::truncated(int levels) const {
  Path p;
  p.object = object;
  if (levels >= 2) p.instance = instance;
  if (levels >= 3 && p.instance) p.resource = resource;
  if (levels >= 4 && p.resource) p.resource_instance = resource_instance;
  return p;
}

std::optional<uint16_t> Path::at(int level) const {
  switch (level) {
    case 1:
      return object;
    case 2:
      return instance;
    case 3:
      return instance ? resource : std::nullopt;
    case 4:
      return instance && resource ? resource_instance : std::nullopt;
    default:
      return std::nullopt;
  }
}

bool Path::contains(const Path& other) const {
  const int d = depth();
  if (other.depth() < d) return false;
  for (int level = 1; level <= d; ++level) {
    if (at(level) != other.at(level)) return false;
  }
  return true;
}

std::string Path::to_string() const {
  std::string out = "/" + std::to_string(object);
  for (int level = 2; level <= depth(); ++level) {
    out += '/';
    out += std::to_string(*at(level));
  }
  return out;
}

Result<Path> parse_path(std::string_view text) {
  if (text.empty() || text.front() != '/') {
    return make_error("bad_path", "path must start with '/'");
  }
  text.remove_prefix(1);
  if (!text.empty() && text.back() == '/') text.remove_suffix(1);
  if (text.empty()) return make_error("root_path", "the root path '/' names no object");

  std::array<uint16_t, 4> ids{};
  int count = 0;
  while (true) {
    const auto slash = text.find('/');
    const std::string_view part = text.substr(0, slash);
    if (part.empty()) return make_error("bad_path", "empty path segment");
    if (part.size() > 1 && part.front() == '0') {
      return make_error("bad_path", "path segment with a leading zero");
    }
    uint32_t id = 0;
    for (const char c : part) {
      if (c < '0' || c > '9') return make_error("bad_path", "path segment is not a number");
      id = id * 10 + static_cast<uint32_t>(c - '0');
      if (id > 0xFFFF) return make_error("bad_path", "path id above 65535");
    }
    if (count == 4) return make_error("bad_path", "path deeper than a resource instance");
    ids[count++] = static_cast<uint16_t>(id);
    if (slash == std::string_view::npos) break;
    text.remove_prefix(slash + 1);
  }

  Path p;
  p.object = ids[0];
  if (count >= 2) p.instance = ids[1];
  if (count >= 3) p.resource = ids[2];
  if (count >= 4) p.resource_instance = ids[3];
  return p;
}

}  // namespace trellis::lwm2m
