#!/usr/bin/env bash
# Telemetry end to end: MQTT ingest into the store at growing load, then the
# hourly average over one long series through REST. Builds nothing: give it
# the binaries. Each row gets a fresh Trellis with an empty data_dir on free
# loopback ports (MQTT and HTTP only), so rows do not inherit a grown database;
# prints a markdown table of the results.
#
#   bench/telemetry.sh --trellis build/app/trellis --bench build/bench/telemetry_bench \
#                      [--scale default|full] [--timeout S] [--keep DIR]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

bench=""
scale="default"
timeout_s=180

parse_options "trellis bench scale timeout=timeout_s keep" "$@"
require_binaries --bench "$bench" telemetry_bench

# Rows: name | telemetry_bench arguments. Ingest rows keep the point total and
# grow the number of devices, each device sending one message per turn as real
# devices interleave; the last three change one thing each against the
# 100-device row: QoS 1, one key per message, and 400-message bursts per device
# (long runs of one device's series, which the store writes far more cheaply).
case "$scale" in
  full) points=1000000 query_points=1000000 ;;
  default) points=100000 query_points=1000000 ;;
  *) echo "telemetry.sh: --scale must be default or full" >&2; exit 2 ;;
esac
rows=(
  "d1|--mode=ingest --devices=1 --keys-per-msg=10 --qos=0 --points=$points"
  "d10|--mode=ingest --devices=10 --keys-per-msg=10 --qos=0 --points=$points"
  "d100|--mode=ingest --devices=100 --keys-per-msg=10 --qos=0 --points=$points"
  "d100q1|--mode=ingest --devices=100 --keys-per-msg=10 --qos=1 --points=$points"
  "d100k1|--mode=ingest --devices=100 --keys-per-msg=1 --qos=0 --points=$points"
  "d100b400|--mode=ingest --devices=100 --keys-per-msg=10 --qos=0 --burst=400 --points=$points"
  "query|--mode=query --points=$query_points --queries=20"
)

make_work_dir /tmp/trellis-telemetry.XXXXXX
raw="$work/raw.txt"
: >"$raw"
load_trellis_keys

declare -A line_of
for row in "${rows[@]}"; do
  IFS='|' read -r name args <<<"$row"
  mqtt_port=$(free_port tcp)
  http_port=$(free_port tcp)
  start_trellis "$work/data-$name" "$work/trellis-$name.log" mqtt.bind=127.0.0.1 \
    mqtt.tcp_port="$mqtt_port" http.bind=127.0.0.1 http.port="$http_port"
  wait_for_tcp "$mqtt_port"
  wait_for_tcp "$http_port"
  # shellcheck disable=SC2086
  line=$(timeout $((timeout_s + 30)) "$bench" $args --mqtt-port="$mqtt_port" --http-port="$http_port" --pid="$server_pid" \
    --timeout="$timeout_s" || true)
  echo "$name: $line" >&2
  echo "$name: $line" >>"$raw"
  line_of[$name]="$line"
  stop_server
done

echo
echo "Scale: $scale; $(nproc) cores; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Ingest: MQTT publish -> stored points readable through REST (target >= 100k points/s)"
echo
echo "| row | devices | keys/msg | QoS | burst | points | publish s | stored s | points/s | lost | broker CPU s | broker peak RSS MiB | ok |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for row in "${rows[@]}"; do
  IFS='|' read -r name _ <<<"$row"
  l=${line_of[$name]:-}
  [[ "$(field "$l" mode)" == ingest ]] || continue
  echo "| $name | $(field "$l" devices) | $(field "$l" keys_per_msg) | $(field "$l" qos) | $(field "$l" burst) | $(field "$l" points) | $(field "$l" publish_s) | $(field "$l" stored_s) | $(field "$l" points_per_s) | $(field "$l" lost) | $(field "$l" broker_cpu_s) | $(field "$l" broker_peak_rss_mb) | $(field "$l" ok) |"
done
echo
echo "Query: hourly avg over one series through REST, keep-alive client (target <= 100 ms)"
echo
echo "| points | buckets | load points/s | queries | p50 ms | p99 ms | max ms | ok |"
echo "|---:|---:|---:|---:|---:|---:|---:|---|"
l=${line_of[query]:-}
echo "| $(field "$l" points) | $(field "$l" buckets) | $(field "$l" load_points_per_s) | $(field "$l" queries) | $(field "$l" p50_ms) | $(field "$l" p99_ms) | $(field "$l" max_ms) | $(field "$l" ok) |"
echo
echo "Raw lines: one per row (keep them with --keep DIR)."
