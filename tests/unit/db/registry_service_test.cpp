// Authentication, admission and presence as adapters see them (core/auth.hpp).
#include "db/registry_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "db/telemetry_store.hpp"

#include "db/application_store.hpp"
#include "db/device_store.hpp"
#include "db_test_util.hpp"

namespace trellis::db {
namespace {

using testing::open_db;
using testing::TempDir;
using testing::test_options;

ConnectCredentials mqtt(std::optional<std::string> user, std::optional<std::string> pass,
                        std::string client_id = "c1") {
  return ConnectCredentials{"mqtt", std::move(client_id), std::move(user), std::move(pass),
                            "127.0.0.1:5000"};
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = open_db(test_options(dir_.path()));
    ASSERT_TRUE(db_);
    NewDevice d;
    d.id = "boiler-1";
    d.credentials.mqtt_username = "boiler-user";
    d.credentials.mqtt_password = "right";
    d.credentials.lwm2m_endpoint = "urn:dev:boiler-1";
    d.credentials.psk_identity = "boiler-psk";
    d.credentials.psk_key_hex = "0102";
    ASSERT_TRUE(db_->devices().create(d));
    NewApplication a;
    a.name = "dashboard";
    a.username = "dash";
    a.password = "dashpw";
    a.acl = Acl{{"cmd/#"}, {"#"}, {"secret/#"}};
    ASSERT_TRUE(db_->applications().create(a));
  }

