"""The service engine's lifecycle policies: restarts (limit, delay, backoff, counter reset),
exit_kills, ignore_failures, optional, enabled, --disable-services and detect_exit.

A crashing service appends 'run TIMESTAMP' to a file each time it is spawned.
"""
import time

from conftest import exited, wait_for
from test_engine_util import engine, keys_yaml, stamps, stop, wait_log


def crasher(runs, run_for="0.4", code=1):
    return f"\"sh -c 'echo run $(date +%s.%N) >> {runs}; sleep {run_for}; exit {code}'\""


KEEP = """
keep.service:
  command: sleep 120
"""


def crashing(runs, run_for="0.4", **restart):
    """c.service, a crasher with startup_pause 0.1, restart: true and the `restart` settings
    (restart_limit=3, ...) in that order; then KEEP, so the container stays up."""
    return f"""
c.service:
  command: {crasher(runs, run_for)}
  startup_pause: 0.1
  restart: true
{keys_yaml(**restart)}""" + KEEP


def test_restart_limit_counts_exact_spawns(tend, tmp_path):
    runs = tmp_path / "runs"
    tp = engine(tend, tmp_path, crashing(runs, restart_limit=3, restart_delay=0.1))
    wait_log(tmp_path, "c.service terminated abnormally with exit status 1\n", 30)
    time.sleep(1.5)  # nothing more is spawned
    code, err = stop(tp)
    assert len(stamps(runs)) == 4, stamps(runs)  # the first run and three restarts
    for left in (2, 1, 0):
        assert f"c.service restarting ({left} restarts left)" in err, err
    assert err.count("terminated abnormally with exit status 1; restart in 0.1s") == 3, err
    assert code == 0, err


def test_restart_delay(tend, tmp_path):
    runs = tmp_path / "runs"
    tp = engine(tend, tmp_path, crashing(runs, "0.2", restart_limit=2, restart_delay=1))
    wait_for(lambda: len(stamps(runs)) == 3, 30, what="two restarts")
    code, err = stop(tp)
    t = [x for _, x in stamps(runs)]
    # each restart waits restart_delay after a run of 0.2 s
    assert t[1] - t[0] >= 1.15 and t[2] - t[1] >= 1.15, t
    assert code == 0, err


def test_restart_backoff_grows_and_is_capped(tend, tmp_path):
    runs = tmp_path / "runs"
    tp = engine(tend, tmp_path, crashing(runs, "0.2", restart_limit=5, restart_delay=0.2,
                                            restart_backoff=2, restart_delay_max=0.8,
                                            restart_reset_after=0))
    wait_log(tmp_path, "c.service terminated abnormally with exit status 1\n", 60)
    code, err = stop(tp)
    delays = [line.rsplit("restart in ", 1)[1] for line in err.splitlines()
              if "c.service terminated abnormally" in line and "restart in" in line]
    assert delays == ["0.2s", "0.4s", "0.8s", "0.8s", "0.8s"], err
    t = [x for _, x in stamps(runs)]
    assert len(t) == 6, t
    gaps = [b - a for a, b in zip(t, t[1:])]
    for gap, delay in zip(gaps, [0.2, 0.4, 0.8, 0.8, 0.8]):
        assert gap >= 0.2 + delay - 0.05, gaps
    assert code == 0, err


def test_restart_counter_reset_after_a_long_run(tend, tmp_path):
    runs = tmp_path / "runs"
    tp = engine(tend, tmp_path, crashing(runs, "1.2", restart_limit=1, restart_delay=0.1,
                                            restart_reset_after=1))
    # with restart_limit 1 and no reset there would be 2 runs at most
    wait_for(lambda: len(stamps(runs)) >= 4, 30, what="a fourth run")
    code, err = stop(tp)
    assert "c.service restarting (0 restarts left)" in err, err
    assert "restarting (-" not in err, err
    assert code == 0, err


