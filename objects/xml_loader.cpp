#include "objects/xml_loader.hpp"

#include <tinyxml2.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>

#include "objects/text.hpp"

namespace trellis::objects {
namespace {

using tinyxml2::XMLElement;
using tinyxml2::XMLNode;

// Larger than any registry file by far; keeps a stray multi-gigabyte file from
// being read into memory.
constexpr std::uintmax_t kMaxFileSize = 16 * 1024 * 1024;

// Direct text and CDATA children, joined, without surrounding whitespace.
// Comments and child elements inside the element are skipped.
std::string text_of(const XMLElement& element) {
  std::string text;
  for (const XMLNode* node = element.FirstChild(); node; node = node->NextSibling()) {
    if (const auto* t = node->ToText()) text += t->Value();
  }
  return std::string(trim(text));
}

std::string in_quotes(std::string_view text) {
  return "'" + std::string(text) + "'";
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "1.0" .. "1.2", optionally with a patch level ("1.1.1").
bool supported_lwm2m_version(std::string_view v) {
  if (v.size() < 3 || v[0] != '1' || v[1] != '.' || v[2] < '0' || v[2] > '2') return false;
  if (v.size() == 3) return true;
  return v[3] == '.' && all_digits(v.substr(4));
}

// "major.minor", as ObjectVersion is written.
bool well_formed_object_version(std::string_view v) {
  const auto dot = v.find('.');
  return dot != std::string_view::npos && all_digits(v.substr(0, dot)) &&
         all_digits(v.substr(dot + 1));
}

// Walks one document. Each step returns false after recording the first
// error, so the caller only has to stop.
class Parser {
 public:
  explicit Parser(std::string_view file) : file_(file) {}

  bool parse_root(const XMLElement& root, std::vector<ObjectDefinition>& out) {
    if (std::strcmp(root.Name(), "LWM2M") != 0) {
      return fail(root.Name(), "root element is not LWM2M");
    }
    std::set<uint16_t> ids;
    int index = 0;
    for (const XMLElement* e = root.FirstChildElement("Object"); e;
         e = e->NextSiblingElement("Object")) {
      ++index;
      const std::string path = index == 1 ? "Object" : "Object[" + std::to_string(index) + "]";
      ObjectDefinition object;
      if (!parse_object(*e, path, object)) return false;
      if (!ids.insert(object.id).second) {
        return fail(path + "/ObjectID", "duplicate object ID " + std::to_string(object.id));
      }
      out.push_back(std::move(object));
    }
    if (index == 0) return fail("LWM2M", "no Object element");
    return true;
  }

  LoadError take_error() { return std::move(*error_); }

 private:
  bool fail(std::string element, std::string message) {
    error_ = LoadError{std::string(file_), std::move(element), std::move(message)};
    return false;
  }

  // The single child called `name`, or nullptr when there is none. Two of
  // them is an error: the schema allows one and we would not know which.
  bool child(const XMLElement& parent, const char* name, const std::string& path,
             const XMLElement*& out) {
    out = parent.FirstChildElement(name);
    if (out && out->NextSiblingElement(name)) {
      return fail(path + "/" + name, "element appears more than once");
    }
    return true;
  }

  // Text of an optional child; absent reads as empty.
  bool optional_text(const XMLElement& parent, const char* name, const std::string& path,
                     std::string& out) {
    const XMLElement* e = nullptr;
    if (!child(parent, name, path, e)) return false;
    out = e ? text_of(*e) : std::string();
    return true;
  }

  bool required_text(const XMLElement& parent, const char* name, const std::string& path,
                     std::string& out) {
    const XMLElement* e = nullptr;
    if (!child(parent, name, path, e)) return false;
    if (!e) return fail(path + "/" + name, "missing element");
    out = text_of(*e);
    if (out.empty()) return fail(path + "/" + name, "empty value");
    return true;
  }

  // Object and resource IDs are xs:unsignedShort in the schema.
  bool parse_id(std::string_view text, const std::string& element, uint16_t& out) {
    text = trim(text);
    if (text.empty()) return fail(element, "empty value");
    const bool negative = text.front() == '-';
    if (!all_digits(negative ? text.substr(1) : text)) {
      return fail(element, "not a number " + in_quotes(text));
    }
    unsigned long value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (negative || ec != std::errc{} || value > 65535) {
      return fail(element, "out of range " + in_quotes(text) + " (0..65535)");
    }
    (void)ptr;
    out = static_cast<uint16_t>(value);
    return true;
  }

  bool parse_multiple(const XMLElement& parent, const std::string& path, bool& out) {
    std::string text;
    if (!required_text(parent, "MultipleInstances", path, text)) return false;
    if (text == "Multiple" || text == "Single") {
      out = text == "Multiple";
      return true;
    }
    return fail(path + "/MultipleInstances", "expected Single or Multiple, got " + in_quotes(text));
  }

  bool parse_mandatory(const XMLElement& parent, const std::string& path, bool& out) {
    std::string text;
    if (!required_text(parent, "Mandatory", path, text)) return false;
    if (text == "Mandatory" || text == "Optional") {
      out = text == "Mandatory";
      return true;
    }
    return fail(path + "/Mandatory", "expected Mandatory or Optional, got " + in_quotes(text));
  }

  bool parse_object(const XMLElement& e, const std::string& path, ObjectDefinition& object) {
    std::string id_text;
    if (!required_text(e, "ObjectID", path, id_text)) return false;
    if (!parse_id(id_text, path + "/ObjectID", object.id)) return false;
    if (!required_text(e, "Name", path, object.name)) return false;
    if (!optional_text(e, "Description1", path, object.description)) return false;
    if (!optional_text(e, "ObjectURN", path, object.urn)) return false;

    std::string version;
    if (!optional_text(e, "LWM2MVersion", path, version)) return false;
    if (!version.empty()) {
      if (!supported_lwm2m_version(version)) {
        return fail(path + "/LWM2MVersion",
                    "unsupported version " + in_quotes(version) + " (1.0 to 1.2)");
      }
      object.lwm2m_version = version;
    }
    if (!optional_text(e, "ObjectVersion", path, version)) return false;
    if (!version.empty()) {
      if (!well_formed_object_version(version)) {
        return fail(path + "/ObjectVersion", "malformed version " + in_quotes(version));
      }
      object.object_version = version;
    }

    if (!parse_multiple(e, path, object.multiple_instances)) return false;
    if (!parse_mandatory(e, path, object.mandatory)) return false;

    const XMLElement* resources = nullptr;
    if (!child(e, "Resources", path, resources)) return false;
    if (!resources) return fail(path + "/Resources", "missing element");
    int index = 0;
    for (const XMLElement* item = resources->FirstChildElement("Item"); item;
         item = item->NextSiblingElement("Item")) {
      ++index;
      ResourceDefinition resource;
      if (!parse_item(*item, path + "/Resources", index, resource)) return false;
      const uint16_t id = resource.id;
      if (!object.resources.emplace(id, std::move(resource)).second) {
        return fail(path + "/Resources/Item[ID=" + std::to_string(id) + "]",
                    "duplicate resource ID " + std::to_string(id));
      }
    }
    return true;
  }

  bool parse_item(const XMLElement& item, const std::string& parent, int index,
                  ResourceDefinition& resource) {
    const std::string position = parent + "/Item[" + std::to_string(index) + "]";
    const char* id_attribute = item.Attribute("ID");
    if (!id_attribute) return fail(position, "missing ID attribute");
    if (!parse_id(id_attribute, position + "/@ID", resource.id)) return false;
    const std::string path = parent + "/Item[ID=" + std::to_string(resource.id) + "]";

    if (!required_text(item, "Name", path, resource.name)) return false;

    // Executable resources and those of object 0 leave Operations and Type
    // empty; an absent element reads the same way.
    std::string text;
    if (!optional_text(item, "Operations", path, text)) return false;
    const auto ops = parse_operations(text);
    if (!ops) return fail(path + "/Operations", "unknown operations " + in_quotes(text));
    resource.ops = *ops;

    if (!parse_multiple(item, path, resource.multiple)) return false;
    if (!parse_mandatory(item, path, resource.mandatory)) return false;

    if (!optional_text(item, "Type", path, text)) return false;
    const auto type = parse_resource_type(text);
    if (!type) return fail(path + "/Type", "unknown type " + in_quotes(text));
    resource.type = *type;

    return optional_text(item, "RangeEnumeration", path, resource.range_enumeration) &&
           optional_text(item, "Units", path, resource.units) &&
           optional_text(item, "Description", path, resource.description);
  }

  std::string_view file_;
  std::optional<LoadError> error_;
};

}  // namespace

std::string LoadError::to_string() const {
  std::string out = file;
  if (!element.empty()) out += (out.empty() ? "" : ": ") + element;
  if (!message.empty()) out += (out.empty() ? "" : ": ") + message;
  return out;
}

LoadResult load_xml_string(std::string_view text, std::string_view source_name) {
  tinyxml2::XMLDocument doc;
  // tinyxml2 skips a UTF-8 BOM and turns CRLF into LF while parsing.
  if (doc.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS) {
    return LoadError{
        std::string(source_name), "",
        "malformed XML at line " + std::to_string(doc.ErrorLineNum()) + ": " + doc.ErrorName()};
  }
  const XMLElement* root = doc.RootElement();
  if (!root) return LoadError{std::string(source_name), "", "no root element"};
  Parser parser(source_name);
  std::vector<ObjectDefinition> objects;
  if (!parser.parse_root(*root, objects)) return parser.take_error();
  return objects;
}

LoadResult load_xml_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return LoadError{name, "", "cannot read file: " + ec.message()};
  if (size > kMaxFileSize) {
    return LoadError{name, "", "file larger than " + std::to_string(kMaxFileSize) + " bytes"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return LoadError{name, "", "cannot open file"};
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return LoadError{name, "", "read failed"};
  return load_xml_string(text, name);
}

}  // namespace trellis::objects
