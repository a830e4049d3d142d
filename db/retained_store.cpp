#include "db/retained_store.hpp"

#include "db/database.hpp"
#include "db/errors.hpp"

namespace trellis::db {

RetainedStore::RetainedStore(Database& db) : db_(db) {}

void RetainedStore::put(std::string topic, Payload payload, uint8_t qos, int64_t time_ms) {
  if (payload && payload->empty()) payload = nullptr;  // an empty retained message erases
  change(std::move(topic), Change{std::move(payload), qos, time_ms});
}

void RetainedStore::put(const MessagePtr& msg) {
  if (!msg) return;
  put(msg->topic, msg->payload, msg->qos, msg->time_ms);
}

void RetainedStore::erase(std::string topic) {
  change(std::move(topic), Change{});
}

void RetainedStore::change(std::string topic, Change c) {
  {
    std::lock_guard lock(mu_);
    changes_.insert_or_assign(std::move(topic), std::move(c));
    if (job_queued_) return;  // the queued job has not taken the map yet
    job_queued_ = true;
  }
  db_.writer().post([this](Connection& conn) { write_changes(conn); });
}

void RetainedStore::write_changes(Connection& c) {
  std::unordered_map<std::string, Change> changes;
  {
    std::lock_guard lock(mu_);
    changes.swap(changes_);
    job_queued_ = false;
  }
  auto upsert = c.prepare(
      "INSERT INTO retained(topic, payload, qos, time_ms) VALUES(?, ?, ?, ?) "
      "ON CONFLICT(topic) DO UPDATE SET payload = excluded.payload, qos = excluded.qos, "
      "time_ms = excluded.time_ms");
  auto remove = c.prepare("DELETE FROM retained WHERE topic = ?");
  for (const auto& [topic, ch] : changes) {
    if (!ch.payload) {
      remove.bind(1, topic).run();
      continue;
    }
    upsert.bind(1, topic).bind_blob(2, *ch.payload).bind(3, int64_t{ch.qos}).bind(4, ch.time_ms);
    upsert.run();
  }
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
