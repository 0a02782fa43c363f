#!/usr/bin/env bash
# PID 1's private memory after a burst of logging: one service writes LINES lines (63 bytes
# each on average) to its stdout, tend writes them to a file, and half a second after the last
# line arrived this prints tend's RssAnon (/proc/PID/status). tend runs as PID 1 of a fresh
# PID namespace with a small environment (env -i), as in a container.
#
# Usage (as root, from the repository):  bench/log-memory.sh
#   TEND=build-static/tend LINES=100000 ROUNDS=2
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TEND=${TEND:-$ROOT/build-static/tend}
LINES=${LINES:-100000}
ROUNDS=${ROUNDS:-2}
WORK=$(mktemp -d /tmp/tend-bench-logmem.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

python3 - "$WORK/input.txt" "$LINES" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.writelines("2026-11-27T12:00:00Z worker INFO request %d served in 3 ms\n" % i
                 for i in range(int(sys.argv[2])))
PY

for round in $(seq "$ROUNDS"); do
	dir="$WORK/$round"
	mkdir -p "$dir/conf"
	cat > "$dir/conf/bench.conf" <<CONF
settings:
  detect_exit: false
gen.service:
  command: "sh -c 'cat $WORK/input.txt; exec sleep 1000'"
file.logging:
  selector: "daemon.*"
  file: $dir/out.log
CONF
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin unshare --pid --fork --mount-proc "$TEND" \
		--syslog-socket "$dir/log.sock" --control-socket "$dir/ctl.sock" \
		--config "$dir/conf" >/dev/null 2>"$dir/stderr" &
	outer=$!
	init=
	for _ in $(seq 200); do
		init=$(cat "/proc/$outer/task/$outer/children" 2>/dev/null || true)
		[ -n "$init" ] && break
		sleep 0.01
	done
	init=${init%% *}
	deadline=$(( $(date +%s) + 120 ))
	until [ -e "$dir/out.log" ] && [ "$(wc -l < "$dir/out.log")" -ge "$LINES" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || { echo "timeout" >&2; exit 1; }
		sleep 0.05
	done
	sleep 0.5
	echo "round $round: $(grep RssAnon "/proc/$init/status")"
	kill -TERM "$init"
	wait "$outer" || true
done
