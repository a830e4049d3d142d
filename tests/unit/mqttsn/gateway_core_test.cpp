// The gateway's protocol core without sockets: datagrams and clock ticks in,
// actions out. Clause numbers refer to the MQTT-SN Protocol Specification 1.2.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "adapters/mqttsn/gateway_core.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/topic.hpp"

namespace trellis::mqttsn {
namespace {

using namespace std::chrono_literals;

const std::string kA = "10.0.0.1:5000";
const std::string kB = "10.0.0.2:5000";
const std::string kC = "10.0.0.3:5000";

// Admits every client id not listed in `refused`; records presence.
class FakeDirectory : public DeviceDirectory {
 public:
  std::set<std::string> refused;
  std::vector<std::string> events;

  std::optional<std::string> admit(std::string_view protocol, std::string_view identity) override {
    EXPECT_EQ(protocol, "mqttsn");
    if (refused.count(std::string(identity))) return std::nullopt;
    return "dev-" + std::string(identity);
  }
  std::optional<std::string> find(std::string_view protocol, std::string_view identity) override {
    return admit(protocol, identity);
  }
  void set_online(std::string_view device_id, std::string_view protocol,
                  std::string_view remote) override {
    EXPECT_EQ(protocol, "mqttsn");
    events.push_back("online " + std::string(device_id) + " " + std::string(remote));
  }
  void set_offline(std::string_view device_id, std::string_view protocol) override {
    EXPECT_EQ(protocol, "mqttsn");
    events.push_back("offline " + std::string(device_id));
  }
};

struct Sent {
  std::string to;
  Message msg;
};

class GatewayCoreTest : public ::testing::Test {
 protected:
  GatewayCoreTest() {
    log::set_level(log::Level::warn);  // one line per event is noise here
    options.retry_interval = 2s;
    options.max_retries = 2;
    options.max_buffered_messages = 3;
    options.predefined_topics = {{7, "pre/seven"}, {8, "pre/eight"}};
  }

  GatewayCore& core() {
    if (!core_) core_ = std::make_unique<GatewayCore>(options, counters, &directory);
    return *core_;
  }

  // Feeds an encoded message; returns what the core decided.
  Actions in(const std::string& from, const Message& msg) { return raw(from, encode(msg)); }
  Actions raw(const std::string& from, const std::string& datagram) {
    Actions out;
    core().on_datagram(from, datagram, now, out);
    take_subscriptions(out);
    return out;
  }
  Actions tick(Clock::duration advance) {
    now += advance;
    Actions out;
    core().on_tick(now, out);
    take_subscriptions(out);
    return out;
  }
  // Publishes on the "bus": delivered to every session subscribed to a
  // matching filter, as Gateway would.
  Actions bus(const std::string& topic, const std::string& payload, uint8_t qos = 0,
              bool retain = false) {
    auto msg = make_message(topic, payload, qos, retain);
    Actions out;
    for (const auto& [key, granted] : subs_) {
      const auto& [session, filter] = key;
      if (topic::matches(filter, topic)) {
        core().on_deliver(session, msg, std::min(qos, granted), now, out);
      }
    }
    take_subscriptions(out);
    return out;
  }

  static std::vector<Sent> sends(const Actions& out) {
    std::vector<Sent> s;
    for (const auto& a : out) {
      if (auto* send = std::get_if<SendAction>(&a)) s.push_back({send->address, send->message});
    }
    return s;
  }
  // The one message sent, to `to`.
  template <typename T>
  static T only(const Actions& out, const std::string& to) {
    auto s = sends(out);
    EXPECT_EQ(s.size(), 1u) << "sent " << s.size() << " messages";
    if (s.size() != 1) return T{};
    EXPECT_EQ(s[0].to, to);
    EXPECT_TRUE(std::holds_alternative<T>(s[0].msg)) << "sent " << name(type_of(s[0].msg));
    if (!std::holds_alternative<T>(s[0].msg)) return T{};
    return std::get<T>(s[0].msg);
  }
  static std::vector<MessagePtr> published(const Actions& out) {
    std::vector<MessagePtr> p;
    for (const auto& a : out) {
      if (auto* pub = std::get_if<PublishAction>(&a)) p.push_back(pub->message);
    }
    return p;
  }
  static std::vector<MsgType> types(const Actions& out) {
    std::vector<MsgType> t;
    for (const auto& s : sends(out)) t.push_back(type_of(s.msg));
    return t;
  }

  void connect(const std::string& from, const std::string& id, bool clean = true,
               uint16_t keepalive = 60) {
    auto out = in(from, Connect{false, clean, keepalive, id});
    ASSERT_EQ(only<Connack>(out, from).return_code, ReturnCode::accepted);
  }
  void connect_with_will(const std::string& from, const std::string& id, const std::string& topic,
                         const std::string& message, uint16_t keepalive = 60) {
    EXPECT_EQ(types(in(from, Connect{true, true, keepalive, id})),
              std::vector<MsgType>{MsgType::willtopicreq});
    EXPECT_EQ(types(in(from, WillTopic{1, false, topic})),
              std::vector<MsgType>{MsgType::willmsgreq});
    auto out = in(from, WillMsg{message});
    ASSERT_EQ(only<Connack>(out, from).return_code, ReturnCode::accepted);
  }
  uint64_t session_of(const std::string& id) {
    auto* c = core().find(id);
    return c ? c->session : 0;
  }
  // Subscribes and acknowledges nothing further; returns the SUBACK.
  Suback subscribe(const std::string& from, TopicRef topic, int8_t qos, uint16_t msg_id = 1) {
    return only<Suback>(in(from, Subscribe{false, qos, msg_id, std::move(topic)}), from);
  }

  GatewayOptions options;
  Metrics metrics;
  GatewayCounters counters{metrics};
  FakeDirectory directory;
  Clock::time_point now = Clock::time_point{} + 1000h;

