#pragma once
// Shared by the LwM2M content-format tests: byte builders and a small object
// model for the objects the specification's examples use.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "adapters/lwm2m/content/value.hpp"

namespace trellis::lwm2m::test {

using objects::ResourceType;

// Raw bytes from a list of octets: hex({0xC8, 0x00, 0x14}).
inline std::string hex(std::initializer_list<int> octets) {
  std::string out;
  for (const int o : octets) out += static_cast<char>(o);
  return out;
}

inline Bytes bytes_of(std::initializer_list<int> octets) {
  Bytes out;
  for (const int o : octets) out.push_back(static_cast<uint8_t>(o));
  return out;
}

inline Path path(std::string_view text) {
  auto p = parse_path(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? *p : Path{};
}

inline ResourceRecord rec(std::string_view p, Value v) {
  return {path(p), std::move(v), {}};
}
inline ResourceRecord rec_at(std::string_view p, Value v, double t) {
  return {path(p), std::move(v), t};
}

// Types of the resources the Core TS examples use: Device (3), Access Control
// (2), LwM2M Server (1), the object-link example objects 65 / 66 / 67, the
// temperature example /72/x/2 (Float), Light Control 3311, and /9 with one
// resource per data type for the round-trip tests.
inline std::optional<ResourceType> spec_types(const Path& p) {
  const uint16_t r = p.resource.value_or(0xFFFF);
  switch (p.object) {
    case 1:
      if (r == 0 || r == 1 || r == 2 || r == 3 || r == 5) return ResourceType::integer;
      if (r == 6) return ResourceType::boolean;
      if (r == 7) return ResourceType::string;
      return std::nullopt;
    case 2:
      if (r <= 3) return ResourceType::integer;
      return std::nullopt;
    case 3:
      if (r <= 3 || r == 14 || r == 15 || r == 16) return ResourceType::string;
      if ((r >= 6 && r <= 11) || r == 20 || r == 21) return ResourceType::integer;
      if (r == 13) return ResourceType::time;
      return std::nullopt;
    case 65:
      if (r == 0) return ResourceType::objlnk;
      if (r == 1) return ResourceType::string;
      if (r == 2) return ResourceType::integer;
      return std::nullopt;
    case 66:
      if (r == 0 || r == 1) return ResourceType::string;
      if (r == 2) return ResourceType::objlnk;
      return std::nullopt;
    case 67:
      return ResourceType::string;
    case 72:
      return ResourceType::float_;
    case 3311:
      if (r == 5850) return ResourceType::boolean;
      if (r == 5851) return ResourceType::integer;
      return std::nullopt;
    case 9:
      switch (r) {
        case 0:
          return ResourceType::string;
        case 1:
          return ResourceType::integer;
        case 2:
          return ResourceType::unsigned_integer;
        case 3:
          return ResourceType::float_;
        case 4:
          return ResourceType::boolean;
        case 5:
          return ResourceType::opaque;
        case 6:
          return ResourceType::time;
        case 7:
          return ResourceType::objlnk;
        case 8:
          return ResourceType::corelnk;
        default:
          return std::nullopt;
      }
    default:
      return std::nullopt;
  }
}

inline const TypeLookup& spec_lookup() {
  static const TypeLookup lookup = spec_types;
  return lookup;
}

inline const TypeLookup& no_lookup() {
  static const TypeLookup lookup;
  return lookup;
}

// The Device object instance of the Core TS examples (7.4.3 ff.), as records.
inline std::vector<ResourceRecord> device_records() {
  return {
      rec("/3/0/0", std::string("Open Mobile Alliance")),
      rec("/3/0/1", std::string("Lightweight M2M Client")),
      rec("/3/0/2", std::string("345000123")),
      rec("/3/0/3", std::string("1.0")),
      rec("/3/0/6/0", int64_t{1}),
      rec("/3/0/6/1", int64_t{5}),
      rec("/3/0/7/0", int64_t{3800}),
      rec("/3/0/7/1", int64_t{5000}),
      rec("/3/0/8/0", int64_t{125}),
      rec("/3/0/8/1", int64_t{900}),
      rec("/3/0/9", int64_t{100}),
      rec("/3/0/10", int64_t{15}),
      rec("/3/0/11/0", int64_t{0}),
      rec("/3/0/13", Time{1367491215}),
      rec("/3/0/14", std::string("+02:00")),
      rec("/3/0/16", std::string("U")),
  };
}

#define EXPECT_ERROR(result, code_text)                            \
  do {                                                             \
    const auto& r_ = (result);                                     \
    ASSERT_FALSE(r_.ok()) << "expected error " << (code_text);     \
    EXPECT_EQ(r_.error().code, (code_text)) << r_.error().message; \
  } while (0)

#define ASSERT_OK(result) \
  ASSERT_TRUE((result).ok()) << (result).error().code << ": " << (result).error().message

}  // namespace trellis::lwm2m::test
