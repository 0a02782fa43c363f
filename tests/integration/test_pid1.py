"""tend as PID 1: exit codes, signal forwarding, reaping, shutdown, fds, subreaper mode."""
import os
import pathlib
import signal
import time

import pytest

from conftest import run_tend, wait_for
from helpers_proc import children_of

PY = "/usr/bin/python3"


@pytest.mark.parametrize("script,code", [
    ("exit 0", 0),
    ("exit 7", 7),
    ("kill -KILL $$", 128 + 9),
    ("kill -TERM $$", 128 + 15),
])
def test_exit_code_is_the_commands(tend, script, code):
    rc, out, err = run_tend(tend, ["--", "sh", "-c", script])
    assert rc == code, err


def test_sigterm_to_tend_stops_command_with_143(tend, tmp_path):
    tp = tend(["--", "sleep", "100"])
    wait_for(lambda: children_of(tp.pid1), what="command to start")
    tp.signal(signal.SIGTERM)
    assert tp.wait(20) == 128 + 15, tp.stderr


def test_sigint_stops_with_130(tend):
    tp = tend(["--", "sleep", "100"])
    wait_for(lambda: children_of(tp.pid1), what="command to start")
    tp.signal(signal.SIGINT)
    assert tp.wait(20) == 130, tp.stderr


FORWARDED = ["SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGALRM", "SIGCONT", "SIGPWR", "SIGURG"]


def test_every_forwarded_signal_reaches_the_command(tend, tmp_path):
    log = tmp_path / "signals.log"
    ready = tmp_path / "ready"
    script = f"""
import signal, sys, time, pathlib
log = open({str(log)!r}, "a", buffering=1)
def handler(signo, frame):
    log.write(signal.Signals(signo).name + "\\n")
for name in {FORWARDED!r}:
    signal.signal(getattr(signal, name), handler)
pathlib.Path({str(ready)!r}).touch()
deadline = time.time() + 60
while time.time() < deadline:
    time.sleep(0.05)
    if len(open({str(log)!r}).read().split()) >= {len(FORWARDED)}:
        break
"""
    tp = tend(["--", PY, "-c", script])
    wait_for(ready.exists, 20, what="the command to install its handlers")
    for name in FORWARDED:
        tp.signal(getattr(signal, name))
        wait_for(lambda: name in log.read_text().split(), 10, what=f"{name} to arrive")
    assert tp.wait(30) == 0, tp.stderr
    assert sorted(log.read_text().split()) == sorted(FORWARDED)


def test_thousand_orphans_are_all_reaped(tend, tmp_path):
    # Each subshell forks a short sleep and exits at once: the sleeps become tend's orphans.
    script = r"""
i=0
while [ $i -lt 1000 ]; do ( sleep 0.2 & ) ; i=$((i+1)); done
sleep 2
zombies=0
for s in /proc/[0-9]*/stat; do
  st=$(cut -d' ' -f3 "$s" 2>/dev/null) || continue
  [ "$st" = Z ] && zombies=$((zombies+1))
done
echo "zombies=$zombies"
"""
    rc, out, err = run_tend(tend, ["--", "sh", "-c", script], timeout=120)
    assert rc == 0, err
    assert "zombies=0" in out


def test_child_ignoring_sigterm_is_killed_after_grace(tend):
    conf = "settings:\n  shutdown_timeout: 1\n"
    tp = tend(["--", "sh", "-c", "trap '' TERM; sleep 300"], config=conf)
    wait_for(lambda: children_of(tp.pid1), what="command to start")
    time.sleep(0.3)
    started = time.monotonic()
    tp.signal(signal.SIGTERM)
    rc = tp.wait(30)
    elapsed = time.monotonic() - started
    assert rc == 128 + 9, tp.stderr
    # shutdown_timeout (1 s) + the TERM sweep's grace (1 s) + slack; never the 300 s sleep
    assert elapsed < 15, elapsed


def open_fds(pid):
    return sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd"))


def test_children_get_only_fds_0_to_2(tend):
    conf = "worker.service:\n  command: sleep 100\n"
    tp = tend(["--", "sleep", "100"], config=conf)
    def both():
        kids = children_of(tp.pid1)
        return kids if len(kids) >= 2 else None
    kids = wait_for(both, what="both children")
    for pid in kids:
        wait_for(lambda: pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sleep"),
                 what="the exec")
        assert open_fds(pid) == [0, 1, 2], (pid, pathlib.Path(f"/proc/{pid}/cmdline").read_bytes())
    tp.signal(signal.SIGTERM)
    tp.wait(20)


