#!/usr/bin/env bash
# Builds tend: build/ (debug-optimized, the one tests use), build-static/ (release, static,
# for containers), and on request build-asan/ (ASan+UBSan) and build-fuzz/ (libFuzzer).
#   scripts/build.sh [default|static|asan|fuzz]...
set -euo pipefail
cd "$(dirname "$0")/.."
setup() { # dir, meson args...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; exit 1; }
  fi
  ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; exit 1; }
}
[ $# -gt 0 ] || set -- default
for what in "$@"; do
  case $what in
    default) setup build ;;
    static)  setup build-static -Dstatic=true -Dunit_tests=disabled -Ddocker=disabled --buildtype=release ;;
    asan)    setup build-asan -Db_sanitize=address,undefined -Db_lundef=false ;;
    fuzz)    CC=clang setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dunit_tests=disabled ;;
    *) echo "unknown build: $what" >&2; exit 2 ;;
  esac
done
