#include "db/telemetry_payload.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "core/json_text.hpp"
#include "db/validate.hpp"

namespace trellis::db {

namespace {

using Json = nlohmann::ordered_json;

Error fail(const char* code, std::string message) {
  return make_error(code, std::move(message));
}

std::string quote_key(std::string_view key) {
  return "'" + std::string(key) + "'";
}

std::string type_phrase(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  return "a number";
}

Status check_key(const std::string& key) {
  if (key.empty()) return fail("bad_key", "a key is empty");
  if (key.size() > max_name_length) {
    return fail("bad_key", "key " + quote_key(key.substr(0, 32)) + "... is longer than " +
                               std::to_string(max_name_length) + " bytes");
  }
  return Ok{};
}

// `where` adds context to the message, e.g. " at 1349907137000".
Result<Value> to_value(const std::string& key, const Json& v, const std::string& where) {
  if (v.is_boolean()) return Value(v.get<bool>());
  if (v.is_string()) return Value(v.get<std::string>());
  if (v.is_number()) {
    double d = v.get<double>();
    if (!std::isfinite(d)) {
      return fail("bad_value", "value of " + quote_key(key) + where + " is not a finite number");
    }
    return Value(d);
  }
  return fail("bad_value", "value of " + quote_key(key) + where + " is " + type_phrase(v) +
                               "; values must be numbers, strings or booleans");
}

// A form 2 object key: decimal digits only, at most max_timestamp_ms.
std::optional<int64_t> timestamp_key(const std::string& key) {
  if (key.empty() || key.size() > 16) return std::nullopt;
  int64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max_timestamp_ms) return std::nullopt;
  return v;
}

bool all_digits(const std::string& key) {
  return !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
}

Status add_point(std::vector<Point>& out, const std::string& key, int64_t ts, const Json& v,
                 const std::string& where) {
  auto ks = check_key(key);
  if (!ks) return ks;
  auto value = to_value(key, v, where);
  if (!value) return value.error();
  out.push_back(Point{{}, key, ts, std::move(*value)});
  return Ok{};
}

// Form 1: {"key": value, ...}
Status parse_flat(const Json& doc, int64_t now_ms, std::vector<Point>& out) {
  for (const auto& [key, v] : doc.items()) {
    auto st = add_point(out, key, now_ms, v, "");
    if (!st) return st;
  }
  return Ok{};
}

// Form 2: {"<ms>": {"key": value, ...}, ...}
Status parse_by_time(const Json& doc, std::vector<Point>& out) {
  for (const auto& [ts_key, inner] : doc.items()) {
    auto ts = timestamp_key(ts_key);
    if (!ts) {
      return fail("bad_timestamp", "time stamp key " + quote_key(ts_key) +
                                       " is not milliseconds since the epoch (at most 2^53)");
    }
    for (const auto& [key, v] : inner.items()) {
      auto st = add_point(out, key, *ts, v, " at " + ts_key);
      if (!st) return st;
    }
  }
  return Ok{};
}

Result<int64_t> entry_timestamp(const std::string& key, const Json& t, std::size_t index) {
  std::string where = "entry " + std::to_string(index) + " of " + quote_key(key);
  if (t.is_number_unsigned() || t.is_number_integer()) {
    if (t.is_number_integer() && !t.is_number_unsigned() && t.get<int64_t>() < 0) {
      return fail("bad_timestamp", "timestamp of " + where + " is negative");
    }
    auto v = t.get<uint64_t>();
    if (v > static_cast<uint64_t>(max_timestamp_ms)) {
      return fail("bad_timestamp", "timestamp of " + where + " is beyond 2^53 ms");
    }
    return static_cast<int64_t>(v);
  }
  if (t.is_number_float()) {
    double d = t.get<double>();
    if (std::isfinite(d) && d >= 0 && d <= static_cast<double>(max_timestamp_ms) &&
        d == std::floor(d)) {
      return static_cast<int64_t>(d);
    }
    return fail("bad_timestamp",
                "timestamp of " + where + " is not a whole number of ms since the epoch");
  }
  return fail("bad_timestamp", "timestamp of " + where + " is " + type_phrase(t) +
                                   ", not a number of ms since the epoch");
}

// Form 3: [{"key": [{"timestamp": ms, "value": v}, ...], ...}, ...]
Status parse_entries(const Json& doc, std::vector<Point>& out) {
  std::size_t element = 0;
  for (const auto& obj : doc) {
    if (!obj.is_object()) {
      return fail("bad_shape", "element " + std::to_string(element) +
                                   " of the top-level array is not an object");
    }
    for (const auto& [key, entries] : obj.items()) {
      auto ks = check_key(key);
      if (!ks) return ks;
      if (!entries.is_array()) {
        return fail("bad_shape", "value of " + quote_key(key) +
                                     " must be an array of {\"timestamp\", \"value\"} entries");
      }
      std::size_t index = 0;
      for (const auto& e : entries) {
        std::string where = "entry " + std::to_string(index) + " of " + quote_key(key);
        if (!e.is_object()) return fail("bad_entry", where + " is not an object");
        for (const auto& [member, ignored] : e.items()) {
          if (member != "timestamp" && member != "value") {
            return fail("bad_entry", where + " has an unexpected member " + quote_key(member));
          }
        }
        auto t = e.find("timestamp");
        auto v = e.find("value");
        if (t == e.end()) return fail("bad_entry", where + " has no \"timestamp\"");
        if (v == e.end()) return fail("bad_entry", where + " has no \"value\"");
        auto ts = entry_timestamp(key, *t, index);
        if (!ts) return ts.error();
        auto st = add_point(out, key, *ts, *v, " in " + where);
        if (!st) return st;
        ++index;
      }
    }
    ++element;
  }
  return Ok{};
}

}  // namespace

Result<std::vector<Point>> parse_telemetry_payload(std::string_view json, int64_t now_ms) {
  if (!json_nesting_within(json, max_payload_depth)) {
    return fail("too_deep", "payload nests deeper than " + std::to_string(max_payload_depth) +
                                " levels; no payload form needs that");
  }
  Json doc;
  try {
    doc = Json::parse(json.begin(), json.end());
  } catch (const Json::exception& e) {
    return fail("bad_json", "payload is not JSON: " + json_error_text(e));
  }

  std::vector<Point> out;
  Status st = Ok{};
  if (doc.is_array()) {
    st = parse_entries(doc, out);
  } else if (doc.is_object()) {
    // Form 2 when every member is an object under a time stamp key; anything
    // else is form 1, where an object value is the error to report.
    std::size_t timed = 0;
    const std::string* untimed = nullptr;
    for (const auto& [key, v] : doc.items()) {
      if (v.is_object() && all_digits(key)) {
        ++timed;
      } else if (!untimed) {
        untimed = &key;
      }
    }
    // Half one form and half the other: name the member that breaks form 2,
    // not a time stamp key form 1 cannot read.
    if (timed > 0 && untimed) {
      return fail("bad_shape",
                  "member " + quote_key(*untimed) +
                      " is not an object under a time stamp, as the other members "
                      "are: a payload is keyed by time stamps throughout or not at all");
    }
    const bool by_time = timed > 0;
    st = by_time ? parse_by_time(doc, out) : parse_flat(doc, now_ms, out);
  } else {
    return fail("bad_shape",
                "payload must be a JSON object or array, not " + std::string(doc.type_name()));
  }
  if (!st) return st.error();
  if (out.empty()) return fail("no_values", "payload holds no values");
  return out;
}

}  // namespace trellis::db
