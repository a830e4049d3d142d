#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing Trellis need.
# Idempotent: when every package is present it only checks and exits.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libboost-dev libboost-system-dev
  libcoap3-dev libcoap3-bin
  libtinyxml2-dev libsqlite3-dev nlohmann-json3-dev libssl-dev
  libgtest-dev libgmock-dev
  mosquitto-clients mosquitto python3 python3-paho-mqtt python3-pytest openssl

)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js (with npm) runs MQTT.js; a machine may already carry a newer build
# than Debian's, which conflicts with Debian's npm package, so only add it when absent.
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# MQTT.js drives the WebSocket tests; installed into the tests' own folder.
here=$(cd "$(dirname "$0")/.." && pwd)
if [[ -f "$here/tests/integration/js/package.json" && ! -d "$here/tests/integration/js/node_modules/mqtt" ]]; then
  (cd "$here/tests/integration/js" && npm ci --no-audit --no-fund --loglevel=error)
fi
