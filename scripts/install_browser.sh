#!/usr/bin/env bash
# Debian's Chromium for the real-browser widget tests. Playwright drives it over CDP; we never run
# `playwright install` (it downloads a browser build, which this machine cannot do).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "chromium is missing: run 'sudo apt-get install -y chromium' (the browser tests need it)" >&2
  exit 1
fi
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
