# microwand: every target sets up its own virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MPY := $(BIN)/micropython

.PHONY: help venv sim test check bench board hardware-check clean boardgen fuzz

help:
	@echo "make sim             run a full simulated 5-minute session (timeline, plot, summary)"
	@echo "make test            run every test on CPython and on the MicroPython unix port"
	@echo "make check           mpy-cross, pyright (ESP32 stubs), ruff"
	@echo "make bench           report allocation, heap, tick time, simulation speed, deploy times"
	@echo "make board           start a virtual board on a pty"
	@echo "make hardware-check  run the SPICE netlist in ngspice and check the analog design"
	@echo "make fuzz            search random scenarios for safety violations (FUZZ_BUDGET s, default 600)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

boardgen: venv
	$(BIN)/python -m wandctl.boardgen

sim: venv
	$(BIN)/wandctl sim --summary-json build/sim/summary.json --plot build/sim/session.png

test: venv
	bash tools/test.sh

check: venv
	bash tools/check.sh

bench: venv
	$(BIN)/wandctl bench

board: venv
	$(BIN)/wandctl sim --serve

hardware-check: venv
	bash hardware/ensure_ngspice.sh
	$(BIN)/python hardware/check.py

FUZZ_BUDGET ?= 600
fuzz: venv
	$(BIN)/wandctl fuzz --budget $(FUZZ_BUDGET) --out build/fuzz --json build/fuzz/fuzz.json

clean:
	rm -rf build .pytest_cache .ruff_cache
