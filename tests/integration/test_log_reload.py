"""Logging across `tendctl reload`: new routes apply, old outputs are written out first, and
the syslog socket stays the same socket (nothing queued in it is lost)."""
import os
import signal
import subprocess

import pytest

from conftest import TEND, wait_for
from helpers_log import text


def ctl(tp, *args):
    return subprocess.run([str(TEND), "ctl", "--socket", str(tp.workdir / "tend.sock"), *args],
                          capture_output=True, text=True, timeout=60)


def config(log):
    return f"""
settings:
  detect_exit: false
idle.service:
  command: "sleep 1000"
app.logging:
  selector: "[app].*"
  file: {log}
"""


def test_reload_switches_routes_and_keeps_the_socket(tend, tmp_path):
    first = tmp_path / "first.log"
    second = tmp_path / "second.log"
    tp = tend([], config=config(first))
    sock = tmp_path / "log.sock"
    wait_for(sock.exists, 10, what="syslog socket")
    wait_for(lambda: (tmp_path / "tend.sock").exists() and ctl(tp, "status", "--check").returncode == 0,
             20, 0.1, what="start-up to finish")
    inode = os.stat(sock).st_ino
    subprocess.run(["logger", "-u", str(sock), "-t", "app", "before reload"], check=True)
    wait_for(lambda: "before reload" in text(first), what="first route")
    (tmp_path / "conf.d" / "tend.conf").write_text(config(second))
    r = ctl(tp, "reload")
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.stat(sock).st_ino == inode
    subprocess.run(["logger", "-u", str(sock), "-t", "app", "after reload"], check=True)
    wait_for(lambda: "after reload" in text(second), what="second route")
    assert "after reload" not in text(first)
    tp.signal(signal.SIGTERM)
    tp.wait(30)
