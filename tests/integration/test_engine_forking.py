"""The service engine, type forking: the launcher must exit 0 within process_timeout; the
daemon is then followed by its pidfile, or, without one, adopted (double fork + setsid)."""
import os
import signal
import time

from conftest import exited, wait_for
from test_engine_util import (engine, keys_yaml, log_text, outside_pid, pid_in_file, script, stop,
                              wait_log)

KEEP = """
keep.service:
  command: sleep 60
"""
SHUTDOWN_TIMEOUT_8 = """
settings:
  shutdown_timeout: 8"""


def forking(launch, **keys):
    """d.service, type forking, started by `launch`, with `keys` (pidfile=...) in that order."""
    return f"""
d.service:
  type: forking
  command: {launch}
{keys_yaml(**keys)}"""


def launcher(tmp_path, pidfile, sleep="60", extra=""):
    """Double fork + setsid: the daemon ends up orphaned (adopted by tend)."""
    script(tmp_path, "daemon", f"echo $$ > {pidfile}\n{extra}exec sleep {sleep}\n")
    return script(tmp_path, "launch", f"( setsid {tmp_path}/daemon & )\nexit 0\n")


def test_pidfile_daemon_followed(tend, tmp_path):
    pidfile = tmp_path / "d.pid"
    launch = launcher(tmp_path, pidfile)
    tp = engine(tend, tmp_path, forking(launch, pidfile=pidfile) + KEEP)
    wait_log(tmp_path, "d.service successfully started")
    inner = pid_in_file(pidfile)
    assert f"d.service: changing PID to {inner} (from pidfile)" in log_text(tmp_path)
    os.kill(outside_pid(tp, inner), signal.SIGKILL)
    wait_log(tmp_path, "d.service was killed by SIGKILL")
    code, err = stop(tp)
    assert code == 0, err


def test_launcher_exit_3_cancels_startup(tend, tmp_path):
    launch = script(tmp_path, "launch", "exit 3\n")
    tp = engine(tend, tmp_path, forking(launch) + KEEP)
    code, err = exited(tp)
    assert code == 3, err
    assert "d.service: system startup cancelled: launcher failed with 'exit status 3'" in err, err
    assert "shutting down: d.service failed" in err, err


def test_launcher_hangs_past_process_timeout(tend, tmp_path):
    launch = script(tmp_path, "launch", "exec sleep 60\n")
    start = time.monotonic()
    tp = engine(tend, tmp_path, forking(launch, process_timeout=1))
    code, err = exited(tp)
    assert code == 3, err
    assert "d.service: launcher did not exit within 1s" in err, err
    assert time.monotonic() - start >= 1.0
    # the launcher tend killed is not reported as a crash afterwards
    assert "terminated abnormally" not in err, err


def test_pidfile_never_appears(tend, tmp_path):
    launch = script(tmp_path, "launch", "exit 0\n")
    tp = engine(tend, tmp_path, forking(launch, pidfile=f"{tmp_path}/never.pid", process_timeout=1))
    code = tp.wait(30)
    assert code == 3, tp.stderr
    assert f"d.service: pidfile {tmp_path}/never.pid did not appear within 1s" in tp.stderr


def test_adopted_daemon_exit_kills(tend, tmp_path):
    pidfile = tmp_path / "d.pid"
    launch = launcher(tmp_path, pidfile)
    tp = engine(tend, tmp_path, forking(launch, exit_kills=True) + KEEP, args=("--no-syslog",))
    wait_log(tmp_path, "d.service successfully started")
    inner = wait_for(lambda: pid_in_file(pidfile), 10, what="the daemon's pid")
    assert f"d.service: following daemon pid {inner}" in log_text(tmp_path)
    time.sleep(0.5)
    assert tp.proc.poll() is None
    os.kill(outside_pid(tp, inner), signal.SIGTERM)
    code, err = exited(tp)
    assert "d.service terminated with exit_kills enabled" in err, err
    assert "shutting down: exit_kills service exited" in err, err
    assert code == 0, err