 private:
  void take_subscriptions(const Actions& out) {
    for (const auto& a : out) {
      if (auto* s = std::get_if<SubscribeAction>(&a)) subs_[{s->session, s->filter}] = s->qos;
      if (auto* u = std::get_if<UnsubscribeAction>(&a)) subs_.erase({u->session, u->filter});
      if (auto* f = std::get_if<ForgetAction>(&a)) {
        std::erase_if(subs_, [&](const auto& kv) { return kv.first.first == f->session; });
      }
    }
  }
  std::unique_ptr<GatewayCore> core_;
  std::map<std::pair<uint64_t, std::string>, uint8_t> subs_;
};

// ------------------------------------------------------------- discovery

TEST_F(GatewayCoreTest, SearchGwIsAnsweredWithGwInfoToTheSearcher) {
  options.gateway_id = 42;
  auto out = in(kA, SearchGw{1});
  auto info = only<GwInfo>(out, kA);  // 6.1: unicast to the searcher
  EXPECT_EQ(info.gw_id, 42);
  EXPECT_TRUE(info.gw_add.empty());
}

TEST_F(GatewayCoreTest, AdvertiseIsSentEveryIntervalToTheConfiguredAddress) {
  options.gateway_id = 3;
  options.advertise_interval = 5s;
  options.advertise_address = "255.255.255.255:1884";
  auto first = only<Advertise>(tick(100ms), "255.255.255.255:1884");
  EXPECT_EQ(first, (Advertise{3, 5}));  // Duration: seconds to the next one (5.4.1)
  EXPECT_TRUE(sends(tick(4s)).empty());
  EXPECT_EQ(only<Advertise>(tick(1s), "255.255.255.255:1884").gw_id, 3);
}

TEST_F(GatewayCoreTest, AdvertiseIsOffWithoutAnAddress) {
  options.advertise_interval = 5s;
  EXPECT_TRUE(sends(tick(10s)).empty());
}

// --------------------------------------------------------------- connect

TEST_F(GatewayCoreTest, ConnectIsAcceptedAndTheClientListed) {
  connect(kA, "dev1", true, 30);
  auto list = core().clients();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].client_id, "dev1");
  EXPECT_EQ(list[0].protocol, "mqttsn");
  EXPECT_EQ(list[0].transport, "udp");
  EXPECT_EQ(list[0].remote, kA);
  EXPECT_EQ(list[0].keepalive, 30);
  EXPECT_EQ(list[0].state, "active");
  EXPECT_TRUE(list[0].clean_session);
  EXPECT_EQ(counters.clients_connected.value(), 1);
  EXPECT_EQ(counters.connections_total.value(), 1u);
  EXPECT_EQ(directory.events, std::vector<std::string>{"online dev-dev1 " + kA});
}

TEST_F(GatewayCoreTest, ConnectWithEmptyClientIdIsRefused) {
  auto out = in(kA, Connect{false, true, 60, ""});
  EXPECT_EQ(only<Connack>(out, kA).return_code, ReturnCode::not_supported);
  EXPECT_TRUE(core().clients().empty());
}

TEST_F(GatewayCoreTest, UnregisteredClientIsRefusedWhenRegistrationIsRequired) {
  options.require_registered = true;
  directory.refused = {"stranger"};
  auto out = in(kA, Connect{false, true, 60, "stranger"});
  EXPECT_EQ(only<Connack>(out, kA).return_code, ReturnCode::not_supported);
  EXPECT_EQ(counters.auth_failures.value(), 1u);
  EXPECT_TRUE(core().clients().empty());
  connect(kB, "known");  // admitted
}

TEST_F(GatewayCoreTest, UnregisteredClientIsAcceptedWithoutPresenceWhenNotRequired) {
  directory.refused = {"stranger"};
  connect(kA, "stranger");
  EXPECT_TRUE(directory.events.empty());
}

TEST_F(GatewayCoreTest, WithoutDirectoryNobodyIsAdmittedWhenRegistrationIsRequired) {
  options.require_registered = true;
  GatewayCore bare(options, counters, nullptr);
  Actions out;
  bare.on_datagram(kA, encode(Connect{false, true, 60, "x"}), now, out);
  EXPECT_EQ(only<Connack>(out, kA).return_code, ReturnCode::not_supported);
}

TEST_F(GatewayCoreTest, WillIsPromptedTopicThenMessageBeforeConnack) {
  connect_with_will(kA, "dev1", "wills/dev1", "gone");
  const Client* c = core().find("dev1");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->will.topic, "wills/dev1");
  EXPECT_EQ(c->will.message, "gone");
  EXPECT_EQ(c->will.qos, 1);
}

TEST_F(GatewayCoreTest, EmptyWillTopicMeansNoWill) {
  in(kA, Connect{true, true, 60, "dev1"});
  auto out = in(kA, WillTopic{});  // 5.4.7: the empty form
  EXPECT_EQ(only<Connack>(out, kA).return_code, ReturnCode::accepted);
  EXPECT_TRUE(core().find("dev1")->will.topic.empty());
}

TEST_F(GatewayCoreTest, WillPromptIsRetransmittedThenTheConnectAbandoned) {
  in(kA, Connect{true, true, 60, "dev1"});
  EXPECT_TRUE(sends(tick(1s)).empty());
  EXPECT_EQ(only<WillTopicReq>(tick(1s), kA), WillTopicReq{});
  EXPECT_EQ(types(tick(2s)), std::vector<MsgType>{MsgType::willtopicreq});
  EXPECT_TRUE(sends(tick(2s)).empty());  // Nretry = 2: given up
  EXPECT_EQ(core().find("dev1"), nullptr);
  EXPECT_EQ(counters.retransmissions.value(), 2u);
}

