#include "db/session_store.hpp"

#include <map>
#include <string_view>

#include "db/database.hpp"
#include "db/errors.hpp"

namespace trellis::db {

SessionStore::SessionStore(Database& db) : db_(db) {}

void SessionStore::replace_all(std::vector<StoredSession> sessions) {
  // One job is one savepoint of one transaction: a crash keeps the previous
  // save or this one, never a mix.
  db_.writer().post([sessions = std::move(sessions)](Connection& c) {
    c.exec("DELETE FROM sessions");  // cascades to everything a session holds
    auto session = c.prepare("INSERT INTO sessions(client_id, updated_ms) VALUES(?, ?)");
    auto sub = c.prepare(
        "INSERT INTO session_subscriptions(client_id, filter, qos) VALUES(?, ?, ?) "
        "ON CONFLICT(client_id, filter) DO UPDATE SET qos = excluded.qos");
    auto msg = c.prepare(
        "INSERT INTO session_messages(client_id, ord, topic, payload, qos, retain, packet_id, "
        "released) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
    auto inbound = c.prepare(
        "INSERT INTO session_inbound_qos2(client_id, packet_id) VALUES(?, ?) "
        "ON CONFLICT(client_id, packet_id) DO NOTHING");
    const int64_t now = now_ms();
    for (const auto& s : sessions) {
      session.bind_all(s.client_id, now);
      session.run();
      for (const auto& f : s.subscriptions) {
        sub.bind_all(s.client_id, f.filter, int64_t{f.qos});
        sub.run();
      }
      for (const auto& m : s.queued) {
        msg.bind(1, s.client_id)
            .bind(2, m.order)
            .bind(3, m.topic)
            .bind_blob(4, m.payload ? std::string_view(*m.payload) : std::string_view())
            .bind(5, int64_t{m.qos})
            .bind(6, m.retain)
            .bind(7, int64_t{m.packet_id})
            .bind(8, m.released);
        msg.run();
      }
      for (uint16_t id : s.inbound_qos2) {
        inbound.bind_all(s.client_id, int64_t{id});
        inbound.run();
      }
    }
  });
}

Result<std::vector<StoredSession>> SessionStore::load_all() const {
  return guarded([&]() -> Result<std::vector<StoredSession>> {
    auto c = db_.readers().acquire();
    Transaction snapshot(*c);
    std::map<std::string, StoredSession> by_id;
    auto ss = c->prepare("SELECT client_id, updated_ms FROM sessions");
    while (ss.step()) {
      auto id = ss.column_text(0);
      by_id[id] = StoredSession{id, ss.column_int(1), {}, {}};
    }
    auto subs = c->prepare(
        "SELECT client_id, filter, qos FROM session_subscriptions ORDER BY client_id, filter");
    while (subs.step()) {
      auto it = by_id.find(subs.column_text(0));
      if (it == by_id.end()) continue;
      it->second.subscriptions.push_back(
          SessionSubscription{subs.column_text(1), static_cast<uint8_t>(subs.column_int(2))});
    }
    auto msgs = c->prepare(
        "SELECT client_id, ord, topic, payload, qos, retain, packet_id, released "
        "FROM session_messages ORDER BY client_id, ord");
    while (msgs.step()) {
      auto it = by_id.find(msgs.column_text(0));
      if (it == by_id.end()) continue;
      it->second.queued.push_back(
          QueuedMessage{msgs.column_int(1), msgs.column_text(2), make_payload(msgs.column_blob(3)),
                        static_cast<uint8_t>(msgs.column_int(4)), msgs.column_int(5) != 0,
                        static_cast<uint16_t>(msgs.column_int(6)), msgs.column_int(7) != 0});
    }
    auto inbound = c->prepare(
        "SELECT client_id, packet_id FROM session_inbound_qos2 ORDER BY client_id, packet_id");
    while (inbound.step()) {
      auto it = by_id.find(inbound.column_text(0));
      if (it == by_id.end()) continue;
      it->second.inbound_qos2.push_back(static_cast<uint16_t>(inbound.column_int(1)));
    }
    snapshot.commit();
    std::vector<StoredSession> out;
    out.reserve(by_id.size());
    for (auto& [id, s] : by_id) out.push_back(std::move(s));
    return out;
  });
}

}  // namespace trellis::db
