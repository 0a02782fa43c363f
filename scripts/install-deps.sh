#!/usr/bin/env bash
# Installs every Debian package tend needs to build, test and benchmark.
# Idempotent and quiet: a second run on a ready machine costs a couple of seconds.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config clang clang-format
  libyaml-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev
  libclang-rt-14-dev libfuzzer-14-dev
  # tests: real peers
  python3 python3-pytest python3-systemd python3-prometheus-client
  util-linux bsdextrautils procps systemd curl busybox-static docker.io libsystemd-dev
  podman  # tend-docker against Podman's Docker-compatible service
  # benchmark peers
  tini dumb-init catatonit supervisor s6 runit rsyslog hyperfine
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq
  # policy-rc.d keeps package scripts from starting daemons (rsyslog, docker) on this machine
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi
