#!/usr/bin/env bash
# init-startup.sh — tend against the small container inits, in one run on one machine:
#   1. start-to-exit time of `true` under each init as PID 1 of a fresh PID namespace
#      (`unshare --pid --fork --mount-proc INIT ... true`), with hyperfine when installed,
#      else a plain loop;
#   2. each init's private memory (RssAnon from /proc/PID/status) while it supervises `sleep`.
# Prints one table: median and mean wall time, CPU time (user+sys of unshare, the init and
# `true` together), the ratio of the median to the fastest's, RssAnon and its ratio to the
# smallest.
#
# Usage: sudo bench/init-startup.sh     (ROUNDS=3 RUNS=200 WARMUP=30 TEND_STATIC=... to change;
#                                        SKIP="tend,catatonit" leaves inits out by name)
# Needs root (PID namespaces), the static tend (meson setup build-static -Dstatic=true
# --buildtype=release && ninja -C build-static) and Debian's tini, dumb-init and catatonit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TEND=${TEND_STATIC:-$ROOT/build-static/tend}
RUNS=${RUNS:-200}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-30}

if [[ $EUID -ne 0 ]]; then
	echo "init-startup.sh: needs root for unshare --pid" >&2
	exit 1
fi
if [[ ! -x $TEND ]]; then
	echo "init-startup.sh: no static tend at $TEND (meson setup build-static -Dstatic=true" \
		"--buildtype=release && ninja -C build-static)" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# tend picks its personality from argv[0]: symlinks named like the originals.
ln -s "$TEND" "$work/tini"
ln -s "$TEND" "$work/dumb-init"

# name | the init's command line, to which the supervised command is appended
names=()
inits=()
add() {
	if [[ ",${SKIP:-}," == *",$1,"* ]]; then
		echo "init-startup.sh: skipping $1 (SKIP)" >&2
	elif [[ -x ${2%% *} ]]; then
		names+=("$1")
		inits+=("$2")
	else
		echo "init-startup.sh: skipping $1 (${2%% *} not installed)" >&2
	fi
}
add "tend" "$TEND --"
add "tend as tini" "$work/tini --"
add "tend as dumb-init" "$work/dumb-init"
add "tini" "/usr/bin/tini --"
add "dumb-init" "/usr/bin/dumb-init"
add "catatonit" "/usr/bin/catatonit --"

NS="unshare --pid --fork --mount-proc"
TRUE=$(command -v true)
SLEEP=$(command -v sleep)

# --- 0. does each one work? (a failing init is still timed, and flagged in the table) -----------
declare -A status
for i in "${!names[@]}"; do
	# shellcheck disable=SC2086
	rc=0
	(exec $NS ${inits[$i]} "$TRUE" >/dev/null 2>&1) 2>/dev/null || rc=$?
	status[${names[$i]}]=$([[ $rc -eq 0 ]] && echo ok || echo "exit $rc")
done

