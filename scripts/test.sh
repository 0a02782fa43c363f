#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test: C unit tests, the integration suite
# (the real binaries as PID 1 in fresh PID namespaces, a real dockerd for container tests),
# the same again under ASan+UBSan, and each libFuzzer target briefly.
# The last line is the total: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RESULTS=$ROOT/test-results
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
PY=/usr/bin/python3   # Debian's interpreter: the first python3 on PATH may lack Debian's modules
FUZZ_SECONDS=${FUZZ_SECONDS:-15}

bash scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
bash scripts/build.sh default static asan fuzz || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; skipped=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + ${3:-0})); }

unit() { # build dir, label
  meson test -C "$1" --no-rebuild --print-errorlogs >"$RESULTS/unit-$2.log" 2>&1
  local ok fail
  ok=$(awk '/^Ok:/ {print $2}' "$RESULTS/unit-$2.log"); fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s+=$NF} END {print s+0}' "$RESULTS/unit-$2.log")
  echo "unit tests ($2): ${ok:-0} passed, ${fail:-0} failed"
  [ "${fail:-0}" = 0 ] || grep -E '^[ 0-9/]+.*(FAIL|TIMEOUT)' "$RESULTS/unit-$2.log"
  add "${ok:-0}" "${fail:-0}"
}

pytest_run() { # label, extra args...
  local label=$1; shift
  "$PY" -m pytest tests/integration -q -p no:cacheprovider --junitxml="$RESULTS/$label.xml" "$@" \
    >"$RESULTS/$label.log" 2>&1
  tail -n 30 "$RESULTS/$label.log" | grep -E '^(FAILED|ERROR)' || true
  local counts
  counts=$("$PY" - "$RESULTS/$label.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1, 0); sys.exit()
suites = [root] if root.tag == "testsuite" else list(root)
t = sum(int(s.get("tests", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
sk = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - sk, f, sk)
PYEOF
)
  set -- $counts
  echo "integration tests ($label): $1 passed, $2 failed, $3 skipped ($(tail -n 1 "$RESULTS/$label.log"))"
  add "$1" "$2" "$3"
}

unit build default
pytest_run integration
# UBSan only prints unless told to stop: a report must fail the test.
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 unit build-asan asan
# Under the sanitizers: everything but the container tests (those run the static release build).
# Every tend process checks for leaks at exit. ASan's reports go to files (asan.PID; every
# tend is PID 1 of its namespace, so they may share a name), because many tests stop tend
# without looking at how it exited: any report file is a failure of its own. UBSan (gcc's
# runtime writes to stderr whatever log_path says) stops tend with 98, which fails the test.
SANITIZER_LOGS=$RESULTS/sanitizers; mkdir -p "$SANITIZER_LOGS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99:log_path=$SANITIZER_LOGS/asan \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98 \
  TEND_BUILD=$ROOT/build-asan pytest_run integration-asan --ignore-glob='*docker*'
reports=$(find "$SANITIZER_LOGS" -type f | wc -l)
if [ "$reports" -gt 0 ]; then
  echo "ASan report files from the integration tests: $reports (in $SANITIZER_LOGS)"
  find "$SANITIZER_LOGS" -type f | head -3 | xargs head -n 12
  add 0 "$reports"
fi

fz_ok=0; fz_fail=0
for target in $(find build-fuzz/tests/fuzz -type f -executable -name 'fuzz_*' 2>/dev/null | sort); do
  name=$(basename "$target")
  corpus=$(mktemp -d); cp -r "tests/fuzz/corpus/$name/." "$corpus/" 2>/dev/null || true
  if "$target" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -artifact_prefix="$RESULTS/$name-" \
       "$corpus" >"$RESULTS/fuzz-$name.log" 2>&1; then
    fz_ok=$((fz_ok + 1))
  else
    fz_fail=$((fz_fail + 1)); echo "fuzz target $name failed: see $RESULTS/fuzz-$name.log"; tail -5 "$RESULTS/fuzz-$name.log"
  fi
  rm -rf "$corpus"
done
echo "fuzz targets (${FUZZ_SECONDS}s each): $fz_ok passed, $fz_fail failed"
add "$fz_ok" "$fz_fail"

# Skipped tests (e.g. container tests without dockerd) are counted, not hidden.
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
