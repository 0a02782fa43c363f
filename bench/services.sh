#!/usr/bin/env bash
# services.sh — starting and stopping 100 services (issue 4), in one run on one machine:
#   tend, supervisord, s6 (s6-svscan) and runit (runsvdir), each as PID 1 of a fresh PID
#   namespace (`unshare --pid --fork --mount-proc`), against the bare cost: a small C program
#   (bench/forkexec.c, compiled here) that forks and execs the same 100 processes.
#
# Every system runs the same service, a small C program (forkexec.c's `service`): it opens the
# FIFO `alive` for writing and keeps it open, writes one byte into the FIFO `start`, then
# sleeps until SIGTERM ends it. The harness (this script) does not poll:
#   start = from launching the system until 100 bytes have arrived on `start` (bash `read -N`);
#   stop  = from sending the stop until end-of-file on `alive`, i.e. until the last service
#           process is gone; "exit" is until the system itself has exited as well.
# The stop: SIGTERM to tend, to forkexec and to supervisord (its shutdown, as `supervisorctl
# shutdown`), `s6-svscanctl -t` for s6, `sv down` on the 100 services for runit (runsvdir's
# SIGHUP only tells the runsv processes to exit once their service is down, it does not take
# services down; runit's own stage 3 does `sv force-stop` first). runsvdir stays running
# after that, so its "exit" is not measured (it is then killed).
# Memory: RssAnon (/proc/PID/status) of the supervising processes — tend, supervisord's Python
# process, s6-svscan plus its s6-supervise processes, runsvdir plus its runsv processes, the
# baseline's forkexec — with 1 and with 100 services; the cost of one extra service is the
# difference / 99.
#
# Usage (as root, from the repository):  bash bench/services.sh
#   ROUNDS=5 SERVICES=100 TEND=build-static/tend SKIP="runit,s6"
# Needs: unshare (util-linux), cc, supervisor, s6, runit (bash scripts/install-deps.sh).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z ${TEND:-} ]]; then
	TEND=$ROOT/build-static/tend
	[[ -x $TEND ]] || TEND=$ROOT/build/tend
fi
ROUNDS=${ROUNDS:-5}
N=${SERVICES:-100}

if [[ $EUID -ne 0 ]]; then
	echo "services.sh: needs root for unshare --pid" >&2
	exit 1
fi
[[ -x $TEND ]] || { echo "services.sh: no tend binary at $TEND (ninja -C build)" >&2; exit 1; }
bash "$ROOT/scripts/install-deps.sh"

