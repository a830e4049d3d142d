#include "db/application_store.hpp"

#include <gtest/gtest.h>

#include "db/device_store.hpp"
#include "db/sqlite.hpp"
#include "db_test_util.hpp"

namespace trellis::db {
namespace {

using testing::open_db;
using testing::TempDir;
using testing::test_options;

class ApplicationStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_db(test_options(dir_.path()));
    ASSERT_TRUE(db_);
  }
  ApplicationStore& apps() { return db_->applications(); }
  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(ApplicationStoreTest, CreateDefaultsToAllowAllAcl) {
  NewApplication a;
  a.name = "dashboard";
  a.username = "dash";
  a.password = "pw";
  auto r = apps().create(a);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->name, "dashboard");
  EXPECT_EQ(r->username, "dash");
  EXPECT_TRUE(r->has_password);
  EXPECT_FALSE(r->has_api_key);
  EXPECT_EQ(r->acl.publish, std::vector<std::string>{"#"});
  EXPECT_EQ(r->acl.subscribe, std::vector<std::string>{"#"});
}

TEST_F(ApplicationStoreTest, ApiKeyIsStoredAsDigestAndFound) {
  NewApplication a;
  a.name = "ingest";
  a.api_key = generate_api_key();
  ASSERT_TRUE(apps().create(a));
  auto c = db_->readers().acquire();
  EXPECT_EQ(c->query_text("SELECT length(api_key_sha256) FROM applications"), "64");
  auto found = apps().find_by_api_key(*a.api_key);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "ingest");
  EXPECT_EQ(apps().find_by_api_key("wrong").error().code, "not_found");
}

TEST_F(ApplicationStoreTest, ConflictsOnNameUsernameAndKey) {
  NewApplication a{.name = "a", .username = "u", .password = "p", .api_key = "k1"};
  ASSERT_TRUE(apps().create(a));
  EXPECT_EQ(apps().create(NewApplication{.name = "a"}).error().code, "conflict");
  EXPECT_EQ(apps().create(NewApplication{.name = "b", .username = "u"}).error().code, "conflict");
  EXPECT_EQ(apps().create(NewApplication{.name = "c", .api_key = "k1"}).error().code, "conflict");
  NewDevice d{.id = "dev"};
  d.credentials.mqtt_username = "devuser";
  ASSERT_TRUE(db_->devices().create(d));
  EXPECT_EQ(apps().create(NewApplication{.name = "d", .username = "devuser"}).error().code,
            "conflict");
}

TEST_F(ApplicationStoreTest, AclIsValidatedAndRoundTrips) {
  Acl acl{{"sensors/+/data"}, {"sensors/#", "$SYS/#"}, {"sensors/secret/#"}};
  auto r = apps().create(NewApplication{.name = "a", .acl = acl});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->acl.publish, acl.publish);
  EXPECT_EQ(r->acl.subscribe, acl.subscribe);
  EXPECT_EQ(r->acl.deny, acl.deny);
  Acl bad{{"a/#/b"}, {}, {}};
  EXPECT_EQ(apps().create(NewApplication{.name = "b", .acl = bad}).error().code,
            "invalid_argument");
  EXPECT_EQ(acl_from_json(nlohmann::json{{"write", {"x"}}}).error().code, "invalid_argument");
  EXPECT_EQ(acl_from_json(nlohmann::json{{"publish", "x"}}).error().code, "invalid_argument");
}

TEST_F(ApplicationStoreTest, AStoredAclThatNoLongerParsesGrantsNothingAndSaysSo) {
  ASSERT_TRUE(apps().create(NewApplication{.name = "old", .acl = Acl{{"a/#"}, {"a/#"}, {}}}));
  // As an earlier version could have stored it: a filter past today's level limit.
  std::string deep = "a";
  for (int i = 0; i < 300; ++i) deep += "/a";
  auto c =
      Connection::open(test_options(dir_.path()).path, Connection::Mode::read_write_create, 1000);
  const std::string acl = nlohmann::json{{"publish", {deep}}, {"subscribe", {"#"}}}.dump();
  c.prepare("UPDATE applications SET acl = ? WHERE name = 'old'").bind(1, acl).run();
  ASSERT_EQ(c.changes(), 1);

  ::testing::internal::CaptureStderr();
  auto r = apps().get("old");
  std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->acl.publish.empty());
  EXPECT_TRUE(r->acl.subscribe.empty());
  EXPECT_NE(log.find("stored ACL no longer valid"), std::string::npos) << log;
  EXPECT_NE(log.find("application=old"), std::string::npos) << log;
}

TEST_F(ApplicationStoreTest, PatchListAndRemove) {
  ASSERT_TRUE(apps().create(NewApplication{.name = "a", .username = "u", .password = "p"}));
  ASSERT_TRUE(apps().create(NewApplication{.name = "b"}));
  ApplicationPatch p;
  p.username = std::optional<std::string>();
  p.api_key = std::optional<std::string>("key");
  auto r = apps().patch("a", p);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->username);
  EXPECT_FALSE(r->has_password);
  EXPECT_TRUE(r->has_api_key);

  auto first = apps().list(1);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->applications.size(), 1u);
  EXPECT_EQ(first->applications[0].name, "a");
  auto second = apps().list(1, first->next_cursor);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->applications[0].name, "b");
  EXPECT_TRUE(second->next_cursor.empty());

  ASSERT_TRUE(apps().remove("a"));
  EXPECT_EQ(apps().get("a").error().code, "not_found");
  EXPECT_EQ(apps().remove("a").error().code, "not_found");
}

}  // namespace
}  // namespace trellis::db
