// Loads the OMA registry files kept in the shared folder and the definitions
// Trellis ships, and checks the shipped ones against the registry's facts.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "objects/object_registry.hpp"
#include "objects/xml_loader.hpp"

namespace trellis::objects {
namespace {

namespace fs = std::filesystem;

const fs::path kRegistryDir = fs::path(TRELLIS_SHARED_DIR) / "lwm2m-registry";
const fs::path kShippedDir = fs::path(TRELLIS_SOURCE_DIR) / "objects" / "xml";

std::vector<fs::path> xml_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".xml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Every registry file, loaded once for all tests.
const std::map<uint16_t, ObjectDefinition>& official() {
  static const auto objects = [] {
    std::map<uint16_t, ObjectDefinition> out;
    for (const auto& file : xml_files(kRegistryDir)) {
      auto result = load_xml_file(file);
      if (!result) {
        ADD_FAILURE() << result.error().to_string();
        continue;
      }
      for (auto& o : result.value()) out.emplace(o.id, std::move(o));
    }
    return out;
  }();
  return objects;
}

const ResourceDefinition& official_resource(uint16_t object_id, uint16_t resource_id) {
  const auto& o = official().at(object_id);
  const ResourceDefinition* r = o.resource(resource_id);
  if (!r) throw std::out_of_range("no such resource");
  return *r;
}

TEST(RegistryFiles, EveryFileLoads) {
  const auto files = xml_files(kRegistryDir);
  ASSERT_EQ(files.size(), 34u);
  for (const auto& file : files) {
    const auto result = load_xml_file(file);
    ASSERT_TRUE(result) << result.error().to_string();
    EXPECT_EQ(result.value().size(), 1u) << file;
    EXPECT_EQ(file.stem().string(), std::to_string(result.value()[0].id));
  }
}

TEST(RegistryFiles, CountsObjectsAndResources) {
  EXPECT_EQ(official().size(), 34u);
  std::size_t resources = 0;
  for (const auto& [id, o] : official()) resources += o.resources.size();
  EXPECT_EQ(resources, 408u);  // number of <Item> elements across the 34 files
  EXPECT_EQ(official().at(0).resources.size(), 31u);
  EXPECT_EQ(official().at(1).resources.size(), 28u);
  EXPECT_EQ(official().at(3).resources.size(), 23u);
  EXPECT_EQ(official().at(3303).resources.size(), 12u);
}

TEST(RegistryFiles, TemperatureSensorValue) {
  const auto& r = official_resource(3303, 5700);
  EXPECT_EQ(r.name, "Sensor Value");
  EXPECT_EQ(r.type, ResourceType::float_);
  EXPECT_EQ(r.ops, kRead);
  EXPECT_FALSE(r.multiple);
  EXPECT_TRUE(r.mandatory);
  // Temperature 1.1 leaves the unit to resource 5701; it names none here.
  EXPECT_EQ(r.units, "");
}

TEST(RegistryFiles, TemperatureFractionalTimestampRangeAndUnits) {
  const auto& r = official_resource(3303, 6050);
  EXPECT_EQ(r.units, "s");
  EXPECT_EQ(r.numeric_range(), (NumericRange{0, 1}));
}

TEST(RegistryFiles, DeviceRebootIsExecutableWithoutType) {
  const auto& r = official_resource(3, 4);
  EXPECT_EQ(r.name, "Reboot");
  EXPECT_EQ(r.ops, kExecute);
  EXPECT_EQ(r.type, ResourceType::none);
  EXPECT_TRUE(r.mandatory);
}

TEST(RegistryFiles, DeviceErrorCodeIsMultiple) {
  const auto& r = official_resource(3, 11);
  EXPECT_TRUE(r.multiple);
  EXPECT_TRUE(r.mandatory);
  EXPECT_EQ(r.type, ResourceType::integer);
  EXPECT_EQ(r.numeric_range(), (NumericRange{0, 32}));
}

TEST(RegistryFiles, SecurityResourcesHaveNoOperations) {
  const auto& o = official().at(0);
  EXPECT_TRUE(o.multiple_instances);
  EXPECT_TRUE(o.mandatory);
  for (const auto& [id, r] : o.resources) EXPECT_TRUE(r.ops.none()) << "0/" << id;
}

TEST(RegistryFiles, CdataDescriptionsAreText) {
  const auto& o = official().at(3);
  EXPECT_EQ(o.description.rfind("This LwM2M Object provides", 0), 0u) << o.description;
  EXPECT_EQ(o.description.find("CDATA"), std::string::npos);
}

TEST(RegistryFiles, Versions) {
  EXPECT_EQ(official().at(3336).object_version, "2.0");
  EXPECT_EQ(official().at(1).lwm2m_version, "1.2");
  EXPECT_EQ(official().at(0).lwm2m_version, "1.1");
  EXPECT_EQ(official().at(3311).object_version, "1.0");
  EXPECT_EQ(official().at(3303).urn, "urn:oma:lwm2m:ext:3303:1.1");
}

TEST(RegistryFiles, UnsignedIntegerAndObjlnkTypes) {
  EXPECT_EQ(official_resource(0, 13).type, ResourceType::unsigned_integer);
  EXPECT_EQ(official_resource(3, 22).type, ResourceType::objlnk);
  EXPECT_EQ(official_resource(5, 0).type, ResourceType::opaque);
  EXPECT_EQ(official_resource(5, 0).ops, kWrite);
}

TEST(RegistryFiles, DirectoryLoadsIntoRegistry) {
  ObjectRegistry registry;
  const auto report = registry.load_directory(kRegistryDir);
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(report.files_loaded, 34u);
  EXPECT_EQ(report.objects_loaded, 34u);
  EXPECT_EQ(registry.size(), 34u);
}

// ---- the definitions Trellis ships -----------------------------------------

TEST(ShippedFiles, AreExactlyTheCoreSet) {
  std::set<uint16_t> ids;
  for (const auto& file : xml_files(kShippedDir)) {
    const auto result = load_xml_file(file);
    ASSERT_TRUE(result) << result.error().to_string();
    ASSERT_EQ(result.value().size(), 1u);
    EXPECT_EQ(file.stem().string(), std::to_string(result.value()[0].id));
    ids.insert(result.value()[0].id);
  }
  const std::set<uint16_t> expected{0,    1,    2,    3,    4,    5,    6,    7,    3300, 3301,
                                    3303, 3304, 3306, 3308, 3311, 3323, 3341, 3342, 3347};
  EXPECT_EQ(ids, expected);
}

TEST(ShippedFiles, MatchTheRegistryFacts) {
  for (const auto& file : xml_files(kShippedDir)) {
    const auto result = load_xml_file(file);
    ASSERT_TRUE(result) << result.error().to_string();
    const ObjectDefinition& ours = result.value()[0];
    SCOPED_TRACE("object " + std::to_string(ours.id));
    ASSERT_TRUE(official().count(ours.id));
    const ObjectDefinition& theirs = official().at(ours.id);
    EXPECT_EQ(ours.name, theirs.name);
    EXPECT_EQ(ours.urn, theirs.urn);
    EXPECT_EQ(ours.object_version, theirs.object_version);
    EXPECT_EQ(ours.lwm2m_version, theirs.lwm2m_version);
    EXPECT_EQ(ours.multiple_instances, theirs.multiple_instances);
    EXPECT_EQ(ours.mandatory, theirs.mandatory);
    EXPECT_FALSE(ours.description.empty());
    ASSERT_EQ(ours.resources.size(), theirs.resources.size());
    for (const auto& [id, r] : theirs.resources) {
      SCOPED_TRACE("resource " + std::to_string(id));
      const ResourceDefinition* mine = ours.resource(id);
      ASSERT_NE(mine, nullptr);
      EXPECT_EQ(mine->name, r.name);
      EXPECT_EQ(mine->type, r.type);
      EXPECT_EQ(mine->ops, r.ops);
      EXPECT_EQ(mine->multiple, r.multiple);
      EXPECT_EQ(mine->mandatory, r.mandatory);
      EXPECT_EQ(mine->units, r.units);
      // 1/22 Preferred Transport: the registry's range is prose; ours is empty.
      if (ours.id == 1 && id == 22) {
        EXPECT_EQ(mine->range_enumeration, "");
      } else {
        EXPECT_EQ(mine->range_enumeration, r.range_enumeration);
      }
      EXPECT_FALSE(mine->description.empty());
      // Written in the project's own words, not copied.
      EXPECT_NE(mine->description, r.description);
    }
  }
}

TEST(ShippedFiles, LoadAsOneDirectory) {
  ObjectRegistry registry;
  const auto report = registry.load_directory(kShippedDir);
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(report.files_loaded, 19u);
  EXPECT_EQ(registry.size(), 19u);
  const auto reboot = registry.resource(3, 4);
  ASSERT_NE(reboot, nullptr);
  EXPECT_EQ(reboot->ops, kExecute);
}

}  // namespace
}  // namespace trellis::objects
