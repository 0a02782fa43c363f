"""Service stdout/stderr captured as records: tags, pids, facilities, partial and long lines,
blank lines, and the shutdown flush (everything a service wrote before exiting is logged)."""
import json
import signal

from conftest import wait_for
from helpers_log import PY, lines, log_section, run_clean


def test_stdout_and_stderr_become_records(tend, tmp_path):
    log = tmp_path / "out.json"
    script = tmp_path / "svc.sh"
    script.write_text("echo to-stdout\necho to-stderr >&2\necho\nprintf 'no newline at end'\n")
    config = f"""
web.service:
  command: "sh {script}"
""" + log_section("json", "daemon.*", log, format="json")
    run_clean(tend, config)
    records = [json.loads(l) for l in lines(log)]
    by_text = {r["message"]: r for r in records}
    out = by_text["to-stdout"]
    assert out["severity"] == "info" and out["stream"] == "stdout"
    assert out["tag"] == "web" and out["service"] == "web.service" and out["pid"] > 1
    err = by_text["to-stderr"]
    assert err["severity"] == "warning" and err["stream"] == "stderr"
    assert "no newline at end" in by_text        # a last partial line is kept
    assert "" not in by_text                     # blank lines are skipped, as chaperone


def test_text_line_format(tend, tmp_path):
    log = tmp_path / "out.log"
    config = """
web.service:
  command: "echo hello world"
""" + log_section("all", "*.*", log, logrec_hostname="myhost")
    run_clean(tend, config)
    line = next(l for l in lines(log) if "hello world" in l)
    # "Mmm dd hh:mm:ss host tag[pid]: text"
    month, day, clock, host, rest = line.split(None, 4)
    assert len(month) == 3 and clock.count(":") == 2 and host == "myhost"
    assert rest.startswith("web[") and rest.endswith("]: hello world")


def test_long_line_is_split_not_truncated(tend, tmp_path):
    log = tmp_path / "out.json"
    config = f"""
long.service:
  command: "{PY} -c \\"import sys; sys.stdout.write('x' * 20000 + 'END' + chr(10))\\""
""" + log_section("json", "daemon.*", log, format="json")
    run_clean(tend, config)
    records = [json.loads(l) for l in lines(log)]
    pieces = [r for r in records if r.get("tag") == "long"]
    assert len(pieces) == 3
    assert [p.get("partial", False) for p in pieces] == [True, True, False]
    assert "".join(p["message"] for p in pieces) == "x" * 20000 + "END"
    assert all(len(p["message"].encode()) <= 8192 for p in pieces)


def test_partial_line_flushed_after_a_while(tend, tmp_path):
    log = tmp_path / "out.log"
    config = """
prompt.service:
  command: "sh -c 'printf waiting-for-input; sleep 300'"
""" + log_section("all", "daemon.*", log)
    tp = tend([], config=config)
    wait_for(lambda: any("waiting-for-input" in l for l in lines(log)), 15,
             what="partial line to be flushed")
    tp.signal(signal.SIGTERM)
    tp.wait(30)


def test_shutdown_flush_keeps_every_line(tend, tmp_path):
    log = tmp_path / "out.log"
    n = 50000
    config = f"""
burst.service:
  command: "{PY} -c \\"import sys; sys.stdout.writelines('line %d' % i + chr(10) for i in range({n}))\\""
""" + log_section("all", "daemon.*", log)
    run_clean(tend, config, timeout=60)
    got = [l.rsplit(": ", 1)[1] for l in lines(log) if "burst[" in l]
    assert got == ["line %d" % i for i in range(n)]


CONSOLE = """
hello.service:
  command: "echo console-bound"
console.logging:
  selector: "*.info"
  stdout: true
"""


def test_stdout_console_output(tend, tmp_path):
    tp = run_clean(tend, CONSOLE)
    assert "hello[" in tp.stdout and "]: console-bound" in tp.stdout


def test_no_console_log(tend, tmp_path):
    tp = run_clean(tend, CONSOLE, ["--no-console-log"])
    assert "console-bound" not in tp.stdout


def test_log_level_forces_selectors(tend, tmp_path):
    log = tmp_path / "out.log"
    config = """
hello.service:
  command: "echo info-line"
""" + log_section("errors", "*.err", log)
    run_clean(tend, config, ["--log-level", "info"])
    assert any("info-line" in l for l in lines(log))


def test_invalid_selector_is_a_configuration_error(tend, tmp_path):
    """A literal selector is checked at load: tend names file:line:column and starts nothing."""
    log = tmp_path / "good.log"
    config = f"""
hello.service:
  command: "echo still-logged"
bad.logging:
  selector: "kern.infx"
  file: {tmp_path}/bad.log
""" + log_section("good", "daemon.*", log)
    tp = tend([], config=config)
    assert tp.wait(30) == 1, tp.stderr
    assert "tend.conf:5:13: error: bad.logging.selector: found 'kern.infx'" in tp.stderr
    assert "invalid logging priority" in tp.stderr
    assert not log.exists() or "still-logged" not in log.read_text()


def test_invalid_expanded_selector_is_reported_and_others_work(tend, tmp_path):
    """A selector that needs expansion can only be checked when the logger applies it."""
    log = tmp_path / "good.log"
    config = f"""
settings:
  env_set:
    BAD_LEVEL: infx
hello.service:
  command: "echo still-logged"
bad.logging:
  selector: "kern.$(BAD_LEVEL)"
  file: {tmp_path}/bad.log
""" + log_section("good", "daemon.*", log)
    tp = run_clean(tend, config)
    assert "bad.logging" in tp.stderr and "invalid logging priority" in tp.stderr
    assert any("still-logged" in l for l in lines(log))


def test_loglevel_at_runtime_applies_to_running_services(tend, tmp_path):
    import subprocess
    from conftest import TEND
    log = tmp_path / "out.log"
    config = """
settings:
  detect_exit: false
ticker.service:
  command: "sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'"
""" + log_section("errors", "*.err", log)
    tp = tend([], config=config)
    sock = tmp_path / "tend.sock"
    wait_for(sock.exists, 10, what="control socket")
    import time
    time.sleep(1)
    assert not any("tick" in l for l in lines(log))     # info is below *.err
    r = subprocess.run([str(TEND), "ctl", "--socket", str(sock), "loglevel", "info"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    wait_for(lambda: any("tick" in l for l in lines(log)), 10, what="ticks after loglevel info")
    tp.signal(signal.SIGTERM)
    tp.wait(30)


def test_regex_selector_on_service_output(tend, tmp_path):
    log = tmp_path / "out.log"
    config = """
words.service:
  command: "sh -c 'echo keep this; echo drop this; echo KEEP that'"
""" + log_section("kept", "/keep/.*", log)
    run_clean(tend, config)
    text = "\n".join(lines(log))
    assert "keep this" in text and "KEEP that" in text and "drop this" not in text
