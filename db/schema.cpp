#include "db/schema.hpp"

#include <string>

#include "core/message.hpp"

namespace trellis::db {

namespace {

// Telemetry lives in three tables: raw points clustered by (series, time) so a
// range read is one sequential scan; per-minute numeric rollups so an hourly
// average over a million points reads a few thousand rows; and the latest point
// of each series so "latest" costs O(keys).
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE devices(
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT '',
  attributes TEXT NOT NULL DEFAULT '{}',
  protocol TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  online INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER NOT NULL DEFAULT 0,
  remote_address TEXT NOT NULL DEFAULT '',
  mqtt_username TEXT UNIQUE,
  mqtt_password_hash TEXT,
  lwm2m_endpoint TEXT UNIQUE,
  psk_identity TEXT UNIQUE,
  psk_key BLOB
);

CREATE TABLE applications(
  name TEXT PRIMARY KEY NOT NULL,
  username TEXT UNIQUE,
  password_hash TEXT,
  api_key_sha256 TEXT UNIQUE,
  acl TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE series(
  id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  UNIQUE(device_id, key)
);

CREATE TABLE telemetry(
  series_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  num REAL,
  str TEXT,
  PRIMARY KEY(series_id, ts, seq)
) WITHOUT ROWID;

CREATE TABLE telemetry_rollup(
  series_id INTEGER NOT NULL,
  bucket_ms INTEGER NOT NULL,
  n INTEGER NOT NULL,
  total REAL NOT NULL,
  lo REAL NOT NULL,
  hi REAL NOT NULL,
  PRIMARY KEY(series_id, bucket_ms)
) WITHOUT ROWID;

CREATE TABLE telemetry_latest(
  series_id INTEGER PRIMARY KEY REFERENCES series(id) ON DELETE CASCADE,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  num REAL,
  str TEXT
);

CREATE TABLE meta(
  key TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
);

CREATE TABLE commands(
  uid TEXT PRIMARY KEY NOT NULL,
  device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  protocol TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL DEFAULT 0,
  result TEXT,
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX commands_by_device ON commands(device_id, created_ms, uid);
CREATE INDEX commands_open ON commands(deadline_ms) WHERE state IN ('pending', 'sent');

CREATE TABLE retained(
  topic TEXT PRIMARY KEY NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  time_ms INTEGER NOT NULL
);

CREATE TABLE sessions(
  client_id TEXT PRIMARY KEY NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE session_subscriptions(
  client_id TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE,
  filter TEXT NOT NULL,
  qos INTEGER NOT NULL,
  PRIMARY KEY(client_id, filter)
) WITHOUT ROWID;
CREATE TABLE session_messages(
  client_id TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  PRIMARY KEY(client_id, ord)
) WITHOUT ROWID;
)sql";

// In-flight MQTT QoS state joins the persistent sessions (MQTT 3.1.1
// 3.1.2.4). A message row with a packet id was sent and awaits its
// acknowledgement; `released` marks a QoS 2 one whose PUBREC came, leaving
// only the PUBREL. Rows of version 1 become queued messages, as they were.
constexpr std::string_view schema_v2 = R"sql(
ALTER TABLE session_messages ADD COLUMN packet_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_messages ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
CREATE TABLE session_inbound_qos2(
  client_id TEXT NOT NULL REFERENCES sessions(client_id) ON DELETE CASCADE,
  packet_id INTEGER NOT NULL,
  PRIMARY KEY(client_id, packet_id)
) WITHOUT ROWID;
)sql";

constexpr Migration all_migrations[] = {
    {1, schema_v1},
    {2, schema_v2},
};

}  // namespace

std::span<const Migration> migrations() {
  return all_migrations;
}

int current_schema_version(Connection& c) {
  c.exec(
      "CREATE TABLE IF NOT EXISTS schema_version("
      "version INTEGER PRIMARY KEY NOT NULL, applied_ms INTEGER NOT NULL)");
  auto st = c.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  return st.step() ? static_cast<int>(st.column_int(0)) : 0;
}

Result<int> apply_migrations(Connection& c, std::span<const Migration> list) {
  try {
    Transaction tx(c, Transaction::Kind::immediate);
    int have = current_schema_version(c);
    int known = list.empty() ? 0 : list.back().version;
    if (have > known) {
      return make_error("schema_too_new", "database schema version " + std::to_string(have) +
                                              " is newer than this build knows (" +
                                              std::to_string(known) +
                                              "); run a newer trellis or point db.path elsewhere");
    }
    for (const auto& m : list) {
      if (m.version <= have) continue;
      c.exec(m.sql);
      c.prepare("INSERT INTO schema_version(version, applied_ms) VALUES(?, ?)")
          .bind_all(m.version, now_ms())
          .run();
      have = m.version;
    }
    tx.commit();
    return have;
  } catch (const SqlError& e) {
    return make_error("storage", std::string("schema migration failed: ") + e.what());
  }
}

}  // namespace trellis::db