TEST_F(GatewayCoreTest, RepeatedWillTopicIsAnsweredWithWillMsgReqAgain) {
  in(kA, Connect{true, true, 60, "dev1"});
  in(kA, WillTopic{0, false, "w"});
  EXPECT_EQ(only<WillMsgReq>(in(kA, WillTopic{0, false, "w"}), kA), WillMsgReq{});
}

TEST_F(GatewayCoreTest, InvalidWillTopicRefusesTheConnect) {
  in(kA, Connect{true, true, 60, "dev1"});
  auto out = in(kA, WillTopic{0, false, "bad/#"});
  EXPECT_EQ(only<Connack>(out, kA).return_code, ReturnCode::not_supported);
  EXPECT_TRUE(core().clients().empty());
}

TEST_F(GatewayCoreTest, MessagesBeforeConnackAreIgnored) {
  in(kA, Connect{true, true, 60, "dev1"});
  EXPECT_TRUE(sends(in(kA, Subscribe{false, 0, 1, TopicName{"x"}})).empty());
}

// ------------------------------------------------------------------- will

TEST_F(GatewayCoreTest, WillIsPublishedWhenTheKeepaliveLapses) {
  connect_with_will(kA, "dev1", "wills/dev1", "gone", 10);
  EXPECT_TRUE(published(tick(14s)).empty());  // 6.11: 1.5 x 10 s
  auto out = tick(2s);
  auto p = published(out);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]->topic, "wills/dev1");
  EXPECT_EQ(p[0]->body(), "gone");
  EXPECT_EQ(p[0]->qos, 1);
  EXPECT_EQ(p[0]->origin, Origin::mqttsn);
  EXPECT_TRUE(core().clients().empty());
  EXPECT_EQ(counters.clients_lost.value(), 1u);
  EXPECT_EQ(directory.events.back(), "offline dev-dev1");
}

TEST_F(GatewayCoreTest, TrafficKeepsTheClientAlive) {
  connect_with_will(kA, "dev1", "w", "gone", 10);
  tick(10s);
  EXPECT_EQ(only<Pingresp>(in(kA, Pingreq{}), kA), Pingresp{});
  EXPECT_TRUE(published(tick(10s)).empty());
  EXPECT_EQ(published(tick(6s)).size(), 1u);
}

TEST_F(GatewayCoreTest, DisconnectEndsTheSessionWithoutTheWill) {
  connect_with_will(kA, "dev1", "w", "gone", 10);
  auto out = in(kA, Disconnect{});
  EXPECT_EQ(only<Disconnect>(out, kA), Disconnect{});
  EXPECT_TRUE(published(out).empty());
  EXPECT_TRUE(published(tick(60s)).empty());
  EXPECT_EQ(core().find("dev1"), nullptr);  // clean session: nothing kept
  EXPECT_EQ(directory.events.back(), "offline dev-dev1");
}

TEST_F(GatewayCoreTest, WillTopicAndMessageUpdatesAreAnsweredAndUsed) {
  connect_with_will(kA, "dev1", "w/old", "old", 10);
  EXPECT_EQ(only<WillTopicResp>(in(kA, WillTopicUpd{2, true, "w/new"}), kA).return_code,
            ReturnCode::accepted);
  EXPECT_EQ(only<WillMsgResp>(in(kA, WillMsgUpd{"new"}), kA).return_code, ReturnCode::accepted);
  auto p = published(tick(20s));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]->topic, "w/new");
  EXPECT_EQ(p[0]->body(), "new");
  EXPECT_EQ(p[0]->qos, 2);
  EXPECT_TRUE(p[0]->retain);
}

TEST_F(GatewayCoreTest, EmptyWillTopicUpdateDeletesTheWill) {
  connect_with_will(kA, "dev1", "w", "gone", 10);
  EXPECT_EQ(only<WillTopicResp>(in(kA, WillTopicUpd{}), kA).return_code, ReturnCode::accepted);
  EXPECT_TRUE(published(tick(20s)).empty());
}

TEST_F(GatewayCoreTest, InvalidWillTopicUpdateIsRefused) {
  connect(kA, "dev1");
  EXPECT_EQ(only<WillTopicResp>(in(kA, WillTopicUpd{0, false, "a/+"}), kA).return_code,
            ReturnCode::not_supported);
}

TEST_F(GatewayCoreTest, RestDisconnectSendsDisconnectAndPublishesTheWill) {
  connect_with_will(kA, "dev1", "w", "gone");
  Actions out;
  EXPECT_TRUE(core().disconnect("dev1", now, out));
  EXPECT_EQ(types(out), std::vector<MsgType>{MsgType::disconnect});
  EXPECT_EQ(published(out).size(), 1u);
  Actions again;
  EXPECT_FALSE(core().disconnect("dev1", now, again));
}

// ----------------------------------------------------------------- topics

TEST_F(GatewayCoreTest, ClientRegistersATopicAndPublishesByItsId) {
  connect(kA, "dev1");
  auto ack = only<Regack>(in(kA, Register{0, 5, "room/temp"}), kA);
  EXPECT_EQ(ack.msg_id, 5);
  EXPECT_EQ(ack.return_code, ReturnCode::accepted);
  EXPECT_NE(ack.topic_id, 0);
  auto again = only<Regack>(in(kA, Register{0, 6, "room/temp"}), kA);
  EXPECT_EQ(again.topic_id, ack.topic_id);

  auto out = in(kA, Publish{false, 0, false, TopicIdType::normal, ack.topic_id, 0, "21.5"});
  EXPECT_TRUE(sends(out).empty());  // QoS 0: no answer
  auto p = published(out);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]->topic, "room/temp");
  EXPECT_EQ(p[0]->body(), "21.5");
  EXPECT_EQ(p[0]->client_id, "dev1");
  EXPECT_EQ(p[0]->origin, Origin::mqttsn);
}

TEST_F(GatewayCoreTest, RegisterWithWildcardIsRefused) {
  connect(kA, "dev1");
  auto ack = only<Regack>(in(kA, Register{0, 5, "room/+"}), kA);
  EXPECT_EQ(ack.return_code, ReturnCode::not_supported);
}

