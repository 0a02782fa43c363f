"""sdnotify and sdnotify-exec (issue 6), end to end with real sockets and real clients
(systemd-notify, python3-systemd, tend itself as the notifying process)."""
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import TEND, wait_for

pytestmark = pytest.mark.skipif(not TEND.exists(), reason=f"{TEND} is not built")


def run(args, env=None, timeout=60):
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full.update(env or {})
    return subprocess.run([str(TEND), *args], capture_output=True, text=True, env=full,
                          timeout=timeout)


@pytest.fixture
def receiver(tmp_path):
    path = tmp_path / "parent.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    s.settimeout(0.2)

    def messages():
        out = []
        while True:
            try:
                out.append(s.recv(4096).decode())
            except (socket.timeout, BlockingIOError):
                return out
    yield path, messages
    s.close()


def test_sdnotify_order_and_names(receiver):
    path, messages = receiver
    r = run(["notify", "--ready", "--status=all good", "--pid", "4242", "foo=bar", "Mixed=x=y"],
            env={"NOTIFY_SOCKET": str(path)})
    assert r.returncode == 0, r
    assert messages() == ["MAINPID=4242", "STATUS=all good", "READY=1", "FOO=bar", "MIXED=x=y"]


def test_sdnotify_pid_self_and_abstract(tmp_path):
    name = f"tend-sdn-{os.getpid()}-{time.monotonic_ns()}"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + name)
    s.settimeout(5)
    link = tmp_path / "sdnotify"
    link.symlink_to(TEND)
    p = subprocess.run([str(link), "--pid=self"], env={"NOTIFY_SOCKET": "@" + name},
                       capture_output=True, text=True)
    assert p.returncode == 0
    msg = s.recv(100).decode()
    assert msg.startswith("MAINPID=") and int(msg.split("=")[1]) > 0
    s.close()


def test_sdnotify_without_socket_and_errors(tmp_path):
    assert run(["notify", "--ready"]).returncode == 0
    assert run(["notify", "--booted"]).returncode == 1
    r = run(["notify", "--ready"], env={"NOTIFY_SOCKET": str(tmp_path / "nobody.sock")})
    assert r.returncode == 1 and "could not send sd_notify message" in r.stdout
    r = run(["notify", "--ignore", "--ready"], env={"NOTIFY_SOCKET": str(tmp_path / "nobody.sock")})
    assert r.returncode == 0
    r = run(["notify", "novalue"], env={"NOTIFY_SOCKET": str(tmp_path / "x.sock")})
    assert r.returncode == 1 and "not a valid format" in r.stdout
    r = run(["notify", "--pid", "abc"])
    assert r.returncode == 1 and "not a valid PID" in r.stdout
    assert run(["notify", "--bogus"]).returncode == 2


def test_exec_wait_ready_with_systemd_notify(tmp_path):
    notify = shutil.which("systemd-notify")
    if not notify:
        pytest.skip("systemd-notify is not installed")
    r = run(["notify-exec", "--noproxy", "--wait-ready", "--timeout", "30", "--verbose",
             "sh", "-c", f"sleep 0.3; {notify} --ready; exec sleep 30 >/dev/null 2>&1"],
            timeout=60)
    assert r.returncode == 0, r
    assert "ready notification received" in r.stdout


def test_exec_errno_with_python_systemd():
    pytest.importorskip("systemd.daemon")
    # (the command outlives sdnotify-exec: its output goes elsewhere so that run() returns)
    r = run(["notify-exec", "--noproxy", "--wait-ready", "--timeout", "30", "sh", "-c",
             "exec /usr/bin/python3 -c \"from systemd import daemon; "
             "daemon.notify('STATUS=failing\\nERRNO=55'); import time; time.sleep(30)\" "
             ">/dev/null 2>&1"], timeout=60)
    assert r.returncode == 55, r


