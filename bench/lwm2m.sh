#!/usr/bin/env bash
# LwM2M server at growing client counts: registrations per second, resident
# memory per registered client, and Read round trips (application -> server ->
# client -> server -> application) per second with their latency.
# Builds nothing: give it the binaries. Each row starts a fresh Trellis on free
# loopback ports with a fresh data_dir (MQTT, LwM2M CoAP and HTTP on, every
# other listener off), runs lwm2m_bench once and stops the server; it prints a
# markdown table of the trend.
#
#   bench/lwm2m.sh --trellis build/app/trellis --bench build/bench/lwm2m_bench \
#                  [--scale default|full] [--clients "100 1000"] [--reads N] [--window N]
#                  [--via mqtt|rest] [--timeout S] [--keep DIR]
#
# Clients per row: 100 1000 (full: 100 1000 5000). Reads per row 20k (full 50k).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

bench=""
scale="default"
client_counts=""
reads=""
window=64
concurrency=32
via="mqtt"
timeout_s=""

parse_options "trellis bench scale clients=client_counts reads window via timeout=timeout_s keep" "$@"
require_binaries --bench "$bench" lwm2m_bench
case "$scale" in
  full) : "${client_counts:=100 1000 5000}" "${reads:=50000}" "${timeout_s:=300}" ;;
  default) : "${client_counts:=100 1000}" "${reads:=20000}" "${timeout_s:=120}" ;;
  *) echo "lwm2m.sh: --scale is default or full" >&2; exit 2 ;;
esac
[[ "$via" == mqtt || "$via" == rest ]] || { echo "lwm2m.sh: --via is mqtt or rest" >&2; exit 2; }

# Each simulated client holds its own UDP socket in the bench; the server
# serves them all from one socket.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)

make_work_dir /tmp/trellis-lwm2m.XXXXXX
load_trellis_keys
for key in lwm2m.coap_port lwm2m.bind http.port; do
  trellis_has "$key" || { echo "lwm2m.sh: this trellis has no $key" >&2; exit 2; }
done

mqtt_port="" coap_port="" http_port=""
start_server() {  # row name
  mqtt_port=$(free_port tcp)
  coap_port=$(free_port udp)
  http_port=$(free_port tcp)
  # Every register event goes to the bench's subscriber at once: its queue
  # must hold them all, or the bench waits for events the broker dropped.
  start_trellis "$work/data-$1" "$work/trellis-$1.log" mqtt.bind=127.0.0.1 \
    mqtt.tcp_port="$mqtt_port" mqtt.max_queued_messages=200000 \
    lwm2m.bind=127.0.0.1 lwm2m.coap_port="$coap_port" http.bind=127.0.0.1 http.port="$http_port"
  wait_for_tcp "$mqtt_port"
  # HTTP starts after the LwM2M endpoint: once it answers, CoAP is bound too.
  wait_for_tcp "$http_port"
}

echo "scale: $scale; reads via $via; $(nproc) cores; open-file limit $fd_limit; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
table=()
failed=0
for clients in $client_counts; do
  if (( clients + window + 200 > fd_limit )); then
    echo "lwm2m.sh: skipping $clients clients: open-file limit $fd_limit" >&2
    table+=("| $clients | - | - | - | - | - | - | - | - | - | - | - | - | - | skipped (open files) |")
    continue
  fi
  start_server "$clients"
  line=$("$bench" --coap-port="$coap_port" --mqtt-port="$mqtt_port" --http-port="$http_port" \
    --via="$via" --clients="$clients" --concurrency="$concurrency" --reads="$reads" \
    --window="$window" --pid="$server_pid" --timeout="$timeout_s" || true)
  if ! kill -0 "$server_pid" 2>/dev/null; then line="$line server_exited=1 ok=0"; fi
  stop_server
  echo "$line" >>"$work/raw.txt"
  echo "$clients clients: $line" >&2
  ok=$(field "$line" ok)
  [[ "$ok" == 1 ]] || failed=$((failed + 1))
  table+=("| $clients | $(field "$line" registrations_per_s) | $(field "$line" server_cpu_us_per_registration) | $(field "$line" rss_per_client_bytes) | $(field "$line" reads) | $(field "$line" reads_per_s) | $(field "$line" read_p50_ms) | $(field "$line" read_p99_ms) | $(field "$line" server_cpu_us_per_read) | $(field "$line" bench_cpu_us_per_read) | $(field "$line" lost) | $(field "$line" wrong) | $(field "$line" deregistrations_per_s) | $(field "$line" format) | $ok |")
done

echo
echo "LwM2M server, scale $scale: $(nproc) cores; load average at end: $(cut -d' ' -f1-3 /proc/loadavg); a fresh Trellis per row; Register window $concurrency; Reads of /3/0 via $via, window $window, spread round-robin over the clients."
echo
echo "| clients | registrations/s | server CPU µs/registration | RSS bytes/client | reads | reads/s | read p50 ms | read p99 ms | server CPU µs/read | bench CPU µs/read | lost | wrong | de-registrations/s | content format | ok |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${table[@]}"
echo
echo "Raw lines: one per row (keep them and the server logs with --keep DIR)."
exit $(( failed > 0 ? 1 : 0 ))
