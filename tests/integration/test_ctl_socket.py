"""The control socket and tendctl (issue 6): every command against a running tend, group
names, the FIFO, exit codes, and who may connect."""
import json
import os
import pathlib
import stat
import subprocess
import tempfile

import pytest

from conftest import TEND, wait_for
from test_ctl_helpers import NOBODY, ctl, sock_of, status_rows, wait_listening, wait_status

pytestmark = pytest.mark.skipif(not TEND.exists(), reason=f"{TEND} is not built")

CONFIG = """
settings:
  detect_exit: false
sleeper.service:
  command: sleep 1000
web.service:
  command: sleep 1001
  service_groups: webgroup
api.service:
  command: sleep 1002
  service_groups: webgroup
once.service:
  type: oneshot
  command: /bin/true
"""


@pytest.fixture
def running(tend):
    tp = tend(config=CONFIG)
    wait_listening(tp)
    wait_for(lambda: ctl(tp, "status", "--check").returncode == 0, 20, 0.1, "healthy")
    return tp


def test_status_table(running):
    r = ctl(running, "status", check=0)
    assert "Running:           tend version" in r.stdout
    assert "Managed processes: 4 (4 enabled)" in r.stdout
    rows = status_rows(r.stdout)
    assert list(rows) == sorted(rows), "rows are sorted by name"
    assert rows["web.service"]["status"] == "running"
    assert rows["web.service"]["pid"].isdigit()
    assert rows["once.service"]["status"] == "started"
    assert rows["once.service"]["pid"] == "-"
    assert rows["sleeper.service"]["enabled"] == "true"


def test_status_json_and_check(running):
    r = ctl(running, "status", "--json", check=0)
    doc = json.loads(r.stdout)
    assert doc["phase"] == "running" and doc["healthy"] is True
    byname = {s["name"]: s for s in doc["services"]}
    assert byname["web.service"]["state"] == "running"
    assert isinstance(byname["web.service"]["pid"], int)
    assert byname["once.service"]["last_exit"]["code"] == 0
    assert byname["web.service"]["groups"] == ["webgroup"]
    r = ctl(running, "status", "--check", check=0)
    assert r.stdout.strip() == "healthy"


def test_stop_start_restart_reset(running):
    assert ctl(running, "stop", "--wait", "web", check=0).stdout.strip() == "services stopped."
    assert status_rows(ctl(running, "status").stdout)["web.service"]["status"] == "ready"
    r = ctl(running, "stop", "web", check=1)
    assert "can't stop services which aren't started: web" in r.stdout
    assert ctl(running, "start", "--wait", "web", check=0).stdout.strip() == "services started."
    r = ctl(running, "start", "web", check=1)
    assert "can't restart services without stop/reset: web" in r.stdout
    old = status_rows(ctl(running, "status").stdout)["web.service"]["pid"]
    assert ctl(running, "restart", "--wait", "web", check=0).stdout.strip() == "services restarted."
    new = status_rows(ctl(running, "status").stdout)["web.service"]["pid"]
    assert new.isdigit() and new != old
    r = ctl(running, "reset", "web", check=1)
    assert "can't reset services which are running: web" in r.stdout
    assert ctl(running, "reset", "--force", "--wait", "web", check=0).stdout.strip() == "services reset."
    assert ctl(running, "start", "web", check=0).stdout.strip() == "service start-up queued."
    wait_status(running, "web.service", "running")
    # start --force on a running service: reset, then started afresh
    pid = status_rows(ctl(running, "status").stdout)["web.service"]["pid"]
    ctl(running, "start", "--force", "--wait", "web.service", check=0)
    assert status_rows(ctl(running, "status").stdout)["web.service"]["pid"] != pid


def test_enable_disable(running):
    assert ctl(running, "stop", "--disable", "--wait", "sleeper", check=0).stdout.strip() == "services stopped."
    rows = status_rows(ctl(running, "status").stdout)
    assert rows["sleeper.service"]["enabled"] == "false"
    assert rows["sleeper.service"]["status"] == "disabled"
    r = ctl(running, "start", "sleeper", check=1)
    assert "can only start services which have been enabled: sleeper" in r.stdout
    ctl(running, "start", "--enable", "--wait", "sleeper", check=0)
    assert status_rows(ctl(running, "status").stdout)["sleeper.service"]["status"] == "running"
    assert ctl(running, "disable", "once", check=0).stdout.strip() == "services disabled."
    assert status_rows(ctl(running, "status").stdout)["once.service"]["enabled"] == "false"
    assert ctl(running, "enable", "once", check=0).stdout.strip() == "services enabled."
    assert status_rows(ctl(running, "status").stdout)["once.service"]["enabled"] == "true"