TEST_F(GatewayCoreTest, RegisterBeyondTheTopicLimitIsCongestion) {
  options.max_topics_per_client = 1;
  connect(kA, "dev1");
  EXPECT_EQ(only<Regack>(in(kA, Register{0, 1, "a/1"}), kA).return_code, ReturnCode::accepted);
  auto ack = only<Regack>(in(kA, Register{0, 2, "a/2"}), kA);
  EXPECT_EQ(ack.return_code, ReturnCode::congestion);  // 5.3.10: 0x01
  EXPECT_EQ(ack.msg_id, 2);
}

TEST_F(GatewayCoreTest, PublishOnAnUnknownTopicIdIsAnsweredInvalidTopicId) {
  connect(kA, "dev1");
  for (int8_t qos : {0, 1, 2}) {
    auto out = in(kA, Publish{false, qos, false, TopicIdType::normal, 99,
                              static_cast<uint16_t>(qos ? 3 : 0), "x"});
    auto ack = only<Puback>(out, kA);
    EXPECT_EQ(ack.return_code, ReturnCode::invalid_topic_id) << "qos " << int(qos);
    EXPECT_EQ(ack.topic_id, 99);
    EXPECT_TRUE(published(out).empty());
  }
  auto out = in(kA, Publish{false, 1, false, TopicIdType::predefined, 99, 4, "x"});
  EXPECT_EQ(only<Puback>(out, kA).return_code, ReturnCode::invalid_topic_id);
}

TEST_F(GatewayCoreTest, PublishOnPredefinedIdAndShortName) {
  connect(kA, "dev1");
  auto out = in(kA, Publish{false, 1, true, TopicIdType::predefined, 7, 1, "p"});
  EXPECT_EQ(only<Puback>(out, kA).return_code, ReturnCode::accepted);
  ASSERT_EQ(published(out).size(), 1u);
  EXPECT_EQ(published(out)[0]->topic, "pre/seven");
  EXPECT_TRUE(published(out)[0]->retain);

  out = in(kA, Publish{false, 0, false, TopicIdType::short_name, short_topic_id('s', 'n'), 0, "s"});
  ASSERT_EQ(published(out).size(), 1u);
  EXPECT_EQ(published(out)[0]->topic, "sn");
}

TEST_F(GatewayCoreTest, PublishToSystemTopicsIsRefused) {
  options.predefined_topics[9] = "$SYS/fake";
  connect(kA, "dev1");
  auto out = in(kA, Publish{false, 1, false, TopicIdType::predefined, 9, 1, "x"});
  EXPECT_EQ(only<Puback>(out, kA).return_code, ReturnCode::not_supported);
  EXPECT_TRUE(published(out).empty());
}

// ------------------------------------------------------------ inbound QoS

TEST_F(GatewayCoreTest, InboundQos1IsAcknowledgedWithTopicAndMsgId) {
  connect(kA, "dev1");
  auto out = in(kA, Publish{false, 1, false, TopicIdType::predefined, 7, 0x1234, "x"});
  EXPECT_EQ(only<Puback>(out, kA), (Puback{7, 0x1234, ReturnCode::accepted}));
  EXPECT_EQ(published(out)[0]->qos, 1);
}

TEST_F(GatewayCoreTest, InboundQos2IsDeliveredExactlyOnce) {
  connect(kA, "dev1");
  Publish p{false, 2, false, TopicIdType::predefined, 7, 9, "once"};
  auto out = in(kA, p);
  EXPECT_EQ(only<Pubrec>(out, kA).msg_id, 9);
  EXPECT_EQ(published(out).size(), 1u);
  p.dup = true;
  out = in(kA, p);
  EXPECT_EQ(only<Pubrec>(out, kA).msg_id, 9);
  EXPECT_TRUE(published(out).empty());
  EXPECT_EQ(only<Pubcomp>(in(kA, Pubrel{9}), kA).msg_id, 9);
  EXPECT_EQ(published(in(kA, p)).size(), 1u);  // released: the id is new again
}

TEST_F(GatewayCoreTest, TooManyQos2AwaitingPubrelIsCongestion) {
  connect(kA, "dev1");  // max_buffered_messages = 3
  for (uint16_t id = 1; id <= 3; ++id) {
    in(kA, Publish{false, 2, false, TopicIdType::predefined, 7, id, "x"});
  }
  auto out = in(kA, Publish{false, 2, false, TopicIdType::predefined, 7, 4, "x"});
  EXPECT_EQ(only<Puback>(out, kA), (Puback{7, 4, ReturnCode::congestion}));
  EXPECT_TRUE(published(out).empty());
  in(kA, Pubrel{1});
  EXPECT_EQ(
      only<Pubrec>(in(kA, Publish{false, 2, false, TopicIdType::predefined, 7, 4, "x"}), kA).msg_id,
      4);
}

TEST_F(GatewayCoreTest, QosMinusOneFromAnUnconnectedClient) {
  auto out = in(kC, Publish{false, -1, false, TopicIdType::predefined, 8, 0, "m1"});
  EXPECT_TRUE(sends(out).empty());
  ASSERT_EQ(published(out).size(), 1u);
  EXPECT_EQ(published(out)[0]->topic, "pre/eight");
  EXPECT_EQ(published(out)[0]->qos, 0);

  out = in(kC, Publish{false, -1, false, TopicIdType::short_name, short_topic_id('q', 'm'), 0, ""});
  ASSERT_EQ(published(out).size(), 1u);
  EXPECT_EQ(published(out)[0]->topic, "qm");

  out = in(kC, Publish{false, -1, false, TopicIdType::predefined, 1000, 0, "x"});
  EXPECT_TRUE(sends(out).empty());
  EXPECT_TRUE(published(out).empty());
  EXPECT_EQ(counters.dropped_invalid_topic.value(), 1u);
}

