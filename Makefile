# sluice — the two commands a newcomer needs: `make run` and `make test`.
#   make run            install missing Debian packages, build, serve examples/quickstart.yaml
#   make test           install, build, run the whole suite with ctest
#   make test SAN=1     the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench          proxy-overhead table (wrk: engine-sim vs nginx vs sluice, plain and https), the cost of
#                       resilience and of the usage ledger, sluice beside nginx/HAProxy/LiteLLM/SGLang and vLLM routers
#                       (bench/peers.sh; bench/peers_fairness.sh is run by hand), + micro-benchmarks
#   make fuzz           libFuzzer targets (clang, ASan+UBSan) in build/fuzz, each run FUZZ_SECONDS (60);
#                       not part of `make test`. `make fuzz-build` only builds them.
#   make conformance    sluice in front of real engines (vLLM for CPU, llama.cpp's server) and engine-sim's
#                       fidelity to them; installs ~7 GB into build/ the first time (tests/conformance/)
#   make check-config CONFIG=file.yaml
PRESET ?= $(if $(filter 1,$(SAN)),asan,release)
CONFIG ?= examples/quickstart.yaml
JOBS   ?= $(shell nproc)
BUILD  := build/$(PRESET)
FUZZ_SECONDS ?= 60
FUZZ_CXX ?= $(shell command -v clang++-16 || command -v clang++)

.PHONY: all deps test-deps bench-deps fuzz-deps configure build run test bench fuzz fuzz-build check-config conformance clean
all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

bench-deps:
	@scripts/install-deps.sh --bench

fuzz-deps:
	@scripts/install-deps.sh --fuzz

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: configure
	@cmake --build $(BUILD) -j $(JOBS) --target sluice
	$(BUILD)/sluice serve --config $(CONFIG)

test: test-deps build
	ctest --preset $(PRESET) -j $(JOBS)

bench: bench-deps
	@cmake --preset release >/dev/null
	@cmake --build build/release -j $(JOBS)
	bench/proxy_overhead.sh build/release/sluice
	bench/resilience_cost.sh build/release/sluice
	bench/store_cost.sh build/release/sluice
	bench/peers.sh build/release/sluice
	bench/replicas_cost.sh build/release/sluice
	build/release/bench/sluice_micro_bench --benchmark_min_time=0.2

fuzz-build: fuzz-deps
	@cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=$(or $(FUZZ_CXX),clang++-16) \
	  -DSLUICE_FUZZ=ON -DSLUICE_BUILD_TESTS=OFF -DSLUICE_BUILD_BENCH=OFF >/dev/null
	@cmake --build build/fuzz -j $(JOBS) --target sluice_fuzzers

fuzz: fuzz-build
	tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

conformance: configure
	@cmake --build $(BUILD) -j $(JOBS) --target sluice
	tests/conformance/run.sh $(BUILD)/sluice

check-config: configure
	@cmake --build $(BUILD) -j $(JOBS) --target sluice
	$(BUILD)/sluice check-config $(CONFIG)

clean:
	rm -rf build