def test_group_names(running):
    ctl(running, "stop", "--wait", "webgroup", check=0)
    rows = status_rows(ctl(running, "status").stdout)
    assert rows["web.service"]["status"] == "ready" and rows["api.service"]["status"] == "ready"
    assert rows["sleeper.service"]["status"] == "running"
    ctl(running, "start", "--wait", "webgroup", check=0)
    rows = status_rows(ctl(running, "status").stdout)
    assert rows["web.service"]["status"] == rows["api.service"]["status"] == "running"
    r = ctl(running, "stop", "nosuchthing", check=1)
    assert "Command error: no such service: nosuchthing" in r.stdout


def test_unhealthy_when_a_service_fails(tend):
    tp = tend(config="""
settings: {detect_exit: false}
good.service: {command: sleep 1000}
bad.service: {command: "sh -c 'sleep 1; exit 3'", ignore_failures: true}
""")
    wait_listening(tp)
    wait_for(lambda: ctl(tp, "status", "--check").returncode == 1 and
             "bad.service failed" in ctl(tp, "status", "--check").stdout, 20, 0.1, "unhealthy")
    rows = status_rows(ctl(tp, "status").stdout)
    assert rows["bad.service"]["status"] == "exit(3)"


def test_dependencies_loglevel(running):
    r = ctl(running, "dependencies", check=0)
    assert "web" in r.stdout and "depends on" in r.stdout
    assert ctl(running, "loglevel", check=0).stdout.strip() == "Forced Logging Level: NOT SET"
    assert "*.debug" in ctl(running, "loglevel", "*.debug", check=0).stdout
    assert ctl(running, "loglevel", check=0).stdout.strip() == "*.debug"
    assert ctl(running, "loglevel", "info", check=0).stdout.strip().endswith("*.info")
    assert "Not a valid log level" in ctl(running, "loglevel", "loud", check=1).stdout


def test_usage_errors(running):
    r = ctl(running, "frobnicate", check=2)
    assert "unknown command: frobnicate" in r.stderr and "Usage:" in r.stderr
    r = ctl(running, "start", "--disable", "x", check=2)
    assert "unknown option" in r.stderr
    r = ctl(running, "shutdown", "soon", check=0)
    assert "Specified delay is not a valid decimal number: soon" in r.stdout
    r = subprocess.run([str(TEND), "ctl"], capture_output=True, text=True)
    assert r.returncode == 2


def test_shutdown(running):
    r = ctl(running, "shutdown", check=0)
    assert r.stdout.strip() == "Shutting down now"
    assert running.wait(30) == 0


def test_shutdown_delay(running):
    assert ctl(running, "shutdown", "0.5", check=0).stdout.strip() == "Shutting down in 0.5 seconds"
    assert running.wait(30) == 0


def test_fifo(running):
    fifo = running.workdir / "tend.fifo"
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert stat.S_IMODE(fifo.stat().st_mode) == 0o600
    with open(fifo, "w") as f:
        f.write("status\nstop web\nbogus command\n")
    wait_status(running, "web.service", "ready")
    with open(fifo, "w") as f:
        f.write("start web\n")
    wait_status(running, "web.service", "running")


def test_not_running(tmp_path):
    r = ctl(tmp_path / "nothing.sock", "status", check=3)
    assert "tend does not seem to be listening, is it running?" in r.stderr