TEST_F(GatewayCoreTest, QosMinusOneNeedsAnAdmittedClientWhenRegistrationIsRequired) {
  // A sender that never connected has no client id the registry could check.
  options.require_registered = true;
  auto out = in(kC, Publish{false, -1, false, TopicIdType::predefined, 8, 0, "m1"});
  EXPECT_TRUE(published(out).empty());
  EXPECT_EQ(counters.dropped_not_registered.value(), 1u);
  connect(kA, "known");
  out = in(kA, Publish{false, -1, false, TopicIdType::predefined, 8, 0, "m2"});
  ASSERT_EQ(published(out).size(), 1u);
  EXPECT_EQ(published(out)[0]->client_id, "known");
}

TEST_F(GatewayCoreTest, PublishFromAnUnknownClientIsAnsweredWithDisconnect) {
  auto out = in(kC, Publish{false, 1, false, TopicIdType::predefined, 7, 1, "x"});
  EXPECT_EQ(only<Disconnect>(out, kC), Disconnect{});
  EXPECT_TRUE(published(out).empty());
}

// -------------------------------------------------------------- subscribe

TEST_F(GatewayCoreTest, SubscribeByNameReturnsTheIdDeliveriesUse) {
  connect(kA, "dev1");
  auto ack = subscribe(kA, TopicName{"room/temp"}, 1, 3);
  EXPECT_EQ(ack.return_code, ReturnCode::accepted);
  EXPECT_EQ(ack.msg_id, 3);
  EXPECT_EQ(ack.qos, 1);
  EXPECT_NE(ack.topic_id, 0);
  auto p = only<Publish>(bus("room/temp", "22", 1), kA);  // no REGISTER needed
  EXPECT_EQ(p.topic_id_type, TopicIdType::normal);
  EXPECT_EQ(p.topic_id, ack.topic_id);
  EXPECT_EQ(p.qos, 1);
  EXPECT_NE(p.msg_id, 0);
  EXPECT_EQ(p.data, "22");
}

TEST_F(GatewayCoreTest, WildcardDeliveryRegistersTheTopicFirst) {
  connect(kA, "dev1");
  auto ack = subscribe(kA, TopicName{"room/#"}, 0);
  EXPECT_EQ(ack.topic_id, 0);  // 5.4.16: not relevant for wildcards
  auto reg = only<Register>(bus("room/kitchen", "k1"), kA);
  EXPECT_EQ(reg.topic_name, "room/kitchen");
  EXPECT_NE(reg.topic_id, 0);
  EXPECT_TRUE(sends(bus("room/kitchen", "k2")).empty());  // queued behind the REGISTER
  auto out = in(kA, Regack{reg.topic_id, reg.msg_id, ReturnCode::accepted});
  auto s = sends(out);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(std::get<Publish>(s[0].msg).data, "k1");
  EXPECT_EQ(std::get<Publish>(s[0].msg).topic_id, reg.topic_id);
  EXPECT_EQ(std::get<Publish>(s[1].msg).data, "k2");
  // Known now: no second REGISTER.
  EXPECT_EQ(only<Publish>(bus("room/kitchen", "k3"), kA).data, "k3");
}

TEST_F(GatewayCoreTest, RefusedRegisterDropsTheMessageAndMovesOn) {
  connect(kA, "dev1");
  subscribe(kA, TopicName{"room/#"}, 0);
  auto reg = only<Register>(bus("room/a", "a"), kA);
  bus("room/b", "b");
  auto out = in(kA, Regack{reg.topic_id, reg.msg_id, ReturnCode::congestion});
  auto next = only<Register>(out, kA);
  EXPECT_EQ(next.topic_name, "room/b");
}

TEST_F(GatewayCoreTest, SubscribeByPredefinedIdDeliversWithThatId) {
  connect(kA, "dev1");
  auto ack = subscribe(kA, PredefinedTopicId{7}, 2);
  EXPECT_EQ(ack.return_code, ReturnCode::accepted);
  EXPECT_EQ(ack.topic_id, 7);
  auto p = only<Publish>(bus("pre/seven", "x", 2), kA);
  EXPECT_EQ(p.topic_id_type, TopicIdType::predefined);
  EXPECT_EQ(p.topic_id, 7);
}

TEST_F(GatewayCoreTest, SubscribeByUnknownPredefinedIdIsInvalidTopicId) {
  connect(kA, "dev1");
  auto ack = subscribe(kA, PredefinedTopicId{1000}, 0, 4);
  EXPECT_EQ(ack.return_code, ReturnCode::invalid_topic_id);
  EXPECT_EQ(ack.msg_id, 4);
}

TEST_F(GatewayCoreTest, SubscribeByShortNameDeliversWithTheShortName) {
  connect(kA, "dev1");
  auto ack = subscribe(kA, ShortTopicName{{'s', 'n'}}, 0);
  EXPECT_EQ(ack.return_code, ReturnCode::accepted);
  auto p = only<Publish>(bus("sn", "x"), kA);
  EXPECT_EQ(p.topic_id_type, TopicIdType::short_name);
  EXPECT_EQ(p.topic_id, short_topic_id('s', 'n'));
}

TEST_F(GatewayCoreTest, SubscribeWithInvalidFilterIsRefused) {
  connect(kA, "dev1");
  EXPECT_EQ(subscribe(kA, TopicName{"a/#/b"}, 0).return_code, ReturnCode::invalid_topic_id);
}

TEST_F(GatewayCoreTest, UnsubscribeStopsDeliveries) {
  connect(kA, "dev1");
  subscribe(kA, TopicName{"t/x"}, 0);
  auto out = in(kA, Unsubscribe{9, TopicName{"t/x"}});
  EXPECT_EQ(only<Unsuback>(out, kA).msg_id, 9);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<UnsubscribeAction>(out[0]));
  EXPECT_TRUE(sends(bus("t/x", "x")).empty());
  EXPECT_EQ(only<Unsuback>(in(kA, Unsubscribe{10, PredefinedTopicId{1000}}), kA).msg_id, 10);
}

