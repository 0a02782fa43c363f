"""The service engine's shutdown: services stopped in reverse dependency order (seen in the
services' own logs), each with its kill_signal; a service ignoring SIGTERM is killed after
shutdown_timeout plus the one-second TERM grace; pidzero's vital daemons."""
import json
import time

from conftest import wait_for
from test_engine_util import engine, script, stamps, stop, wait_log


def trapping(tmp_path, name, marks, sig="TERM", linger="0.3"):
    """A service that, on `sig`, writes 'NAME TIMESTAMP' and exits after `linger` s."""
    return script(tmp_path, name,
                  f"trap 'echo {name} $(date +%s.%N) >> {marks}; sleep {linger}; exit 0' {sig}\n"
                  f"echo up >> {marks}.up\n"
                  "sleep 120 &\nwait\n")


def ups(marks):
    """One line per trapping service whose trap is set."""
    path = marks.parent / (marks.name + ".up")
    return path.read_text().split() if path.exists() else []


def pidzero(tend, tmp_path, daemons):
    """Start tend in pidzero mode with `daemons` as its daemons.json."""
    pz = tmp_path / "pz"
    pz.mkdir()
    (pz / "daemons.json").write_text(json.dumps(daemons))
    return tend(["--no-syslog", "--pidzero", str(pz)])


def restarting(runs, then, restart_delay):
    """c.service notes 'run' in `runs`, runs the shell's `then` and is restarted after
    restart_delay; keep.service holds the container up."""
    return f"""
c.service:
  command: "sh -c 'echo run >> {runs}; {then}'"
  startup_pause: 0.1
  restart: true
  restart_delay: {restart_delay}
keep.service:
  command: sleep 60
"""


def test_reverse_dependency_order(tend, tmp_path):
    marks = tmp_path / "marks"
    a, b, c = (trapping(tmp_path, n, marks) for n in "abc")
    tp = engine(tend, tmp_path, f"""
a.service:
  command: {a}
b.service:
  command: {b}
  after: a.service
c.service:
  command: {c}
  after: b.service
x.service:
  command: {trapping(tmp_path, "x", marks)}
""")
    wait_log(tmp_path, "start-up finished: 4 started, 0 failed")
    wait_for(lambda: len(ups(marks)) == 4, 10, what="the traps")
    code, err = stop(tp)
    got = stamps(marks)
    order = [n for n, _ in got if n != "x"]
    assert order == ["c", "b", "a"], got
    t = dict(got)
    # each waited until its dependent had exited (0.3 s after its signal)
    assert t["b"] - t["c"] >= 0.25 and t["a"] - t["b"] >= 0.25, got
    # an independent service is stopped at once, not after the chain
    assert t["x"] < t["b"], got
    assert "Some processes remain" not in err, err
    assert code == 0, err


def test_kill_signal_honoured(tend, tmp_path):
    marks = tmp_path / "marks"
    usr = trapping(tmp_path, "usr", marks, sig="USR1", linger="0")
    tp = engine(tend, tmp_path, f"""
u.service:
  command: {usr}
  kill_signal: SIGUSR1
""")
    wait_log(tmp_path, "start-up finished: 1 started, 0 failed")
    wait_for(lambda: len(ups(marks)) == 1, 10, what="the trap")
    start = time.monotonic()
    code, err = stop(tp)
    assert [n for n, _ in stamps(marks)] == ["usr"], err
    assert time.monotonic() - start < 5, err
    assert "Some processes remain" not in err, err
    assert code == 0, err


def test_service_ignoring_term_is_killed(tend, tmp_path):
    deaf = script(tmp_path, "deaf", f"trap '' TERM\ntouch {tmp_path}/up\nsleep 120 &\nwait\n")
    tp = engine(tend, tmp_path, f"""
settings:
  shutdown_timeout: 1
d.service:
  command: {deaf}
""")
    wait_log(tmp_path, "start-up finished: 1 started, 0 failed")
    wait_for(lambda: (tmp_path / "up").exists(), 10, what="TERM ignored")
    start = time.monotonic()
    code, err = stop(tp)
    took = time.monotonic() - start
    assert "services did not stop within shutdown_timeout" in err, err
    assert "Some processes remain; forcing kill (SIGKILL)" in err, err
    # shutdown_timeout (1 s) for the services, then 1 s after the TERM sweep
    assert took >= 1.9, took
    assert took < 15, took
    assert code == 0, err