def test_adopted_daemon_end_noticed_by_detect_exit(tend, tmp_path):
    pidfile = tmp_path / "d.pid"
    launch = launcher(tmp_path, pidfile, sleep="1.5")
    tp = engine(tend, tmp_path, forking(launch))
    code, err = exited(tp)
    assert "d.service successfully started" in err, err
    assert "no child processes present; shutting down" in err, err
    assert code == 0, err


def test_adopted_daemon_stopped_at_shutdown(tend, tmp_path):
    pidfile = tmp_path / "d.pid"
    marks = tmp_path / "marks"
    launch = launcher(tmp_path, pidfile, extra=f"trap 'echo term >> {marks}; exit 0' TERM\n"
                      f"touch {marks}.up\nsleep 60 & wait\n")
    tp = engine(tend, tmp_path, forking(launch))
    wait_log(tmp_path, "d.service successfully started")
    wait_for(lambda: (tmp_path / "marks.up").exists(), 10, what="the trap")
    code, err = stop(tp)
    assert marks.read_text().split() == ["term"], err
    assert "Some processes remain" not in err, err
    assert code == 0, err


def test_adopted_daemon_gone_does_not_delay_shutdown(tend, tmp_path):
    pidfile = tmp_path / "d.pid"
    launch = launcher(tmp_path, pidfile, sleep="0.5")
    tp = engine(tend, tmp_path, SHUTDOWN_TIMEOUT_8 + forking(launch) + KEEP)
    wait_log(tmp_path, "d.service exited normally")
    start = time.monotonic()
    code, err = stop(tp)
    assert "services did not stop within shutdown_timeout" not in err, err
    assert time.monotonic() - start < 6, err
    assert code == 0, err


def test_two_adopted_daemons_both_stopped(tend, tmp_path):
    marks = tmp_path / "marks"
    for name in ("d1", "d2"):
        script(tmp_path, name, f"trap 'echo {name} $(date +%s.%N) >> {marks}; exit 0' TERM\n"
               f"echo {name} >> {marks}.up\nsleep 120 &\nwait\n")
    launch = script(tmp_path, "launch",
                    f"( setsid {tmp_path}/d1 & )\n( setsid {tmp_path}/d2 & )\nexit 0\n")
    tp = engine(tend, tmp_path, SHUTDOWN_TIMEOUT_8 + forking(launch))
    wait_log(tmp_path, "d.service successfully started")
    wait_for(lambda: (tmp_path / "marks.up").exists() and
             len((tmp_path / "marks.up").read_text().split()) == 2, 10, what="both traps set")
    start = time.monotonic()
    code, err = stop(tp)
    assert sorted(line.split()[0] for line in marks.read_text().splitlines()) == ["d1", "d2"], err
    assert "services did not stop within shutdown_timeout" not in err, err
    assert time.monotonic() - start < 6, err
    assert code == 0, err


def test_parallel_forking_services_keep_their_own_daemons(tend, tmp_path):
    """Two forking services without pidfile start at once; their daemons stay in their
    launchers' process groups (no setsid), so each service follows its own. b's daemon is
    orphaned (double fork) while b's launcher still works, when a's launcher exits: a must
    not take it."""
    for name, work in (("a", "0.3"), ("b", "1")):
        script(tmp_path, f"{name}-daemon", f"echo $$ > {tmp_path}/{name}.pid\nexec sleep 120\n")
        script(tmp_path, f"{name}-launch",
               f"( {tmp_path}/{name}-daemon & )\nsleep {work}\nexit 0\n")
    tp = engine(tend, tmp_path, f"""
a.service:
  type: forking
  command: {tmp_path}/a-launch
b.service:
  type: forking
  command: {tmp_path}/b-launch
""")
    wait_log(tmp_path, "start-up finished: 2 started, 0 failed")
    a = wait_for(lambda: pid_in_file(tmp_path / "a.pid"), 10)
    b = wait_for(lambda: pid_in_file(tmp_path / "b.pid"), 10)
    text = log_text(tmp_path)
    assert f"a.service: following daemon pid {a}" in text, text
    assert f"b.service: following daemon pid {b}" in text, text
    os.kill(outside_pid(tp, b), signal.SIGKILL)
    wait_log(tmp_path, "b.service was killed by SIGKILL")
    assert "a.service terminated" not in log_text(tmp_path)
    code, err = stop(tp)
    assert code == 0, err
