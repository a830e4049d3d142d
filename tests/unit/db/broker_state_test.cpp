// Retained messages and persistent sessions across a restart.
#include <gtest/gtest.h>

#include "db/retained_store.hpp"
#include "db/schema.hpp"
#include "db/session_store.hpp"
#include "db_test_util.hpp"

namespace trellis::db {
namespace {

using testing::open_db;
using testing::TempDir;
using testing::test_options;

TEST(RetainedStore, RoundTripAcrossReopen) {
  TempDir dir;
  auto o = test_options(dir.path());
  {
    auto db = open_db(o);
    ASSERT_TRUE(db);
    auto& r = db->retained();
    r.put("a/b", make_payload("one"), 1, 100);
    r.put("a/c", make_payload(std::string("\0\xff", 2)), 0, 200);  // binary payloads stay exact
    r.put("a/b", make_payload("two"), 2, 300);                     // replaces
    r.put("gone", make_payload("x"), 0, 1);
    r.erase("gone");
    r.put(make_message("also/gone", "x", 0, true));
    r.put("also/gone", make_payload(""), 0, 2);  // an empty payload clears (3.3.1.3)
  }                                              // closing drains the queue
  auto db = open_db(o);
  ASSERT_TRUE(db);
  auto all = db->retained().load_all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].topic, "a/b");
  EXPECT_EQ(*(*all)[0].payload, "two");
  EXPECT_EQ((*all)[0].qos, 2);
  EXPECT_EQ((*all)[0].time_ms, 300);
  EXPECT_EQ((*all)[1].topic, "a/c");
  EXPECT_EQ(*(*all)[1].payload, std::string("\0\xff", 2));
}

TEST(RetainedStore, AFloodOfChangesWaitsAsOneJobWithTheNewestOfEachTopic) {
  TempDir dir;
  auto o = test_options(dir.path());
  o.flush_interval = std::chrono::hours(1);  // nothing is written before flush()
  auto db = open_db(o);
  ASSERT_TRUE(db);
  auto& r = db->retained();
  for (int i = 0; i < 100000; ++i) {
    r.put("hot/" + std::to_string(i % 3), make_payload(std::to_string(i)), 1, i);
  }
  r.put("gone", make_payload("x"), 0, 1);
  r.erase("gone");
  r.put("back", make_payload("x"), 0, 1);
  r.erase("back");
  r.put("back", make_payload("y"), 0, 2);
  EXPECT_EQ(db->writer().stats().queued_items, 1);
  ASSERT_TRUE(db->flush());

  auto all = r.load_all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].topic, "back");
  EXPECT_EQ(*(*all)[0].payload, "y");
  for (int t = 0; t < 3; ++t) {
    const auto& rec = (*all)[1 + t];
    EXPECT_EQ(rec.topic, "hot/" + std::to_string(t));
    int last = 99999 - (99999 - t) % 3;  // the last i with i % 3 == t
    EXPECT_EQ(*rec.payload, std::to_string(last));
    EXPECT_EQ(rec.time_ms, last);
  }
  // A change after the job took the map gets a job of its own.
  r.put("hot/0", make_payload("after"), 1, 1);
  EXPECT_EQ(db->writer().stats().queued_items, 1);
  ASSERT_TRUE(db->flush());
  EXPECT_EQ(*r.load_all()->at(1).payload, "after");
}

StoredSession session(std::string id, std::vector<SessionSubscription> subs,
                      std::vector<QueuedMessage> queued = {}, std::vector<uint16_t> inbound = {}) {
  return StoredSession{std::move(id), 0, std::move(subs), std::move(queued), std::move(inbound)};
}

TEST(SessionStore, RoundTripAcrossReopen) {
  TempDir dir;
  auto o = test_options(dir.path());
  {
    auto db = open_db(o);
    ASSERT_TRUE(db);
    db->sessions().replace_all(
        {session(
             "c1", {{"a/#", 1}, {"c", 0}},
             {{3, "a/3", make_payload("m3"), 1, true}, {5, "a/5", make_payload("m5"), 1, false}}),
         session("c2", {{"x", 0}}, {{1, "x", make_payload(std::string("\0\xff", 2)), 2, false}})});
  }  // closing drains the queue
  auto db = open_db(o);
  ASSERT_TRUE(db);
  auto all = db->sessions().load_all();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  const auto& c1 = (*all)[0];
  EXPECT_EQ(c1.client_id, "c1");
  EXPECT_GT(c1.updated_ms, 0);
  std::vector<SessionSubscription> subs = {{"a/#", 1}, {"c", 0}};
  EXPECT_EQ(c1.subscriptions, subs);
  ASSERT_EQ(c1.queued.size(), 2u);
  EXPECT_EQ(c1.queued[0].order, 3);
  EXPECT_EQ(c1.queued[0].topic, "a/3");
  EXPECT_EQ(*c1.queued[0].payload, "m3");
  EXPECT_EQ(c1.queued[0].qos, 1);
  EXPECT_TRUE(c1.queued[0].retain);
  EXPECT_EQ(c1.queued[1].order, 5);
  EXPECT_FALSE(c1.queued[1].retain);
  const auto& c2 = (*all)[1];
  EXPECT_EQ(c2.client_id, "c2");
  ASSERT_EQ(c2.queued.size(), 1u);
  EXPECT_EQ(c2.queued[0].qos, 2);
  EXPECT_EQ(*c2.queued[0].payload, std::string("\0\xff", 2));  // binary payloads stay exact
}

