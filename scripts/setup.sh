#!/usr/bin/env bash
# Prepares a fresh Debian machine for the toolkit and its tests: the npm packages and
# the real programs the service tests start on loopback. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  # service tests: the real programs behind every rendered file
  postfix swaks openssl dovecot-core
  prometheus prometheus-blackbox-exporter
  restic
  knot knot-dnsutils unbound
)

if [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not root, skipping Debian packages (${apt_packages[*]}); the service tests need them" >&2
fi

npm ci --no-audit --no-fund
