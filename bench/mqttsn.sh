#!/usr/bin/env bash
# MQTT-SN gateway throughput: QoS 0 and QoS 1 at growing client counts.
# Builds nothing: give it the binaries. Starts one Trellis on free loopback
# ports with a fresh data_dir (MQTT and MQTT-SN on, every other listener off),
# runs mqttsn_bench once per row and prints a markdown table of the trend.
#
#   bench/mqttsn.sh --trellis build/app/trellis --bench build/bench/mqttsn_bench \
#                   [--scale default|full] [--clients "1 10 100 1000"] [--timeout S] [--keep DIR]
#
# Messages per row: QoS 0 100k (full 1M), QoS 1 20k (full 200k).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

bench=""
scale="default"
client_counts="1 10 100 1000"
timeout_s=""

parse_options "trellis bench scale clients=client_counts timeout=timeout_s keep" "$@"
require_binaries --bench "$bench" mqttsn_bench
case "$scale" in
  full) qos0_count=1000000; qos1_count=200000; : "${timeout_s:=600}" ;;
  default) qos0_count=100000; qos1_count=20000; : "${timeout_s:=120}" ;;
  *) echo "mqttsn.sh: --scale is default or full" >&2; exit 2 ;;
esac

# Rows: QoS | PUBACK window | clients | loss expected | mqttsn_bench arguments.
# Every row keeps at most 128 messages sent and not yet delivered (the
# gateway's socket holds about 200), so it measures the sustainable rate. QoS 1
# keeps one PUBLISH in flight per client as MQTT-SN 1.2 (6.10) says; the
# "window 8" rows go beyond the spec to show what the gateway's stateless
# PUBACK allows. The "unpaced" row offers QoS 0 as fast as the client can send,
# to show what overload costs: its losses are the finding, not a failure.
rows=()
for n in $client_counts; do rows+=("0|-|$n|0|--qos=0 --clients=$n --count=$qos0_count"); done
rows+=("0 unpaced|-|10|1|--qos=0 --clients=10 --count=$qos0_count --window=100000000")
for n in $client_counts; do rows+=("1|1|$n|0|--qos=1 --pub-window=1 --clients=$n --count=$qos1_count"); done
for n in $client_counts; do
  if (( n <= 10 )); then rows+=("1|8|$n|0|--qos=1 --pub-window=8 --clients=$n --count=$qos1_count"); fi
done

make_work_dir /tmp/trellis-mqttsn.XXXXXX

# The gateway answers SEARCHGW with GWINFO (MQTT-SN 1.2, 6.1) once it is bound.
wait_for_gateway() {
  python3 - "$1" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    s.sendto(bytes([3, 0x01, 0]), ("127.0.0.1", int(sys.argv[1])))
    s.settimeout(0.2)
    try:
        data, _ = s.recvfrom(64)
        if len(data) >= 3 and data[1] == 0x02:
            sys.exit(0)
    except OSError:
        pass  # not bound yet (ICMP refusal) or no answer within 0.2 s
sys.exit("mqttsn.sh: the MQTT-SN gateway does not answer SEARCHGW")
EOF
}

load_trellis_keys
mqtt_port=$(free_port tcp)
sn_port=$(free_port udp)
# The subscriber's queue must hold a whole window: a full queue would drop
# messages the gateway delivered and blame the gateway for them.
start_trellis "$work/data" "$work/trellis.log" mqtt.bind=127.0.0.1 mqtt.tcp_port="$mqtt_port" \
  mqtt.max_queued_messages=200000 mqttsn.bind=127.0.0.1 mqttsn.port="$sn_port"
wait_for_tcp "$mqtt_port"
wait_for_gateway "$sn_port"

echo "scale: $scale; $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
table=()
failed=0
for row in "${rows[@]}"; do
  IFS='|' read -r qos pub_window clients loss_expected args <<<"$row"
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "mqttsn.sh: trellis exited; see its log (--keep DIR)" >&2
    failed=$((failed + 1))
    break
  fi
  # shellcheck disable=SC2086
  line=$("$bench" $args --port="$sn_port" --mqtt-port="$mqtt_port" --pid="$server_pid" \
    --timeout="$timeout_s" --label="trellis" || true)
  echo "$line" >>"$work/raw.txt"
  echo "qos $qos, window $pub_window, $clients clients: $line" >&2
  ok=$(field "$line" ok)
  if [[ "$loss_expected" == 1 ]]; then
    # Only losses are allowed here: the run itself must have finished.
    if [[ "$(field "$line" errors)" == 0 && "$(field "$line" timeout)" == 0 ]]; then
      ok="1 (loss expected)"
    else
      ok=0
    fi
  fi
  [[ "$ok" == 1* ]] || failed=$((failed + 1))
  # A handful of handshakes measures latency, not a rate.
  connects="-"
  if (( clients >= 100 )); then connects=$(field "$line" connects_per_s); fi
  table+=("| $qos | $pub_window | $clients | $(field "$line" sent) | $(field "$line" publishes_per_s) | $(field "$line" delivered_per_s) | $(field "$line" lost) | $(field "$line" reordered) | $(field "$line" duplicates) | $(field "$line" retransmits) | $(field "$line" gw_rcvbuf_drops) | $(field "$line" cpu_us_per_msg) | $(field "$line" bench_cpu_s) | $connects | $ok |")
done

# A cross-check of the counting with an independent MQTT client, when there is one.
sanity=""
if command -v mosquitto_sub >/dev/null && kill -0 "$server_pid" 2>/dev/null; then
  n=2000
  mosquitto_sub -d -h 127.0.0.1 -p "$mqtt_port" -q 1 -t "bench/sn/sanity/#" -C "$n" -W 60 \
    >"$work/mosquitto_sub.txt" 2>&1 &
  sub_pid=$!
  for _ in $(seq 1 50); do grep -q SUBACK "$work/mosquitto_sub.txt" && break; sleep 0.1; done
  line=$("$bench" --qos=1 --clients=10 --count="$n" --tag=sanity --port="$sn_port" \
    --mqtt-port="$mqtt_port" --timeout=60 || true)
  for _ in $(seq 1 100); do kill -0 "$sub_pid" 2>/dev/null || break; sleep 0.1; done
  kill "$sub_pid" 2>/dev/null || true
  wait "$sub_pid" 2>/dev/null || true
  got=$(grep -c "received PUBLISH" "$work/mosquitto_sub.txt" || true)
  sanity="Sanity: mosquitto_sub (an independent MQTT client) received $got of $n QoS 1 messages that mqttsn_bench published from 10 MQTT-SN clients; mqttsn_bench's own subscriber counted $(field "$line" received)."
fi

echo
echo "MQTT-SN gateway, scale $scale: $(nproc) cores; load average at end: $(cut -d' ' -f1-3 /proc/loadavg); one Trellis for all rows; payload 32 B; shared window 128 unseen messages."
echo
echo "| QoS | PUBACK window | clients | messages | publishes/s | delivered/s | lost | reordered | duplicates | retransmits | gateway rcvbuf drops | broker CPU µs/msg | bench CPU s | connects/s (new ids) | ok |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${table[@]}"
if [[ -n "$sanity" ]]; then echo; echo "$sanity"; fi
echo
echo "Raw lines: one per row (keep them with --keep DIR)."
exit $(( failed > 0 ? 1 : 0 ))
