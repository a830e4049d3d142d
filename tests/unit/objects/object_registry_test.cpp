#include "objects/object_registry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

namespace trellis::objects {
namespace {

namespace fs = std::filesystem;

ObjectDefinition make_object(uint16_t id, std::string name, uint16_t resource_id = 5700) {
  ObjectDefinition o;
  o.id = id;
  o.name = std::move(name);
  ResourceDefinition r;
  r.id = resource_id;
  r.name = "Sensor Value";
  r.ops = kRead;
  r.type = ResourceType::float_;
  o.resources.emplace(r.id, r);
  return o;
}

std::string object_xml(uint16_t id, std::string_view name) {
  return "<LWM2M><Object ObjectType=\"MODefinition\"><Name>" + std::string(name) +
         "</Name><ObjectID>" + std::to_string(id) +
         "</ObjectID><MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
         "<Resources><Item ID=\"1\"><Name>A</Name><Operations>R</Operations>"
         "<MultipleInstances>Single</MultipleInstances><Mandatory>Optional</Mandatory>"
         "<Type>Integer</Type></Item></Resources></Object></LWM2M>";
}

// A fresh folder under the system temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    path_ =
        fs::temp_directory_path() /
        ("trellis-objects-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }

 private:
  fs::path path_;
};

TEST(ObjectRegistry, FindsWhatWasAdded) {
  ObjectRegistry registry;
  registry.add(make_object(3303, "Temperature"));
  const auto found = registry.find(3303);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, "Temperature");
  EXPECT_EQ(registry.find(3304), nullptr);
}

TEST(ObjectRegistry, LaterAddReplaces) {
  ObjectRegistry registry;
  registry.add(make_object(3303, "Old"));
  const auto held = registry.find(3303);
  registry.add(make_object(3303, "New"));
  EXPECT_EQ(registry.find(3303)->name, "New");
  EXPECT_EQ(registry.size(), 1u);
  // A definition already handed out does not change under its holder.
  EXPECT_EQ(held->name, "Old");
}

TEST(ObjectRegistry, ResourceLookup) {
  ObjectRegistry registry;
  registry.add(make_object(3303, "Temperature"));
  const auto r = registry.resource(3303, 5700);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->type, ResourceType::float_);
  EXPECT_EQ(registry.resource(3303, 5701), nullptr);
  EXPECT_EQ(registry.resource(3304, 5700), nullptr);
}

TEST(ObjectRegistry, ResourceOutlivesReplacementOfItsObject) {
  ObjectRegistry registry;
  registry.add(make_object(3303, "Temperature"));
  const auto r = registry.resource(3303, 5700);
  registry.add(make_object(3303, "Other", 1));
  registry.remove(3303);
  EXPECT_EQ(r->name, "Sensor Value");
}

TEST(ObjectRegistry, ListIsOrderedById) {
  ObjectRegistry registry;
  registry.add(make_object(3303, "Temperature"));
  registry.add(make_object(3, "Device"));
  registry.add(make_object(3300, "Generic Sensor"));
  const auto all = registry.list();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->id, 3);
  EXPECT_EQ(all[1]->id, 3300);
  EXPECT_EQ(all[2]->id, 3303);
}

TEST(ObjectRegistry, Remove) {
  ObjectRegistry registry;
  registry.add(make_object(3303, "Temperature"));
  EXPECT_TRUE(registry.remove(3303));
  EXPECT_FALSE(registry.remove(3303));
  EXPECT_EQ(registry.size(), 0u);
}

TEST(ObjectRegistry, LoadStringAddsOrReportsError) {
  ObjectRegistry registry;
  EXPECT_EQ(registry.load_string(object_xml(10241, "Custom"), "upload"), std::nullopt);
  EXPECT_EQ(registry.find(10241)->name, "Custom");
  const auto error = registry.load_string("<LWM2M/>", "upload");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->to_string(), "upload: LWM2M: no Object element");
  EXPECT_EQ(registry.size(), 1u);
}

TEST(ObjectRegistry, LoadDirectoryReportsEachBadFileAndKeepsGoing) {
  TempDir dir;
  dir.write("a.xml", object_xml(3303, "Temperature"));
  dir.write("b.xml", "<LWM2M><Object>");  // truncated
  dir.write("c.xml", object_xml(3304, "Humidity"));
  dir.write("d.XML", object_xml(3305, "Power"));
  dir.write("e.xml", "<NotLwm2m/>");
  dir.write("notes.txt", "not xml, not read");
  ObjectRegistry registry;
  const auto report = registry.load_directory(dir.path());
  EXPECT_EQ(report.files_loaded, 3u);
  EXPECT_EQ(report.objects_loaded, 3u);
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_EQ(report.errors[0].file, (dir.path() / "b.xml").string());
  EXPECT_EQ(report.errors[1].to_string(),
            (dir.path() / "e.xml").string() + ": NotLwm2m: root element is not LWM2M");
  EXPECT_EQ(registry.size(), 3u);
  EXPECT_NE(registry.find(3305), nullptr);
}

TEST(ObjectRegistry, LoadDirectoryLaterFileWins) {
  TempDir dir;
  dir.write("1-old.xml", object_xml(3303, "Old"));
  dir.write("2-new.xml", object_xml(3303, "New"));
  ObjectRegistry registry;
  registry.load_directory(dir.path());
  EXPECT_EQ(registry.find(3303)->name, "New");
}

TEST(ObjectRegistry, LoadMissingDirectoryIsAnError) {
  ObjectRegistry registry;
  const auto report = registry.load_directory("/nonexistent/trellis/objects");
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0].file, "/nonexistent/trellis/objects");
  EXPECT_EQ(report.files_loaded, 0u);
}

TEST(ObjectRegistry, ConcurrentReadersAndWritersSmoke) {
  ObjectRegistry registry;
  registry.add(make_object(3303, "Temperature"));
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      do {  // at least one pass even if the writer is already done
        const auto o = registry.find(3303);
        if (o) {
          EXPECT_EQ(o->resources.size(), 1u);
        }
        const auto r = registry.resource(3303, 5700);
        if (r) {
          EXPECT_EQ(r->id, 5700);
        }
        for (const auto& each : registry.list()) EXPECT_FALSE(each->name.empty());
        ++reads;
      } while (!stop.load());
    });
  }
  for (int i = 0; i < 2000; ++i) {
    registry.add(make_object(3303, "Temperature " + std::to_string(i)));
    registry.add(make_object(static_cast<uint16_t>(10000 + i % 50), "Custom"));
    if (i % 7 == 0) registry.remove(static_cast<uint16_t>(10000 + i % 50));
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(registry.find(3303)->name, "Temperature 1999");
}

}  // namespace
}  // namespace trellis::objects
