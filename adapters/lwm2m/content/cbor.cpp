#include "adapters/lwm2m/content/cbor.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "adapters/lwm2m/content/json_writer.hpp"

namespace trellis::lwm2m::cbor {
namespace {

constexpr uint8_t kBreak = 0xFF;

class Reader {
 public:
  explicit Reader(std::string_view bytes) : data_(bytes) {}

  bool at_end() const { return pos_ == data_.size(); }

  Result<Item> item(int depth) {
    if (depth > kMaxDepth) return make_error("cbor_too_deep", "CBOR nesting too deep");
    if (at_end()) return truncated();
    const auto initial = static_cast<uint8_t>(data_[pos_++]);
    const uint8_t major = initial >> 5;
    const uint8_t info = initial & 0x1F;

    if (major == 7) return simple_or_float(info);
    if (info >= 28 && info <= 30) {
      return make_error("cbor_reserved_info", "reserved additional information 28-30");
    }
    if (info == 31) return indefinite(major, depth);

    auto arg = argument(info);
    if (!arg) return arg.error();
    const uint64_t n = *arg;
    Item it;
    switch (major) {
      case 0:
        it.kind = Kind::unsigned_int;
        it.number = n;
        return it;
      case 1:
        it.kind = Kind::negative_int;
        it.number = n;
        return it;
      case 2:
      case 3: {
        it.kind = major == 2 ? Kind::bytes : Kind::text;
        if (n > data_.size() - pos_) return truncated();
        it.string.assign(data_.substr(pos_, static_cast<std::size_t>(n)));
        pos_ += static_cast<std::size_t>(n);
        if (it.kind == Kind::text && !is_valid_utf8(it.string)) {
          return make_error("cbor_invalid_utf8", "CBOR text string is not UTF-8");
        }
        return it;
      }
      case 4:
      case 5: {
        it.kind = major == 4 ? Kind::array : Kind::map;
        const uint64_t count = major == 4 ? n : n * 2;
        // Every item takes at least one byte: a count beyond what is left is a
        // truncation, caught before any allocation.
        if (n > data_.size() - pos_ || count > data_.size() - pos_) return truncated();
        it.items.reserve(static_cast<std::size_t>(count));
        for (uint64_t i = 0; i < count; ++i) {
          auto child = item(depth + 1);
          if (!child) return child.error();
          it.items.push_back(std::move(*child));
        }
        return it;
      }
      default: {  // 6
        it.kind = Kind::tag;
        it.number = n;
        auto child = item(depth + 1);
        if (!child) return child.error();
        it.items.push_back(std::move(*child));
        return it;
      }
    }
  }

 private:
  static Error truncated() { return make_error("cbor_truncated", "CBOR data ends early"); }

