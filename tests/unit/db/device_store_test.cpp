// The device registry: CRUD, credentials, conflicts, pagination.
#include "db/device_store.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "db/application_store.hpp"
#include "db/command_store.hpp"
#include "db/password.hpp"
#include "db/telemetry_store.hpp"
#include "db_test_util.hpp"

namespace trellis::db {
namespace {

using testing::open_db;
using testing::TempDir;
using testing::test_options;

class DeviceStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    o_ = test_options(dir_.path());
    db_ = open_db(o_);
    ASSERT_TRUE(db_);
  }
  DeviceStore& devices() { return db_->devices(); }

  // Raw column of the stored row, for checking what never comes back out.
  std::string raw(const std::string& sql) {
    auto c = db_->readers().acquire();
    return c->query_text(sql);
  }

  TempDir dir_;
  DatabaseOptions o_;
  std::unique_ptr<Database> db_;
};

NewDevice boiler() {
  NewDevice d;
  d.id = "boiler-1";
  d.name = "Boiler 1";
  d.type = "boiler";
  d.attributes = {{"site", "north"}};
  d.protocol = "mqtt";
  d.credentials.mqtt_username = "boiler-1";
  d.credentials.mqtt_password = "s3cret";
  d.credentials.lwm2m_endpoint = "urn:dev:boiler-1";
  d.credentials.psk_identity = "boiler-psk";
  d.credentials.psk_key_hex = "00112233445566778899AABBCCDDEEFF";
  return d;
}

TEST_F(DeviceStoreTest, CreateReturnsTheDeviceWithoutSecrets) {
  auto r = devices().create(boiler());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->id, "boiler-1");
  EXPECT_EQ(r->name, "Boiler 1");
  EXPECT_EQ(r->type, "boiler");
  EXPECT_EQ(r->attributes, nlohmann::json({{"site", "north"}}));
  EXPECT_EQ(r->protocol, "mqtt");
  EXPECT_GT(r->created_ms, 0);
  EXPECT_EQ(r->created_ms, r->updated_ms);
  EXPECT_FALSE(r->online);
  EXPECT_EQ(r->mqtt_username, "boiler-1");
  EXPECT_TRUE(r->has_password);
  EXPECT_EQ(r->lwm2m_endpoint, "urn:dev:boiler-1");
  EXPECT_EQ(r->psk_identity, "boiler-psk");
  EXPECT_TRUE(r->has_psk);
}

TEST_F(DeviceStoreTest, PasswordIsStoredAsPbkdf2AndKeyAsBytes) {
  ASSERT_TRUE(devices().create(boiler()));
  auto hash = raw("SELECT mqtt_password_hash FROM devices WHERE id = 'boiler-1'");
  EXPECT_EQ(hash.rfind("pbkdf2-sha256$50$", 0), 0u) << hash;
  EXPECT_TRUE(verify_password("s3cret", hash));
  EXPECT_EQ(raw("SELECT hex(psk_key) FROM devices WHERE id = 'boiler-1'"),
            "00112233445566778899AABBCCDDEEFF");
  auto psk = devices().psk_for_identity("boiler-psk");
  ASSERT_TRUE(psk && *psk);
  EXPECT_EQ((*psk)->device_id, "boiler-1");
  EXPECT_EQ((*psk)->key.size(), 16u);
}

