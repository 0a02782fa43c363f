#!/usr/bin/env bash
# Logging throughput, side by side, in one run (issue 5):
#   1. lines/s from one service's stdout into a file: tend, supervisord, and a raw `cat`-to-file
#      baseline (the same input copied by cat)
#   2. lines/s from one service's stdout into tend's own stdout (read by cat into a file)
#   3. syslog datagrams/s from local senders into a file: tend's /dev/log and rsyslog's
#      imuxsock, each on a private socket, fed by the same C sender
# plus the CPU time each spends per line (the logger's own process only). The cat baseline
# and tend's service-output-to-file job, whose CPU per line is compared, run ROUNDS times,
# alternating; their medians are printed.
#
# Usage (as root, from the repository):  bench/logging.sh
#   TEND=build/tend LINES=2000000 DGRAMS=400000 SENDERS=2 SUPERVISOR_LINES=200000 ROUNDS=5
# Needs: rsyslog and supervisor (Debian packages), cc, python3.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TEND=${TEND:-$ROOT/build/tend}
LINES=${LINES:-2000000}
DGRAMS=${DGRAMS:-400000}
SENDERS=${SENDERS:-2}
SUPERVISOR_LINES=${SUPERVISOR_LINES:-200000}
ROUNDS=${ROUNDS:-5}
WORK=$(mktemp -d /tmp/tend-bench-logging.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

now() { date +%s.%N; }
# on-CPU time of one process (all its threads), in seconds: the scheduler's nanosecond count
# (/proc/PID/task/*/schedstat), not utime+stime, which come in 10 ms clock ticks (a tend run
# of 2,000,000 lines is only 10-20 of them)
cpu_of() { cat /proc/"$1"/task/*/schedstat | awk '{ ns += $1 } END { print ns / 1e9 }'; }
count_lines() { [ -e "$1" ] && wc -l < "$1" || echo 0; }
wait_lines() { # file count timeout_s
	local deadline=$(( $(date +%s) + $3 ))
	while [ "$(count_lines "$1")" -lt "$2" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || { echo "timeout waiting for $1" >&2; return 1; }
		sleep 0.02
	done
}
# the pid of PID 1 inside the namespace that `unshare --fork` (pid $1) created
ns_init() {
	local kids
	for _ in $(seq 200); do
		kids=$(cat "/proc/$1/task/$1/children" 2>/dev/null || true)
		[ -n "$kids" ] && { echo "${kids%% *}"; return; }
		sleep 0.01
	done
	return 1
}
rate() { python3 -c "print(f'{$1 / ($3 - $2):,.0f}')"; }
per_line_us() { python3 -c "print(f'{$1 * 1e6 / $2:.3f}')"; }
declare -A RESULT CPU

echo "preparing $LINES input lines..." >&2
python3 - "$WORK/input.txt" "$LINES" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.writelines("2026-11-27T12:00:00Z worker INFO request %d served in 3 ms\n" % i
                 for i in range(int(sys.argv[2])))
EOF

cat > "$WORK/sender.c" <<'EOF'
/* Sends N syslog datagrams to a unix socket as fast as the receiver takes them (blocking). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strncpy(a.sun_path, argv[1], sizeof(a.sun_path) - 1);
	long n = atol(argv[2]);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return perror("connect"), 1;
	char buf[256];
	for (long i = 0; i < n; i++) {
		int len = snprintf(buf, sizeof(buf),
				   "<30>Nov 27 12:00:00 bench[%d]: request %ld served in 3 ms",
				   (int)getpid(), i);
		while (send(fd, buf, (size_t)len, 0) < 0)
			usleep(100);
	}
	return 0;
}
EOF
cc -O2 -o "$WORK/sender" "$WORK/sender.c"

# ---- 1. cat baseline: `cat input | cat > file`; the second cat does the logger's job
# (read a pipe, write a file); its own CPU is taken with wait4 (microseconds) ----
run_cat() {
	read -r t0 t1 cat_cpu < <(python3 - "$WORK/input.txt" "$WORK/cat.out" <<'EOF'
import os, subprocess, sys, time
t0 = time.time()
producer = subprocess.Popen(["cat", sys.argv[1]], stdout=subprocess.PIPE)
with open(sys.argv[2], "wb") as out:
    consumer = subprocess.Popen(["cat"], stdin=producer.stdout, stdout=out)
producer.stdout.close()
_, _, usage = os.wait4(consumer.pid, 0)
producer.wait()
print(t0, time.time(), usage.ru_utime + usage.ru_stime)
EOF
)
	RESULT[cat_file]=$(rate "$LINES" "$t0" "$t1")
	CPU[cat_file]=$cat_cpu
}

# ---- tend runs: the service cats the input, then stays up so tend's CPU can be read ----
run_tend() { # name logging-section stdout-target
	local name=$1 dir="$WORK/$1"
	mkdir -p "$dir/conf"
	cat > "$dir/conf/bench.conf" <<EOF
settings:
  detect_exit: false
gen.service:
  command: "sh -c 'cat $WORK/input.txt; exec sleep 1000'"
$2
EOF
	t0=$(now)
	unshare --pid --fork --mount-proc "$TEND" --syslog-socket "$dir/log.sock" \
		--control-socket "$dir/ctl.sock" --config "$dir/conf" > "$3" 2>"$dir/stderr" &
	local outer=$!
	local init; init=$(ns_init "$outer")
	wait_lines "$4" "$LINES" 300
	t1=$(now)
	RESULT[$name]=$(rate "$LINES" "$t0" "$t1")
	CPU[$name]=$(cpu_of "$init")
	kill -TERM "$init"; wait "$outer" || true
}
median() { python3 -c "import statistics, sys; print(statistics.median(float(x.replace(',', '')) for x in sys.argv[1:]))" "$@"; }
declare -a cat_rates=() cat_cpus=() tend_rates=() tend_cpus=() ratios=()
for round in $(seq "$ROUNDS"); do
	run_cat
	rm -rf "$WORK/tend_file" # the output file is appended to
	run_tend tend_file "
file.logging:
  selector: \"daemon.*\"
  file: $WORK/tend_file/out.log" /dev/null "$WORK/tend_file/out.log"
	cat_rates+=("${RESULT[cat_file]}"); cat_cpus+=("${CPU[cat_file]}")
	tend_rates+=("${RESULT[tend_file]}"); tend_cpus+=("${CPU[tend_file]}")
	ratios+=("$(python3 -c "print(f'{${CPU[tend_file]} / ${CPU[cat_file]}:.2f}')")")
done
RESULT[cat_file]=$(python3 -c "print(f'{$(median "${cat_rates[@]}"):,.0f}')")
RESULT[tend_file]=$(python3 -c "print(f'{$(median "${tend_rates[@]}"):,.0f}')")
CPU[cat_file]=$(median "${cat_cpus[@]}")
CPU[tend_file]=$(median "${tend_cpus[@]}")
mkdir -p "$WORK/tend_stdout"
run_tend tend_stdout "
console.logging:
  selector: \"daemon.*\"
  stdout: true" >(cat > "$WORK/tend_stdout/out.log") "$WORK/tend_stdout/out.log"

# ---- supervisord: the same job, fewer lines (it is much slower) ----
if command -v supervisord >/dev/null; then
	dir="$WORK/supervisor"; mkdir -p "$dir"
	head -n "$SUPERVISOR_LINES" "$WORK/input.txt" > "$dir/input.txt"
	cat > "$dir/supervisord.conf" <<EOF
[supervisord]
nodaemon=true
logfile=$dir/supervisord.log
pidfile=$dir/supervisord.pid
[program:gen]
command=sh -c 'cat $dir/input.txt; exec sleep 1000'
stdout_logfile=$dir/out.log
stdout_logfile_maxbytes=0
autorestart=false
EOF
	t0=$(now)
	supervisord -c "$dir/supervisord.conf" >"$dir/stdout" 2>&1 &
	sup=$!
	wait_lines "$dir/out.log" "$SUPERVISOR_LINES" 600
	t1=$(now)
	RESULT[supervisord_file]=$(rate "$SUPERVISOR_LINES" "$t0" "$t1")
	CPU[supervisord_file]=$(python3 -c "print($(cpu_of $sup) * $LINES / $SUPERVISOR_LINES)")
	kill -TERM "$sup"; wait "$sup" || true
fi

# ---- 3. syslog datagrams into a file ----
per_sender=$(( DGRAMS / SENDERS ))
total=$(( per_sender * SENDERS ))
send_all() { # socket
	local pids=()
	for _ in $(seq "$SENDERS"); do "$WORK/sender" "$1" "$per_sender" & pids+=($!); done
	wait "${pids[@]}"
}
dir="$WORK/tend_syslog"; mkdir -p "$dir/conf"
cat > "$dir/conf/bench.conf" <<EOF
settings:
  detect_exit: false
idle.service:
  command: "sleep 1000"
file.logging:
  selector: "[bench].*"
  file: $dir/out.log
EOF
unshare --pid --fork --mount-proc "$TEND" --syslog-socket "$dir/log.sock" \
	--control-socket "$dir/ctl.sock" --config "$dir/conf" >/dev/null 2>"$dir/stderr" &
outer=$!
init=$(ns_init "$outer")
while [ ! -S "$dir/log.sock" ]; do sleep 0.01; done
cpu0=$(cpu_of "$init")
t0=$(now); send_all "$dir/log.sock"; wait_lines "$dir/out.log" "$total" 300; t1=$(now)
RESULT[tend_syslog]=$(rate "$total" "$t0" "$t1")
CPU[tend_syslog]=$(python3 -c "print(($(cpu_of $init) - $cpu0) * $LINES / $total)")
kill -TERM "$init"; wait "$outer" || true

if command -v rsyslogd >/dev/null; then
	dir="$WORK/rsyslog"; mkdir -p "$dir/work"
	cat > "$dir/rsyslog.conf" <<EOF
global(workDirectory="$dir/work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$dir/log.sock" RateLimit.Interval="0" CreatePath="on")
module(load="builtin:omfile")
*.* action(type="omfile" file="$dir/out.log")
EOF
	rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslog.pid" &
	rs=$!
	while [ ! -S "$dir/log.sock" ]; do sleep 0.01; done
	cpu0=$(cpu_of "$rs")
	t0=$(now); send_all "$dir/log.sock"; wait_lines "$dir/out.log" "$total" 300; t1=$(now)
	RESULT[rsyslog_syslog]=$(rate "$total" "$t0" "$t1")
	CPU[rsyslog_syslog]=$(python3 -c "print(($(cpu_of $rs) - $cpu0) * $LINES / $total)")
	kill -TERM "$rs"; wait "$rs" || true
fi

# ---- report ----
echo
echo "lines: $LINES (supervisord: $SUPERVISOR_LINES), datagrams: $total from $SENDERS senders"
echo "cat and tend file: medians of $ROUNDS alternating rounds"
echo "kernel $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %14s %14s\n' "job" "lines/s" "cpu us/line"
row() { # key label
	[ -n "${RESULT[$1]:-}" ] || return 0
	printf '%-34s %14s %14s\n' "$2" "${RESULT[$1]}" "$(per_line_us "${CPU[$1]}" "$LINES")"
}
row cat_file        "cat | cat > file (baseline)"
row tend_file       "tend: service stdout -> file"
row supervisord_file "supervisord: stdout -> file"
row tend_stdout     "tend: service stdout -> stdout"
row tend_syslog     "tend: syslog datagrams -> file"
row rsyslog_syslog  "rsyslog imuxsock -> file"
ratio() { python3 -c "a='${RESULT[$1]:-}'.replace(',',''); b='${RESULT[$2]:-}'.replace(',','');
print(f'{float(a)/float(b):.2f}' if a and b else 'n/a')"; }
cpu_ratio() { python3 -c "print(f'{${CPU[$1]:-0} / ${CPU[$2]:-1}:.2f}')"; }
echo
echo "tend file / cat rate:              $(ratio tend_file cat_file)"
echo "tend file / supervisord rate:      $(ratio tend_file supervisord_file)"
echo "tend syslog / rsyslog rate:        $(ratio tend_syslog rsyslog_syslog)"
echo "tend file CPU per line / cat's:    $(cpu_ratio tend_file cat_file) (medians; each round: ${ratios[*]})"
