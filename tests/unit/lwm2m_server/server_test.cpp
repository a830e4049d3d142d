// The server in-process over loopback UDP with a fake registry: admission and
// presence through DeviceDirectory, the PSK lookup through Authenticator, and
// the events it puts on the bus. CoAP messages are written by hand (RFC 7252).
#include "adapters/lwm2m/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "adapters/lwm2m/server_impl.hpp"

namespace trellis::lwm2m {
namespace {

class FakeRegistry : public Authenticator, public DeviceDirectory {
 public:
  AuthOutcome authenticate(const ConnectCredentials&) override { return {}; }
  std::optional<Psk> psk_for_identity(std::string_view identity) override {
    if (identity == "known") return Psk{"secret", "dev-psk"};
    return std::nullopt;
  }
  std::optional<std::string> admit(std::string_view, std::string_view identity) override {
    if (identity == "ep-refused") return std::nullopt;
    return "dev-" + std::string(identity);
  }
  std::optional<std::string> find(std::string_view protocol, std::string_view identity) override {
    return admit(protocol, identity);
  }
  void set_online(std::string_view device, std::string_view protocol,
                  std::string_view remote) override {
    std::lock_guard lock(mu);
    events.push_back("online " + std::string(device) + " " + std::string(protocol) + " " +
                     std::string(remote.substr(0, remote.find(':'))));
    cv.notify_all();
  }
  void set_offline(std::string_view device, std::string_view protocol) override {
    std::lock_guard lock(mu);
    events.push_back("offline " + std::string(device) + " " + std::string(protocol));
    cv.notify_all();
  }

  bool wait_for(const std::string& event) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(5), [&] {
      return std::find(events.begin(), events.end(), event) != events.end();
    });
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> events;
};

class Collector : public Subscriber {
 public:
  void deliver(const MessagePtr& msg, uint8_t) override {
    std::lock_guard lock(mu);
    messages.push_back(msg);
    cv.notify_all();
  }
  MessagePtr wait_for_topic(const std::string& topic) {
    std::unique_lock lock(mu);
    MessagePtr found;
    cv.wait_for(lock, std::chrono::seconds(5), [&] {
      for (const auto& m : messages) {
        if (m->topic == topic) found = m;
      }
      return found != nullptr;
    });
    return found;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<MessagePtr> messages;
};

uint16_t free_udp_port() {
  const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// One option with a delta below 13 (RFC 7252, 3.1); lengths from 13 on take
// the one-byte extension.
std::string option(int delta, std::string_view value) {
  const auto len = static_cast<int>(value.size());
  if (len < 13) return std::string(1, static_cast<char>(delta << 4 | len)) + std::string(value);
  return std::string(1, static_cast<char>(delta << 4 | 13)) +  // length nibble 13: extended
         std::string(1, static_cast<char>(len - 13)) + std::string(value);
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry.load_directory(std::string(TRELLIS_SOURCE_DIR) + "/objects/xml");
    ServerOptions o;
    o.coap_port = free_udp_port();
    o.dtls_port = 0;
    port = o.coap_port;
    server = std::make_unique<Server>(io, bus, metrics, registry, o, &fake, &fake);
    ASSERT_TRUE(server->start());
    bus.subscribe(collector, "lwm2m/#", 0);
    runner = std::thread([this] { io.run(); });
    sock = ::socket(AF_INET, SOCK_DGRAM, 0);
    timeval tv{2, 0};
    ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void TearDown() override {
    io.stop();
    runner.join();
    server.reset();
    ::close(sock);
  }

  // Sends one datagram and returns the answer (empty on timeout).
  std::string exchange(const std::string& datagram) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(sock, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    char buf[1500];
    const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

  std::string register_request(std::string_view ep) {
    return std::string("\x41", 1)                // version 1, CON, token length 1
           + std::string("\x02", 1)              // POST
           + std::string("\x12\x34", 2)          // message id
           + std::string("\x77", 1)              // token
           + option(11, "rd")                    // Uri-Path (11) "rd"
           + option(1, "\x28")                   // Content-Format (12): 40 link-format
           + option(3, "ep=" + std::string(ep))  // Uri-Query (15)
           + std::string("\xFF", 1)              // payload marker
           + "</3/0>";
  }

  boost::asio::io_context io;
  Bus bus;
  Metrics metrics;
  objects::ObjectRegistry registry;
  FakeRegistry fake;
  std::shared_ptr<Collector> collector = std::make_shared<Collector>();
  std::unique_ptr<Server> server;
  std::thread runner;
  uint16_t port = 0;
  int sock = -1;
};

TEST_F(ServerTest, RegisterAdmitsThroughTheDirectoryAndGoesOnline) {
  const std::string rsp = exchange(register_request("ep-1"));
  ASSERT_GE(rsp.size(), 5u);
  EXPECT_EQ(static_cast<uint8_t>(rsp[0]) >> 4, 0x6);  // version 1, ACK
  EXPECT_EQ(static_cast<uint8_t>(rsp[1]), 0x41);      // 2.01 Created
  EXPECT_NE(rsp.find("rd"), std::string::npos);       // Location-Path rd/{id}
  EXPECT_TRUE(fake.wait_for("online dev-ep-1 lwm2m 127.0.0.1"));
  auto event = collector->wait_for_topic("lwm2m/ep-1/up/resp");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->client_id, "dev-ep-1");  // the telemetry recorder keys by device id
  EXPECT_EQ(event->origin, Origin::lwm2m);
  EXPECT_NE(event->body().find("\"msgType\":\"register\""), std::string::npos);
  ASSERT_EQ(server->registrations().size(), 1u);
  EXPECT_EQ(server->registrations()[0].device_id, "dev-ep-1");
  const auto listed = server->clients();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].client_id, "ep-1");
  EXPECT_EQ(listed[0].protocol, "lwm2m");
  EXPECT_EQ(listed[0].transport, "udp");
  EXPECT_EQ(listed[0].state, "registered");
}

TEST_F(ServerTest, RefusedEndpointGetsForbidden) {
  const std::string rsp = exchange(register_request("ep-refused"));
  ASSERT_GE(rsp.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(rsp[1]), 0x83);  // 4.03 Forbidden
  EXPECT_NE(rsp.find("registry.auto_register"), std::string::npos);
  EXPECT_TRUE(server->registrations().empty());
}

TEST_F(ServerTest, DeregisterGoesOffline) {
  const std::string rsp = exchange(register_request("ep-2"));
  ASSERT_EQ(static_cast<uint8_t>(rsp[1]), 0x41);
  ASSERT_TRUE(fake.wait_for("online dev-ep-2 lwm2m 127.0.0.1"));
  EXPECT_TRUE(server->disconnect("ep-2"));
  EXPECT_TRUE(fake.wait_for("offline dev-ep-2 lwm2m"));
  EXPECT_FALSE(server->disconnect("never-registered"));
}

TEST_F(ServerTest, AReRegistrationDoesNotCountTheDeviceOnlineTwice) {
  // Counted twice and told offline once, the device stayed online for good.
  ASSERT_EQ(static_cast<uint8_t>(exchange(register_request("ep-3"))[1]), 0x41);
  ASSERT_EQ(static_cast<uint8_t>(exchange(register_request("ep-3"))[1]), 0x41);
  EXPECT_TRUE(server->disconnect("ep-3"));
  ASSERT_TRUE(fake.wait_for("offline dev-ep-3 lwm2m"));
  std::lock_guard lock(fake.mu);
  EXPECT_EQ(std::count(fake.events.begin(), fake.events.end(), "online dev-ep-3 lwm2m 127.0.0.1"),
            1);
  EXPECT_EQ(std::count(fake.events.begin(), fake.events.end(), "offline dev-ep-3 lwm2m"), 1);
}

TEST_F(ServerTest, SubmitTellsARefusalThroughItsOwnCallback) {
  std::mutex mu;
  std::condition_variable cv;
  std::string answer;
  CommandCallbacks cb;
  cb.done = [&](const std::string&) { ADD_FAILURE() << "a refusal is not an answer"; };
  cb.refused = [&](const std::string& json) {
    std::lock_guard lock(mu);
    answer = json;
    cv.notify_all();
  };
  server->submit("nobody", R"({"reqID": 5, "msgType": "read", "data": {"path": "/3/0"}})", cb);
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return !answer.empty(); }));
  EXPECT_NE(answer.find("\"code\":\"4.04\""), std::string::npos);
  EXPECT_NE(answer.find("\"reqID\":5"), std::string::npos);
}

