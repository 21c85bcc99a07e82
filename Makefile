# sluice — the two commands a newcomer needs: `make run` and `make test`.
#   make run            install missing Debian packages, build, serve examples/quickstart.yaml
#   make test           install, build, run the whole suite with ctest
#   make test SAN=1     the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench          proxy-overhead table (wrk: engine-sim vs nginx vs sluice) + micro-benchmarks
#   make check-config CONFIG=file.yaml
PRESET ?= $(if $(filter 1,$(SAN)),asan,release)
CONFIG ?= examples/quickstart.yaml
JOBS   ?= $(shell nproc)
BUILD  := build/$(PRESET)

.PHONY: all deps test-deps bench-deps configure build run test bench check-config clean
all: build

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test

bench-deps:
	@scripts/install-deps.sh --bench

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
	build/release/bench/sluice_micro_bench --benchmark_min_time=0.2

check-config: configure
	@cmake --build $(BUILD) -j $(JOBS) --target sluice
	$(BUILD)/sluice check-config $(CONFIG)

clean:
	rm -rf build
