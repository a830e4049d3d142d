#pragma once
// A small CBOR (RFC 8949) reader and writer: what SenML CBOR and the LwM2M CBOR
// format need, written for this project so the codecs stay dependency-free.
// The reader parses one whole data item into a tree; the writer appends items
// to a string.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace trellis::lwm2m::cbor {

enum class Kind : uint8_t {
  unsigned_int,  // major 0
  negative_int,  // major 1: the value is -1 - number
  bytes,         // major 2
  text,          // major 3 (checked to be UTF-8)
  array,         // major 4
  map,           // major 5: items hold key, value, key, value, ...
  tag,           // major 6: number is the tag, items[0] the tagged item
  simple,        // major 7 simple values: 20 false, 21 true, 22 null, 23 undefined, ...
  float_,        // major 7, half / single / double precision
};

struct Item {
  Kind kind = Kind::unsigned_int;
  uint64_t number = 0;      // integer argument, tag number or simple value
  double float_value = 0;   // for float_
  std::string string;       // bytes or text
  std::vector<Item> items;  // array elements, map keys and values, tagged item

  bool is_bool() const { return kind == Kind::simple && (number == 20 || number == 21); }
  bool as_bool() const { return number == 21; }
  bool is_integer() const { return kind == Kind::unsigned_int || kind == Kind::negative_int; }
  // The integer as int64 when it fits.
  std::optional<int64_t> as_int64() const;
};

// Nesting deeper than this is refused ("cbor_too_deep"); SenML needs 2.
inline constexpr int kMaxDepth = 16;

// Decodes exactly one well-formed item covering all of `bytes`. Errors:
// "cbor_truncated", "cbor_trailing_bytes", "cbor_reserved_info" (additional
// information 28-30), "cbor_bad_indefinite", "cbor_bad_simple",
// "cbor_invalid_utf8", "cbor_too_deep".
Result<Item> decode(std::string_view bytes);

class Writer {
 public:
  void unsigned_int(uint64_t v) { head(0, v); }
  void signed_int(int64_t v);
  void bytes(std::string_view b);
  void text(std::string_view t);
  void array(uint64_t count) { head(4, count); }
  void map(uint64_t count) { head(5, count); }
  void tag(uint64_t number) { head(6, number); }
  void boolean(bool b) { out_ += static_cast<char>(b ? 0xF5 : 0xF4); }
  void null() { out_ += static_cast<char>(0xF6); }
  // The shortest of half, single and double precision that reads back as the
  // same value (NaN as the half-precision quiet NaN).
  void float_shortest(double d);

  const std::string& bytes_so_far() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void head(uint8_t major, uint64_t argument);
  std::string out_;
};

// Exposed for tests: half-precision bits for a double that a half holds exactly.
std::optional<uint16_t> to_half(double d);
double from_half(uint16_t h);

}  // namespace trellis::lwm2m::cbor