  Result<uint64_t> argument(uint8_t info) {
    if (info < 24) return uint64_t{info};
    const std::size_t len = std::size_t{1} << (info - 24);  // 1, 2, 4, 8
    if (len > data_.size() - pos_) return truncated();
    uint64_t v = 0;
    for (std::size_t i = 0; i < len; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
    pos_ += len;
    return v;
  }

  Result<Item> simple_or_float(uint8_t info) {
    Item it;
    if (info < 24) {
      it.kind = Kind::simple;
      it.number = info;
      return it;
    }
    if (info == 24) {
      if (at_end()) return truncated();
      const auto v = static_cast<uint8_t>(data_[pos_++]);
      // RFC 8949 3.3: simple values below 32 in the two-byte form are not well-formed.
      if (v < 32) return make_error("cbor_bad_simple", "two-byte simple value below 32");
      it.kind = Kind::simple;
      it.number = v;
      return it;
    }
    if (info >= 25 && info <= 27) {
      auto bits = argument(info);
      if (!bits) return bits.error();
      it.kind = Kind::float_;
      if (info == 25) {
        it.float_value = from_half(static_cast<uint16_t>(*bits));
      } else if (info == 26) {
        const auto b = static_cast<uint32_t>(*bits);
        float f;
        std::memcpy(&f, &b, sizeof f);
        it.float_value = f;
      } else {
        const uint64_t b = *bits;
        double d;
        std::memcpy(&d, &b, sizeof d);
        it.float_value = d;
      }
      return it;
    }
    if (info == 31) return make_error("cbor_bad_indefinite", "break outside an indefinite item");
    return make_error("cbor_reserved_info", "reserved additional information 28-30");
  }

  Result<Item> indefinite(uint8_t major, int depth) {
    Item it;
    switch (major) {
      case 2:
      case 3: {
        it.kind = major == 2 ? Kind::bytes : Kind::text;
        while (true) {
          if (at_end()) return truncated();
          const auto initial = static_cast<uint8_t>(data_[pos_]);
          if (initial == kBreak) {
            ++pos_;
            break;
          }
          // Chunks are definite-length strings of the same major type.
          if ((initial >> 5) != major || (initial & 0x1F) == 31) {
            return make_error("cbor_bad_indefinite", "bad chunk in an indefinite string");
          }
          auto chunk = item(depth + 1);
          if (!chunk) return chunk.error();
          it.string += chunk->string;
        }
        if (it.kind == Kind::text && !is_valid_utf8(it.string)) {
          return make_error("cbor_invalid_utf8", "CBOR text string is not UTF-8");
        }
        return it;
      }
      case 4:
      case 5: {
        it.kind = major == 4 ? Kind::array : Kind::map;
        while (true) {
          if (at_end()) return truncated();
          if (static_cast<uint8_t>(data_[pos_]) == kBreak) {
            ++pos_;
            break;
          }
          auto child = item(depth + 1);
          if (!child) return child.error();
          it.items.push_back(std::move(*child));
        }
        if (it.kind == Kind::map && it.items.size() % 2 != 0) {
          return make_error("cbor_bad_indefinite", "indefinite map with a key and no value");
        }
        return it;
      }
      default:
        return make_error("cbor_bad_indefinite", "indefinite length on an integer or tag");
    }
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<int64_t> Item::as_int64() const {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (kind == Kind::unsigned_int && number <= kMax) return static_cast<int64_t>(number);
  // -1 - n for n <= INT64_MAX covers INT64_MIN exactly.
  if (kind == Kind::negative_int && number <= kMax) return -1 - static_cast<int64_t>(number);
  return std::nullopt;
}

Result<Item> decode(std::string_view bytes) {
  Reader reader(bytes);
  auto it = reader.item(0);
  if (!it) return it.error();
  if (!reader.at_end()) return make_error("cbor_trailing_bytes", "bytes after the CBOR item");
  return it;
}

double from_half(uint16_t h) {
  const int exp = (h >> 10) & 0x1F;
  const int mant = h & 0x3FF;
  double v;
  if (exp == 0) {
    v = std::ldexp(mant, -24);
  } else if (exp == 31) {
    v = mant == 0 ? std::numeric_limits<double>::infinity()
                  : std::numeric_limits<double>::quiet_NaN();
  } else {
    v = std::ldexp(mant + 1024, exp - 25);
  }
  return (h & 0x8000) ? -v : v;
}

std::optional<uint16_t> to_half(double d) {
  const uint16_t sign = std::signbit(d) ? 0x8000 : 0;
  if (std::isnan(d)) return uint16_t{0x7E00};
  if (std::isinf(d)) return static_cast<uint16_t>(sign | 0x7C00);
  if (d == 0) return sign;
  const double a = std::fabs(d);
  int exp;
  const double frac = std::frexp(a, &exp);  // a = frac * 2^exp, frac in [0.5, 1)
  // Normal halves: a = 1.m * 2^(exp-1) with exp-1 in [-14, 15] and 10 mantissa bits.
  if (exp - 1 >= -14 && exp - 1 <= 15) {
    const double scaled = std::ldexp(frac, 11);  // 1m..m as an 11-bit integer
    if (scaled != std::trunc(scaled)) return std::nullopt;
    const auto m = static_cast<uint16_t>(scaled) & 0x3FF;
    return static_cast<uint16_t>(sign | ((exp - 1 + 15) << 10) | m);
  }
  // Subnormal halves: a = m * 2^-24 with m in [1, 1023].
  if (exp - 1 < -14) {
    const double m = std::ldexp(a, 24);
    if (m != std::trunc(m) || m < 1 || m > 1023) return std::nullopt;
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(m));
  }
  return std::nullopt;
}

void Writer::head(uint8_t major, uint64_t argument) {
  const auto m = static_cast<uint8_t>(major << 5);
  if (argument < 24) {
    out_ += static_cast<char>(m | argument);
    return;
  }
  int len;
  uint8_t info;
  if (argument <= 0xFF) {
    len = 1;
    info = 24;
  } else if (argument <= 0xFFFF) {
    len = 2;
    info = 25;
  } else if (argument <= 0xFFFFFFFF) {
    len = 4;
    info = 26;
  } else {
    len = 8;
    info = 27;
  }
  out_ += static_cast<char>(m | info);
  for (int i = len - 1; i >= 0; --i) out_ += static_cast<char>((argument >> (8 * i)) & 0xFF);
}

void Writer::signed_int(int64_t v) {
  if (v >= 0) {
    head(0, static_cast<uint64_t>(v));
  } else {
    // -1 - v without overflow for INT64_MIN.
    head(1, static_cast<uint64_t>(-(v + 1)));
  }
}

void Writer::bytes(std::string_view b) {
  head(2, b.size());
  out_ += b;
}

void Writer::text(std::string_view t) {
  head(3, t.size());
  out_ += t;
}

void Writer::float_shortest(double d) {
  if (auto h = to_half(d)) {
    out_ += static_cast<char>(0xF9);
    out_ += static_cast<char>(*h >> 8);
    out_ += static_cast<char>(*h & 0xFF);
    return;
  }
  // Outside float's range the conversion is undefined, so test the range first.
  const bool fits_float = std::fabs(d) <= std::numeric_limits<float>::max();
  if (fits_float && static_cast<double>(static_cast<float>(d)) == d) {
    const auto f = static_cast<float>(d);
    uint32_t b;
    std::memcpy(&b, &f, sizeof b);
    out_ += static_cast<char>(0xFA);
    for (int i = 3; i >= 0; --i) out_ += static_cast<char>((b >> (8 * i)) & 0xFF);
    return;
  }
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  out_ += static_cast<char>(0xFB);
  for (int i = 7; i >= 0; --i) out_ += static_cast<char>((b >> (8 * i)) & 0xFF);
}

}  // namespace trellis::lwm2m::cbor
