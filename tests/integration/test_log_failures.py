"""Outputs that fail: a full disk (ENOSPC) is reported once, tend keeps running and other
outputs keep working; once space is back the file is written again and the loss is reported.
A closed stdout (EPIPE) does not stop tend either."""
import os
import signal
import subprocess

import pytest

from conftest import wait_for
from helpers_log import PY, log_section, text
from helpers_proc import children_of


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)]).returncode:
        pytest.skip("cannot mount a tmpfs (not root?)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)])


def talker_config(tmp_path, count, log, then=""):
    """conf.d/t.conf in tmp_path: talker.service writes 'talk 0' to 'talk COUNT-1', then runs
    `then`; every record goes to stdout and to `log`. Returns the conf.d directory."""
    confdir = tmp_path / "conf.d"
    confdir.mkdir()
    (confdir / "t.conf").write_text(f"""
talker.service:
  command: "sh -c 'i=0; while [ $i -lt {count} ]; do echo talk $i; i=$((i+1)); done{then}'"
console.logging:
  selector: "*.*"
  stdout: true
""" + log_section("file", "*.*", log))
    return confdir


def test_disk_full_is_reported_and_retried(tend, tmp_path, small_fs):
    log = small_fs / "app.log"
    other = tmp_path / "other.log"
    writer = tmp_path / "writer.py"
    writer.write_text("""
import sys, time
for i in range(1500):
    print('line %d ' % i + 'x' * 40, flush=(i % 100 == 0))
sys.stdout.flush()
time.sleep(300)
""")
    config = f"""
writer.service:
  command: "{PY} {writer}"
app.logging:
  selector: "daemon.*"
  file: {log}
""" + log_section("other", "*.*", other)
    tp = tend([], config=config)
    wait_for(lambda: "No space left on device" in text(other), 30, what="the ENOSPC report")
    assert text(other).count("No space left on device") == 1
    assert "line 1499" in text(other)       # the other output got everything
    assert tp.proc.poll() is None           # tend keeps running
    os.truncate(log, 0)                     # space is back
    wait_for(lambda: "while it was failing" in text(other) or "writing again" in text(other),
             30, what="the recovery report")
    tp.signal(signal.SIGTERM)
    tp.wait(30)


def test_closed_stdout_does_not_stop_tend(tmp_path):
    from conftest import TEND
    log = tmp_path / "all.log"
    confdir = talker_config(tmp_path, 2000, log, then="; sleep 300")
    proc = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", str(TEND),
                             "--syslog-socket", str(tmp_path / "log.sock"),
                             "--control-socket", str(tmp_path / "tend.sock"),
                             "--config", str(confdir)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    proc.stdout.close()   # nobody reads the container log any more: writes get EPIPE
    try:
        wait_for(lambda: "talk 1999" in text(log), 30, what="the file output to go on")
        wait_for(lambda: "Broken pipe" in text(log), 30, what="the EPIPE report")
        assert proc.poll() is None
    finally:
        kids = children_of(proc.pid)
        for k in kids:
            os.kill(k, signal.SIGTERM)
        proc.wait(30)


def test_started_with_stdout_closed(tmp_path):
    """tend started with fd 1 closed reuses it for something else: its stdout output must
    fail (reported once), not hold the services back."""
    from conftest import TEND
    log = tmp_path / "all.log"
    confdir = talker_config(tmp_path, 20000, log)
    cmd = (f"exec unshare --pid --fork --mount-proc {TEND} --syslog-socket {tmp_path}/log.sock "
           f"--control-socket {tmp_path}/tend.sock --config {confdir} >&-")
    proc = subprocess.run(["sh", "-c", cmd], stderr=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 0
    got = text(log)
    assert "talk 19999" in got
    # tend puts /dev/null on a closed fd 0-2 before anything else, so stdout is a sink
    # that swallows everything: nothing fails and nothing is held back.
    assert "Bad file descriptor" not in got
