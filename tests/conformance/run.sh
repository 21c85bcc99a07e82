#!/usr/bin/env bash
# `make conformance`: sluice in front of real engines (vLLM for CPU, llama.cpp's
# server) and engine-sim's fidelity to them. Installs what it needs first
# (setup.sh), then runs the pytest suite in this folder; logs, generated
# configs and the shape comparisons land in build/conformance-run/.
#   tests/conformance/run.sh [SLUICE_BINARY] [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SLUICE_BINARY=${1:-build/release/sluice}
shift || true
export SLUICE_BINARY=$(realpath "$SLUICE_BINARY")
[[ -x $SLUICE_BINARY ]] || { echo "no sluice binary at $SLUICE_BINARY (build it first)" >&2; exit 2; }
tests/conformance/setup.sh
export CONFORMANCE_RUN_DIR=$(realpath -m "${CONFORMANCE_RUN_DIR:-build/conformance-run}")
rm -rf "$CONFORMANCE_RUN_DIR"
mkdir -p "$CONFORMANCE_RUN_DIR"
export HF_HUB_OFFLINE=1 PYTHONDONTWRITEBYTECODE=1
cd tests/conformance
exec ../../build/conformance-venv/bin/python -m pytest -v -rs -p no:cacheprovider "$@" .