TEST_F(GatewayCoreTest, RetainedMessagesFollowTheSubackWithRetainSet) {
  connect(kA, "dev1");
  auto out = in(kA, Subscribe{false, 1, 1, TopicName{"r/+"}});
  ASSERT_EQ(out.size(), 2u);
  // Subscribed before SUBACK goes out. The gateway hands the retained
  // messages it got with the subscription to on_retained, which appends them
  // after the SUBACK (the MQTT-SN integration test sees that order on the wire).
  auto& sub = std::get<SubscribeAction>(out[0]);
  EXPECT_EQ(sub.filter, "r/+");
  EXPECT_EQ(sub.qos, 1);
  EXPECT_EQ(type_of(std::get<SendAction>(out[1]).message), MsgType::suback);
  Actions more;
  core().on_retained(sub.session, {make_message("r/1", "kept", 2, true)}, sub.qos, now, more);
  auto reg = only<Register>(more, kA);
  auto p = only<Publish>(in(kA, Regack{reg.topic_id, reg.msg_id, ReturnCode::accepted}), kA);
  EXPECT_TRUE(p.retain);
  EXPECT_EQ(p.qos, 1);  // min(message, granted)
  EXPECT_EQ(p.data, "kept");
}

// ------------------------------------------------------------ outbound QoS

TEST_F(GatewayCoreTest, OneOutboundMessageInFlightAtATime) {
  connect(kA, "dev1");
  subscribe(kA, PredefinedTopicId{7}, 1);
  auto first = only<Publish>(bus("pre/seven", "1", 1), kA);
  EXPECT_TRUE(sends(bus("pre/seven", "2", 1)).empty());
  auto second = only<Publish>(in(kA, Puback{7, first.msg_id, ReturnCode::accepted}), kA);
  EXPECT_EQ(second.data, "2");
  EXPECT_NE(second.msg_id, first.msg_id);
  EXPECT_TRUE(sends(in(kA, Puback{7, first.msg_id, ReturnCode::accepted})).empty());  // stale
}

TEST_F(GatewayCoreTest, OutboundQos2Flow) {
  connect(kA, "dev1");
  subscribe(kA, PredefinedTopicId{7}, 2);
  auto p = only<Publish>(bus("pre/seven", "x", 2), kA);
  EXPECT_EQ(p.qos, 2);
  EXPECT_EQ(only<Pubrel>(in(kA, Pubrec{p.msg_id}), kA).msg_id, p.msg_id);
  EXPECT_EQ(only<Pubrel>(in(kA, Pubrec{p.msg_id}), kA).msg_id, p.msg_id);  // PUBREL lost
  EXPECT_TRUE(sends(in(kA, Pubcomp{p.msg_id})).empty());
  EXPECT_FALSE(core().find("dev1")->pending);
}

TEST_F(GatewayCoreTest, UnacknowledgedPublishIsResentWithDupThenTheClientLost) {
  connect_with_will(kA, "dev1", "w", "gone", 0);
  subscribe(kA, PredefinedTopicId{7}, 1);
  auto p = only<Publish>(bus("pre/seven", "x", 1), kA);
  EXPECT_FALSE(p.dup);
  EXPECT_TRUE(sends(tick(1s)).empty());
  auto r1 = only<Publish>(tick(1s), kA);  // Tretry = 2 s
  EXPECT_TRUE(r1.dup);
  EXPECT_EQ(r1.msg_id, p.msg_id);
  EXPECT_TRUE(only<Publish>(tick(2s), kA).dup);
  auto out = tick(2s);  // Nretry = 2 spent
  EXPECT_TRUE(sends(out).empty());
  ASSERT_EQ(published(out).size(), 1u);
  EXPECT_EQ(published(out)[0]->topic, "w");
  EXPECT_EQ(counters.retransmissions.value(), 2u);
  EXPECT_TRUE(core().clients().empty());
}

TEST_F(GatewayCoreTest, UnacknowledgedRegisterIsResent) {
  connect(kA, "dev1", true, 0);
  subscribe(kA, TopicName{"a/#"}, 0);
  auto reg = only<Register>(bus("a/b", "x"), kA);
  EXPECT_EQ(only<Register>(tick(2s), kA), reg);
}

TEST_F(GatewayCoreTest, PubackInvalidTopicIdRegistersAgainAndResendsTheSameMessage) {
  // QoS 1 is at least once: the message the client could not place is not lost.
  connect(kA, "dev1");
  auto ack = subscribe(kA, TopicName{"t/x"}, 1);
  auto p = only<Publish>(bus("t/x", "kept", 1), kA);
  bus("t/x", "next", 1);  // waits behind it
  auto reg =
      only<Register>(in(kA, Puback{ack.topic_id, p.msg_id, ReturnCode::invalid_topic_id}), kA);
  EXPECT_EQ(reg.topic_id, ack.topic_id);
  EXPECT_EQ(reg.topic_name, "t/x");
  auto again = only<Publish>(in(kA, Regack{reg.topic_id, reg.msg_id, ReturnCode::accepted}), kA);
  EXPECT_EQ(again.data, "kept");
  EXPECT_EQ(again.msg_id, p.msg_id);
  EXPECT_TRUE(again.dup);
  // Refused a second time, it goes, and the queue moves on (registering
  // the name once more first).
  auto reg2 =
      only<Register>(in(kA, Puback{ack.topic_id, again.msg_id, ReturnCode::invalid_topic_id}), kA);
  EXPECT_EQ(reg2.topic_name, "t/x");
  auto next = only<Publish>(in(kA, Regack{reg2.topic_id, reg2.msg_id, ReturnCode::accepted}), kA);
  EXPECT_EQ(next.data, "next");
  EXPECT_EQ(counters.dropped_invalid_topic.value(), 1u);
}