def test_exec_proxy_and_expansion(receiver, tmp_path):
    path, messages = receiver
    out = tmp_path / "out"
    r = run(["notify-exec", "--socket", str(tmp_path / "proxy.sock"), "sh", "-c",
             f"echo %{{NOTIFY_SOCKET}} %{{ORIG_NOTIFY_SOCKET}} %{{PID}} $NOTIFY_SOCKET > {out}; "
             f"{TEND} notify --status=hi READY=1; exit 7"],
            env={"NOTIFY_SOCKET": str(path)})
    assert r.returncode == 7, r
    words = out.read_text().split()
    assert words[0] == str(tmp_path / "proxy.sock") and words[3] == words[0]
    assert words[1] == str(path) and words[2].isdigit()
    assert messages() == ["STATUS=hi", "READY=1"]
    assert not (tmp_path / "proxy.sock").exists(), "the proxy socket is removed"


def test_exec_socket_args_template(tmp_path):
    r = run(["notify-exec", "--noproxy", "echo", "run", "%{SOCKET_ARGS}", "image"])
    pid = None
    words = r.stdout.split()
    assert words[0] == "run" and words[1] == "--env" and words[-1] == "image"
    assert words[2].startswith("NOTIFY_SOCKET=/tmp/notify-") and words[3] == "-v"
    pid = words[2][len("NOTIFY_SOCKET=/tmp/notify-"):-len(".sock")]
    assert words[4] == f"/tmp/sdnotify-proxy-{pid}.sock:/tmp/notify-{pid}.sock"
    r = run(["notify-exec", "--noproxy", "--template", "-e S=%{NOTIFY_SOCKET}", "--socket",
             str(tmp_path / "x.sock"), "printf", "%s\\n", "%{SOCKET_ARGS}"])
    assert r.stdout.split() == ["-e", f"S={tmp_path / 'x.sock'}"]


def test_exec_wait_stop_blocks_mainpid(receiver, tmp_path):
    path, messages = receiver
    script = (f"{TEND} notify --pid 12345; {TEND} notify --status=up; "
              f"(sleep 0.5; {TEND} notify STOPPING=1) & exit 0")
    r = run(["notify-exec", "--wait-stop", "--timeout", "30", "sh", "-c", script],
            env={"NOTIFY_SOCKET": str(path)})
    assert r.returncode == 0, r
    got = messages()
    assert "STATUS=up" in got and "STOPPING=1" in got
    assert not [m for m in got if m.startswith("MAINPID")], got


def test_exec_timeout():
    r = run(["notify-exec", "--noproxy", "--wait-ready", "--timeout", "0.5", "sh", "-c",
             "exec sleep 30 >/dev/null 2>&1"])
    assert r.returncode == 1
    assert "Timeout exceeded while waiting for notification from 'sh'" in r.stdout


def test_exec_tend_as_pid1_reports_ready(tmp_path):
    """sdnotify-exec around tend itself: tend's host notify says READY=1 once started."""
    conf = tmp_path / "conf.d"
    conf.mkdir()
    (conf / "t.conf").write_text("a.service: {command: sleep 3}\n")
    r = run(["notify-exec", "--noproxy", "--wait-ready", "--timeout", "30", "--verbose",
             "unshare", "--pid", "--fork", "--mount-proc", str(TEND),
             "--syslog-socket", str(tmp_path / "log.sock"),
             "--control-socket", str(tmp_path / "tend.sock"), "--config", str(conf)], timeout=60)
    assert r.returncode == 0, r
    assert "ready notification received" in r.stdout


def test_notify_service_with_sdnotify(tend, tmp_path):
    """A notify-type service that uses `tend notify --ready` as its client."""
    tp = tend(config=f"""
settings: {{detect_exit: false}}
n.service:
  type: notify
  command: "sh -c 'sleep 0.3; {TEND} notify --status=warming --ready; sleep 1000'"
after.service:
  after: n.service
  type: oneshot
  command: "touch {tmp_path}/after-ran"
""")
    wait_for(lambda: (tmp_path / "after-ran").exists(), 30, 0.1, "the dependent to run")
