#!/usr/bin/env bash
# Debian's Chromium for the installer page test (tests/web). Playwright drives it with
# executable_path; Playwright's own browser download is never used. Needs root for apt-get.
set -u
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "web/ensure_chromium.sh: chromium is missing and installing it needs root (apt-get install chromium)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null
command -v chromium >/dev/null 2>&1