TEST_F(GatewayCoreTest, PubackInvalidTopicIdToQos0MakesTheNextOneRegister) {
  connect(kA, "dev1");
  auto ack = subscribe(kA, TopicName{"t/x"}, 0);
  auto p = only<Publish>(bus("t/x", "1"), kA);
  EXPECT_EQ(p.msg_id, 0);
  EXPECT_TRUE(sends(in(kA, Puback{ack.topic_id, 0, ReturnCode::invalid_topic_id})).empty());
  auto reg = only<Register>(bus("t/x", "2"), kA);
  EXPECT_EQ(reg.topic_id, ack.topic_id);
}

TEST_F(GatewayCoreTest, OversizedMessageIsDroppedNotSent) {
  options.max_datagram = 100;
  connect(kA, "dev1");
  subscribe(kA, PredefinedTopicId{7}, 0);
  EXPECT_TRUE(sends(bus("pre/seven", std::string(200, 'x'))).empty());
  EXPECT_EQ(counters.dropped_too_large.value(), 1u);
  EXPECT_EQ(only<Publish>(bus("pre/seven", "small"), kA).data, "small");
}

// ------------------------------------------------------- persistent sessions

TEST_F(GatewayCoreTest, PersistentSessionKeepsSubscriptionsAndQueuedMessages) {
  connect(kA, "dev1", false);
  auto ack = subscribe(kA, TopicName{"t/x"}, 1);
  in(kA, Disconnect{});
  ASSERT_NE(core().find("dev1"), nullptr);
  EXPECT_TRUE(core().clients().empty());
  EXPECT_TRUE(sends(bus("t/x", "while away", 1)).empty());
  EXPECT_TRUE(sends(bus("t/x", "qos0 lost", 0)).empty());
  EXPECT_EQ(counters.dropped_offline.value(), 1u);

  auto out = in(kB, Connect{false, false, 60, "dev1"});
  auto s = sends(out);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(type_of(s[0].msg), MsgType::connack);
  // The id from the old connection is announced again before it is used.
  EXPECT_EQ(std::get<Register>(s[1].msg).topic_id, ack.topic_id);
  auto reg = std::get<Register>(s[1].msg);
  auto p = only<Publish>(in(kB, Regack{reg.topic_id, reg.msg_id, ReturnCode::accepted}), kB);
  EXPECT_EQ(p.data, "while away");
}

TEST_F(GatewayCoreTest, AMessageInFlightAtReconnectIsResentAfterItsTopicIsRegisteredAgain) {
  // After a reconnect the client may have forgotten every id (6.7): the
  // PUBLISH it never acknowledged goes again only once its name is announced.
  connect(kA, "dev1", false);
  auto ack = subscribe(kA, TopicName{"t/x"}, 1);
  auto p = only<Publish>(bus("t/x", "in flight", 1), kA);
  auto s = sends(in(kA, Connect{false, false, 60, "dev1"}));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(type_of(s[0].msg), MsgType::connack);
  auto reg = std::get<Register>(s[1].msg);
  EXPECT_EQ(reg.topic_id, ack.topic_id);
  auto again = only<Publish>(in(kA, Regack{reg.topic_id, reg.msg_id, ReturnCode::accepted}), kA);
  EXPECT_EQ(again.data, "in flight");
  EXPECT_EQ(again.msg_id, p.msg_id);
  EXPECT_TRUE(again.dup);
}

TEST_F(GatewayCoreTest, CleanConnectDropsTheOldSession) {
  connect(kA, "dev1", false);
  subscribe(kA, TopicName{"t/x"}, 1);
  auto old = session_of("dev1");
  auto out = in(kA, Connect{false, true, 60, "dev1"});
  bool forgot = false;
  for (const auto& a : out) {
    if (auto* f = std::get_if<ForgetAction>(&a)) forgot = f->session == old;
  }
  EXPECT_TRUE(forgot);
  EXPECT_TRUE(sends(bus("t/x", "x", 1)).empty());
  // Presence did not flap for a reconnect of the same device.
  EXPECT_EQ(directory.events, std::vector<std::string>{"online dev-dev1 " + kA});
}

TEST_F(GatewayCoreTest, ReconnectFromANewAddressMovesTheClient) {
  connect(kA, "dev1", false);
  connect(kB, "dev1", false);
  EXPECT_EQ(core().clients()[0].remote, kB);
  EXPECT_EQ(only<Disconnect>(in(kA, Subscribe{false, 0, 1, TopicName{"x"}}), kA), Disconnect{});
}

TEST_F(GatewayCoreTest, AnotherClientIdOnTheSameAddressLosesTheFirst) {
  connect_with_will(kA, "first", "w/first", "gone");
  auto out = in(kA, Connect{false, true, 60, "second"});
  ASSERT_EQ(published(out).size(), 1u);
  EXPECT_EQ(published(out)[0]->topic, "w/first");
  EXPECT_EQ(core().find("first"), nullptr);
  EXPECT_EQ(core().clients().size(), 1u);
}

TEST_F(GatewayCoreTest, ASleepingClientOnlyLosesItsAddressToAnotherClient) {
  connect_with_will(kA, "sleeper", "w/sleeper", "gone");
  in(kA, Disconnect{60});
  auto out = in(kA, Connect{false, true, 60, "other"});
  EXPECT_TRUE(published(out).empty());
  EXPECT_EQ(only<Pingresp>(in(kB, Pingreq{"sleeper"}), kB), Pingresp{});
  EXPECT_EQ(core().clients().size(), 2u);
}

// --------------------------------------------------------- sleeping clients

