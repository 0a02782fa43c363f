"""Shared fixtures for tend's integration tests.

Every test runs the real binary as PID 1 of a fresh PID namespace
(`unshare --pid --fork --mount-proc`), with its syslog and control sockets in the test's own
temporary directory, so tests never collide and never touch the machine's /dev/log.
"""
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("TEND_BUILD", ROOT / "build"))
TEND = pathlib.Path(os.environ.get("TEND_BIN", BUILD / "tend"))
HELPERS = pathlib.Path(__file__).resolve().parent / "helpers"


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Poll predicate until true; fail the test with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def namespace_child(pid):
    """The pid (in our namespace) of unshare's forked child, i.e. the new namespace's PID 1."""
    try:
        kids = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return None
    return int(kids[0]) if kids else None


class TendProcess:
    """tend running as PID 1 of its own PID namespace."""

    def __init__(self, proc, workdir):
        self.proc = proc
        self.workdir = workdir
        self._pid1 = None

    @property
    def pid1(self):
        """tend's pid as seen from the test (outside the namespace)."""
        if self._pid1 is None:
            self._pid1 = wait_for(lambda: namespace_child(self.proc.pid), 5, what="tend to start")
        return self._pid1

    def signal(self, signo):
        os.kill(self.pid1, signo)

    def wait(self, timeout=30):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"tend did not exit within {timeout}s\nstdout:\n{out}\nstderr:\n{err}")
        self.stdout, self.stderr = out, err
        return self.proc.returncode

    def kill(self):
        try:
            if self._pid1 or namespace_child(self.proc.pid):
                os.kill(self.pid1, signal.SIGKILL)
        except (ProcessLookupError, AssertionError):
            pass
        self.proc.kill()

    @property
    def returncode(self):
        return self.proc.returncode


@pytest.fixture
def tend(tmp_path):
    """Factory: tend(args, config=None, env=None, ...) -> TendProcess (started, not waited)."""
    started = []

    def start(args=(), config=None, env=None, stdin=subprocess.DEVNULL, binary=None,
              namespace=True, private_paths=True, text=True):
        cmd = []
        if namespace:
            cmd += ["unshare", "--pid", "--fork", "--mount-proc"]
        cmd.append(str(binary or TEND))
        if private_paths:
            cmd += ["--syslog-socket", str(tmp_path / "log.sock"),
                    "--control-socket", str(tmp_path / "tend.sock")]
        if config is not None:
            confdir = tmp_path / "conf.d"
            confdir.mkdir(exist_ok=True)
            if isinstance(config, str):
                config = {"tend.conf": config}
            for name, body in config.items():
                (confdir / name).write_text(body)
            cmd += ["--config", str(confdir)]
        cmd += list(args)
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        if env:
            full_env.update(env)
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=full_env, text=text, cwd=tmp_path)
        tp = TendProcess(proc, tmp_path)
        started.append(tp)
        return tp

    yield start
    for tp in started:
        if tp.proc.poll() is None:
            tp.kill()
            tp.proc.communicate()


def exited(tp, timeout=30):
    """Wait for tend to exit by itself; return (code, stderr)."""
    code = tp.wait(timeout)
    return code, tp.stderr


def stop(tp, timeout=30):
    """SIGTERM tend and wait for it to exit; return (code, stderr)."""
    tp.signal(signal.SIGTERM)
    code = tp.wait(timeout)
    return code, tp.stderr


def tendctl_or_skip(tp, sock):
    """ctl(*args) runs `tend tendctl --socket sock ARGS` and returns its CompletedProcess.
    Returns (ctl, the result of `status`); skips the test (stopping tend first) when this
    build has no control socket or `status` fails."""
    try:
        wait_for(sock.exists, 5, what="the control socket")
    except AssertionError:
        stop(tp)
        pytest.skip("no control socket in this build")

    def ctl(*args):
        return subprocess.run([str(TEND), "tendctl", "--socket", str(sock), *args],
                              capture_output=True, text=True, timeout=20)

    status = ctl("status")
    if status.returncode != 0:
        stop(tp)
        pytest.skip("tendctl status unavailable: " + status.stderr[-200:])
    return ctl, status


def run_tend(tend_factory, args=(), timeout=30, **kw):
    """Start tend, wait for it, return (code, stdout, stderr)."""
    tp = tend_factory(args, **kw)
    code = tp.wait(timeout)
    return code, tp.stdout, tp.stderr


from docker_engine import docker_engine  # noqa: E402,F401  (fixture re-export)
