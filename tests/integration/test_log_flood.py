"""Floods: a service writing 1,000,000 lines to a stdout nobody reads for a while (nothing may
be lost, tend must stay responsive), and a syslog datagram flood into a stalled stdout (drops
are allowed, but counted and reported: received + reported dropped == sent)."""
import re
import signal
import socket
import subprocess
import threading
import time

from conftest import TEND, wait_for
from helpers_log import PY, log_section


class SlowReader(threading.Thread):
    """Reads a pipe into memory, but only once `go` is set."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe = pipe
        self.go = threading.Event()
        self.data = bytearray()

    def run(self):
        self.go.wait()
        while True:
            chunk = self.pipe.read1(1 << 16)
            if not chunk:
                return
            self.data += chunk

    def text(self):
        return bytes(self.data).decode(errors="replace")


def start_unread(tend, config):
    """Start tend with `config` and its stdout (bytes) read by a SlowReader, which waits for
    its `go`; return (tend, the reader)."""
    tp = tend([], config=config, text=False)
    reader = SlowReader(tp.proc.stdout)
    reader.start()
    return tp, reader


def test_million_lines_to_a_slow_stdout_lose_nothing(tend, tmp_path):
    n = 1_000_000
    probe_log = tmp_path / "probe.log"
    config = f"""
flood.service:
  command: "{PY} -c \\"import sys; sys.stdout.writelines('n=%d' % i + chr(10) for i in range({n}))\\""
console.logging:
  selector: "daemon.*"
  stdout: true
""" + log_section("probe", "[probe].*", probe_log)
    tp, reader = start_unread(tend, config)
    sock = tmp_path / "log.sock"
    wait_for(sock.exists, 10, what="syslog socket")
    time.sleep(2)  # stdout is full and the service is held back by now
    # tend still answers while the flood waits: a syslog record for a file gets through
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"<13>probe: still responsive", str(sock))
    s.close()
    wait_for(lambda: probe_log.exists() and "still responsive" in probe_log.read_text(), 10,
             what="tend to log the probe while stdout is stalled")
    # and the control socket answers
    status = subprocess.run([str(TEND), "ctl", "--socket", str(tmp_path / "tend.sock"), "status"],
                            capture_output=True, text=True, timeout=20)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "flood" in status.stdout
    reader.go.set()
    assert tp.proc.wait(300) == 0
    reader.join(30)
    got = re.findall(r"flood\[\d+\]: n=(\d+)$", reader.text(), re.M)
    assert len(got) == n
    assert got == [str(i) for i in range(n)]


def test_syslog_flood_reports_drops(tend, tmp_path):
    sent = 100_000
    config = """
idle.service:
  command: "sleep 300"
console.logging:
  selector: "*.*"
  stdout: true
"""
    tp, reader = start_unread(tend, config)
    sock = tmp_path / "log.sock"
    wait_for(sock.exists, 10, what="syslog socket")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for i in range(sent):
        s.sendto(b"<13>flood: message %d" % i, str(sock))
    s.close()
    reader.go.set()
    pattern = re.compile(r"dropped (\d+) records \((\d+) from syslog")
    wait_for(lambda: pattern.search(reader.text()), 60, what="a drop report")
    time.sleep(1.5)  # later reports, if the flood outlasted the first one
    tp.signal(signal.SIGTERM)
    tp.proc.wait(60)
    reader.join(30)
    text = reader.text()
    received = len(re.findall(r"flood: message \d+$", text, re.M))
    dropped = sum(int(m.group(2)) for m in pattern.finditer(text))
    assert dropped > 0
    assert received + dropped == sent


def test_shared_stdout_lines_never_mix(tend, tmp_path):
    """A service with `stdout: inherit` writes into the same pipe as tend's stdout output;
    under back-pressure neither may split the other's lines."""
    n = 100_000
    config = f"""
noisy.service:
  command: "{PY} -c \\"[print('inherit-line %d' % i, flush=True) for i in range({n})]\\""
  stdout: inherit
logged.service:
  command: "{PY} -c \\"import sys; sys.stdout.writelines('logged-line %d' % i + chr(10) for i in range({n}))\\""
console.logging:
  selector: "[logged].*"
  stdout: true
"""
    tp, reader = start_unread(tend, config)
    time.sleep(1.5)  # the pipe fills up: both writers wait
    reader.go.set()
    assert tp.proc.wait(300) == 0
    reader.join(30)
    inherit, logged, other = 0, 0, []
    for line in reader.text().splitlines():
        if re.fullmatch(r"inherit-line \d+", line):
            inherit += 1
        elif re.search(r" logged\[\d+\]: logged-line \d+$", line):
            logged += 1
        else:
            other.append(line)
    assert other == []
    assert inherit == n and logged == n
