"""type: cron — commands run on a cron schedule (with chaperone's sixth seconds field).

Jobs append a timestamp to a file in the test's directory; the test counts and checks them.
Bounds are generous: the machine may be loaded.
"""
import time

from conftest import exited, stop, tendctl_or_skip, wait_for


def stamps(path):
    if not path.exists():
        return []
    return [float(x) for x in path.read_text().split()]


def cron(tend, interval, command, extra=""):
    """Start tend with c.service (type cron, on `interval`, running `command`) and the
    services in `extra`."""
    return tend(["--no-syslog"], config={"a.conf": f"""
c.service:
  type: cron
  interval: "{interval}"
  command: "{command}"
""" + extra})


def test_seconds_field_fires_on_time(tend, tmp_path):
    out = tmp_path / "runs"
    tp = cron(tend, "* * * * * */2", f"sh -c 'date +%s.%N >> {out}'")
    wait_for(lambda: len(stamps(out)) >= 1, 20, what="the first run")
    first = time.time()
    time.sleep(5)
    runs = [t for t in stamps(out) if t >= first - 0.1]
    code, err = stop(tp)
    # every 2 s: about 2-3 runs in 5 s; allow a loaded machine some slack
    assert 1 <= len(runs) <= 4, (runs, err)
    for t in stamps(out):
        # fired at an even second, a little after it (process start-up), never before
        assert int(t) % 2 == 0 or (t % 2) < 1.5, (stamps(out), err)
    assert "c.service successfully started" in err, err
    assert "c.service: scheduled '* * * * * */2'; next run" in err, err
    assert code == 0, err


def test_still_running_skips_the_tick(tend, tmp_path):
    out = tmp_path / "runs"
    tp = cron(tend, "* * * * * */1", f"sh -c 'date +%s.%N >> {out}; sleep 2.5'")
    wait_for(lambda: len(stamps(out)) >= 2, 30, what="two runs")
    code, err = stop(tp)
    assert "c.service: previous run" in err and "still running, skipping this tick" in err, err
    runs = stamps(out)
    # one run at a time: consecutive starts are at least the run's length apart
    for a, b in zip(runs, runs[1:]):
        assert b - a >= 2.4, runs
    assert code == 0, err


def test_failed_run_keeps_the_schedule(tend, tmp_path):
    out = tmp_path / "runs"
    tp = cron(tend, "* * * * * */1", f"sh -c 'date +%s >> {out}; exit 4'")
    wait_for(lambda: len(stamps(out)) >= 2, 30, what="a second run after a failed one")
    code, err = stop(tp)
    assert "c.service: run failed with exit status 4; the schedule continues" in err, err
    assert code == 0, err


def test_detect_exit_keeps_the_container_alive(tend, tmp_path):
    tp = cron(tend, "@yearly", "true", 's.service:\n  command: "true"\n')
    time.sleep(2)
    assert tp.proc.poll() is None, "tend exited although a cron service was scheduled"
    code, err = stop(tp)
    assert "system will remain active since there are scheduled services" in err, err
    assert code == 0, err


def test_reboot_runs_once_at_start(tend, tmp_path):
    out = tmp_path / "runs"
    tp = cron(tend, "@reboot", f"sh -c 'date +%s >> {out}'")
    wait_for(lambda: len(stamps(out)) >= 1, 20, what="the @reboot run")
    time.sleep(1.5)
    code, err = stop(tp)
    assert len(stamps(out)) == 1, err
    assert "c.service successfully started" in err
    assert code == 0, err


def test_bad_interval_is_a_configuration_error_with_the_parser_message(tend):
    tp = cron(tend, "* 24 * * *", "true", "k.service:\n  command: sleep 30\n")
    code, err = exited(tp)
    assert "a.conf:4:13: error: c.service.interval: found '* 24 * * *': hour: found '24', allowed: 0-23" in err, err
    assert code == 1


def test_bad_expanded_interval_is_a_start_failure(tend):
    tp = cron(tend, "* $(HOUR:-24) * * *", "true", "k.service:\n  command: sleep 30\n")
    code, err = exited(tp)
    assert "c.service: invalid interval '* 24 * * *': hour: found '24', allowed: 0-23" in err, err
    assert code == 3


def test_note_and_stop_through_the_control_socket(tend, tmp_path):
    out = tmp_path / "runs"
    sock = tmp_path / "tend.sock"
    tp = cron(tend, "* * * * * */1", f"sh -c 'date +%s >> {out}'",
              "k.service:\n  command: sleep 60\n")
    wait_for(lambda: len(stamps(out)) >= 1, 20, what="a first run")
    ctl, status = tendctl_or_skip(tp, sock)
    assert "next run" in status.stdout, status.stdout
    assert ctl("stop", "c").returncode == 0
    time.sleep(0.5)
    count = len(stamps(out))
    time.sleep(2.5)
    assert len(stamps(out)) == count, "a stopped cron service still runs"
    code, err = stop(tp)
    assert code == 0, err
