#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright's own browser download
# does not work here). Install it when it is missing and we can: root with apt-get.
# With --required (CI), failing to install it is an error; otherwise the browser
# tests skip with a message that says how to install it.
set -u
required=0
[ "${1:-}" = "--required" ] && required=1
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)..."
  # A CJK font too, so screenshots of the Chinese pages show text, not boxes.
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; then
    exit 0
  fi
  echo "Could not install Chromium."
else
  echo "Chromium is missing and this user cannot install it: the browser tests will be skipped."
  echo "Install it with: sudo apt-get install chromium"
fi
exit $required
