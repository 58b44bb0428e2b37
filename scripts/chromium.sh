#!/usr/bin/env bash
# Headless Chromium and its WebDriver for the engine_admin console's browser test
# (tests/integration/test_engine_admin_browser.py), from Debian's packages chromium and chromium-driver.
# Exits 0 when both are there (installing them first when missing and this runs as root with apt-get),
# 1 with the command to run otherwise. Used by .ci/run and by the browser test itself.
#
# Environment: BAMBOO_CHROMIUM [/usr/bin/chromium], BAMBOO_CHROMEDRIVER [/usr/bin/chromedriver].
set -euo pipefail

CHROMIUM="${BAMBOO_CHROMIUM:-/usr/bin/chromium}"
CHROMEDRIVER="${BAMBOO_CHROMEDRIVER:-/usr/bin/chromedriver}"

if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "missing $CHROMIUM or $CHROMEDRIVER: install them with" \
        "'apt-get install -y chromium chromium-driver' (as root)" >&2
    exit 1
fi
echo "== installing chromium and chromium-driver"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver
if [ ! -x "$CHROMIUM" ] || [ ! -x "$CHROMEDRIVER" ]; then
    echo "chromium installed, but $CHROMIUM or $CHROMEDRIVER is still missing" >&2
    exit 1
fi
