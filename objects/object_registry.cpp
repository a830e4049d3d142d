#include "objects/object_registry.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

namespace trellis::objects {
namespace {

bool has_xml_extension(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".xml";
}

}  // namespace

DirectoryLoad ObjectRegistry::load_directory(const std::filesystem::path& dir) {
  DirectoryLoad report;
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && has_xml_extension(it->path())) files.push_back(it->path());
  }
  if (ec) {
    report.errors.push_back(LoadError{dir.string(), "", "cannot list directory: " + ec.message()});
    return report;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto result = load_xml_file(file);
    if (!result) {
      report.errors.push_back(result.error());
      continue;
    }
    ++report.files_loaded;
    report.objects_loaded += result.value().size();
    add_all(std::move(result).value());
  }
  return report;
}

std::optional<LoadError> ObjectRegistry::load_file(const std::filesystem::path& path) {
  auto result = load_xml_file(path);
  if (!result) return result.error();
  add_all(std::move(result).value());
  return std::nullopt;
}

std::optional<LoadError> ObjectRegistry::load_string(std::string_view text,
                                                     std::string_view source_name) {
  auto result = load_xml_string(text, source_name);
  if (!result) return result.error();
  add_all(std::move(result).value());
  return std::nullopt;
}

void ObjectRegistry::add(ObjectDefinition definition) {
  auto ptr = std::make_shared<const ObjectDefinition>(std::move(definition));
  std::unique_lock lock(mutex_);
  objects_[ptr->id] = std::move(ptr);
}

void ObjectRegistry::add_all(std::vector<ObjectDefinition> definitions) {
  // Built outside the lock so readers wait only for the map updates.
  std::vector<ObjectPtr> ptrs;
  ptrs.reserve(definitions.size());
  for (auto& d : definitions)
    ptrs.push_back(std::make_shared<const ObjectDefinition>(std::move(d)));
  std::unique_lock lock(mutex_);
  for (auto& p : ptrs) objects_[p->id] = std::move(p);
}

bool ObjectRegistry::remove(uint16_t object_id) {
  std::unique_lock lock(mutex_);
  return objects_.erase(object_id) > 0;
}

ObjectRegistry::ObjectPtr ObjectRegistry::find(uint16_t object_id) const {
  std::shared_lock lock(mutex_);
  const auto it = objects_.find(object_id);
  return it == objects_.end() ? nullptr : it->second;
}

ObjectRegistry::ResourcePtr ObjectRegistry::resource(uint16_t object_id,
                                                     uint16_t resource_id) const {
  auto object = find(object_id);
  if (!object) return nullptr;
  const ResourceDefinition* r = object->resource(resource_id);
  // Shares ownership with the object, so the resource outlives a replacement.
  return r ? ResourcePtr(std::move(object), r) : nullptr;
}

std::vector<ObjectRegistry::ObjectPtr> ObjectRegistry::list() const {
  std::shared_lock lock(mutex_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [id, ptr] : objects_) out.push_back(ptr);
  return out;
}

std::size_t ObjectRegistry::size() const {
  std::shared_lock lock(mutex_);
  return objects_.size();
}

}  // namespace trellis::objects
