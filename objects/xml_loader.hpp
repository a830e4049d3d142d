#pragma once
// Reads OMA LwM2M object XML (the LWM2M.xsd schema, editor versions 1.0 to
// 1.2) into ObjectDefinitions. Never throws: a file either loads whole or
// yields one LoadError that names the file and the element at fault.
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "objects/object_definition.hpp"

namespace trellis::objects {

struct LoadError {
  std::string file;     // the source name or path as given to the loader
  std::string element;  // path inside the file, e.g. "Object/Resources/Item[ID=5700]/Type"
  std::string message;  // e.g. "unknown type 'Flaot'"

  // "3303.xml: Object/Resources/Item[ID=5700]/Type: unknown type 'Flaot'"
  std::string to_string() const;
  friend bool operator==(const LoadError&, const LoadError&) = default;
};

// The objects of one file (a file may define several), or why it was refused.
class LoadResult {
 public:
  LoadResult(std::vector<ObjectDefinition> objects)  // NOLINT(google-explicit-constructor)
      : v_(std::move(objects)) {}
  LoadResult(LoadError error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  std::vector<ObjectDefinition>& value() & { return std::get<0>(v_); }
  const std::vector<ObjectDefinition>& value() const& { return std::get<0>(v_); }
  std::vector<ObjectDefinition>&& value() && { return std::get<0>(std::move(v_)); }
  const LoadError& error() const { return std::get<1>(v_); }

 private:
  std::variant<std::vector<ObjectDefinition>, LoadError> v_;
};

// source_name is only used to label errors ("3303.xml", "upload").
LoadResult load_xml_string(std::string_view text, std::string_view source_name);
// Errors are labelled with the path as given.
LoadResult load_xml_file(const std::filesystem::path& path);

}  // namespace trellis::objects
