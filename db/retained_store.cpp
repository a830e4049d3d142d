#include "db/retained_store.hpp"

#include "db/database.hpp"
#include "db/errors.hpp"

namespace trellis::db {

RetainedStore::RetainedStore(Database& db) : db_(db) {}

void RetainedStore::put(std::string topic, Payload payload, uint8_t qos, int64_t time_ms) {
  if (!payload || payload->empty()) {
    erase(std::move(topic));
    return;
  }
  db_.writer().post(
      [topic = std::move(topic), payload = std::move(payload), qos, time_ms](Connection& c) {
        c.prepare(
             "INSERT INTO retained(topic, payload, qos, time_ms) VALUES(?, ?, ?, ?) "
             "ON CONFLICT(topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, "
             "time_ms = excluded.time_ms")
            .bind(1, topic)
            .bind_blob(2, *payload)
            .bind(3, int64_t{qos})
            .bind(4, time_ms)
            .run();
      });
}

void RetainedStore::put(const MessagePtr& msg) {
  if (!msg) return;
  put(msg->topic, msg->payload, msg->qos, msg->time_ms);
}

void RetainedStore::erase(std::string topic) {
  db_.writer().post([topic = std::move(topic)](Connection& c) {
    c.prepare("DELETE FROM retained WHERE topic = ?").bind(1, topic).run();
  });
}

Result<std::vector<RetainedRecord>> RetainedStore::load_all() const {
  return guarded([&]() -> Result<std::vector<RetainedRecord>> {
    auto c = db_.readers().acquire();
    auto st = c->prepare("SELECT topic, payload, qos, time_ms FROM retained ORDER BY topic");
    std::vector<RetainedRecord> out;
    while (st.step()) {
      out.push_back(RetainedRecord{st.column_text(0), make_payload(st.column_blob(1)),
                                   static_cast<uint8_t>(st.column_int(2)), st.column_int(3)});
    }
    return out;
  });
}

}  // namespace trellis::db
