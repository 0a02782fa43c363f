"""type: notify — readiness over the sd_notify protocol, with real clients.

Each test runs tend as PID 1 with a notify service and a dependent that may only start once
the notify service is ready; tend's own log lines (stderr) tell what happened.
"""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import HELPERS, wait_for

PY = "/usr/bin/python3"
PY_NOTIFY = HELPERS / "py_notify.py"


def conf(service_yaml, dependent=True):
    """A config with n.service plus (optionally) d.service after it."""
    body = service_yaml
    if dependent:
        body += """
d.service:
  after: n.service
  command: "echo dependent-started"
"""
    return {"a.conf": body}


def run_notify(tend, command, dependent=True, env=None, wait=40, **keys):
    """Run tend with n.service (type notify, `keys` such as process_timeout=20 as its
    settings, then `command`) and the config's dependent; wait for tend to exit and
    return (code, stderr)."""
    settings = "".join(f"  {key}: {str(value).lower() if value is True else value}\n"
                       for key, value in keys.items())
    tp = tend(["--no-syslog"], env=env, config=conf(
        f'n.service:\n  type: notify\n{settings}  command: "{command}"\n', dependent))
    code = tp.wait(wait)
    return code, tp.stderr


def finish(tp, timeout=30):
    """Stop tend (SIGTERM) if it still runs; return (code, stderr)."""
    if tp.proc.poll() is None:
        tp.signal(signal.SIGTERM)
    code = tp.wait(timeout)
    return code, tp.stderr


def test_systemd_notify_ready(tend, tmp_path):
    marker = tmp_path / "ready-seen"
    tp = tend(["--no-syslog"], config=conf(f"""
n.service:
  type: notify
  process_timeout: 20
  command: "sh -c 'sleep 0.3; systemd-notify --ready --status=up-and-running; exec sleep 30'"
d.service:
  after: n.service
  command: "touch {marker}"
""", dependent=False))
    wait_for(marker.exists, 20, what="the dependent to start after READY=1")
    code, err = finish(tp)
    assert "n.service successfully started" in err, err
    assert code == 0, err


def test_systemd_notify_from_a_forked_child_after_the_launcher_exits(tend, tmp_path):
    code, err = run_notify(tend, "sh -c '(sleep 0.5; systemd-notify --ready; sleep 1) & exit 0'",
                           process_timeout=20)
    assert "exited before READY=1; still waiting" in err, err
    assert "n.service successfully started" in err, err
    assert "dependent-started" in err
    assert code == 0, err


def test_python_systemd_daemon_notify(tend, tmp_path):
    code, err = run_notify(tend, f"{PY} {PY_NOTIFY} STATUS=python READY=1 sleep:1",
                           process_timeout=20)
    assert "notify 'READY=1' -> True" in err, err
    assert "n.service successfully started" in err, err
    assert err.index("n.service successfully started") < err.index("dependent-started")
    assert "n.service exited normally" in err
    assert code == 0, err


