#!/usr/bin/env bash
# Trellis vs Mosquitto, side by side on this machine (issue 7).
# Builds nothing: give it the binaries. For each scenario and each run it
# starts a fresh Trellis, runs the load generator once, stops it, and does the
# same with a fresh Mosquitto (who goes first alternates from run to run); it
# prints a markdown table of medians.
#
#   bench/compare.sh --trellis build/app/trellis --loadgen build/bench/loadgen \
#                    [--mosquitto mosquitto] [--runs 3] [--scale default|full] \
#                    [--only fanin0,fanin1,fanout0,lat0,lat1,idle,connrate] [--keep DIR] \
#                    [--pin-latency none|same|apart] [--trellis-set KEY=VALUE,...]
#
# --trellis-set gives every Trellis run these settings on top of the ones
# below (e.g. busy_poll_us=200); the table's heading repeats them.
#
# --pin-latency places the latency rows' broker and load generator with
# taskset: on one CPU (same) or on CPUs 0 and 1 (apart). A paced message
# wakes both in turn, and a wake-up on another CPU is an interrupt between
# virtual CPUs; pinning shows how much of a figure that path is.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

loadgen=""
mosquitto="mosquitto"
runs=3
scale="default"
only=""
timeout_s=120
pin_latency="none"
trellis_set=""

parse_options "trellis loadgen mosquitto runs scale only keep timeout=timeout_s pin-latency=pin_latency trellis-set=trellis_set" "$@"
require_binaries --loadgen "$loadgen" loadgen
command -v "$mosquitto" >/dev/null || { echo "compare.sh: mosquitto not found ($mosquitto)" >&2; exit 2; }
case "$pin_latency" in
  none) ;;
  same|apart) command -v taskset >/dev/null || { echo "compare.sh: --pin-latency needs taskset" >&2; exit 2; }
              (( $(nproc) >= 2 )) || { echo "compare.sh: --pin-latency needs two CPUs" >&2; exit 2; } ;;
  *) echo "compare.sh: --pin-latency is none, same or apart" >&2; exit 2 ;;
esac

trellis_settings=()
if [[ -n "$trellis_set" ]]; then
  IFS=',' read -r -a split_settings <<<"$trellis_set"
  for setting in "${split_settings[@]}"; do
    [[ -n "$setting" ]] && trellis_settings+=("$setting")
  done
fi

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

make_work_dir /tmp/trellis-bench.XXXXXX
raw="$work/raw.txt"
: >"$raw"
load_trellis_keys

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
  "${server_prefix[@]}" "$mosquitto" -c "$conf" >"$work/mosquitto.log" 2>&1 &
  server_pid=$!
}

median_of() {  # numbers one per line, "-" for unknown -> median of the known, or "-"
  awk '$1 != "" && $1 != "-"' <<<"$1" | sort -g |
    awk '{a[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else printf "%.10g\n", (a[NR/2]+a[NR/2+1])/2}'
}