def test_children_get_a_clean_signal_mask(tend):
    tp = tend(["--", "sleep", "100"])
    kid = wait_for(lambda: children_of(tp.pid1), what="command")[0]
    # Read the mask only once the child has exec'd: between fork and exec it is still tend's.
    wait_for(lambda: pathlib.Path(f"/proc/{kid}/cmdline").read_bytes().startswith(b"sleep"),
             what="the exec")
    status = pathlib.Path(f"/proc/{kid}/status").read_text()
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert int(fields["SigBlk"], 16) == 0
    assert int(fields["SigIgn"], 16) == 0
    tp.signal(signal.SIGTERM)
    tp.wait(20)


def test_refuses_when_not_pid1(tend):
    rc, out, err = run_tend(tend, ["--", "true"], namespace=False)
    assert rc == 1
    assert "PID 1" in err and "--force" in err


def test_subreaper_mode_leaves_no_process_behind(tend, tmp_path):
    marker = "31337.25"
    script = f"(setsid sleep {marker} &) ; sleep 300"
    tp = tend(["--force", "--", "sh", "-c", script], namespace=False)
    def orphan():
        found = []
        for d in pathlib.Path("/proc").iterdir():
            try:
                if d.name.isdigit() and (d / "cmdline").read_bytes() == f"sleep\0{marker}\0".encode():
                    found.append(int(d.name))
            except OSError:
                pass
        return found
    pids = wait_for(orphan, what="the orphan to exist")
    # The orphan was reparented to tend (a child subreaper), not to the machine's init.
    ppid = int(pathlib.Path(f"/proc/{pids[0]}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert ppid == tp.proc.pid
    tp.proc.send_signal(signal.SIGTERM)
    tp.wait(30)
    assert orphan() == []


def test_usage_errors_exit_2(tend):
    rc, out, err = run_tend(tend, ["--no-such-option"], namespace=False, private_paths=False)
    assert rc == 2
    assert "unknown option --no-such-option" in err


def test_help_and_version(tend):
    rc, out, err = run_tend(tend, ["--help"], namespace=False, private_paths=False)
    assert rc == 0 and "--config" in out and "--force" in out
    rc, out, err = run_tend(tend, ["--version"], namespace=False, private_paths=False)
    assert rc == 0 and out.startswith("tend version")


def test_unique_prefix_of_long_options(tend):
    rc, out, err = run_tend(tend, ["--vers"], namespace=False, private_paths=False)
    assert rc == 0 and out.startswith("tend version")


def test_chap_options_fill_in_unset_options(tend):
    rc, out, err = run_tend(tend, [], env={"_CHAP_OPTIONS": "--force -- sh -c 'exit 5'"},
                            namespace=False)
    assert rc == 5, err
    rc, out, err = run_tend(tend, ["--no-defaults"], env={"_CHAP_OPTIONS": "--version"},
                            namespace=False)
    assert rc == 1  # --no-defaults ignores the variable: not PID 1 and no --force


def test_nothing_to_do_exits_1(tend):
    rc, out, err = run_tend(tend, [])
    assert rc == 1
    assert "nothing to do" in err


def test_missing_command_exits_127(tend):
    rc, out, err = run_tend(tend, ["--", "/no/such/binary"])
    assert rc == 127, err


def test_task_mode_exits_with_command(tend):
    conf = "other.service:\n  command: sleep 100\n"
    rc, out, err = run_tend(tend, ["--task", "--", "sh", "-c", "echo task-ran; exit 4"], config=conf)
    assert rc == 4
    assert "task-ran" in out


def test_idle_does_not_wake_up(tend):
    """An idle tend makes no system calls: its voluntary context switches stay flat."""
    tp = tend(["--", "sleep", "100"])
    wait_for(lambda: children_of(tp.pid1), what="command")
    time.sleep(0.5)
    def switches():
        text = pathlib.Path(f"/proc/{tp.pid1}/status").read_text()
        return int(text.split("voluntary_ctxt_switches:")[1].split()[0])
    before = switches()
    time.sleep(2)
    assert switches() - before <= 1
    tp.signal(signal.SIGTERM)
    tp.wait(20)