def test_telchap_name_and_env(running, tmp_path):
    link = tmp_path / "telchap"
    link.symlink_to(TEND)
    r = subprocess.run([str(link), "status"], capture_output=True, text=True,
                       env={"TEND_CONTROL_SOCKET": str(sock_of(running)), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0 and "Services:" in r.stdout
    link2 = tmp_path / "tendctl"
    link2.symlink_to(TEND)
    r = subprocess.run([str(link2), "--socket", str(sock_of(running)), "status", "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0


def test_telchap_protocol_without_newline(running):
    """chaperone's telchap sends the words with no newline and keeps the socket open."""
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock_of(running)))
    s.sendall(b"status --check")
    s.settimeout(10)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data == b"RESULT\nhealthy\n"


def test_socket_mode_and_nonroot_refused(running):
    st = sock_of(running).stat()
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0
    # even with the path reachable and the mode opened, tend checks the peer itself
    os.chmod(running.workdir, 0o755)
    os.chmod(sock_of(running), 0o666)
    r = ctl(running, "stop", "web", user=NOBODY, check=4)
    assert "access denied" in r.stderr
    r = ctl(running, "status", user=NOBODY, check=4)
    assert status_rows(ctl(running, "status").stdout)["web.service"]["status"] == "running"


@pytest.fixture
def open_dir():
    """A directory any user can reach (pytest's tmp_path is root-only)."""
    d = tempfile.mkdtemp(prefix="tend-ctl-")
    os.chmod(d, 0o755)
    yield pathlib.Path(d)
    subprocess.run(["rm", "-rf", d])


def test_readonly_world(tend, open_dir):
    sock = open_dir / "ro.sock"
    tp = tend(["--control-socket", str(sock)], private_paths=False, config=CONFIG.replace(
        "detect_exit: false", "detect_exit: false\n  control_readonly_world: true\n"
        f"  syslog_socket: {open_dir}/log.sock"))
    wait_for(lambda: ctl(sock, "status", "--check").returncode == 0, 20, 0.1, "healthy")
    assert stat.S_IMODE(sock.stat().st_mode) == 0o666
    r = ctl(sock, "status", user=NOBODY, check=0)
    assert "web.service" in r.stdout
    ctl(sock, "dependencies", user=NOBODY, check=0)
    r = ctl(sock, "stop", "web", user=NOBODY, check=4)
    assert "may only run status and dependencies" in r.stderr
    assert status_rows(ctl(sock, "status").stdout)["web.service"]["status"] == "running"


def test_control_group(tend, open_dir):
    sock = open_dir / "grp.sock"
    tp = tend(["--control-socket", str(sock)], private_paths=False, config=CONFIG.replace(
        "detect_exit: false", "detect_exit: false\n  control_group: 4242\n"
        f"  syslog_socket: {open_dir}/log.sock"))
    wait_for(lambda: ctl(sock, "status", "--check").returncode == 0, 20, 0.1, "healthy")
    st = sock.stat()
    assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == 4242
    # a member of the group may steer; someone else may not even connect
    ctl(sock, "stop", "--wait", "web", user=31337, group=4242, check=0)
    r = ctl(sock, "start", "web", user=NOBODY, check=4)
    assert "access denied" in r.stderr


def test_logs(running):
    r = ctl(running, "logs")
    if "keeps no records" in r.stdout:
        pytest.skip("this build's logger has no tap (logger_set_tap) yet")
    assert r.returncode == 0
    assert "successfully started" in r.stdout
    r = ctl(running, "logs", "-n", "1", check=0)
    assert len(r.stdout.strip().splitlines()) == 1


def test_tend_not_root(open_dir):
    """A --force tend run by an ordinary user owns its socket; that user may steer it."""
    conf = open_dir / "conf.d"
    conf.mkdir()
    (conf / "t.conf").write_text("settings: {detect_exit: false}\nweb.service: {command: sleep 1000}\n")
    os.chmod(open_dir, 0o777)
    sock = open_dir / "user.sock"
    proc = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                             str(TEND), "--force", "--syslog-socket", str(open_dir / "log.sock"),
                             "--control-socket", str(sock), "--config", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: ctl(sock, "status", "--check", user=NOBODY).returncode == 0, 20, 0.1,
                 "healthy")
        st = sock.stat()
        assert st.st_uid == NOBODY and stat.S_IMODE(st.st_mode) == 0o600
        ctl(sock, "restart", "--wait", "web", user=NOBODY, check=0)
        ctl(sock, "shutdown", user=NOBODY, check=0)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_logs_follow(tend):
    import socket
    tp = tend(config="""
settings: {detect_exit: false}
talker.service: {command: "sh -c 'while true; do echo tick-$$; sleep 0.2; done'"}
quiet.service: {command: sleep 1000}
""")
    wait_listening(tp)
    r = ctl(tp, "logs", "talker")
    if "keeps no records" in r.stdout:
        pytest.skip("this build's logger has no tap (logger_set_tap) yet")
    wait_for(lambda: "tick-" in ctl(tp, "logs", "talker").stdout, 20, 0.1, "captured output")
    assert all("tick-" in line for line in ctl(tp, "logs", "talker", check=0).stdout.splitlines())
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock_of(tp)))
    s.sendall(b"logs -f -n 0 talker\n")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(20)
    data = b""
    while data.count(b"tick-") < 3:
        chunk = s.recv(4096)
        assert chunk, f"closed early: {data!r}"
        data += chunk
    assert data.startswith(b"RESULT\n")
    s.close()
