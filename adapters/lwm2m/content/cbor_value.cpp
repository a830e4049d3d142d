#include "adapters/lwm2m/content/cbor_value.hpp"

#include "adapters/lwm2m/content/cbor.hpp"
#include "adapters/lwm2m/content/json_writer.hpp"
#include "adapters/lwm2m/content/plain_text.hpp"

namespace trellis::lwm2m {
namespace {

using objects::ResourceType;

constexpr uint64_t kEpochTimeTag = 1;  // RFC 8949, 3.4.2

Result<Value> item_value(const cbor::Item& it, std::optional<ResourceType> type) {
  switch (it.kind) {
    case cbor::Kind::unsigned_int:
      if (auto i = it.as_int64()) return Value{*i};
      return Value{it.number};
    case cbor::Kind::negative_int:
      if (auto i = it.as_int64()) return Value{*i};
      return make_error("cbor_int_range", "negative integer below -2^63");
    case cbor::Kind::float_:
      return Value{it.float_value};
    case cbor::Kind::bytes:
      return Value{Bytes(it.string.begin(), it.string.end())};
    case cbor::Kind::text:
      if (type == ResourceType::objlnk) {
        if (auto link = parse_objlnk(it.string)) return Value{*link};
        return make_error("bad_objlnk", "object link is not 'a:b'");
      }
      return Value{it.string};
    case cbor::Kind::simple:
      if (it.is_bool()) return Value{it.as_bool()};
      break;
    case cbor::Kind::tag:
      if (it.number == kEpochTimeTag && it.items.size() == 1) {
        if (auto seconds = it.items[0].as_int64()) return Value{Time{*seconds}};
      }
      break;
    default:
      break;
  }
  return make_error("cbor_unsupported_item", "CBOR item that is no LwM2M value");
}

}  // namespace

Result<std::vector<ResourceRecord>> decode_cbor(std::string_view bytes, const Path& request_path,
                                                const TypeLookup& lookup) {
  if (request_path.depth() < 3) {
    return make_error("path_not_resource", request_path.to_string() + " is not a resource");
  }
  auto item = cbor::decode(bytes);
  if (!item) return item.error();
  const auto type = lookup_type(lookup, request_path);
  auto value = item_value(*item, type);
  if (!value) return value.error();
  if (type) {
    value = coerce(std::move(*value), *type);
    if (!value) return value.error();
  }
  return std::vector<ResourceRecord>{{request_path, std::move(*value), std::nullopt}};
}

Result<std::string> encode_cbor(const std::vector<ResourceRecord>& records, const Path& base_path,
                                const TypeLookup& lookup) {
  auto value = single_value(records, base_path, lookup);
  if (!value) return value.error();
  cbor::Writer w;
  struct Visitor {
    cbor::Writer& w;
    Status operator()(const std::string& s) const { return text(s); }
    Status operator()(const CoreLnk& c) const { return text(c.text); }
    Status operator()(int64_t i) const {
      w.signed_int(i);
      return Ok{};
    }
    Status operator()(uint64_t u) const {
      w.unsigned_int(u);
      return Ok{};
    }
    Status operator()(double d) const {
      w.float_shortest(d);
      return Ok{};
    }
    Status operator()(bool b) const {
      w.boolean(b);
      return Ok{};
    }
    Status operator()(const Bytes& b) const {
      w.bytes(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
      return Ok{};
    }
    Status operator()(const Time& t) const {
      w.tag(kEpochTimeTag);
      w.signed_int(t.seconds);
      return Ok{};
    }
    Status operator()(const ObjLnk& l) const { return text(format_objlnk(l)); }
    Status text(const std::string& s) const {
      if (!is_valid_utf8(s)) return make_error("invalid_utf8", "string value is not UTF-8");
      w.text(s);
      return Ok{};
    }
  };
  if (auto ok = std::visit(Visitor{w}, *value); !ok) return ok.error();
  return w.take();
}

}  // namespace trellis::lwm2m
