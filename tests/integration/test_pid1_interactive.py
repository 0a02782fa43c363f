"""Interactive (tty) mode, as chaperone: tend as PID 1 with a pseudo-terminal on stdin.

With a tty the command's exit ends the container (exitkills on by default), the command stays
in tend's process group and is stopped with SIGHUP; without one the command is a service like
any other until --exitkills says otherwise. _CHAP_INTERACTIVE says which (1 or 0) to the
configuration but is never exported to a child (names starting with _ are private).
"""
import fcntl
import os
import pathlib
import signal
import subprocess
import termios
import threading
import time

import pytest

from conftest import TEND, wait_for
from helpers_proc import children_of, pgrp, read_env

OTHER = """
other.service:
  command: sleep 100
"""


def cmdline(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
    except FileNotFoundError:
        return []


def child_running(tp, argv0, arg=None):
    """The pid of tend's child whose command line starts with argv0 (and has arg), or None."""
    for pid in children_of(tp.pid1):
        words = cmdline(pid)
        if words and os.path.basename(words[0]) == argv0.encode() and (
                arg is None or arg.encode() in words):
            return pid
    return None


class PtyTend:
    """tend under `unshare`, its stdin/stdout/stderr a pseudo-terminal it has as controlling tty."""

    def __init__(self, proc, master):
        self.proc = proc
        self.master = master
        self.output = bytearray()
        self._pid1 = None
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO once every slave fd is closed
                return
            if not data:
                return
            self.output += data

    @property
    def text(self):
        return self.output.decode(errors="replace")

    @property
    def pid1(self):
        if self._pid1 is None:
            self._pid1 = wait_for(lambda: children_of(self.proc.pid) and children_of(self.proc.pid)[0],
                                  10, what="tend to start")
        return self._pid1

    def signal(self, signo):
        os.kill(self.pid1, signo)

    def wait(self, timeout=30):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"tend did not exit within {timeout}s\noutput:\n{self.text}")
        self._reader.join(5)
        return code

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        try:
            os.kill(self.pid1, signal.SIGKILL)
        except (ProcessLookupError, AssertionError):
            pass
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def pty_tend(tmp_path):
    """Factory like conftest's `tend`, but with a pty (and a controlling tty) instead of pipes."""
    started = []

    def start(args=(), config=None, env=None):
        cmd = ["unshare", "--pid", "--fork", "--mount-proc", str(TEND),
               "--syslog-socket", str(tmp_path / "log.sock"),
               "--control-socket", str(tmp_path / "tend.sock")]
        if config is not None:
            confdir = tmp_path / "conf.d"
            confdir.mkdir(exist_ok=True)
            (confdir / "tend.conf").write_text(config)
            cmd += ["--config", str(confdir)]
        cmd += list(args)
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        full_env.update(env or {})
        master, slave = os.openpty()

        def take_tty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=full_env,
                                cwd=tmp_path, start_new_session=True, preexec_fn=take_tty)
        os.close(slave)
        tp = PtyTend(proc, master)
        started.append(tp)
        return tp

    yield start
    for tp in started:
        if tp.alive():
            tp.kill()
        tp._reader.join(5)
        os.close(tp.master)


def test_tty_command_exit_ends_tend(pty_tend):
    tp = pty_tend(["--", "sh", "-c", "exit 4"], config=OTHER)
    assert tp.wait(30) == 4, tp.text


def exiting_command(tmp_path):
    """A command that leaves a mark, then exits 4."""
    return ["--", "sh", "-c", f"touch {tmp_path}/cmd.ran; exit 4"]


def wait_command_gone(tp, tmp_path):
    """Wait until the command has run, exited and been reaped by tend."""
    wait_for(lambda: (tmp_path / "cmd.ran").exists(), 20, what="the command to run")
    wait_for(lambda: not child_running(tp, "sh"), 20, what="the command to be reaped")
    wait_for(lambda: child_running(tp, "sleep", "100"), 20, what="other.service to run")


def test_no_tty_command_exit_keeps_services(tend, tmp_path):
    tp = tend(exiting_command(tmp_path), config=OTHER)
    wait_command_gone(tp, tmp_path)
    # detect_exit keeps waiting for other.service: give it every chance to (wrongly) exit.
    time.sleep(2)  # a negative check: give tend every chance to (wrongly) exit
    assert tp.proc.poll() is None, tp.proc.communicate()
    tp.signal(signal.SIGTERM)
    tp.wait(30)
    assert "shutting down: SIGTERM received" in tp.stderr, tp.stderr


def test_no_tty_exitkills_ends_tend(tend, tmp_path):
    tp = tend(["--exitkills"] + exiting_command(tmp_path), config=OTHER)
    assert tp.wait(30) == 4, tp.stderr


def test_tty_no_exitkills_keeps_running(pty_tend, tmp_path):
    tp = pty_tend(["--no-exitkills"] + exiting_command(tmp_path), config=OTHER)
    wait_command_gone(tp, tmp_path)
    time.sleep(2)  # a negative check: give tend every chance to (wrongly) exit
    assert tp.alive(), tp.text
    tp.signal(signal.SIGTERM)
    tp.wait(30)
    assert "shutting down: SIGTERM received" in tp.text, tp.text


def test_tty_command_in_tends_group_killed_with_sighup(pty_tend):
    tp = pty_tend(["--", "sleep", "101"])
    cmd = wait_for(lambda: child_running(tp, "sleep", "101"), 20, what="the command to start")
    assert pgrp(cmd) == pgrp(tp.pid1), tp.text
    tp.signal(signal.SIGTERM)
    assert tp.wait(30) == 128 + signal.SIGHUP, tp.text


def test_no_tty_command_in_own_group_killed_with_sigterm(tend):
    tp = tend(["--", "sleep", "101"])
    cmd = wait_for(lambda: child_running(tp, "sleep", "101"), 20, what="the command to start")
    assert pgrp(cmd) == cmd != pgrp(tp.pid1)
    tp.signal(signal.SIGTERM)
    assert tp.wait(30) == 128 + signal.SIGTERM, tp.stderr


ENV_CONFIG = """
settings:
  env_set:
    INTERACTIVE: "$(_CHAP_INTERACTIVE)"
"""


@pytest.mark.parametrize("with_tty,expected", [(True, "1"), (False, "0")])
def test_chap_interactive_seen_by_config_not_exported(tend, pty_tend, tmp_path, with_tty,
                                                     expected):
    envfile = tmp_path / "env"
    args = ["--", "sh", "-c", f"env > {envfile}.tmp && mv {envfile}.tmp {envfile}"]
    tp = (pty_tend if with_tty else tend)(args, config=ENV_CONFIG)
    assert tp.wait(30) == 0, tp.text if with_tty else tp.stderr
    env = read_env(envfile)
    assert env.get("INTERACTIVE") == expected, env
    assert "_CHAP_INTERACTIVE" not in env, env
