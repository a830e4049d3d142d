#pragma once
// An LwM2M path (/object/instance/resource/resource-instance), as CoAP URIs and
// the JSON / SenML names carry it (LwM2M 1.1 Core, 6.1 and 7.4.4).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace trellis::lwm2m {

struct Path {
  uint16_t object = 0;
  std::optional<uint16_t> instance;
  std::optional<uint16_t> resource;
  std::optional<uint16_t> resource_instance;

  // 1 (object) .. 4 (resource instance). Parsed paths never skip a level.
  int depth() const;
  // The path cut to `levels` components (1..4); never deeper than it is.
  Path truncated(int levels) const;
  // The component at a level (1..4), if the path reaches it.
  std::optional<uint16_t> at(int level) const;
  // True when `other` is this path or lies below it.
  bool contains(const Path& other) const;
  // "/3/0/1"
  std::string to_string() const;

  friend bool operator==(const Path&, const Path&) = default;
  friend auto operator<=>(const Path&, const Path&) = default;
};

// Parses "/3", "/3/0", "/3/0/1", "/3/0/1/2". A single trailing '/' is accepted
// ("/3/0/" is /3/0) because base names in JSON and SenML end with one. Ids are
// decimal without leading zeros, each in 0..65535. "/" alone is the root, which
// has no Path: error "root_path".
Result<Path> parse_path(std::string_view text);

}  // namespace trellis::lwm2m