# --- 1. start-to-exit --------------------------------------------------------------------------
# ROUNDS rounds, the order of the inits rotated each round, so that a burst of load elsewhere
# on the machine does not land on one init only; the runs of all rounds are pooled, and the
# median (robust to the odd slow run) is what the ratios compare.
declare -A mean_ms median_ms cpu_ms
count=${#names[@]}
if command -v hyperfine >/dev/null; then
	method="hyperfine -N, $ROUNDS rounds x $RUNS runs after $WARMUP warm-up"
	for ((round = 0; round < ROUNDS; round++)); do
		args=()
		for ((k = 0; k < count; k++)); do
			i=$(((k + round) % count))
			args+=(-n "${names[$i]}" "$NS ${inits[$i]} $TRUE")
		done
		hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" --style none \
			--export-json "$work/times.$round.json" "${args[@]}" >/dev/null 2>&1
	done
	pool='
import json, sys, statistics, collections
times = collections.defaultdict(list)
cpu = collections.defaultdict(list)
for path in sys.argv[1:]:
    for r in json.load(open(path))["results"]:
        times[r["command"]] += r["times"]
        cpu[r["command"]].append(r["user"] + r["system"])
for name, t in times.items():
    print("%s\t%.3f\t%.3f\t%.3f" % (name, statistics.mean(t) * 1000, statistics.median(t) * 1000,
                                  statistics.mean(cpu[name]) * 1000))
'
	while IFS=$'\t' read -r name mean median cpu; do
		mean_ms[$name]=$mean
		median_ms[$name]=$median
		cpu_ms[$name]=$cpu
	done < <(python3 -c "$pool" "$work"/times.*.json)
else
	method="shell loop, $ROUNDS rounds x $RUNS runs after $WARMUP warm-up (mean only)"
	declare -A total_ns
	for ((round = 0; round < ROUNDS; round++)); do
		for ((k = 0; k < count; k++)); do
			i=$(((k + round) % count))
			for ((n = 0; n < WARMUP; n++)); do $NS ${inits[$i]} "$TRUE" >/dev/null 2>&1 || true; done
			start=$(date +%s%N)
			for ((n = 0; n < RUNS; n++)); do $NS ${inits[$i]} "$TRUE" >/dev/null 2>&1 || true; done
			end=$(date +%s%N)
			total_ns[${names[$i]}]=$((${total_ns[${names[$i]}]:-0} + end - start))
		done
	done
	for n in "${names[@]}"; do
		mean_ms[$n]=$(awk -v d="${total_ns[$n]}" -v r=$((RUNS * ROUNDS)) 'BEGIN{printf "%.3f", d / r / 1e6}')
		median_ms[$n]=${mean_ms[$n]}
		cpu_ms[$n]="-"
	done
fi

# --- 2. private memory while supervising sleep -------------------------------------------------
declare -A rss_kb
for i in "${!names[@]}"; do
	# shellcheck disable=SC2086
	$NS ${inits[$i]} "$SLEEP" 60 >/dev/null 2>&1 &
	outer=$!
	init=""
	for ((t = 0; t < 500; t++)); do # the init is unshare's child; ready once it has its own
		init=$(cat "/proc/$outer/task/$outer/children" 2>/dev/null | awk '{print $1}')
		if [[ -n $init && -n $(cat "/proc/$init/task/$init/children" 2>/dev/null) ]]; then
			break
		fi
		sleep 0.01
	done
	sleep 0.2
	rss_kb[${names[$i]}]=$(awk '/^RssAnon:/ {print $2}' "/proc/$init/status" 2>/dev/null || echo "?")
	kill -KILL "$init" 2>/dev/null || true
	wait "$outer" 2>/dev/null || true
done

# --- the table ---------------------------------------------------------------------------------
fastest=$(for n in "${names[@]}"; do echo "${median_ms[$n]}"; done | sort -g | head -1)
smallest=$(for n in "${names[@]}"; do echo "${rss_kb[$n]}"; done | sort -g | head -1)
echo "init start-to-exit of \`true\` as PID 1 ($method); RssAnon while supervising \`sleep\`"
echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
printf '%-20s %10s %8s %8s %8s %12s %8s  %s\n' "init" "median ms" "mean ms" "cpu ms" "ratio" "RssAnon kB" "ratio" "true's run"
for n in "${names[@]}"; do
	printf '%-20s %10s %8s %8s %8s %12s %8s  %s\n' "$n" "${median_ms[$n]}" "${mean_ms[$n]}" "${cpu_ms[$n]}" \
		"$(awk -v a="${median_ms[$n]}" -v b="$fastest" 'BEGIN{printf "%.2f", a / b}')" \
		"${rss_kb[$n]}" \
		"$(awk -v a="${rss_kb[$n]}" -v b="$smallest" 'BEGIN{printf "%.2f", a / b}')" \
		"${status[$n]}"
done
