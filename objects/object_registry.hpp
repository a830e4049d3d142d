#pragma once
// The object definitions the server knows, one version per object ID.
// Safe to use from any thread: lookups take a shared lock and hand out
// immutable definitions, so a later load never changes one a caller holds.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "objects/object_definition.hpp"
#include "objects/xml_loader.hpp"

namespace trellis::objects {

// What one load_directory call did. A file with an error adds nothing.
struct DirectoryLoad {
  std::size_t files_loaded = 0;
  std::size_t objects_loaded = 0;
  std::vector<LoadError> errors;  // one per refused file, in file name order
};

class ObjectRegistry {
 public:
  using ObjectPtr = std::shared_ptr<const ObjectDefinition>;
  using ResourcePtr = std::shared_ptr<const ResourceDefinition>;

  // Loads every *.xml in dir (not recursive), in file name order, so when two
  // files define the same object the later name wins.
  DirectoryLoad load_directory(const std::filesystem::path& dir);
  // Loads one file (or uploaded text); nothing is added when it fails.
  std::optional<LoadError> load_file(const std::filesystem::path& path);
  std::optional<LoadError> load_string(std::string_view text, std::string_view source_name);

  // Adds or replaces the definition with the same ID.
  void add(ObjectDefinition definition);
  bool remove(uint16_t object_id);

  ObjectPtr find(uint16_t object_id) const;                              // nullptr if unknown
  ResourcePtr resource(uint16_t object_id, uint16_t resource_id) const;  // nullptr if unknown
  std::vector<ObjectPtr> list() const;                                   // by object ID
  std::size_t size() const;

 private:
  void add_all(std::vector<ObjectDefinition> definitions);

  mutable std::shared_mutex mutex_;
  std::map<uint16_t, ObjectPtr> objects_;
};

}  // namespace trellis::objects