  RegistryService make(RegistryOptions o = {}) { return RegistryService(*db_, std::move(o)); }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_F(RegistryTest, NoUsernameIsAnonymousWhenAllowed) {
  RegistryOptions o;
  o.allow_anonymous = true;
  o.anonymous_acl = Acl{{"public/#"}, {"public/#"}, {}};
  auto reg = make(o);
  auto out = reg.authenticate(mqtt(std::nullopt, std::nullopt));
  EXPECT_EQ(out.status, AuthStatus::accepted);
  EXPECT_EQ(out.principal.kind, PrincipalKind::anonymous);
  EXPECT_EQ(out.principal.acl->publish, std::vector<std::string>{"public/#"});
}

TEST_F(RegistryTest, NoUsernameIsNotAuthorizedWhenAnonymousIsOff) {
  RegistryOptions o;
  o.allow_anonymous = false;
  auto reg = make(o);
  EXPECT_EQ(reg.authenticate(mqtt(std::nullopt, std::nullopt)).status, AuthStatus::not_authorized);
  EXPECT_EQ(reg.stats().auth_not_authorized, 1u);
}

TEST_F(RegistryTest, DeviceWithRightPasswordGetsItsOwnTopics) {
  auto reg = make();
  auto out = reg.authenticate(mqtt("boiler-user", "right"));
  ASSERT_EQ(out.status, AuthStatus::accepted);
  EXPECT_EQ(out.principal.kind, PrincipalKind::device);
  EXPECT_EQ(out.principal.id, "boiler-1");
  EXPECT_EQ(out.principal.username, "boiler-user");
  std::vector<std::string> own = {"boiler-1/#", "lwm2m/urn:dev:boiler-1/#"};
  EXPECT_EQ(out.principal.acl->publish, own);
  EXPECT_EQ(out.principal.acl->subscribe, own);
  EXPECT_TRUE(out.principal.may_publish("boiler-1/messages/json", "c1"));
  EXPECT_FALSE(out.principal.may_publish("boiler-2/messages/json", "c1"));
}

TEST_F(RegistryTest, DeviceAclUsesTheConfiguredLwm2mPrefix) {
  RegistryOptions o;
  o.lwm2m_topic_prefix = "lw";
  auto reg = make(o);
  auto out = reg.authenticate(mqtt("boiler-user", "right"));
  ASSERT_EQ(out.status, AuthStatus::accepted);
  EXPECT_EQ(out.principal.acl->publish[1], "lw/urn:dev:boiler-1/#");
}

TEST_F(RegistryTest, WrongPasswordIsBadCredentialsEvenWithAnonymousOn) {
  RegistryOptions o;
  o.allow_anonymous = true;
  auto reg = make(o);
  EXPECT_EQ(reg.authenticate(mqtt("boiler-user", "wrong")).status, AuthStatus::bad_credentials);
  EXPECT_EQ(reg.authenticate(mqtt("dash", "wrong")).status, AuthStatus::bad_credentials);
}

TEST_F(RegistryTest, KnownUsernameWithoutPasswordIsBadCredentials) {
  auto reg = make();
  EXPECT_EQ(reg.authenticate(mqtt("boiler-user", std::nullopt)).status,
            AuthStatus::bad_credentials);
}

TEST_F(RegistryTest, UnknownUsernameIsBadCredentials) {
  auto reg = make();
  EXPECT_EQ(reg.authenticate(mqtt("nobody", "x")).status, AuthStatus::bad_credentials);
  EXPECT_EQ(reg.stats().auth_bad_credentials, 1u);
}

TEST_F(RegistryTest, ApplicationGetsItsAcl) {
  auto reg = make();
  auto out = reg.authenticate(mqtt("dash", "dashpw"));
  ASSERT_EQ(out.status, AuthStatus::accepted);
  EXPECT_EQ(out.principal.kind, PrincipalKind::application);
  EXPECT_EQ(out.principal.id, "dashboard");
  EXPECT_EQ(out.principal.acl->publish, std::vector<std::string>{"cmd/#"});
  EXPECT_EQ(out.principal.acl->deny, std::vector<std::string>{"secret/#"});
}

TEST_F(RegistryTest, ApplicationWithOnlyAnApiKeyUsesItAsPassword) {
  ASSERT_TRUE(db_->applications().create(
      NewApplication{.name = "svc", .username = "svc", .api_key = "the-key"}));
  auto reg = make();
  EXPECT_EQ(reg.authenticate(mqtt("svc", "the-key")).status, AuthStatus::accepted);
  EXPECT_EQ(reg.authenticate(mqtt("svc", "not-the-key")).status, AuthStatus::bad_credentials);
}

TEST_F(RegistryTest, CachedLoginsFollowRegistryChanges) {
  auto reg = make();
  ASSERT_EQ(reg.authenticate(mqtt("boiler-user", "right")).status, AuthStatus::accepted);
  ASSERT_EQ(reg.authenticate(mqtt("boiler-user", "right")).status, AuthStatus::accepted);

  DevicePatch p;
  p.mqtt_password = std::optional<std::string>("changed");
  ASSERT_TRUE(db_->devices().patch("boiler-1", p));
  EXPECT_EQ(reg.authenticate(mqtt("boiler-user", "right")).status, AuthStatus::bad_credentials);
  EXPECT_EQ(reg.authenticate(mqtt("boiler-user", "changed")).status, AuthStatus::accepted);

  ASSERT_TRUE(db_->devices().remove("boiler-1"));
  EXPECT_EQ(reg.authenticate(mqtt("boiler-user", "changed")).status, AuthStatus::bad_credentials);

  // A username unknown a moment ago works as soon as it is registered.
  EXPECT_EQ(reg.authenticate(mqtt("late", "pw")).status, AuthStatus::bad_credentials);
  NewDevice late{.id = "late"};
  late.credentials.mqtt_username = "late";
  late.credentials.mqtt_password = "pw";
  ASSERT_TRUE(db_->devices().create(late));
  EXPECT_EQ(reg.authenticate(mqtt("late", "pw")).status, AuthStatus::accepted);
}

TEST_F(RegistryTest, PasswordCacheOffStillVerifies) {
  RegistryOptions o;
  o.cache_verified_passwords = false;
  auto reg = make(o);
  EXPECT_EQ(reg.authenticate(mqtt("boiler-user", "right")).status, AuthStatus::accepted);
  EXPECT_EQ(reg.authenticate(mqtt("boiler-user", "right")).status, AuthStatus::accepted);
  EXPECT_EQ(reg.authenticate(mqtt("boiler-user", "wrong")).status, AuthStatus::bad_credentials);
}

TEST_F(RegistryTest, PskLookup) {
  auto reg = make();
  auto psk = reg.psk_for_identity("boiler-psk");
  ASSERT_TRUE(psk);
  EXPECT_EQ(psk->device_id, "boiler-1");
  EXPECT_EQ(psk->key, std::string("\x01\x02", 2));
  EXPECT_FALSE(reg.psk_for_identity("unknown"));
}

TEST_F(RegistryTest, AdmitKnownDeviceById) {
  RegistryOptions o;
  o.auto_register = false;
  auto reg = make(o);
  EXPECT_EQ(reg.admit("mqtt", "boiler-1"), "boiler-1");
  EXPECT_EQ(reg.admit("mqtt", "boiler-1"), "boiler-1");  // from the cache
  EXPECT_EQ(reg.stats().admitted, 2u);
}

TEST_F(RegistryTest, AdmitUnknownWithAutoRegisterCreatesTheDevice) {
  auto reg = make();
  EXPECT_EQ(reg.admit("mqttsn", "sensor-9"), "sensor-9");
  auto d = db_->devices().get("sensor-9");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->protocol, "mqttsn");
  EXPECT_EQ(reg.stats().auto_registered, 1u);
  EXPECT_EQ(reg.admit("mqttsn", "sensor-9"), "sensor-9");
  EXPECT_EQ(reg.stats().auto_registered, 1u);
}

TEST_F(RegistryTest, AdmitUnknownWithoutAutoRegisterIsRefusedAndCounted) {
  RegistryOptions o;
  o.auto_register = false;
  auto reg = make(o);
  EXPECT_EQ(reg.admit("mqtt", "stranger"), std::nullopt);
  EXPECT_EQ(reg.stats().refused, 1u);
  EXPECT_EQ(db_->devices().get("stranger").error().code, "not_found");
}

TEST_F(RegistryTest, FindNeverRegistersEvenWithAutoRegisterOn) {
  auto reg = make();
  EXPECT_EQ(reg.find("mqttsn", "stranger"), std::nullopt);
  EXPECT_EQ(db_->devices().get("stranger").error().code, "not_found");
  EXPECT_EQ(reg.stats().auto_registered, 0u);
  EXPECT_EQ(reg.find("mqtt", "boiler-1"), "boiler-1");
}

TEST_F(RegistryTest, AdmitLwm2mResolvesEndpointNames) {
  auto reg = make();
  EXPECT_EQ(reg.admit("lwm2m", "urn:dev:boiler-1"), "boiler-1");
  EXPECT_EQ(reg.admit("lwm2m", "urn:dev:new"), "urn:dev:new");
  auto d = db_->devices().get("urn:dev:new");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->lwm2m_endpoint, "urn:dev:new");
  EXPECT_EQ(d->protocol, "lwm2m");
}