TEST_F(DeviceStoreTest, NameDefaultsToId) {
  auto r = devices().create(NewDevice{.id = "bare"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "bare");
  EXPECT_FALSE(r->has_password);
  EXPECT_FALSE(r->mqtt_username);
}

TEST_F(DeviceStoreTest, GetUnknownIsNotFound) {
  auto r = devices().get("nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "not_found");
  EXPECT_EQ(r.error().message, "device 'nope' does not exist");
}

TEST_F(DeviceStoreTest, ExistsFollowsCreateAndRemove) {
  NewDevice early;
  early.id = "early";
  ASSERT_TRUE(devices().create(early));    // before the id set is first read
  EXPECT_TRUE(devices().exists("early"));  // loads the set
  EXPECT_FALSE(devices().exists("boiler-1"));
  ASSERT_TRUE(devices().create(boiler()));
  EXPECT_TRUE(devices().exists("boiler-1"));
  ASSERT_TRUE(devices().remove("boiler-1"));
  EXPECT_FALSE(devices().exists("boiler-1"));
  EXPECT_TRUE(devices().exists("early"));
}

TEST_F(DeviceStoreTest, TheCreatedListenerHearsEachCommittedCreateOnce) {
  std::vector<std::string> heard;
  devices().set_created_listener([&](const std::string& id) {
    // Told once the device is there to be found.
    EXPECT_TRUE(devices().exists(id));
    heard.push_back(id);
  });
  ASSERT_TRUE(devices().create(NewDevice{.id = "a"}));
  EXPECT_FALSE(devices().create(NewDevice{.id = "a"}));       // conflict
  EXPECT_FALSE(devices().create(NewDevice{.id = "bad/id"}));  // refused before writing
  ASSERT_TRUE(devices().create(NewDevice{.id = "b"}));
  EXPECT_EQ(heard, (std::vector<std::string>{"a", "b"}));
}

TEST_F(DeviceStoreTest, DuplicateIdIsAConflict) {
  ASSERT_TRUE(devices().create(NewDevice{.id = "a"}));
  auto r = devices().create(NewDevice{.id = "a"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "conflict");
}

TEST_F(DeviceStoreTest, DuplicateUsernameIsAConflict) {
  ASSERT_TRUE(devices().create(boiler()));
  NewDevice d{.id = "other"};
  d.credentials.mqtt_username = "boiler-1";
  auto r = devices().create(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "conflict");
  EXPECT_NE(r.error().message.find("device 'boiler-1'"), std::string::npos);
}

TEST_F(DeviceStoreTest, UsernameOfAnApplicationIsAConflict) {
  NewApplication a;
  a.name = "dashboard";
  a.username = "dash";
  a.password = "pw";
  ASSERT_TRUE(db_->applications().create(a));
  NewDevice d{.id = "x"};
  d.credentials.mqtt_username = "dash";
  auto r = devices().create(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "conflict");
  EXPECT_NE(r.error().message.find("application 'dashboard'"), std::string::npos);
}

TEST_F(DeviceStoreTest, DuplicateEndpointIsAConflict) {
  ASSERT_TRUE(devices().create(boiler()));
  NewDevice d{.id = "other"};
  d.credentials.lwm2m_endpoint = "urn:dev:boiler-1";
  auto r = devices().create(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "conflict");
}

TEST_F(DeviceStoreTest, DuplicatePskIdentityIsAConflict) {
  ASSERT_TRUE(devices().create(boiler()));
  NewDevice d{.id = "other"};
  d.credentials.psk_identity = "boiler-psk";
  d.credentials.psk_key_hex = "01";
  auto r = devices().create(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "conflict");
}

TEST_F(DeviceStoreTest, IdsThatCannotBeOneTopicLevelAreRefused) {
  for (const char* bad : {"", "a/b", "a+", "a#", "50%c", "$sys", "tab\there"}) {
    auto r = devices().create(NewDevice{.id = bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "invalid_argument") << bad;
  }
  EXPECT_FALSE(devices().create(NewDevice{.id = std::string(129, 'x')}));
}

TEST_F(DeviceStoreTest, CredentialRulesAreChecked) {
  NewDevice pw_only{.id = "a"};
  pw_only.credentials.mqtt_password = "x";
  EXPECT_EQ(devices().create(pw_only).error().code, "invalid_argument");
  NewDevice identity_only{.id = "b"};
  identity_only.credentials.psk_identity = "i";
  EXPECT_EQ(devices().create(identity_only).error().code, "invalid_argument");
  NewDevice bad_hex{.id = "c"};
  bad_hex.credentials.psk_identity = "i";
  bad_hex.credentials.psk_key_hex = "xyz";
  EXPECT_EQ(devices().create(bad_hex).error().code, "invalid_argument");
  NewDevice bad_protocol{.id = "d", .protocol = "zigbee"};
  EXPECT_EQ(devices().create(bad_protocol).error().code, "invalid_argument");
  NewDevice bad_attributes{.id = "e", .attributes = nlohmann::json::array()};
  EXPECT_EQ(devices().create(bad_attributes).error().code, "invalid_argument");
  // U+0000 is a control character, not bad UTF-8.
  auto nul = devices().create(NewDevice{.id = std::string("a\0b", 3)});
  EXPECT_NE(nul.error().message.find("control character"), std::string::npos)
      << nul.error().message;
}

TEST_F(DeviceStoreTest, FindByCredential) {
  ASSERT_TRUE(devices().create(boiler()));
  EXPECT_EQ(devices().find_by_username("boiler-1")->id, "boiler-1");
  EXPECT_EQ(devices().find_by_endpoint("urn:dev:boiler-1")->id, "boiler-1");
  EXPECT_EQ(devices().find_by_psk_identity("boiler-psk")->id, "boiler-1");
  EXPECT_EQ(devices().find_by_username("x").error().code, "not_found");
  EXPECT_EQ(devices().find_by_endpoint("x").error().code, "not_found");
  EXPECT_EQ(devices().find_by_psk_identity("x").error().code, "not_found");
}

TEST_F(DeviceStoreTest, PatchMergesAttributesAsRfc7386) {
  auto d = boiler();
  d.attributes = nlohmann::json{{"a", 1}, {"site", {{"floor", 2}, {"room", "b"}}}};
  ASSERT_TRUE(devices().create(d));
  DevicePatch p;
  p.attributes =
      nlohmann::json::parse(R"({"b": 2, "a": null, "site": {"room": null, "wing": "w"}})");
  auto r = devices().patch("boiler-1", p);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->attributes, nlohmann::json::parse(R"({"b": 2, "site": {"floor": 2, "wing": "w"}})"));
  p.attributes = nlohmann::json(nullptr);  // null clears them all
  r = devices().patch("boiler-1", p);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->attributes, nlohmann::json::object());
}

TEST_F(DeviceStoreTest, PatchChangesOnlyWhatItNames) {
  ASSERT_TRUE(devices().create(boiler()));
  DevicePatch p;
  p.name = "Renamed";
  p.attributes = nlohmann::json{{"floor", 2}};
  auto r = devices().patch("boiler-1", p);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->name, "Renamed");
  EXPECT_EQ(r->type, "boiler");
  EXPECT_EQ(r->attributes, nlohmann::json({{"site", "north"}, {"floor", 2}}));
  EXPECT_EQ(r->mqtt_username, "boiler-1");
  EXPECT_TRUE(r->has_password);
  EXPECT_TRUE(r->has_psk);
  EXPECT_GE(r->updated_ms, r->created_ms);
  auto hash = raw("SELECT mqtt_password_hash FROM devices WHERE id = 'boiler-1'");
  EXPECT_TRUE(verify_password("s3cret", hash));
}

TEST_F(DeviceStoreTest, PatchSetsAndClearsCredentials) {
  ASSERT_TRUE(devices().create(boiler()));
  DevicePatch new_password;
  new_password.mqtt_password = std::optional<std::string>("n3w");
  ASSERT_TRUE(devices().patch("boiler-1", new_password));
  EXPECT_TRUE(verify_password("n3w", raw("SELECT mqtt_password_hash FROM devices")));

  DevicePatch clear;
  clear.mqtt_username = std::optional<std::string>();
  clear.psk_identity = std::optional<std::string>();
  clear.lwm2m_endpoint = std::optional<std::string>();
  auto r = devices().patch("boiler-1", clear);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->mqtt_username);
  EXPECT_FALSE(r->has_password);  // goes with the username
  EXPECT_FALSE(r->psk_identity);
  EXPECT_FALSE(r->has_psk);  // goes with the identity
  EXPECT_FALSE(r->lwm2m_endpoint);

  DevicePatch key_only;
  key_only.psk_key_hex = "aa";
  EXPECT_EQ(devices().patch("boiler-1", key_only).error().code, "invalid_argument");
}