@pytest.fixture(scope="module")
def sd_notify_helper(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler")
    out = tmp_path_factory.mktemp("helpers") / "sd_notify_ready"
    r = subprocess.run([cc, "-o", str(out), str(HELPERS / "sd_notify_ready.c"), "-lsystemd"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot build the libsystemd helper (libsystemd-dev): " + r.stderr)
    return out


def test_libsystemd_sd_notify(tend, sd_notify_helper):
    code, err = run_notify(tend, f"{sd_notify_helper} from-c 1", process_timeout=20)
    assert "sd_notify sent READY=1" in err, err
    assert "n.service successfully started" in err, err
    assert err.index("n.service successfully started") < err.index("dependent-started")
    assert code == 0, err


@pytest.mark.parametrize("command, process_timeout, failure", [
    pytest.param("sleep 30", 1, "n.service did not receive ready notification within 1s",
                 id="ready-never-sent-times-out"),
    pytest.param("sh -c 'systemd-notify ERRNO=5; sleep 30'", 20,
                 "n.service failed with reported error 5", id="errno-before-ready"),
    pytest.param("sh -c 'exit 3'", 20, "n.service failed on start-up with result 'exit status 3'",
                 id="nonzero-exit-before-ready"),
])
def test_start_failure_before_ready(tend, command, process_timeout, failure):
    """Each of these is a start failure: the dependent never starts and tend fails."""
    code, err = run_notify(tend, command, process_timeout=process_timeout)
    assert failure in err, err
    assert "dependent-started" not in err
    assert code != 0


def test_errno_after_ready_is_an_exit_with_that_status(tend):
    code, err = run_notify(tend, f"{PY} {PY_NOTIFY} READY=1 sleep:0.5 ERRNO=7 sleep:30",
                           process_timeout=20, dependent=False)
    assert "n.service successfully started" in err, err
    assert "n.service reported error 7; stopping it" in err, err
    assert "terminated abnormally with exit status 7" in err, err
    # a crash after a successful start (no restarts) is logged, not a system failure
    assert code == 0, err


def test_ignore_failures_lets_dependents_start(tend):
    code, err = run_notify(tend, "sleep 30", ignore_failures=True, process_timeout=1)
    assert "did not receive ready notification" in err
    assert "(failure ignored)" in err, err
    assert "dependent-started" in err
    assert code == 0, err


def test_mainpid_is_followed(tend):
    code, err = run_notify(tend, "sh -c 'sleep 2 & systemd-notify --ready MAINPID=$!; exit 0'",
                           process_timeout=20)
    assert "(from MAINPID)" in err, err
    assert "n.service successfully started" in err
    # the launcher exits at once; the service ends with the MAINPID process, 2 s later
    lines = err.splitlines()
    ended = [l for l in lines if "n.service exited normally" in l]
    assert ended, err
    assert code == 0, err


def test_mainpid_that_does_not_exist_is_ignored(tend):
    code, err = run_notify(tend, f"{PY} {PY_NOTIFY} MAINPID=99999 READY=1 sleep:0.5",
                           process_timeout=20)
    assert "MAINPID=99999 does not exist; ignored" in err, err
    assert "n.service successfully started" in err
    assert code == 0, err


def test_status_becomes_the_note(tend, tmp_path):
    tp = tend(["--no-syslog"], config=conf(f"""
n.service:
  type: notify
  process_timeout: 20
  command: "{PY} {PY_NOTIFY} READY=1 STATUS=serving-42-clients sleep:30"
""", dependent=False))
    # the note is visible through the control socket when that face is built in
    sock = tmp_path / "tend.sock"
    try:
        wait_for(sock.exists, 10, what="the control socket")
    except AssertionError:
        finish(tp)
        pytest.skip("no control socket in this build")
    deadline = time.monotonic() + 20
    out = ""
    while time.monotonic() < deadline:
        r = subprocess.run([str(tp_binary()), "tendctl", "--socket", str(sock), "status"],
                           capture_output=True, text=True, timeout=10)
        out = r.stdout + r.stderr
        if r.returncode != 0 and "serving" not in out:
            break
        if "serving-42-clients" in out:
            break
        time.sleep(0.2)
    code, err = finish(tp)
    if "serving-42-clients" not in out:
        pytest.skip("control socket status not available in this build: " + out[-300:])
    assert code == 0, err


def tp_binary():
    from conftest import TEND
    return TEND


def test_watchdog_missed_aborts_the_service(tend):
    code, err = run_notify(
        tend, f"{PY} {PY_NOTIFY} READY=1 WATCHDOG_USEC=400000 WATCHDOG=1 sleep:30",
        process_timeout=20, dependent=False)
    assert "n.service successfully started" in err, err
    assert "watchdog timeout (no WATCHDOG=1 within 0.4s); aborting it with SIGABRT" in err, err
    assert "was killed by SIGABRT" in err, err
    assert code == 0, err


def test_watchdog_kept_alive_by_pings(tend):
    code, err = run_notify(
        tend, f"{PY} {PY_NOTIFY} READY=1 WATCHDOG_USEC=3000000 sleep:0.5 WATCHDOG=1 sleep:0.5"
              " WATCHDOG=1 sleep:0.5 STOPPING=1",
        process_timeout=20, dependent=False)
    assert "watchdog timeout" not in err, err
    assert "n.service is stopping" in err, err
    assert "n.service exited normally" in err, err
    assert code == 0, err


def test_sender_outside_the_service_is_ignored(tend, tmp_path):
    addr_file = tmp_path / "notify-socket"
    tp = tend(["--no-syslog"], config=conf(f"""
n.service:
  type: notify
  process_timeout: 4
  command: "sh -c 'echo $NOTIFY_SOCKET > {addr_file}; exec sleep 30'"
"""))
    wait_for(lambda: addr_file.exists() and addr_file.read_text().strip(), 20,
             what="the service to publish NOTIFY_SOCKET")
    address = addr_file.read_text().strip()
    assert address.startswith("@/tend/") and address.endswith("/n"), address
    # this test process is outside tend's PID namespace: it is not one of the service's
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"READY=1", "\0" + address[1:])
    s.close()
    code = tp.wait(30)
    err = tp.stderr
    assert "notify message from PID" in err and "ignored: not the service" in err, err
    assert "did not receive ready notification" in err
    assert "dependent-started" not in err
    assert code != 0


def test_notify_sockets_are_private_per_service(tend, tmp_path):
    """Two notify services get distinct random socket names; each becomes ready."""
    a, b = tmp_path / "a", tmp_path / "b"
    tp = tend(["--no-syslog"], config={"a.conf": f"""
n1.service:
  type: notify
  command: "sh -c 'echo $NOTIFY_SOCKET > {a}; systemd-notify --ready; sleep 1'"
n2.service:
  type: notify
  command: "sh -c 'echo $NOTIFY_SOCKET > {b}; systemd-notify --ready; sleep 1'"
"""})
    code = tp.wait(40)
    err = tp.stderr
    assert "n1.service successfully started" in err and "n2.service successfully started" in err, err
    assert a.read_text() != b.read_text()
    assert code == 0, err


def test_bad_messages_are_logged_and_ignored(tend):
    code, err = run_notify(tend, f"{PY} {PY_NOTIFY} garbage MAINPID=abc READY=1 sleep:0.5",
                           process_timeout=20)
    assert "notify message ignored: not KEY=VALUE: 'garbage'" in err, err
    assert "notify message ignored: bad value: 'MAINPID=abc'" in err, err
    assert "n.service successfully started" in err
    assert code == 0, err


def test_crash_after_ready_restarts_and_becomes_ready_again(tend, tmp_path):
    runs = tmp_path / "runs"
    code, err = run_notify(
        tend, f"sh -c 'systemd-notify --ready; echo run >> {runs}; sleep 0.3; exit 1'",
        process_timeout=20, restart=True, restart_limit=2, restart_delay=0.2,
        dependent=False, wait=60)
    assert runs.read_text().count("run") == 3, err
    assert err.count("n.service restarting") == 2, err
    assert "n.service terminated abnormally with exit status 1" in err, err
    assert code == 0, err


def test_own_socket_wins_over_an_inherited_notify_socket(tend, tmp_path):
    """tend itself was given NOTIFY_SOCKET (by a host supervisor): a notify service still
    gets its own private socket, not the inherited one."""
    seen = tmp_path / "seen"
    code, err = run_notify(
        tend, f"sh -c 'echo $NOTIFY_SOCKET > {seen}; systemd-notify --ready; sleep 0.5'",
        process_timeout=10, env={"NOTIFY_SOCKET": "@/host/supervisor"})
    assert seen.read_text().startswith("@/tend/"), seen.read_text()
    assert "n.service successfully started" in err, err
    assert code == 0, err


def test_own_socket_wins_over_an_inherited_notify_socket_in_c(tend, sd_notify_helper):
    """The same, for a program that reads its environment with getenv() (libsystemd)."""
    code, err = run_notify(tend, f"{sd_notify_helper} from-c 1",
                           process_timeout=5, env={"NOTIFY_SOCKET": "@/host/supervisor"})
    assert "n.service successfully started" in err, err
    assert code == 0, err


def test_reloading_and_stopping_are_logged(tend):
    code, err = run_notify(
        tend, f"{PY} {PY_NOTIFY} READY=1 RELOADING=1 sleep:0.2 READY=1 STOPPING=1 sleep:0.2",
        process_timeout=20)
    assert "n.service is reloading" in err, err
    assert "n.service finished reloading" in err, err
    assert "n.service is stopping" in err, err
    assert err.count("n.service successfully started") == 1, err
    assert code == 0, err


def test_extend_timeout_usec_gives_more_time(tend):
    code, err = run_notify(
        tend, f"{PY} {PY_NOTIFY} EXTEND_TIMEOUT_USEC=4000000 sleep:1.5 READY=1 sleep:0.2",
        process_timeout=1)
    assert "did not receive ready notification" not in err, err
    assert "n.service successfully started" in err, err
    assert code == 0, err


# ---- notify_socket: an explicit abstract name or a filesystem path ----

@pytest.fixture
def sock_dir():
    """A directory every user can reach (tmp_path's parents are root's, 0700)."""
    path = pathlib.Path(f"/run/tend-test-notify-{os.getpid()}-{time.monotonic_ns()}")
    path.mkdir(mode=0o755)
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_notify_socket_path_works_and_is_removed_when_the_service_ends(tend, tmp_path, sock_dir):
    seen, marker = tmp_path / "seen", tmp_path / "dependent"
    path = sock_dir / "n.sock"
    tp = tend(["--no-syslog"], config={"a.conf": f"""
n.service:
  type: notify
  process_timeout: 20
  env_set:
    SOCKDIR: {sock_dir}
  notify_socket: "$(SOCKDIR)/n.sock"
  command: "sh -c 'echo $NOTIFY_SOCKET > {seen}; systemd-notify --ready; sleep 3'"
d.service:
  after: n.service
  command: "sh -c 'touch {marker}; exec sleep 30'"
"""})
    wait_for(marker.exists, 20, what="the dependent to start after READY=1 over the path")
    assert seen.read_text().strip() == str(path)
    st = os.lstat(path)
    assert (st.st_mode & 0o777) == 0o600
    # the service ends (tend keeps running for d.service): the file goes with its socket
    wait_for(lambda: not path.exists(), 20, what="the socket file to be removed")
    assert tp.proc.poll() is None
    code, err = finish(tp)
    assert code == 0, err


def test_notify_socket_path_belongs_to_the_service_user(tend, sock_dir):
    path = sock_dir / "n.sock"
    marker = sock_dir / "dependent"
    tp = tend(["--no-syslog"], config={"a.conf": f"""
n.service:
  type: notify
  process_timeout: 20
  uid: nobody
  notify_socket: {path}
  command: "sh -c 'systemd-notify --ready; exec sleep 30'"
d.service:
  after: n.service
  command: "touch {marker}"
"""})
    wait_for(marker.exists, 20, what="the dependent to start after nobody's READY=1")
    st = os.lstat(path)
    assert st.st_uid == 65534 and (st.st_mode & 0o777) == 0o600, oct(st.st_mode)
    code, err = finish(tp)
    assert "n.service successfully started" in err, err
    assert not path.exists()
    assert code == 0, err


def test_notify_socket_replaces_a_stale_file(tend, sock_dir):
    path = sock_dir / "n.sock"
    old = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    old.bind(str(path))
    old.close()  # the file stays, nothing is bound to it
    code, err = run_notify(tend, "sh -c 'systemd-notify --ready; sleep 1'",
                           process_timeout=20, notify_socket=path)
    assert "n.service successfully started" in err and "dependent-started" in err, err
    assert code == 0, err


def test_notify_socket_refuses_what_is_not_a_stale_socket(tend, sock_dir):
    path = sock_dir / "n.sock"
    path.write_text("precious")
    code, err = run_notify(tend, "sh -c 'systemd-notify --ready; sleep 1'",
                           notify_socket=path, dependent=False)
    assert f"n.service: notify_socket {path} exists and is not a socket" in err, err
    assert path.read_text() == "precious"
    assert code != 0


def test_notify_socket_in_a_missing_directory_is_a_start_failure(tend, sock_dir):
    path = sock_dir / "missing" / "n.sock"
    code, err = run_notify(tend, "sh -c 'systemd-notify --ready; sleep 1'", notify_socket=path)
    assert (f"n.service: could not create its notify socket {path}: "
            "No such file or directory") in err, err
    assert not (sock_dir / "missing").exists()
    assert "dependent-started" not in err
    assert code != 0


def test_notify_socket_relative_path_is_a_start_failure(tend):
    code, err = run_notify(tend, "sh -c 'systemd-notify --ready; sleep 1'",
                           notify_socket="run/n.sock", dependent=False)
    assert "n.service: notify_socket 'run/n.sock' must be an absolute path or '@' and a name" in err, err
    assert code != 0


def test_notify_socket_explicit_abstract_name(tend, tmp_path):
    seen = tmp_path / "seen"
    name = f"@tend-test/{os.getpid()}/{time.monotonic_ns()}"
    code, err = run_notify(
        tend, f"sh -c 'echo $NOTIFY_SOCKET > {seen}; systemd-notify --ready; sleep 1'",
        process_timeout=20, notify_socket=f'"{name}"')
    assert "n.service successfully started" in err and "dependent-started" in err, err
    assert seen.read_text().strip() == name
    assert code == 0, err


def test_notify_socket_file_is_removed_after_a_start_failure(tend, tmp_path, sock_dir):
    path = sock_dir / "n.sock"
    marker = tmp_path / "dependent"
    tp = tend(["--no-syslog"], config={"a.conf": f"""
n.service:
  type: notify
  process_timeout: 1
  ignore_failures: true
  notify_socket: {path}
  command: "sleep 30"
d.service:
  after: n.service
  command: "sh -c 'touch {marker}; exec sleep 30'"
"""})
    wait_for(marker.exists, 30, what="the dependent to start after n.service's start failure")
    wait_for(lambda: not path.exists(), 20, what="the socket file to be removed")
    code, err = finish(tp)
    assert "n.service did not receive ready notification within 1s" in err, err
