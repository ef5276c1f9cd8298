#!/usr/bin/env bash
# Install Debian's ngspice when the `ngspice` command is missing; otherwise do
# nothing. Used by `make hardware-check` and by the hardware tests.
set -euo pipefail

if command -v ngspice >/dev/null 2>&1; then
    exit 0
fi

echo "ensure_ngspice: ngspice not found, installing Debian's ngspice package" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_ngspice: no apt-get here; install ngspice with your package manager (e.g. 'brew install ngspice')" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "ensure_ngspice: need root to install ngspice (run as root or install sudo)" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq >/dev/null; then
    echo "ensure_ngspice: 'apt-get update' failed (network or apt sources?)" >&2
    exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends ngspice >/dev/null; then
    echo "ensure_ngspice: 'apt-get install ngspice' failed" >&2
    exit 1
fi
if ! command -v ngspice >/dev/null 2>&1; then
    echo "ensure_ngspice: ngspice installed but not on PATH" >&2
    exit 1
fi
echo "ensure_ngspice: $(ngspice -v 2>/dev/null | grep -o 'ngspice-[0-9.]*' | head -1) installed" >&2