WORK=$(mktemp -d /tmp/tend-bench-services.XXXXXX)
cleanup() {
	local p
	for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
cc -O2 -o "$WORK/forkexec" "$ROOT/bench/forkexec.c"
ln -s "$WORK/forkexec" "$WORK/bench-svc"
SVC=$WORK/bench-svc
NS=(unshare --pid --fork --mount-proc)

# --- configuration of each system for n services, in directory $1 -------------------------------
setup_baseline() { :; }
setup_tend() {
	local d=$1 n=$2 i
	mkdir -p "$d/conf"
	for ((i = 1; i <= n; i++)); do
		printf 's%03d.service:\n  command: %s service %s/start %s/alive\n  startup_pause: 0\n' \
			"$i" "$SVC" "$d" "$d"
	done > "$d/conf/services.conf"
}
setup_supervisord() {
	local d=$1 n=$2 i
	mkdir -p "$d/childlogs"
	{
		printf '[supervisord]\nnodaemon=true\nlogfile=%s/supervisord.log\npidfile=%s/supervisord.pid\nchildlogdir=%s/childlogs\n' \
			"$d" "$d" "$d"
		for ((i = 1; i <= n; i++)); do
			printf '[program:s%03d]\ncommand=%s service %s/start %s/alive\nstartsecs=0\nautorestart=false\n' \
				"$i" "$SVC" "$d" "$d"
		done
	} > "$d/supervisord.conf"
}
# s6 and runit start ./run in each service directory: a link to the same program (no shell),
# which then finds the FIFOs at ../../start and ../../alive.
setup_servicedirs() {
	local d=$1 n=$2 i
	for ((i = 1; i <= n; i++)); do
		mkdir -p "$d/scan/$(printf 's%03d' "$i")"
		ln -s "$WORK/forkexec" "$d/scan/$(printf 's%03d' "$i")/run"
	done
}
setup_s6() { setup_servicedirs "$@"; }
setup_runit() { setup_servicedirs "$@"; }

# the command line of each system (run under $NS)
cmd_baseline() { echo "$WORK/forkexec spawn $2 $SVC service $1/start $1/alive"; }
cmd_tend() { echo "$TEND --config $1/conf --syslog-socket $1/log.sock --control-socket $1/ctl.sock"; }
cmd_supervisord() { echo "/usr/bin/supervisord -c $1/supervisord.conf"; }
cmd_s6() { echo "/usr/bin/s6-svscan $1/scan"; }
cmd_runit() { echo "/usr/bin/runsvdir $1/scan"; }

stop_baseline() { kill -TERM "$2"; }
stop_tend() { kill -TERM "$2"; }
stop_supervisord() { kill -TERM "$2"; }
stop_s6() { s6-svscanctl -t "$1/scan"; }
stop_runit() { sv down "$1"/scan/*/ > /dev/null; }

# the pid of PID 1 inside the namespace that unshare (pid $1) created
ns_init() {
	local kids t
	for ((t = 0; t < 500; t++)); do
		kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)
		[[ -n $kids ]] && { echo "${kids%% *}"; return; }
		sleep 0.01
	done
	return 1
}
# RssAnon in kB of pid $1 and its descendants, leaving out the services themselves
tree_rss() {
	local p=$1 comm kb=0 c
	comm=$(cat "/proc/$p/comm" 2>/dev/null || true)
	if [[ $comm != bench-svc && $comm != run ]]; then
		kb=$(awk '/^RssAnon:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
	fi
	for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null || true); do
		kb=$((kb + $(tree_rss "$c")))
	done
	echo "$kb"
}
# on-CPU time in ms (/proc/PID/schedstat) of pid $1 and its descendants, services left out
tree_cpu() {
	local p=$1 comm ns=0 c
	comm=$(cat "/proc/$p/comm" 2>/dev/null || true)
	if [[ $comm != bench-svc && $comm != run ]]; then
		ns=$(awk '{print $1}' "/proc/$p/schedstat" 2>/dev/null || echo 0)
	fi
	for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null || true); do
		ns=$((ns + $(tree_cpu "$c")))
	done
	echo "$ns"
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) * 1000 }'; }

# one trial: system $1 with $2 services; appends "start stop exit rss cpu" to $WORK/$1.$2
trial() {
	local sys=$1 n=$2 d got t0 t1 t2 t3 t4 outer init rss cpu exit_ms="-" watchdog
	d=$(mktemp -d "$WORK/$sys.XXXX")
	"setup_$sys" "$d" "$n"
	mkfifo "$d/start" "$d/alive"
	exec 3<> "$d/start"
	# a read end of `alive` without any write end in this shell: open read-write first (no
	# wait for a writer), open read-only (a writer exists: no wait), drop the read-write one.
	exec 4<> "$d/alive"
	exec 5< "$d/alive"
	exec 4>&-
	local cmd
	cmd=$("cmd_$sys" "$d" "$n")
	t0=$EPOCHREALTIME
	# shellcheck disable=SC2086
	"${NS[@]}" $cmd > "$d/out" 2>&1 3<&- 5<&- &
	outer=$!
	got=""
	if ! read -r -t 60 -N "$n" -u 3 got || [[ ${#got} -ne $n ]]; then
		echo "services.sh: $sys with $n services: only ${#got} started within 60 s; output:" >&2
		tail -5 "$d/out" >&2 || true
		kill -KILL "$(ns_init "$outer")" 2>/dev/null || true
		wait "$outer" 2>/dev/null || true
		exec 3<&- 5<&-
		return 1
	fi
	t1=$EPOCHREALTIME
	init=$(ns_init "$outer")
	cpu=$(tree_cpu "$init")
	sleep 0.3 # let the system settle (timers, log lines) before reading its memory
	rss=$(tree_rss "$init")
	( sleep 60; kill -KILL "$init" 2>/dev/null ) & # nothing may hang the benchmark
	watchdog=$!
	t2=$EPOCHREALTIME
	"stop_$sys" "$d" "$init"
	read -r -t 60 -N 1 -u 5 got || true # end-of-file: the last service has gone
	t3=$EPOCHREALTIME
	if [[ $sys == runit ]]; then
		kill -KILL "$init"
		wait "$outer" 2>/dev/null || true
	else
		wait "$outer" 2>/dev/null || true
		t4=$EPOCHREALTIME
		exit_ms=$(ms "$t2" "$t4")
	fi
	kill "$watchdog" 2>/dev/null || true
	wait "$watchdog" 2>/dev/null || true
	exec 3<&- 5<&-
	echo "$(ms "$t0" "$t1") $(ms "$t2" "$t3") $exit_ms $rss $(awk -v c="$cpu" 'BEGIN { printf "%.2f", c / 1e6 }')" \
		>> "$WORK/$sys.$n"
	rm -rf "$d"
}

systems=()
for s in baseline tend supervisord s6 runit; do
	if [[ ",${SKIP:-}," == *",$s,"* ]]; then
		echo "services.sh: skipping $s (SKIP)" >&2
	else
		systems+=("$s")
	fi
done

echo "services.sh: $N services, $ROUNDS rounds, tend = $TEND; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for s in "${systems[@]}"; do trial "$s" "$N" > /dev/null || true; done # warm-up, not counted
rm -f "$WORK"/*."$N"
count=${#systems[@]}
for ((round = 0; round < ROUNDS; round++)); do
	for ((k = 0; k < count; k++)); do # rotate the order so that load bursts spread out
		s=${systems[$(((k + round) % count))]}
		trial "$s" "$N" || true
		trial "$s" 1 || true
	done
	echo "services.sh: round $((round + 1))/$ROUNDS done; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

# --- the table ------------------------------------------------------------------------------------
# column $2 of file $1: "median (min-max)" or just the median with $3 = plain
stat() {
	[[ -s $1 ]] || { echo "-"; return; }
	awk -v c="$2" '$c != "-" { print $c }' "$1" | sort -g | awk -v plain="${3:-}" '{ v[++n] = $1 }
	END {
		if (!n) { print "-"; exit }
		m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		if (plain) printf "%.2f", m; else printf "%.1f (%.1f-%.1f)", m, v[1], v[n]
	}'
}
base_start=$(stat "$WORK/baseline.$N" 1 plain)
base_stop=$(stat "$WORK/baseline.$N" 2 plain)
base_cpu=$(stat "$WORK/baseline.$N" 5 plain)
ratio() {
	if [[ $1 == - || $2 == - ]]; then
		echo "-"
	else
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
	fi
}
echo
echo "$N services: start until all $N running, stop until all gone (ms, median (min-max) of $ROUNDS);"
echo "cpu: on-CPU time of the supervising processes up to the moment all $N were running (ms, median);"
echo "RssAnon of the supervising processes (kB, median) with 1 and $N services"
echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| %-11s | %22s | %8s | %8s | %8s | %22s | %8s | %10s | %9s | %9s | %12s |\n' system "start ms" "/ bare" \
	"cpu ms" "/ bare" "stop ms" "/ bare" "exit ms" "RSS 1" "RSS $N" "kB/service"
printf '|%s|%s:|%s:|%s:|%s:|%s:|%s:|%s:|%s:|%s:|%s:|\n' -------------  ----------------------- --------- \
	--------- --------- ----------------------- --------- ----------- ---------- ---------- -------------
for s in "${systems[@]}"; do
	f=$WORK/$s.$N
	r1=$(stat "$WORK/$s.1" 4 plain)
	rn=$(stat "$f" 4 plain)
	per="-"
	[[ $r1 != - && $rn != - ]] && per=$(awk -v a="$r1" -v b="$rn" -v n="$N" 'BEGIN { printf "%.2f", (b - a) / (n - 1) }')
	printf '| %-11s | %22s | %8s | %8s | %8s | %22s | %8s | %10s | %9.0f | %9.0f | %12s |\n' "$s" \
		"$(stat "$f" 1)" "$(ratio "$(stat "$f" 1 plain)" "$base_start")" \
		"$(stat "$f" 5 plain)" "$(ratio "$(stat "$f" 5 plain)" "$base_cpu")" \
		"$(stat "$f" 2)" "$(ratio "$(stat "$f" 2 plain)" "$base_stop")" \
		"$(stat "$f" 3 plain)" "${r1/-/0}" "${rn/-/0}" "$per"
done
# every trial, for the spread (stderr, so that stdout stays the table)
for s in "${systems[@]}"; do
	echo "raw $s start ms: $(awk '{printf "%s ", $1}' "$WORK/$s.$N" 2>/dev/null)| stop ms: $(awk '{printf "%s ", $2}' "$WORK/$s.$N" 2>/dev/null)" >&2
done