TEST_F(RegistryTest, AdmitRefusesIdentitiesThatCannotBeDeviceIds) {
  auto reg = make();
  EXPECT_EQ(reg.admit("mqtt", "a/b"), std::nullopt);
  EXPECT_EQ(reg.admit("mqtt", ""), std::nullopt);
  EXPECT_EQ(reg.stats().refused, 2u);
}

TEST_F(RegistryTest, AdmitAfterDeleteRegistersAgain) {
  auto reg = make();
  EXPECT_EQ(reg.admit("mqtt", "temp"), "temp");
  ASSERT_TRUE(db_->devices().remove("temp"));
  EXPECT_EQ(reg.admit("mqtt", "temp"), "temp");
  EXPECT_TRUE(db_->devices().get("temp"));
}

struct PresenceEvent {
  std::string device, protocol;
  bool online;
  int64_t time;
};

TEST_F(RegistryTest, PresenceUpdatesTheDeviceAndCallsBackOnTransitions) {
  auto reg = make();
  std::mutex mu;
  std::vector<PresenceEvent> events;
  reg.set_presence_callback([&](const std::string& d, const std::string& p, bool on, int64_t t) {
    std::lock_guard lk(mu);
    events.push_back({d, p, on, t});
  });

  reg.set_online("boiler-1", "mqtt", "10.0.0.5:40000");
  ASSERT_TRUE(db_->flush());
  auto d = db_->devices().get("boiler-1");
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->online);
  EXPECT_EQ(d->remote_address, "10.0.0.5:40000");
  EXPECT_GT(d->last_seen_ms, 0);
  EXPECT_EQ(d->protocol, "mqtt");  // was empty: the first protocol seen sticks

  // A second connection (a take-over) then the old one closing: still online.
  reg.set_online("boiler-1", "mqtt", "10.0.0.5:40001");
  reg.set_offline("boiler-1", "mqtt");
  ASSERT_TRUE(db_->flush());
  EXPECT_TRUE(db_->devices().get("boiler-1")->online);

  reg.set_offline("boiler-1", "mqtt");
  ASSERT_TRUE(db_->flush());
  d = db_->devices().get("boiler-1");
  EXPECT_FALSE(d->online);
  EXPECT_EQ(d->remote_address, "10.0.0.5:40001");

  std::lock_guard lk(mu);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].device, "boiler-1");
  EXPECT_EQ(events[0].protocol, "mqtt");
  EXPECT_TRUE(events[0].online);
  EXPECT_FALSE(events[1].online);
  EXPECT_GE(events[1].time, events[0].time);
}

