"""sd_notify to the host (issue 6): tend started with NOTIFY_SOCKET pointing at a datagram
socket this test owns sends READY=1, STATUS=, STOPPING=1, ERRNO=, MAINPID= and WATCHDOG=1."""
import os
import re
import socket
import time

import pytest

from conftest import TEND, wait_for
from test_ctl_helpers import ctl, wait_listening

pytestmark = pytest.mark.skipif(not TEND.exists(), reason=f"{TEND} is not built")


class Receiver:
    """A datagram socket collecting notify messages (path or abstract)."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        # Non-blocking: poll() drains what has arrived and returns. (A receive timeout never
        # expires when tend pings more often than the timeout, e.g. WATCHDOG every 100 ms.)
        self.sock.setblocking(False)
        self.messages = []

    def poll(self):
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except (socket.timeout, BlockingIOError):
                return self.messages

    def wait(self, predicate, timeout=20, what="a message"):
        return wait_for(lambda: [m for m in self.poll() if predicate(m)], timeout, 0.05, what)

    def close(self):
        self.sock.close()


CONFIG = """
settings:
  detect_exit: false
  status_interval: 0.5
a.service: {command: sleep 1000}
b.service: {command: sleep 1001}
"""


def test_ready_status_stopping(tend, tmp_path):
    rx = Receiver(str(tmp_path / "notify.sock"))
    tp = tend(config=CONFIG, env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock")})
    rx.wait(lambda m: m == "READY=1", what="READY=1")
    status = rx.wait(lambda m: m.startswith("STATUS="), what="STATUS")
    assert re.match(r"STATUS=Uptime \d\d:\d\d:\d\d; ", status[0]), status
    assert "2 services started" in status[0]
    # periodic: more STATUS lines follow every status_interval
    wait_for(lambda: len([m for m in rx.poll() if m.startswith("STATUS=")]) >= 3, 20, 0.1,
             "periodic STATUS")
    assert not [m for m in rx.messages if m.startswith("MAINPID=")], "PID 1 sends no MAINPID"
    wait_listening(tp)
    ctl(tp, "shutdown", check=0)
    assert tp.wait(30) == 0
    rx.wait(lambda m: m == "STOPPING=1", what="STOPPING=1")
    ready_at = rx.messages.index("READY=1")
    assert rx.messages.index("STOPPING=1") > ready_at
    rx.close()


def test_abstract_socket_and_watchdog(tend, tmp_path):
    name = f"tend-test-{os.getpid()}-{time.monotonic_ns()}"
    rx = Receiver("\0" + name)
    tend(config=CONFIG, env={"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "200000"})
    rx.wait(lambda m: m == "READY=1", what="READY=1")
    wait_for(lambda: len([m for m in rx.poll() if m == "WATCHDOG=1"]) >= 3, 20, 0.05,
             "watchdog pings")
    rx.close()


def test_errno_on_failure(tend, tmp_path):
    rx = Receiver(str(tmp_path / "notify.sock"))
    tp = tend(config="""
keep.service: {command: sleep 1000}
bad.service: {type: oneshot, command: "sh -c 'sleep 0.5; exit 3'"}
""", env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock")})
    code = tp.wait(30)
    assert code != 0
    msgs = rx.poll()
    errnos = [m for m in msgs if m.startswith("ERRNO=")]
    assert errnos == ["ERRNO=8"], msgs
    assert "STOPPING=1" in msgs and "READY=1" not in msgs, msgs
    rx.close()


def test_mainpid_when_not_pid1(tend, tmp_path):
    rx = Receiver(str(tmp_path / "notify.sock"))
    tp = tend(["--force"], config=CONFIG, namespace=False,
              env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock")})
    rx.wait(lambda m: m == "READY=1", what="READY=1")
    assert f"MAINPID={tp.proc.pid}" in rx.messages
    wait_listening(tp)
    ctl(tp, "shutdown", check=0)
    tp.wait(30)
    rx.close()


def test_services_inherit_notify_socket(tend, tmp_path):
    """chaperone's behaviour: NOTIFY_SOCKET stays in the environment services inherit."""
    rx = Receiver(str(tmp_path / "notify.sock"))
    out = tmp_path / "seen"
    tp = tend(config=f"""
settings: {{detect_exit: false}}
env.service: {{type: oneshot, command: "sh -c 'echo $NOTIFY_SOCKET > {out}'"}}
""", env={"NOTIFY_SOCKET": str(tmp_path / "notify.sock")})
    wait_for(lambda: out.exists() and out.read_text().strip(), 20, 0.05, "the service's output")
    assert out.read_text().strip() == str(tmp_path / "notify.sock")
    rx.close()
