#!/bin/bash
# Install Debian's Chromium and its WebDriver for the dashboard's browser tests
# (tests/dashboard/browser/). Idempotent: nothing is done when both are there.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "setup-browser: chromium and chromedriver ready"
  exit 0
fi
echo "setup-browser: installing chromium chromium-driver"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
echo "setup-browser: chromium and chromedriver ready"