TEST_F(GatewayCoreTest, SleepingClientGetsBufferedMessagesOnPingreq) {
  connect(kA, "dev1");
  subscribe(kA, PredefinedTopicId{7}, 1);
  auto out = in(kA, Disconnect{60});
  EXPECT_EQ(only<Disconnect>(out, kA), Disconnect{});  // 6.14: acknowledged
  EXPECT_EQ(core().clients()[0].state, "asleep");
  EXPECT_EQ(counters.clients_asleep.value(), 1);
  EXPECT_TRUE(sends(bus("pre/seven", "a", 0)).empty());
  EXPECT_TRUE(sends(bus("pre/seven", "b", 1)).empty());
  EXPECT_EQ(core().clients()[0].queued, 2u);

  // Wakes from a new address: found by client id.
  out = in(kB, Pingreq{"dev1"});
  auto s = sends(out);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].to, kB);
  EXPECT_EQ(std::get<Publish>(s[0].msg).data, "a");
  EXPECT_EQ(std::get<Publish>(s[1].msg).data, "b");
  EXPECT_EQ(core().clients()[0].state, "awake");
  // PINGRESP only once everything is acknowledged: back to sleep.
  auto done = in(kB, Puback{7, std::get<Publish>(s[1].msg).msg_id, ReturnCode::accepted});
  EXPECT_EQ(only<Pingresp>(done, kB), Pingresp{});
  EXPECT_EQ(core().clients()[0].state, "asleep");
}

TEST_F(GatewayCoreTest, SleepingClientWithNothingBufferedGetsPingrespAtOnce) {
  connect(kA, "dev1");
  in(kA, Disconnect{60});
  EXPECT_EQ(only<Pingresp>(in(kA, Pingreq{"dev1"}), kA), Pingresp{});
  EXPECT_EQ(core().clients()[0].state, "asleep");
}

TEST_F(GatewayCoreTest, SleepBufferIsBoundedAndOverflowCounted) {
  connect(kA, "dev1");
  subscribe(kA, PredefinedTopicId{7}, 0);
  in(kA, Disconnect{60});
  for (int i = 1; i <= 5; ++i) bus("pre/seven", std::to_string(i));
  EXPECT_EQ(counters.dropped_buffer_full.value(), 2u);  // max_buffered_messages = 3
  auto s = sends(in(kA, Pingreq{"dev1"}));
  ASSERT_EQ(s.size(), 4u);  // the newest three, then PINGRESP
  EXPECT_EQ(std::get<Publish>(s[0].msg).data, "3");
  EXPECT_EQ(std::get<Publish>(s[2].msg).data, "5");
  EXPECT_EQ(type_of(s[3].msg), MsgType::pingresp);
}

TEST_F(GatewayCoreTest, MessagesArrivingWhileAwakeWaitForTheNextWake) {
  connect(kA, "dev1");
  subscribe(kA, PredefinedTopicId{7}, 1);
  in(kA, Disconnect{60});
  bus("pre/seven", "old", 1);
  auto p = only<Publish>(in(kA, Pingreq{"dev1"}), kA);
  EXPECT_TRUE(sends(bus("pre/seven", "new", 1)).empty());
  EXPECT_EQ(only<Pingresp>(in(kA, Puback{7, p.msg_id, ReturnCode::accepted}), kA), Pingresp{});
  EXPECT_EQ(core().clients()[0].queued, 1u);
}

TEST_F(GatewayCoreTest, SleepingClientThatMissesItsDurationIsLost) {
  connect_with_will(kA, "dev1", "w", "gone", 10);
  in(kA, Disconnect{4});
  EXPECT_TRUE(published(tick(5s)).empty());  // 1.5 x 4 s
  auto out = tick(2s);
  ASSERT_EQ(published(out).size(), 1u);
  EXPECT_EQ(published(out)[0]->topic, "w");
  EXPECT_EQ(counters.clients_asleep.value(), 0);
}

TEST_F(GatewayCoreTest, ConnectWakesASleepingClient) {
  connect(kA, "dev1", false);
  subscribe(kA, PredefinedTopicId{7}, 1);
  in(kA, Disconnect{60});
  bus("pre/seven", "x", 1);
  auto s = sends(in(kA, Connect{false, false, 60, "dev1"}));
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(type_of(s[0].msg), MsgType::connack);
  EXPECT_EQ(std::get<Publish>(s[1].msg).data, "x");
  EXPECT_EQ(core().clients()[0].state, "active");
}

TEST_F(GatewayCoreTest, PingreqWithUnknownClientIdIsAnsweredWithDisconnect) {
  EXPECT_EQ(only<Disconnect>(in(kA, Pingreq{"ghost"}), kA), Disconnect{});
}

// --------------------------------------------------------------- malformed

TEST_F(GatewayCoreTest, MalformedDatagramIsDroppedAndCountedWithoutAnswer) {
  connect(kA, "dev1");
  subscribe(kA, PredefinedTopicId{7}, 0);
  for (const std::string& bad : {std::string("\x05\x0C", 2), std::string("\x00", 1),
                                 std::string("\x03\xF0\x00", 3), std::string()}) {
    EXPECT_TRUE(raw(kA, bad).empty());
    EXPECT_TRUE(raw(kC, bad).empty());
  }
  EXPECT_EQ(counters.dropped_malformed.value(), 8u);
  // The client behind kA is untouched.
  EXPECT_EQ(only<Publish>(bus("pre/seven", "still here"), kA).data, "still here");
  EXPECT_EQ(core().clients()[0].state, "active");
}

TEST_F(GatewayCoreTest, ShutdownEndsEverySessionWithoutWills) {
  connect_with_will(kA, "dev1", "w", "gone");
  connect(kB, "dev2", false);
  Actions out;
  core().shutdown(out);
  EXPECT_TRUE(published(out).empty());
  EXPECT_TRUE(core().clients().empty());
  EXPECT_EQ(counters.clients_connected.value(), 0);
  EXPECT_EQ(directory.events.size(), 4u);  // two online, two offline
}

}  // namespace
}  // namespace trellis::mqttsn
