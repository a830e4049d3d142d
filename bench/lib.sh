# shellcheck shell=bash
# What the benchmark drivers (compare.sh, telemetry.sh, lwm2m.sh, mqttsn.sh)
# share: their options, a scratch directory that goes away on exit, free
# loopback ports, and one server at a time, trellis started with only the
# listeners a row uses. Sourced before the driver sets its own defaults.

script=${0##*/}  # messages name the driver, not this file

# Every driver takes --trellis PATH and --keep DIR; the functions below use them.
trellis=""
keep=""
# Put before a server's command line: `taskset -c LIST` keeps it on those
# CPUs. A prefix, not a function: `function &` would make server_pid a
# subshell's, and stopping that would leave the server running.
server_prefix=()

# Prints the driver's header comment: its usage.
print_help() {
  sed -n '2,/^[^#]/{/^#/p}' "$0"
}

# Reads "--name value" arguments into variables. $1 lists the names the driver
# takes, each "name" (the variable of that name) or "name=variable".
parse_options() {
  local names=" $1 " name var
  shift
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h|--help) print_help; exit 0 ;;
    esac
    name=${1#--}
    if [[ "$1" != --* || -z "$name" ]]; then
      var=""
    elif [[ "$names" == *" $name "* ]]; then
      var=$name
    elif [[ "$names" == *" $name="* ]]; then
      var=${names#* "$name="}
      var=${var%% *}
    else
      var=""
    fi
    [[ -n "$var" ]] || { echo "$script: unknown argument $1" >&2; exit 2; }
    printf -v "$var" '%s' "$2"
    shift 2
  done
}

# Trellis, then the driver's load program given as: option path name.
require_binaries() {
  set -- --trellis "$trellis" trellis "$@"
  while [[ $# -gt 0 ]]; do
    [[ -x "$2" ]] || { echo "$script: $1 PATH to the $3 binary is required" >&2; exit 2; }
    shift 3
  done
}

server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# $work holds the logs, data_dirs and raw lines; on exit, however the driver
# ends, the server stops and $work is copied to --keep DIR first when given.
make_work_dir() {  # mktemp template
  work=$(mktemp -d "$1")
  trap remove_work_dir EXIT
}

# shellcheck disable=SC2317  # run by the trap
remove_work_dir() {
  stop_server
  if [[ -n "$keep" ]]; then mkdir -p "$keep" && cp -r "$work"/. "$keep"/; fi
  rm -rf "$work"
}

free_port() {  # tcp|udp
  python3 -c '
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

# Bounded poll while the server starts; a server that exited will not listen.
wait_for_tcp() {  # port
  local port=$1
  for _ in $(seq 1 100); do
    if [[ -n "$server_pid" ]] && ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$script: nothing listens on 127.0.0.1:$port" >&2
  return 1
}

# The setting keys this trellis build knows, one a line: it refuses to start
# with a key it does not know, and older builds lack some listeners.
trellis_keys=""
load_trellis_keys() {
  trellis_keys=$("$trellis" --print-config 2>/dev/null | python3 -c '
import json, sys
def walk(node, prefix):
    for k, v in node.items():
        if isinstance(v, dict) and v: walk(v, prefix + k + ".")
        else: print(prefix + k)
try: walk(json.load(sys.stdin), "")
except ValueError: pass' || true)
}

trellis_has() {  # key
  grep -qx "$1" <<<"$trellis_keys"
}

# Starts trellis in the background (server_pid) on a fresh data_dir with the
# given settings; every listener they do not name is turned off, so a row
# measures only what it uses and no port is taken twice.
start_trellis() {  # data_dir log_file key=value...
  local dir=$1 log=$2 setting key
  shift 2
  local args=(--set data_dir="$dir" --set log.level=warn)
  for setting in "$@"; do args+=(--set "$setting"); done
  for key in mqtt.tls_port mqtt.ws_port mqtt.wss_port mqttsn.port lwm2m.coap_port \
             lwm2m.dtls_port http.port; do
    if [[ " $* " != *" $key="* ]] && trellis_has "$key"; then args+=(--set "$key=0"); fi
  done
  rm -rf "$dir"; mkdir -p "$dir"
  "${server_prefix[@]}" "$trellis" "${args[@]}" >"$log" 2>&1 &
  server_pid=$!
}

field() {  # line key -> value or "-"
  local v
  v=$(tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n1)
  echo "${v:--}"
}