TEST(Retransmissions, OnlyThoseSentWithinTheWaitForAnAnswer) {
  // Retransmission k goes out by 3 s * (2^k - 1): 3, 9, 21, 45 s.
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  EXPECT_EQ(retransmissions_within(seconds(1)), 1);  // libcoap's least
  EXPECT_EQ(retransmissions_within(milliseconds(3001)), 1);
  EXPECT_EQ(retransmissions_within(seconds(5)), 1);
  EXPECT_EQ(retransmissions_within(seconds(10)), 2);
  EXPECT_EQ(retransmissions_within(seconds(22)), 3);
  EXPECT_EQ(retransmissions_within(seconds(3600)), 4);  // MAX_RETRANSMIT
}

TEST(PskLookup, AsksTheAuthenticatorPerHandshakeAndRemembersTheDevice) {
  boost::asio::io_context io;
  Bus bus;
  Metrics metrics;
  objects::ObjectRegistry registry;
  FakeRegistry fake;
  auto impl =
      std::make_shared<Server::Impl>(io, bus, metrics, registry, ServerOptions{}, &fake, &fake);
  EXPECT_EQ(impl->psk_for("known"), "secret");
  EXPECT_EQ(impl->psk_devices["known"], "dev-psk");
  EXPECT_EQ(impl->psk_for("unknown"), std::nullopt);
  auto without =
      std::make_shared<Server::Impl>(io, bus, metrics, registry, ServerOptions{}, nullptr, nullptr);
  EXPECT_EQ(without->psk_for("known"), std::nullopt);
}

}  // namespace
}  // namespace trellis::lwm2m
