// Timing of the telemetry store: batched ingest of one key, ingest interleaved
// from many devices (as a fleet reports), and an hourly average over a million
// points of one key. Prints; asserts nothing.
//   db_bench [folder]   (default: a fresh folder under /tmp)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "db/database.hpp"
#include "db/device_store.hpp"
#include "db/telemetry_store.hpp"

using namespace trellis::db;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// One point a second of "temp" on device "bench", starting at `first`.
void ingest(Database& db, int first, int count) {
  constexpr int64_t base = 1'700'000'000'000;
  std::vector<Point> chunk;
  chunk.reserve(1000);
  for (int i = first; i < first + count; ++i) {
    chunk.push_back(Point{"bench", "temp", base + int64_t{i} * 1000, 20.0 + (i % 100) * 0.1});
    if (chunk.size() == 1000) {
      db.telemetry().enqueue(std::move(chunk));
      chunk.clear();
      chunk.reserve(1000);
    }
  }
  if (!chunk.empty()) db.telemetry().enqueue(std::move(chunk));
  db.telemetry().flush();
}

// `devices` x `keys` series, each message one point of every key of one
// device, devices in turn: the order a fleet's messages arrive in.
void ingest_fleet(Database& db, int devices, int keys, int points) {
  constexpr int64_t base = 1'700'000'000'000;
  for (int d = 0; d < devices; ++d)
    db.devices().create(NewDevice{.id = "fleet-" + std::to_string(d)});
  std::vector<Point> message;
  for (int i = 0; i < points / keys; ++i) {
    int d = i % devices;
    int64_t ts = base + int64_t{i / devices} * 1000;
    for (int k = 0; k < keys; ++k) {
      message.push_back(Point{"fleet-" + std::to_string(d), "k" + std::to_string(k), ts, 1.0 * k});
    }
    db.telemetry().enqueue(std::move(message));
    message.clear();
  }
  db.telemetry().flush();
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir;
  if (argc > 1) {
    dir = argv[1];
  } else {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "trellis-db-bench-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return 1;
    dir = tmpl;
  }
  DatabaseOptions o;
  o.path = dir / "bench.db";
  auto opened = Database::open(o);
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto& db = **opened;
  db.devices().create(NewDevice{.id = "bench"});

  auto t = Clock::now();
  ingest(db, 0, 200'000);
  double ingest_ms = ms_since(t);
  std::printf("ingest 200000 points: %.0f ms (%.0f points/s)\n", ingest_ms,
              200'000 / (ingest_ms / 1000));

  t = Clock::now();
  ingest(db, 200'000, 800'000);
  std::printf("ingest 800000 more points: %.0f ms\n", ms_since(t));

  t = Clock::now();
  ingest_fleet(db, 100, 10, 1'000'000);
  double fleet_ms = ms_since(t);
  std::printf(
      "ingest 1000000 points from 100 devices x 10 keys, interleaved: %.0f ms (%.0f points/s)\n",
      fleet_ms, 1'000'000 / (fleet_ms / 1000));

  auto count = db.telemetry().count("bench");
  std::printf("stored points of one key: %lld\n", count ? static_cast<long long>(*count) : -1LL);

  for (int run = 0; run < 3; ++run) {
    t = Clock::now();
    auto r = db.telemetry().aggregate(AggregateQuery{.device_id = "bench", .keys = {"temp"}});
    double q_ms = ms_since(t);
    std::printf("hourly avg over 1M points (rollups), run %d: %.2f ms, %zu buckets\n", run, q_ms,
                r ? (*r)[0].buckets.size() : 0);
  }
  t = Clock::now();
  auto raw = db.telemetry().aggregate(
      AggregateQuery{.device_id = "bench", .keys = {"temp"}, .interval_ms = 3'600'001});
  std::printf(
      "avg per 3600001 ms over 1M points (minutes cut by buckets read raw): %.2f ms, "
      "%zu buckets\n",
      ms_since(t), raw ? (*raw)[0].buckets.size() : 0);

  t = Clock::now();
  auto page = db.telemetry().query(
      TelemetryQuery{.device_id = "bench", .limit = 1000, .order = Order::desc});
  std::printf("newest 1000 points: %.2f ms\n", ms_since(t));

  db.close();
  if (argc <= 1) std::filesystem::remove_all(dir);
  return page ? 0 : 1;
}
