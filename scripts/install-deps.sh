#!/usr/bin/env bash
# Installs the Debian 12 packages sluice needs, and only those that are missing.
# Idempotent: a second run installs nothing and prints nothing but a summary line.
# Usage: scripts/install-deps.sh [--test|--bench|--fuzz]
#   --test   also PostgreSQL (the store's tests start one), the openssl command (the TLS tests make their certificates), Prometheus and promtool (the alert rules' unit tests and the live-Prometheus test), and the official OpenAI Node and Python SDKs for tests/sdk (Node.js from Debian if missing, the Node SDK from npm; python3-venv from Debian, the Python SDK from PyPI into tests/sdk/.venv)
#   --bench  also wrk, nginx, HAProxy, python3-venv (bench/peers.sh) and the openssl command for `make bench`
#   --fuzz   also clang 16 and its libFuzzer/sanitizer runtimes for `make fuzz`
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev        # Asio + Beast (HTTP server and client)
  libsimdjson-dev         # request/response body parsing on the hot path
  nlohmann-json3-dev      # building JSON off the hot path
  libyaml-cpp-dev         # config
  libfmt-dev libspdlog-dev
  libcli11-dev            # command line
  libssl-dev              # SHA-256 for API keys, TLS
  libre2-dev              # route header regexes (linear time, no recursion on the input)
  libsqlite3-dev          # the store's embedded default
  libpq-dev               # the store on PostgreSQL (several gateway replicas)
  libhiredis-dev          # several replicas share limits, fairness and the fleet lease through Redis
  libgtest-dev libgmock-dev libbenchmark-dev
  curl procps             # integration tests: probes and process checks
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(postgresql)  # the store's PostgreSQL tests start a real server on a loopback port
  packages+=(redis-server)  # the replica tests start a real Redis on a loopback port
  packages+=(openssl)     # tests/integration/tls_test.cpp makes a CA and certificates at run time
  packages+=(python3-venv)  # tests/sdk/.venv for the OpenAI Python SDK
  packages+=(prometheus)  # promtool tests deploy/prometheus/alerts.yaml; tests/integration/prometheus_test.cpp runs a real server
  packages+=(chromium)    # tests/integration/console_test.cpp drives the web console in it, headless
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(sqlite3 wrk nginx-light openssl redis-server)  # openssl: the https row's certificate; redis-server: shared limits' cost
  packages+=(haproxy python3-venv)  # bench/peers.sh: HAProxy beside sluice; the venv of LiteLLM and the Rust routers
fi
if [[ "${1:-}" == "--fuzz" ]]; then
  # Clang 16, not bookworm's default 14: its libstdc++ 12 <expected> needs the concepts of clang 16.
  packages+=(clang-16 libclang-rt-16-dev)
fi
if [[ "${1:-}" == "--test" ]] && ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

install_sdk() {
  # The OpenAI Node SDK for the SDK smoke test, pinned by tests/sdk/package-lock.json.
  local dir
  dir="$(dirname "$0")/../tests/sdk"
  [[ "${1:-}" == "--test" ]] || return 0
  install_playwright "$(dirname "$0")/../tests/console"
  install_python_sdk "$dir"
  [[ ! -d "$dir/node_modules/openai" ]] || return 0
  echo "install-deps: installing the OpenAI Node SDK into tests/sdk (npm ci)"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error ||
    echo "install-deps: npm ci failed; the SDK test will be skipped" >&2
}

install_playwright() {  # tests/console
  # playwright-core (no browser of its own: it drives Debian's chromium) for the console's browser test,
  # pinned by tests/console/package-lock.json.
  [[ ! -d "$1/node_modules/playwright-core" ]] || return 0
  echo "install-deps: installing playwright-core into tests/console (npm ci)"
  npm ci --prefix "$1" --no-audit --no-fund --loglevel=error ||
    echo "install-deps: npm ci failed; the console's browser test will be skipped" >&2
}

install_python_sdk() {  # tests/sdk
  # The OpenAI Python SDK for tests/sdk/sdk_smoke.py, pinned by tests/sdk/requirements.txt, in a venv of
  # Debian's python3 (not whichever python3 comes first on PATH).
  if [[ -x "$1/.venv/bin/python" ]] && "$1/.venv/bin/python" -c 'import openai' 2>/dev/null; then return 0; fi
  echo "install-deps: installing the OpenAI Python SDK into tests/sdk/.venv (pip)"
  { /usr/bin/python3 -m venv "$1/.venv" &&
    "$1/.venv/bin/pip" install -q --disable-pip-version-check -r "$1/requirements.txt"; } ||
    { echo "install-deps: the Python SDK install failed; its SDK test will be skipped" >&2; rm -rf "$1/.venv"; }
}

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  install_sdk "${1:-}"
  exit 0
fi

echo "install-deps: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-deps: not root and no sudo; install these yourself: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_sdk "${1:-}"
echo "install-deps: done"