def test_no_restart_without_reset_exhausts(tend, tmp_path):
    runs = tmp_path / "runs"
    tp = engine(tend, tmp_path, crashing(runs, "0.3", restart_limit=1, restart_delay=0.1,
                                            restart_reset_after=0))
    wait_log(tmp_path, "c.service terminated abnormally with exit status 1\n", 30)
    time.sleep(1)
    code, err = stop(tp)
    assert len(stamps(runs)) == 2, stamps(runs)
    assert code == 0, err


def test_restart_that_fails_on_start_up_uses_the_budget(tend, tmp_path):
    """A restarted process that dies within startup_pause is one more crash, not a reason to
    stop the container (it started fine the first time)."""
    runs = tmp_path / "runs"
    first = tmp_path / "first"
    tp = engine(tend, tmp_path, f"""
c.service:
  command: "sh -c 'echo run $(date +%s.%N) >> {runs}; if [ -e {first} ]; then exit 2; fi; touch {first}; sleep 0.5; exit 1'"
  startup_pause: 0.3
  restart: true
  restart_limit: 2
  restart_delay: 0.1
""" + KEEP)
    wait_for(lambda: len(stamps(runs)) == 3, 30, what="two restarts")
    wait_log(tmp_path, "start-up", 5)
    time.sleep(1)
    assert tp.proc.poll() is None, tp.stderr
    code, err = stop(tp)
    assert len(stamps(runs)) == 3, stamps(runs)
    assert code == 0, err


def test_exit_kills_stops_the_container(tend, tmp_path):
    tp = engine(tend, tmp_path, """
c.service:
  command: sh -c 'sleep 1'
  startup_pause: 0.1
  exit_kills: true
""" + KEEP)
    code, err = exited(tp)
    assert "c.service terminated with exit_kills enabled (exit status 0)" in err, err
    assert "shutting down: exit_kills service exited" in err, err
    assert code == 0, err


def test_ignore_failures_container_continues(tend, tmp_path):
    tp = engine(tend, tmp_path, f"""
bad.service:
  command: "sh -c 'exit 9'"
  ignore_failures: true
good.service:
  command: "sh -c 'touch {tmp_path}/good; exec sleep 60'"
  after: bad.service
""")
    wait_log(tmp_path, "start-up finished: 1 started, 1 failed")
    assert (tmp_path / "good").exists()
    time.sleep(0.5)
    code, err = stop(tp)
    assert "bad.service failed on start-up with result 'exit status 9' (failure ignored)" in err, err
    assert code == 0, err


def test_ignore_failures_command_line(tend, tmp_path):
    tp = engine(tend, tmp_path, """
bad.service:
  command: "sh -c 'exit 9'"
""" + KEEP, args=("--no-syslog", "--ignore-failures"))
    wait_log(tmp_path, "start-up finished: 1 started, 1 failed")
    code, err = stop(tp)
    assert "(failure ignored)" in err, err
    assert code == 0, err


def test_optional_missing_executable(tend, tmp_path):
    tp = engine(tend, tmp_path, f"""
opt.service:
  command: /nonexistent/thing --arg
  optional: true
dep.service:
  command: "sh -c 'touch {tmp_path}/dep; exec sleep 60'"
  after: opt.service
""" + KEEP)
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    assert (tmp_path / "dep").exists(), err  # a disabled prerequisite counts as started
    assert "opt.service: executable /nonexistent/thing not found; optional service disabled" in err, err
    assert "opt.service failed" not in err, err
    assert code == 0, err


def test_enabled_false(tend, tmp_path):
    tp = engine(tend, tmp_path, f"""
off.service:
  command: "touch {tmp_path}/off"
  enabled: false
""" + KEEP)
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    assert "off.service not enabled" in err, err
    assert not (tmp_path / "off").exists()
    assert code == 0, err


