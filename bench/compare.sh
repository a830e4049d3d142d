#!/usr/bin/env bash
# Trellis vs Mosquitto, side by side on this machine (issue 7).
# Builds nothing: give it the binaries. For each scenario and each run it
# starts a fresh Trellis, runs the load generator once, stops it, then does the
# same with a fresh Mosquitto; it prints a markdown table of medians.
#
#   bench/compare.sh --trellis build/app/trellis --loadgen build/bench/loadgen \
#                    [--mosquitto mosquitto] [--runs 3] [--scale default|full] \
#                    [--only fanin0,fanin1,fanout0,lat0,lat1,idle,connrate] [--keep DIR]
set -euo pipefail

trellis=""
loadgen=""
mosquitto="mosquitto"
runs=3
scale="default"
only=""
keep=""
timeout_s=120

while [[ $# -gt 0 ]]; do
  case "$1" in
    --trellis) trellis="$2"; shift 2 ;;
    --loadgen) loadgen="$2"; shift 2 ;;
    --mosquitto) mosquitto="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --scale) scale="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x "$trellis" ]] || { echo "compare.sh: --trellis PATH to the trellis binary is required" >&2; exit 2; }
[[ -x "$loadgen" ]] || { echo "compare.sh: --loadgen PATH to the loadgen binary is required" >&2; exit 2; }
command -v "$mosquitto" >/dev/null || { echo "compare.sh: mosquitto not found ($mosquitto)" >&2; exit 2; }

# The idle row holds thousands of sockets in each broker and in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)

# Scenario rows: name | loadgen arguments | figure the row is judged by.
if [[ "$scale" == "full" ]]; then
  idle_conns=$(( fd_limit > 20000 ? 19000 : fd_limit - 1000 ))
  rows=(
    "fanin0|--scenario=fanin --qos=0 --pubs=10 --size=64 --count=1000000|msgs_per_s"
    "fanin1|--scenario=fanin --qos=1 --pubs=10 --size=64 --count=200000|msgs_per_s"
    "fanout0|--scenario=fanout --qos=0 --subs=100 --size=64 --count=10000|msgs_per_s"
    "lat0|--scenario=latency --qos=0 --rate=10000 --size=64 --count=100000|p99_us"
    "lat1|--scenario=latency --qos=1 --rate=10000 --size=64 --count=100000|p99_us"
    "idle|--scenario=idle --conns=$idle_conns --concurrency=200 --hold=5|rss_per_conn_bytes"
    "connrate|--scenario=connrate --conns=10000 --concurrency=100|conns_per_s"
  )
else
  rows=(
    "fanin0|--scenario=fanin --qos=0 --pubs=10 --size=64 --count=400000|msgs_per_s"
    "fanin1|--scenario=fanin --qos=1 --pubs=10 --size=64 --count=100000|msgs_per_s"
    "fanout0|--scenario=fanout --qos=0 --subs=100 --size=64 --count=4000|msgs_per_s"
    "lat0|--scenario=latency --qos=0 --rate=10000 --size=64 --count=20000|p99_us"
    "lat1|--scenario=latency --qos=1 --rate=10000 --size=64 --count=20000|p99_us"
    "idle|--scenario=idle --conns=2000 --concurrency=100 --hold=3|rss_per_conn_bytes"
    "connrate|--scenario=connrate --conns=2000 --concurrency=50|conns_per_s"
  )
fi