TEST(SessionStore, ASaveReplacesEverySessionAndAllItHeld) {
  TempDir dir;
  auto db = open_db(test_options(dir.path()));
  ASSERT_TRUE(db);
  db->sessions().replace_all(
      {session("kept", {{"a", 0}}, {{1, "a", make_payload("p"), 1, false}}, {7}),
       session("gone", {{"g", 1}}, {{1, "g", make_payload("q"), 1, false}})});
  db->sessions().replace_all(
      {session("kept", {{"b", 1}}, {{4, "b", make_payload("r"), 2, false}})});
  ASSERT_TRUE(db->flush());
  auto all = db->sessions().load_all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  const auto& kept = (*all)[0];
  EXPECT_EQ(kept.client_id, "kept");
  EXPECT_EQ(kept.subscriptions, (std::vector<SessionSubscription>{{"b", 1}}));
  ASSERT_EQ(kept.queued.size(), 1u);
  EXPECT_EQ(kept.queued[0].order, 4);
  EXPECT_EQ(*kept.queued[0].payload, "r");
  EXPECT_TRUE(kept.inbound_qos2.empty());

  db->sessions().replace_all({});
  ASSERT_TRUE(db->flush());
  EXPECT_TRUE(db->sessions().load_all()->empty());
}

TEST(SessionStore, InFlightPacketIdsAndInboundQoS2RoundTripAcrossReopen) {
  // 3.1.2.4: in-flight QoS 1/2 messages and unreleased inbound QoS 2 ids are
  // session state.
  TempDir dir;
  auto o = test_options(dir.path());
  {
    auto db = open_db(o);
    ASSERT_TRUE(db);
    db->sessions().replace_all({session("c", {{"a/#", 2}},
                                        {{1, "a/1", make_payload("m1"), 1, false, 1},
                                         {2, "a/2", make_payload("m2"), 2, true, 2},
                                         {3, "", make_payload(""), 2, false, 65535, true},
                                         {4, "a/4", make_payload("m4"), 1, false}},
                                        {9, 5})});
  }
  auto db = open_db(o);
  ASSERT_TRUE(db);
  auto all = db->sessions().load_all();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  const auto& c = (*all)[0];
  ASSERT_EQ(c.queued.size(), 4u);
  EXPECT_EQ(c.queued[0].packet_id, 1);
  EXPECT_FALSE(c.queued[0].released);
  EXPECT_EQ(c.queued[1].packet_id, 2);
  EXPECT_EQ(c.queued[1].qos, 2);
  EXPECT_TRUE(c.queued[1].retain);
  EXPECT_EQ(*c.queued[1].payload, "m2");
  EXPECT_EQ(c.queued[2].packet_id, 65535);
  EXPECT_TRUE(c.queued[2].released);
  EXPECT_EQ(c.queued[3].packet_id, 0);  // queued, not sent yet
  EXPECT_FALSE(c.queued[3].released);
  EXPECT_EQ(c.inbound_qos2, (std::vector<uint16_t>{5, 9}));
}

TEST(SessionStore, SessionsSavedByVersion1ComeBackAsQueuedMessages) {
  // A database written before in-flight state was kept opens and migrates.
  TempDir dir;
  auto o = test_options(dir.path());
  std::filesystem::create_directories(o.path.parent_path());
  {
    auto c = Connection::open(o.path, Connection::Mode::read_write_create, 1000);
    ASSERT_TRUE(apply_migrations(c, migrations().first(1)));
    c.exec(
        "INSERT INTO sessions(client_id, updated_ms) VALUES('old', 1);"
        "INSERT INTO session_messages(client_id, ord, topic, payload, qos, retain) "
        "VALUES('old', 1, 'a', x'70', 2, 0);");
  }
  auto db = open_db(o);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->schema_version(), migrations().back().version);
  auto all = db->sessions().load_all();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  ASSERT_EQ((*all)[0].queued.size(), 1u);
  EXPECT_EQ((*all)[0].queued[0].topic, "a");
  EXPECT_EQ((*all)[0].queued[0].qos, 2);
  EXPECT_EQ((*all)[0].queued[0].packet_id, 0);
  EXPECT_FALSE((*all)[0].queued[0].released);
  EXPECT_TRUE((*all)[0].inbound_qos2.empty());
}

}  // namespace
}  // namespace trellis::db