TEST_F(DeviceStoreTest, PatchConflictsWithAnotherDevice) {
  ASSERT_TRUE(devices().create(boiler()));
  ASSERT_TRUE(devices().create(NewDevice{.id = "other"}));
  DevicePatch p;
  p.mqtt_username = std::optional<std::string>("boiler-1");
  EXPECT_EQ(devices().patch("other", p).error().code, "conflict");
  DevicePatch same;  // a device may "take" its own username again
  same.mqtt_username = std::optional<std::string>("boiler-1");
  EXPECT_TRUE(devices().patch("boiler-1", same));
  EXPECT_EQ(devices().patch("ghost", DevicePatch{}).error().code, "not_found");
}

TEST_F(DeviceStoreTest, RemoveDeletesTelemetryAndCommands) {
  ASSERT_TRUE(devices().create(NewDevice{.id = "d"}));
  db_->telemetry().enqueue({Point{"d", "t", 1000, 1.0}, Point{"d", "t", 2000, 2.0}});
  ASSERT_TRUE(db_->commands().create(NewCommand{.device_id = "d", .protocol = "mqtt"}));
  ASSERT_TRUE(db_->flush());
  ASSERT_TRUE(devices().remove("d"));
  EXPECT_EQ(devices().get("d").error().code, "not_found");
  EXPECT_EQ(raw("SELECT count(*) FROM telemetry"), "0");
  EXPECT_EQ(raw("SELECT count(*) FROM telemetry_rollup"), "0");
  EXPECT_EQ(raw("SELECT count(*) FROM telemetry_latest"), "0");
  EXPECT_EQ(raw("SELECT count(*) FROM series"), "0");
  EXPECT_EQ(raw("SELECT count(*) FROM commands"), "0");
  EXPECT_EQ(devices().remove("d").error().code, "not_found");

  // A device created again under the same id starts with no history, and
  // its new points land in new series.
  ASSERT_TRUE(devices().create(NewDevice{.id = "d"}));
  db_->telemetry().enqueue({Point{"d", "t", 3000, 3.0}});
  ASSERT_TRUE(db_->flush());
  EXPECT_EQ(*db_->telemetry().count("d"), 1);
}

TEST_F(DeviceStoreTest, PaginatesTwoHundredFiftyDevicesByCursor) {
  std::vector<std::string> ids;
  for (int i = 0; i < 250; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "dev-%03d", (i * 37) % 250);  // created out of order
    ids.push_back(id);
    ASSERT_TRUE(devices().create(NewDevice{.id = id}));
  }
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = devices().list(100, cursor);
    ASSERT_TRUE(page) << page.error().message;
    for (const auto& d : page->devices) seen.push_back(d.id);
    cursor = page->next_cursor;
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, ids);
}

TEST_F(DeviceStoreTest, ExactPageHasNoNextCursor) {
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(devices().create(NewDevice{.id = "d" + std::to_string(i)}));
  auto page = devices().list(10);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->devices.size(), 10u);
  EXPECT_TRUE(page->next_cursor.empty());
}

TEST_F(DeviceStoreTest, ForeignCursorIsRefused) {
  auto r = devices().list(10, "garbage");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "invalid_argument");
}

}  // namespace
}  // namespace trellis::db