work=$(mktemp -d /tmp/trellis-bench.XXXXXX)
raw="$work/raw.txt"
: >"$raw"
broker_pid=""
cleanup() {
  if [[ -n "$broker_pid" ]]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
  if [[ -n "$keep" ]]; then mkdir -p "$keep" && cp -r "$work"/. "$keep"/; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for_port() {
  local port=$1
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "compare.sh: nothing listens on 127.0.0.1:$port" >&2
  return 1
}

# Only the keys this trellis build knows are set (unknown keys are refused at start-up).
trellis_keys=$("$trellis" --print-config 2>/dev/null | python3 -c '
import json, sys
def walk(node, prefix):
    for k, v in node.items():
        if isinstance(v, dict) and v: walk(v, prefix + k + ".")
        else: print(prefix + k)
try: walk(json.load(sys.stdin), "")
except ValueError: pass' || true)
trellis_set() {  # key value: prints "--set key=value" when this build has the key
  if grep -qx "$1" <<<"$trellis_keys"; then printf -- '--set %s=%s ' "$1" "$2"; fi
}

start_trellis() {
  local port=$1 dir="$work/trellis-data"
  rm -rf "$dir"; mkdir -p "$dir"
  # shellcheck disable=SC2046
  "$trellis" --set data_dir="$dir" --set log.level=warn --set mqtt.bind=127.0.0.1 \
    --set mqtt.tcp_port="$port" --set mqtt.max_queued_messages=200000 --set mqtt.max_inflight=32 \
    $(trellis_set mqtt.tls_port 0) $(trellis_set mqtt.ws_port 0) $(trellis_set mqtt.wss_port 0) \
    $(trellis_set mqttsn.port 0) $(trellis_set lwm2m.coap_port 0) $(trellis_set lwm2m.dtls_port 0) \
    $(trellis_set http.port 0) \
    >"$work/trellis.log" 2>&1 &
  broker_pid=$!
}

start_mosquitto() {
  local port=$1 nodelay=$2 conf="$work/mosquitto.conf"
  cat >"$conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 200000
max_inflight_messages 32
max_connections -1
log_dest stderr
log_type error
EOF
  if [[ "$nodelay" == 1 ]]; then echo "set_tcp_nodelay true" >>"$conf"; fi
  "$mosquitto" -c "$conf" >"$work/mosquitto.log" 2>&1 &
  broker_pid=$!
}

stop_broker() {
  kill "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=""
}

field() {  # line key -> value or "-"
  local v
  v=$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n1)
  echo "${v:--}"
}

median() {  # numbers on stdin -> median, or "-"
  sort -g | awk '{a[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

declare -A result
for row in "${rows[@]}"; do
  IFS='|' read -r name args figure <<<"$row"
  if [[ -n "$only" && ",$only," != *",$name,"* ]]; then continue; fi
  for broker in trellis mosquitto; do
    nodelay=0
    [[ "$name" == lat* ]] && nodelay=1
    figures="" cpus="" lost=0 reordered=0 failed=0
    for run in $(seq 1 "$runs"); do
      # A fresh broker per run: memory freed by an earlier run would hide the next one's growth.
      port=$(free_port)
      if [[ "$broker" == trellis ]]; then start_trellis "$port"; else start_mosquitto "$port" "$nodelay"; fi
      wait_for_port "$port"
      sleep 0.2
      # shellcheck disable=SC2086
      line=$("$loadgen" $args --port="$port" --pid="$broker_pid" --label="$broker" \
        --timeout="$timeout_s" || true)
      echo "$line" >>"$raw"
      echo "$name $broker run $run: $line" >&2
      [[ "$(field "$line" ok)" == 1 ]] || failed=$((failed + 1))
      figures+="$(field "$line" "$figure")"$'\n'
      cpu=$(field "$line" cpu_us_per_msg)
      [[ "$cpu" == - ]] && cpu=$(field "$line" cpu_us_per_conn)
      cpus+="$cpu"$'\n'
      l=$(field "$line" lost); r=$(field "$line" reordered)
      [[ "$l" =~ ^[0-9]+$ ]] && lost=$((lost + l))
      [[ "$r" =~ ^[0-9]+$ ]] && reordered=$((reordered + r))
      # The latency rows also report the median and the worst case.
      if [[ "$figure" == p99_us ]]; then
        result[$name.$broker.p50]+="$(field "$line" p50_us)"$'\n'
        result[$name.$broker.max]+="$(field "$line" max_us)"$'\n'
      fi
      stop_broker
    done
    result[$name.$broker]=$(grep -v '^-$' <<<"$figures" | grep . | median)
    result[$name.$broker.cpu]=$(grep -v '^-$' <<<"$cpus" | grep . | median)
    result[$name.$broker.loss]="$lost/$reordered"
    result[$name.$broker.failed]=$failed
    if [[ "$figure" == p99_us ]]; then
      result[$name.$broker.p50]=$(grep -v '^-$' <<<"${result[$name.$broker.p50]}" | grep . | median)
      result[$name.$broker.max]=$(grep -v '^-$' <<<"${result[$name.$broker.max]}" | grep . | median)
    fi
  done
done

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'
}

describe() {
  case "$1" in
    msgs_per_s) echo "msgs/s (higher is better)" ;;
    p99_us) echo "p99 latency µs (lower is better)" ;;
    rss_per_conn_bytes) echo "RSS bytes/conn (lower is better)" ;;
    conns_per_s) echo "conns/s (higher is better)" ;;
  esac
}

echo
echo "Runs per cell: $runs (median shown); scale: $scale; open-file limit: $fd_limit; $(nproc) cores; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | figure | Trellis | Mosquitto | Trellis / Mosquitto | Trellis CPU µs per unit | Mosquitto CPU µs per unit | lost/reordered T | lost/reordered M | failed runs T/M |"
echo "|---|---|---:|---:|---:|---:|---:|---|---|---|"
for row in "${rows[@]}"; do
  IFS='|' read -r name args figure <<<"$row"
  [[ -n "${result[$name.trellis]+x}" ]] || continue
  t=${result[$name.trellis]} m=${result[$name.mosquitto]}
  shown_t=$t shown_m=$m
  if [[ "$figure" == p99_us ]]; then
    shown_t="$t (p50 ${result[$name.trellis.p50]}, max ${result[$name.trellis.max]})"
    shown_m="$m (p50 ${result[$name.mosquitto.p50]}, max ${result[$name.mosquitto.max]})"
  fi
  echo "| $name | $(describe "$figure") | $shown_t | $shown_m | $(ratio "$t" "$m") | ${result[$name.trellis.cpu]} | ${result[$name.mosquitto.cpu]} | ${result[$name.trellis.loss]} | ${result[$name.mosquitto.loss]} | ${result[$name.trellis.failed]}/${result[$name.mosquitto.failed]} |"
done
echo
echo "Raw lines: one per run (keep them with --keep DIR)."