def test_enabled_expanded(tend, tmp_path):
    tp = engine(tend, tmp_path, f"""
a.service:
  command: "sh -c 'touch {tmp_path}/a; exec sleep 60'"
  enabled: "$(A_ON)"
b.service:
  command: "sh -c 'touch {tmp_path}/b; exec sleep 60'"
  enabled: "$(B_ON:-no)"
c.service:
  command: "sh -c 'touch {tmp_path}/c; exec sleep 60'"
  enabled: "$(C_ON:-yes)"
""", env={"A_ON": "yes"})
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    assert (tmp_path / "a").exists(), err
    assert not (tmp_path / "b").exists(), err
    assert (tmp_path / "c").exists(), err
    assert "b.service not enabled" in err, err
    assert code == 0, err


def test_disable_services(tend, tmp_path):
    tp = engine(tend, tmp_path, f"""
a.service:
  command: "touch {tmp_path}/a"
""", args=("--no-syslog", "--disable-services", "--", "sh", "-c", f"touch {tmp_path}/cmd"))
    code, err = exited(tp)
    assert (tmp_path / "cmd").exists(), err
    assert not (tmp_path / "a").exists(), err
    assert "a.service not enabled" in err, err
    assert code == 0, err


def test_all_disabled(tend, tmp_path):
    tp = engine(tend, tmp_path, """
a.service:
  command: sleep 60
  enabled: false
""")
    code, err = exited(tp)
    assert "No service startups attempted (all disabled?) - exiting due to 'detect_exit=true'" in err, err
    assert code == 0, err


def test_detect_exit_false_keeps_running(tend, tmp_path):
    tp = engine(tend, tmp_path, f"""
settings:
  detect_exit: false
a.service:
  command: "touch {tmp_path}/a"
""")
    wait_for(lambda: (tmp_path / "a").exists(), 10)
    time.sleep(2)
    assert tp.proc.poll() is None
    code, err = stop(tp)
    assert "shutting down: SIGTERM received" in err, err
    assert code == 0, err


def test_detect_exit_default_stops_when_nothing_left(tend, tmp_path):
    tp = engine(tend, tmp_path, """
a.service:
  command: sleep 1
  startup_pause: 0.1
""")
    code, err = exited(tp)
    assert "a.service exited normally (exit status 0)" in err, err
    assert "no child processes present; shutting down" in err, err
    assert code == 0, err


def test_start_failure_after_start_up_keeps_the_container(tend, tmp_path):
    """A service started by hand (tendctl start --enable) that fails on start-up: the
    request fails, the container goes on, as with chaperone's telchap start."""
    import subprocess
    from conftest import TEND
    tp = engine(tend, tmp_path, """
late.service:
  command: "sh -c 'exit 6'"
  enabled: false
""" + KEEP)
    wait_log(tmp_path, "start-up finished: 1 started, 0 failed")
    subprocess.run([str(TEND), "ctl", "--socket", str(tmp_path / "tend.sock"), "start", "--enable",
                    "late"], capture_output=True, timeout=30)
    wait_log(tmp_path, "late.service failed on start-up with result 'exit status 6'")
    time.sleep(1)
    assert tp.proc.poll() is None, tp.stderr
    code, err = stop(tp)
    assert "(the service stays failed)" in err, err
    assert code == 0, err


def test_exit_kills_oneshot(tend, tmp_path):
    """The 'run a task, then stop' pattern: a oneshot with exit_kills ends the container
    when it finishes, even within its start-up."""
    tp = engine(tend, tmp_path, f"""
task.service:
  type: oneshot
  command: "touch {tmp_path}/done"
  exit_kills: true
""" + KEEP)
    code, err = exited(tp)
    assert (tmp_path / "done").exists()
    assert "task.service terminated with exit_kills enabled (exit status 0)" in err, err
    assert code == 0, err


def test_exit_kills_simple_exit_0_within_startup_pause(tend, tmp_path):
    tp = engine(tend, tmp_path, """
quick.service:
  command: "true"
  startup_pause: 2
  exit_kills: true
""" + KEEP)
    code, err = exited(tp)
    assert "quick.service terminated with exit_kills enabled (exit status 0)" in err, err
    assert code == 0, err
