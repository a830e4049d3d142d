#include "db/session_store.hpp"

#include <map>

#include "db/database.hpp"
#include "db/errors.hpp"

namespace trellis::db {

namespace {

// Every write touches the session row first, so child rows always have a parent.
void touch(Connection& c, const std::string& client_id) {
  c.prepare(
       "INSERT INTO sessions(client_id, updated_ms) VALUES(?, ?) "
       "ON CONFLICT(client_id) DO UPDATE SET updated_ms = excluded.updated_ms")
      .bind_all(client_id, now_ms())
      .run();
}

}  // namespace

SessionStore::SessionStore(Database& db) : db_(db) {}

void SessionStore::save(std::string client_id, std::vector<SessionSubscription> subscriptions) {
  db_.writer().post(
      [client_id = std::move(client_id), subs = std::move(subscriptions)](Connection& c) {
        touch(c, client_id);
        c.prepare("DELETE FROM session_subscriptions WHERE client_id = ?").bind(1, client_id).run();
        auto ins = c.prepare(
            "INSERT INTO session_subscriptions(client_id, filter, qos) VALUES(?, ?, ?) "
            "ON CONFLICT(client_id, filter) DO UPDATE SET qos = excluded.qos");
        for (const auto& s : subs) {
          ins.bind_all(client_id, s.filter, int64_t{s.qos});
          ins.run();
        }
      });
}

void SessionStore::subscribe(std::string client_id, std::string filter, uint8_t qos) {
  db_.writer().post(
      [client_id = std::move(client_id), filter = std::move(filter), qos](Connection& c) {
        touch(c, client_id);
        c.prepare(
             "INSERT INTO session_subscriptions(client_id, filter, qos) VALUES(?, ?, ?) "
             "ON CONFLICT(client_id, filter) DO UPDATE SET qos = excluded.qos")
            .bind_all(client_id, filter, int64_t{qos})
            .run();
      });
}

void SessionStore::unsubscribe(std::string client_id, std::string filter) {
  db_.writer().post([client_id = std::move(client_id), filter = std::move(filter)](Connection& c) {
    c.prepare("DELETE FROM session_subscriptions WHERE client_id = ? AND filter = ?")
        .bind_all(client_id, filter)
        .run();
  });
}

void SessionStore::append(std::string client_id, QueuedMessage m) {
  db_.writer().post([client_id = std::move(client_id), m = std::move(m)](Connection& c) {
    touch(c, client_id);
    c.prepare(
         "INSERT INTO session_messages(client_id, ord, topic, payload, qos, retain, packet_id, "
         "released) VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(client_id, ord) DO UPDATE SET "
         "topic = excluded.topic, payload = excluded.payload, qos = excluded.qos, "
         "retain = excluded.retain, packet_id = excluded.packet_id, "
         "released = excluded.released")
        .bind(1, client_id)
        .bind(2, m.order)
        .bind(3, m.topic)
        .bind_blob(4, m.payload ? std::string_view(*m.payload) : std::string_view())
        .bind(5, int64_t{m.qos})
        .bind(6, m.retain)
        .bind(7, int64_t{m.packet_id})
        .bind(8, m.released)
        .run();
  });
}

void SessionStore::save_inbound_qos2(std::string client_id, std::vector<uint16_t> packet_ids) {
  db_.writer().post([client_id = std::move(client_id), ids = std::move(packet_ids)](Connection& c) {
    touch(c, client_id);
    c.prepare("DELETE FROM session_inbound_qos2 WHERE client_id = ?").bind(1, client_id).run();
    auto ins = c.prepare(
        "INSERT INTO session_inbound_qos2(client_id, packet_id) VALUES(?, ?) "
        "ON CONFLICT(client_id, packet_id) DO NOTHING");
    for (uint16_t id : ids) {
      ins.bind_all(client_id, int64_t{id});
      ins.run();
    }
  });
}

void SessionStore::remove_message(std::string client_id, int64_t order) {
  db_.writer().post([client_id = std::move(client_id), order](Connection& c) {
    c.prepare("DELETE FROM session_messages WHERE client_id = ? AND ord = ?")
        .bind_all(client_id, order)
        .run();
  });
}

void SessionStore::remove_messages_through(std::string client_id, int64_t order) {
  db_.writer().post([client_id = std::move(client_id), order](Connection& c) {
    c.prepare("DELETE FROM session_messages WHERE client_id = ? AND ord <= ?")
        .bind_all(client_id, order)
        .run();
  });
}

void SessionStore::erase(std::string client_id) {
  db_.writer().post([client_id = std::move(client_id)](Connection& c) {
    c.prepare("DELETE FROM sessions WHERE client_id = ?").bind(1, client_id).run();
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
