"""The service engine, type simple: running after startup_pause, failures on start-up, and
following the daemon named in a pidfile.

Every service is a small shell command writing markers into files in the test's directory;
tend's own messages go to stderr (no logging section: `*.info` to stderr).
"""
import os
import signal
import time

from conftest import exited, wait_for
from test_engine_util import engine, outside_pid, pid_in_file, plain, script, stop, wait_log


def test_running_after_startup_pause(tend, tmp_path):
    tp = plain(tend, f"""
a.service:
  command: "sh -c 'touch {tmp_path}/up; exec sleep 60'"
  startup_pause: 0.3
""")
    wait_for(lambda: (tmp_path / "up").exists(), 10, what="a to run")
    time.sleep(1)
    assert tp.proc.poll() is None
    code, err = stop(tp)
    assert "a.service successfully started" in err, err
    assert "start-up finished: 1 started, 0 failed" in err, err
    assert code == 0, err


def test_nonzero_exit_within_pause_stops_the_container(tend, tmp_path):
    tp = plain(tend, """
a.service:
  command: "sh -c 'exit 4'"
  startup_pause: 2
b.service:
  command: "sh -c 'sleep 60'"
""")
    code, err = exited(tp)
    assert code == 3, err
    assert "a.service failed on start-up with result 'exit status 4'" in err, err
    assert "shutting down: a.service failed" in err, err


def test_killed_by_signal_within_pause_is_a_start_failure(tend, tmp_path):
    tp = plain(tend, """
a.service:
  command: "sh -c 'kill -KILL $$'"
  startup_pause: 2
""")
    code = tp.wait(30)
    assert code == 3, tp.stderr
    assert "a.service failed on start-up with result 'killed by SIGKILL'" in tp.stderr, tp.stderr


def test_missing_executable_is_a_start_failure(tend, tmp_path):
    tp = plain(tend, """
a.service:
  command: "/nonexistent/daemon --flag"
""")
    code = tp.wait(30)
    assert code == 3, tp.stderr
    assert "a.service: could not start /nonexistent/daemon: exec failed: No such file or directory" in tp.stderr, tp.stderr
    assert "a.service failed" in tp.stderr


def test_exit_zero_within_pause_is_fine(tend, tmp_path):
    tp = engine(tend, tmp_path, f"""
a.service:
  command: "sh -c 'touch {tmp_path}/a'"
  startup_pause: 1
b.service:
  command: "sh -c 'touch {tmp_path}/b; sleep 60'"
  after: a.service
""")
    wait_for(lambda: (tmp_path / "b").exists(), 10, what="b to start after a")
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    assert "a.service failed" not in err, err
    assert "start-up finished: 2 started, 0 failed" in err, err
    assert code == 0, err


def test_exit_after_pause_without_restart_is_logged_container_continues(tend, tmp_path):
    tp = plain(tend, f"""
a.service:
  command: "sh -c 'sleep 0.5; exit 5'"
  startup_pause: 0.1
b.service:
  command: "sh -c 'touch {tmp_path}/b; sleep 60'"
""")
    wait_for(lambda: (tmp_path / "b").exists(), 10)
    time.sleep(1.5)
    assert tp.proc.poll() is None
    code, err = stop(tp)
    assert "a.service terminated abnormally with exit status 5" in err, err
    assert code == 0, err


def daemon_launcher(tmp_path, pidfile, runs=None):
    """A launcher that leaves a daemon behind, writing its pid into pidfile."""
    script(tmp_path, "daemon", f"echo $$ > {pidfile}\nexec sleep 60\n")
    record = f"echo run >> {runs}\n" if runs else ""
    return script(tmp_path, "launch", f"{record}{tmp_path}/daemon &\nsleep 0.2\n")


def test_pidfile_follows_the_daemon(tend, tmp_path):
    pidfile = tmp_path / "d.pid"
    launch = daemon_launcher(tmp_path, pidfile)
    tp = plain(tend, f"""
d.service:
  command: {launch}
  pidfile: {pidfile}
  startup_pause: 0.1
keep.service:
  command: "sleep 60"
""")
    wait_for(lambda: pid_in_file(pidfile), 10, what="the pidfile")
    inner = pid_in_file(pidfile)
    time.sleep(1)  # tend polls the pidfile from 20 ms on
    outer = outside_pid(tp, inner)
    assert outer, "daemon not found"
    os.kill(outer, signal.SIGKILL)
    time.sleep(1)
    code, err = stop(tp)
    assert f"d.service: changing PID to {inner} (from pidfile)" in err, err
    assert "d.service successfully started" in err, err
    assert "d.service was killed by SIGKILL" in err, err
    assert code == 0, err


def test_pidfile_daemon_restarts(tend, tmp_path):
    pidfile = tmp_path / "d.pid"
    runs = tmp_path / "runs"
    launch = daemon_launcher(tmp_path, pidfile, runs)
    tp = plain(tend, f"""
d.service:
  command: {launch}
  pidfile: {pidfile}
  startup_pause: 0.1
  restart: true
  restart_delay: 0.2
""")
    wait_for(lambda: pid_in_file(pidfile), 10, what="the pidfile")
    time.sleep(1)
    first = pid_in_file(pidfile)
    os.kill(outside_pid(tp, first), signal.SIGKILL)
    wait_for(lambda: runs.exists() and len(runs.read_text().split()) == 2, 10, what="a restart")
    wait_for(lambda: pid_in_file(pidfile) not in (None, first), 10, what="a new daemon")
    code, err = stop(tp)
    assert "d.service was killed by SIGKILL; restart in 0.2s" in err, err
    assert code == 0, err


def test_pidfile_never_appears(tend, tmp_path):
    pidfile = tmp_path / "never.pid"
    tp = plain(tend, f"""
d.service:
  command: "sleep 60"
  pidfile: {pidfile}
  startup_pause: 0.1
  process_timeout: 1
""")
    start = time.monotonic()
    code = tp.wait(30)
    took = time.monotonic() - start
    err = tp.stderr
    assert code == 3, err
    assert f"d.service: pidfile {pidfile} did not appear within 1s" in err, err
    assert took >= 1.0, took
