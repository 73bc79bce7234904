#!/usr/bin/env bash
# Runs every pagerd test. Tests start their own redis-server and SMTP server
# (Debian's python3-aiosmtpd) on free loopback ports, and the console's in
# Debian's headless chromium; this script installs those packages first when
# they are missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
# The real alert senders (internal/testenv/senders.go runs these exact paths).
command -v /usr/bin/prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v /usr/bin/prometheus >/dev/null 2>&1 || need+=(prometheus)
# promtool (from the prometheus package) checks the shipped alerting rules
# and the dashboard's queries.
command -v /usr/bin/promtool >/dev/null 2>&1 || need+=(prometheus)
# Headless Chromium drives the web console's tests (console/browser_test.go).
command -v /usr/bin/chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing ${need[*]}: run 'sudo apt-get install -y ${need[*]}'" >&2
    exit 1
  fi
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 -timeout 8m "$@" ./...
