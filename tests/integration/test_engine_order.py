"""The service engine's start order: independent services in parallel, dependencies
strictly in order, the INIT group first, the IDLE group (and CONSOLE) last, `before:`,
group names in `after:`.

Each service appends 'NAME TIMESTAMP' to a marks file when it starts.
"""
from conftest import wait_for
from test_engine_util import engine, stamps, stop, wait_log


def mark(marks, name, then="exec sleep 60"):
    return f"\"sh -c 'echo {name} $(date +%s.%N) >> {marks}; {then}'\""


def marks_after_stop(tp, marks, count, what):
    """Wait for `count` services' marks, then stop tend; return (code, stderr, the marks)."""
    wait_for(lambda: len(stamps(marks)) == count, 20, what=what)
    code, err = stop(tp)
    return code, err, stamps(marks)


def test_fifty_independent_services_start_in_parallel(tend, tmp_path):
    marks = tmp_path / "marks"
    services = "".join(f"""
s{i:02}.service:
  command: {mark(marks, f"s{i:02}")}
  startup_pause: 1
""" for i in range(50))
    tp = engine(tend, tmp_path, services)
    wait_for(lambda: len(stamps(marks)) == 50, 30, what="50 services to run")
    wait_log(tmp_path, "start-up finished: 50 started, 0 failed", 30)
    code, err = stop(tp)
    times = sorted(t for _, t in stamps(marks))
    # Serialised, 50 starts with a 1 s startup_pause each would span 49 s; in parallel they
    # all run within a few seconds even on a loaded machine.
    assert times[-1] - times[0] < 5, times[-1] - times[0]
    assert code == 0, err


def test_chain_starts_strictly_in_order(tend, tmp_path):
    marks = tmp_path / "marks"
    tp = engine(tend, tmp_path, f"""
c.service:
  command: {mark(marks, "c")}
  after: b.service
  startup_pause: 0.6
b.service:
  command: {mark(marks, "b")}
  after: a.service
  startup_pause: 0.6
a.service:
  command: {mark(marks, "a")}
  startup_pause: 0.6
""")
    code, err, got = marks_after_stop(tp, marks, 3, "a, b and c")
    assert [n for n, _ in got] == ["a", "b", "c"], got
    # each waited for its prerequisite's startup_pause
    # (marks are written at spawn, so shell start-up jitter eats into the 0.6 s)
    assert got[1][1] - got[0][1] >= 0.3 and got[2][1] - got[1][1] >= 0.3, got
    assert code == 0, err


def test_init_first_idle_last_console_after_everything(tend, tmp_path):
    marks = tmp_path / "marks"
    tp = engine(tend, tmp_path, f"""
settings:
  idle_delay: 0.5
zinit.service:
  command: {mark(marks, "init")}
  service_groups: INIT
  startup_pause: 0.3
idle.service:
  command: {mark(marks, "idle")}
  service_groups: IDLE
aaa.service:
  command: {mark(marks, "aaa")}
mmm.service:
  command: {mark(marks, "mmm")}
""", args=("--no-syslog", "--", "sh", "-c", f"echo console $(date +%s.%N) >> {marks}; sleep 60"))
    code, err, got = marks_after_stop(tp, marks, 5, "five services")
    order = [n for n, _ in got]
    assert order[0] == "init", got
    assert set(order[1:3]) == {"aaa", "mmm"}, got
    assert set(order[3:]) == {"idle", "console"}, got
    t = dict(got)
    # the IDLE group waited idle_delay after the others had started
    assert min(t["idle"], t["console"]) - max(t["aaa"], t["mmm"]) >= 0.4, got
    assert code == 0 or code == 143, err


def test_before(tend, tmp_path):
    marks = tmp_path / "marks"
    tp = engine(tend, tmp_path, f"""
a.service:
  command: {mark(marks, "a")}
b.service:
  command: {mark(marks, "b")}
  before: a.service
  startup_pause: 0.8
""")
    code, err, got = marks_after_stop(tp, marks, 2, "a and b")
    assert [n for n, _ in got] == ["b", "a"], got
    assert got[1][1] - got[0][1] >= 0.4, got  # b's 0.8 s startup_pause
    assert code == 0, err


def test_group_name_in_after(tend, tmp_path):
    marks = tmp_path / "marks"
    tp = engine(tend, tmp_path, f"""
db1.service:
  command: {mark(marks, "db1")}
  service_groups: database
  startup_pause: 0.5
db2.service:
  command: {mark(marks, "db2")}
  service_groups: database
  startup_pause: 0.8
web.service:
  command: {mark(marks, "web")}
  after: database
  service_groups: frontend
""")
    code, err, got = marks_after_stop(tp, marks, 3, "three services")
    t = dict(got)
    assert [n for n, _ in got][-1] == "web", got
    assert t["web"] - t["db2"] >= 0.4, got  # db2's 0.8 s startup_pause
    assert code == 0, err


def test_cycle_is_a_config_error(tend, tmp_path):
    tp = engine(tend, tmp_path, """
a.service:
  command: sleep 1
  after: b.service
b.service:
  command: sleep 1
  after: a.service
""")
    code = tp.wait(30)
    assert code == 1, tp.stderr
    assert "circular" in tp.stderr or "cycle" in tp.stderr, tp.stderr
    assert "a.service" in tp.stderr and "b.service" in tp.stderr