declare -A result figures cpus steals lost reordered failed p50s maxes
for row in "${rows[@]}"; do
  IFS='|' read -r name args figure <<<"$row"
  if [[ -n "$only" && ",$only," != *",$name,"* ]]; then continue; fi
  nodelay=0 server_prefix=() loadgen_prefix=()
  if [[ "$name" == lat* ]]; then
    nodelay=1
    case "$pin_latency" in
      same) server_prefix=(taskset -c 1) loadgen_prefix=(taskset -c 1) ;;
      apart) server_prefix=(taskset -c 0) loadgen_prefix=(taskset -c 1) ;;
    esac
  fi
  for broker in trellis mosquitto; do
    figures[$broker]="" cpus[$broker]="" steals[$broker]="" p50s[$broker]="" maxes[$broker]=""
    lost[$broker]=0 reordered[$broker]=0 failed[$broker]=0
  done
  for run in $(seq 1 "$runs"); do
    # The brokers take turns, and which goes first alternates: the host's
    # load drifts over minutes (see steal), and each pair of runs shares it.
    order="trellis mosquitto"
    (( run % 2 == 0 )) && order="mosquitto trellis"
    for broker in $order; do
      # A fresh broker per run: memory freed by an earlier run would hide the next one's growth.
      port=$(free_port tcp)
      if [[ "$broker" == trellis ]]; then
        start_trellis "$work/trellis-data" "$work/trellis.log" mqtt.bind=127.0.0.1 \
          mqtt.tcp_port="$port" mqtt.max_queued_messages=200000 mqtt.max_inflight=32 \
          "${trellis_settings[@]}"
      else
        start_mosquitto "$port" "$nodelay"
      fi
      wait_for_tcp "$port"
      sleep 0.2
      # shellcheck disable=SC2086
      line=$("${loadgen_prefix[@]}" "$loadgen" $args --port="$port" --pid="$server_pid" --label="$broker" \
        --timeout="$timeout_s" || true)
      echo "$line" >>"$raw"
      # busy_poll_us needs one I/O thread, and the table must not claim polling
      # that did not happen; checked after the run, when start-up is logged.
      if [[ "$broker" == trellis ]] && grep -q "not polling" "$work/trellis.log"; then
        echo "compare.sh: trellis is not polling (busy_poll_us needs threads=1): $(grep "not polling" "$work/trellis.log")" >&2
        exit 2
      fi
      echo "$name $broker run $run: $line" >&2
      [[ "$(field "$line" ok)" == 1 ]] || failed[$broker]=$((failed[$broker] + 1))
      figures[$broker]+="$(field "$line" "$figure")"$'\n'
      cpu=$(field "$line" cpu_us_per_msg)
      [[ "$cpu" == - ]] && cpu=$(field "$line" cpu_us_per_conn)
      cpus[$broker]+="$cpu"$'\n'
      steals[$broker]+="$(field "$line" steal_pct)"$'\n'
      l=$(field "$line" lost); r=$(field "$line" reordered)
      [[ "$l" =~ ^[0-9]+$ ]] && lost[$broker]=$((lost[$broker] + l))
      [[ "$r" =~ ^[0-9]+$ ]] && reordered[$broker]=$((reordered[$broker] + r))
      # The latency rows also report the median and the worst case.
      if [[ "$figure" == p99_us ]]; then
        p50s[$broker]+="$(field "$line" p50_us)"$'\n'
        maxes[$broker]+="$(field "$line" max_us)"$'\n'
      fi
      stop_server
    done
  done
  for broker in trellis mosquitto; do
    result[$name.$broker]=$(median_of "${figures[$broker]}")
    result[$name.$broker.cpu]=$(median_of "${cpus[$broker]}")
    result[$name.$broker.steal]=$(median_of "${steals[$broker]}")
    result[$name.$broker.loss]="${lost[$broker]}/${reordered[$broker]}"
    result[$name.$broker.failed]=${failed[$broker]}
    if [[ "$figure" == p99_us ]]; then
      result[$name.$broker.p50]=$(median_of "${p50s[$broker]}")
      result[$name.$broker.max]=$(median_of "${maxes[$broker]}")
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
echo "Runs per cell: $runs (median shown); scale: $scale; Trellis settings: ${trellis_set:-defaults}; latency rows pinned: $pin_latency; open-file limit: $fd_limit; $(nproc) cores; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | figure | Trellis | Mosquitto | Trellis / Mosquitto | Trellis CPU µs per unit | Mosquitto CPU µs per unit | steal % T / M | lost/reordered T | lost/reordered M | failed runs T/M |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|"
for row in "${rows[@]}"; do
  IFS='|' read -r name args figure <<<"$row"
  [[ -n "${result[$name.trellis]+x}" ]] || continue
  t=${result[$name.trellis]} m=${result[$name.mosquitto]}
  shown_t=$t shown_m=$m
  if [[ "$figure" == p99_us ]]; then
    shown_t="$t (p50 ${result[$name.trellis.p50]}, max ${result[$name.trellis.max]})"
    shown_m="$m (p50 ${result[$name.mosquitto.p50]}, max ${result[$name.mosquitto.max]})"
  fi
  echo "| $name | $(describe "$figure") | $shown_t | $shown_m | $(ratio "$t" "$m") | ${result[$name.trellis.cpu]} | ${result[$name.mosquitto.cpu]} | ${result[$name.trellis.steal]} / ${result[$name.mosquitto.steal]} | ${result[$name.trellis.loss]} | ${result[$name.mosquitto.loss]} | ${result[$name.trellis.failed]}/${result[$name.mosquitto.failed]} |"
done
echo
echo "Steal: the share of the two cores' time the hypervisor gave to other guests during a run"
echo "(/proc/stat; median of the runs). It stalls whichever broker is running, and sets the p99 rows."
echo
echo "Raw lines: one per run (keep them with --keep DIR)."