def test_pidzero_vital_daemon_exits(tend, tmp_path):
    tp = pidzero(tend, tmp_path, [
        {"name": "web", "command": "sleep 1", "vital": True},
        {"name": "side", "command": "sleep 120"},
    ])
    code = tp.wait(30)
    out = tp.stdout + tp.stderr
    assert code == 3, out
    assert "web.service has exited (exit status 0) and is marked as vital" in out, out
    assert "web.service failed: vital service exited" in out, out


def test_pidzero_non_vital_daemon_exit_keeps_running(tend, tmp_path):
    tp = pidzero(tend, tmp_path, [
        {"name": "web", "command": "sleep 120", "vital": True},
        {"name": "side", "command": f"touch {tmp_path}/side; sleep 0.6; exit 4"},
    ])
    wait_for(lambda: (tmp_path / "side").exists(), 10)
    time.sleep(1.5)
    assert tp.proc.poll() is None
    code, err = stop(tp)
    assert code == 0, tp.stdout + err


def test_pidfile_daemon_outside_the_group_gets_the_stop_signal(tend, tmp_path):
    """The launcher stays in its process group while the daemon it names left it (setsid):
    stopping the service signals both, not only the group."""
    marks = tmp_path / "marks"
    pidfile = tmp_path / "d.pid"
    script(tmp_path, "daemon", f"trap 'echo daemon $(date +%s.%N) >> {marks}; exit 0' TERM\n"
           f"echo $$ > {pidfile}\nsleep 120 &\nwait\n")
    launch = script(tmp_path, "launch", f"setsid {tmp_path}/daemon &\nexec sleep 120\n")
    tp = engine(tend, tmp_path, f"""
settings:
  shutdown_timeout: 6
d.service:
  command: {launch}
  pidfile: {pidfile}
""")
    wait_log(tmp_path, "d.service successfully started")
    start = time.monotonic()
    code, err = stop(tp)
    assert [n for n, _ in stamps(marks)] == ["daemon"], err
    assert "services did not stop within shutdown_timeout" not in err, err
    assert time.monotonic() - start < 5, err
    assert code == 0, err


def test_pidzero_vital_daemon_exits_at_once(tend, tmp_path):
    """A vital daemon that ends within its start-up pause stops the container too."""
    tp = pidzero(tend, tmp_path, [
        {"name": "quick", "command": "true", "vital": True},
        {"name": "side", "command": "sleep 120"},
    ])
    code = tp.wait(30)
    out = tp.stdout + tp.stderr
    assert code == 3, out
    assert "quick.service has exited (exit status 0) and is marked as vital" in out, out


def test_sigterm_during_start_up(tend, tmp_path):
    """A long oneshot is running and its dependent waits: SIGTERM stops the oneshot, the
    dependent never starts, tend exits promptly."""
    tp = engine(tend, tmp_path, f"""
init.service:
  type: oneshot
  command: "sh -c 'touch {tmp_path}/init; exec sleep 60'"
web.service:
  command: "touch {tmp_path}/web"
  after: init.service
""")
    wait_for(lambda: (tmp_path / "init").exists(), 10)
    start = time.monotonic()
    code, err = stop(tp)
    assert not (tmp_path / "web").exists(), err
    assert time.monotonic() - start < 5, err
    assert "Some processes remain" not in err, err
    assert code == 0, err


def test_sigterm_during_restart_backoff(tend, tmp_path):
    runs = tmp_path / "runs"
    tp = engine(tend, tmp_path, restarting(runs, "sleep 0.3; exit 1", restart_delay=3))
    wait_log(tmp_path, "c.service terminated abnormally with exit status 1; restart in 3s")
    start = time.monotonic()
    code, err = stop(tp)
    assert time.monotonic() - start < 2.5, err
    assert runs.read_text().split() == ["run"], err
    assert "c.service restarting" not in err, err
    assert code == 0, err


def test_clean_exit_is_not_restarted(tend, tmp_path):
    runs = tmp_path / "runs"
    tp = engine(tend, tmp_path, restarting(runs, "sleep 0.3", restart_delay=0.1))
    wait_log(tmp_path, "c.service exited normally (exit status 0)")
    time.sleep(1)
    code, err = stop(tp)
    assert runs.read_text().split() == ["run"], err
    assert code == 0, err