TEST_F(RegistryTest, StartingMarksEveryDeviceOffline) {
  {
    auto reg = make();
    reg.set_online("boiler-1", "mqtt", "x");
    ASSERT_TRUE(db_->flush());
    ASSERT_TRUE(db_->devices().get("boiler-1")->online);
  }  // no set_offline: as after a crash
  auto reg = make();
  EXPECT_FALSE(db_->devices().get("boiler-1")->online);
}

TEST_F(RegistryTest, ManyThreadsConnectingAtOnce) {
  auto reg = make();
  std::atomic<int> online_events{0};
  reg.set_presence_callback([&](const std::string&, const std::string&, bool on, int64_t) {
    if (on) ++online_events;
  });
  constexpr int threads = 4;
  constexpr int rounds = 50;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        // Every thread admits the same shared ids and some of its own.
        std::string shared = "shared-" + std::to_string(i % 5);
        std::string own = "t" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_EQ(reg.admit("mqtt", shared), shared);
        EXPECT_EQ(reg.admit("mqtt", own), own);
        EXPECT_EQ(reg.authenticate(mqtt("boiler-user", "right")).status, AuthStatus::accepted);
        EXPECT_EQ(reg.authenticate(mqtt("boiler-user", "wrong")).status,
                  AuthStatus::bad_credentials);
        reg.set_online(own, "mqtt", "127.0.0.1:1");
        db_->telemetry().enqueue({Point{own, "n", i, double(i)}});
        reg.set_offline(own, "mqtt");
      }
    });
  }
  for (auto& w : workers) w.join();
  ASSERT_TRUE(db_->flush());
  EXPECT_EQ(online_events.load(), threads * rounds);
  EXPECT_EQ(reg.stats().auto_registered, 5u + threads * rounds);
  EXPECT_EQ(*db_->telemetry().count(), threads * rounds);
  auto page = db_->devices().list(1000);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->devices.size(), 1u + 5u + threads * rounds);
  for (const auto& d : page->devices) EXPECT_FALSE(d.online) << d.id;
}

}  // namespace
}  // namespace trellis::db
