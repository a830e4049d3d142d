#!/usr/bin/env bash
# Builds the trellis binary and runs it; arguments go to trellis
# (e.g. ./scripts/run.sh --config my.jsonc, or --set mqtt.tcp_port=1884).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
cmake --build "$root/build" --target trellis -j "$(nproc)"
exec "$root/build/app/trellis" "$@"
