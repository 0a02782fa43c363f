"""tend as dumb-init (issue 8): the same options, messages, exit codes and signal handling.

The real /usr/bin/dumb-init and tend (through a symlink named `dumb-init`, first in PATH so
that both see argv[0] == "dumb-init") run side by side with the same arguments; outputs are
compared after masking pids. dumb-init's parent and child both print in debug mode, in an
order the scheduler decides, so those runs are compared line by line as sorted lists, and the
parent's own lines in order.
"""
import os
import pathlib
import re
import signal
import subprocess
import time

import pytest

from conftest import TEND, wait_for
from helpers_modes import (FORWARDED, TEND_VERSION, UNSHARE, environment, init_pid, link_bins,
                           received, send_forwarded_then_term, start_recorder as start_init,
                           state, under_terminal, with_mask)

REAL = pathlib.Path("/usr/bin/dumb-init")
CHILD_LINES = ("Unable to attach to controlling tty", "setsid complete.", "Unable to setsid")

pytestmark = pytest.mark.skipif(not TEND.exists(), reason=f"{TEND} is not built")
needs_real = pytest.mark.skipif(not REAL.exists(), reason="/usr/bin/dumb-init is not installed")


@pytest.fixture
def bins(tmp_path):
    return link_bins(tmp_path, REAL, ["dumb-init"])


def run(bins, kind, args, env=None, pid1=False, timeout=60):
    cmd = (UNSHARE if pid1 else []) + ["dumb-init", *args]
    p = subprocess.run(cmd, env=environment(bins[kind], env), capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL, cwd=bins[kind])
    return p.returncode, p.stdout, p.stderr


def normalise(text):
    text = re.sub(r"PID \d+", "PID N", text)
    return text.replace(f"dumb-init v1.2.5 (tend {TEND_VERSION})", "dumb-init v1.2.5")


def parent_lines(text):
    return [line for line in text.splitlines() if not any(c in line for c in CHILD_LINES)]


def same(bins, args, **kw):
    real = run(bins, "real", args, **kw)
    ours = run(bins, "ours", args, **kw)
    assert ours[0] == real[0], f"exit code: tend {ours[0]}, dumb-init {real[0]}\n{ours[2]}"
    assert normalise(ours[1]) == normalise(real[1]), "stdout differs"
    r, o = normalise(real[2]), normalise(ours[2])
    assert sorted(o.splitlines()) == sorted(r.splitlines()), "stderr differs"
    assert parent_lines(o) == parent_lines(r), "stderr order differs"
    return ours


# --- command line ------------------------------------------------------------------------------

@needs_real
@pytest.mark.parametrize("args", [
    ["-h"], ["--help"], ["-V"], ["--version"], [], ["--"], ["-c"], ["-x"], ["--bogus"], ["-r"],
    ["-r", "1:2"], ["-r", "1", "true"], ["-r", "32:1", "true"], ["-r", "0:1", "true"],
    ["-r", "1:32", "true"], ["-r", "1:-1", "true"], ["-r", "a:b", "true"], ["-V", "-h"],
    ["-h", "-V"], ["-v", "-h"], ["--rewrite"], ["--single"], ["--verb", "-V"],
])
def test_command_line_matches_dumb_init(bins, args):
    same(bins, args)


@needs_real
def test_help_text_is_byte_for_byte(bins):
    code, out, err = run(bins, "ours", ["--help"])
    real = run(bins, "real", ["--help"])
    assert code == 0 and out == ""
    assert err.startswith("dumb-init v1.2.5\n")
    assert err.split("\n", 1)[1] == real[2].split("\n", 1)[1]


def test_version_format(bins):
    assert run(bins, "ours", ["-V"]) == (0, "", "dumb-init v1.2.5\n") == run(bins, "real", ["-V"])


def test_usage_uses_argv0(tmp_path):
    link = tmp_path / "dumb-init"
    link.symlink_to(TEND)
    p = subprocess.run([str(link)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1
    assert p.stderr == f"Usage: {link} [option] program [args]\nTry {link} --help for full usage.\n"


def test_tend_dumb_init_subcommand(tmp_path):
    p = subprocess.run([str(TEND), "dumb-init", "sh", "-c", "exit 3"], capture_output=True,
                       text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 3 and p.stderr == ""


# --- exit codes and messages -------------------------------------------------------------------

@needs_real
@pytest.mark.parametrize("args,expected", [
    (["true"], 0),
    (["sh", "-c", "exit 3"], 3),
    (["-c", "sh", "-c", "exit 255"], 255),
    (["sh", "-c", "kill -TERM $$"], 143),
    (["sh", "-c", "kill -KILL $$"], 137),
    (["nonexistent-program-xyz"], 2),
    (["/etc/passwd"], 2),
    (["/etc/passwd/x"], 2),
    (["-r", "31:0", "true"], 0),
    (["-r", "01:02", "true"], 0),
    (["-r", " 1: 2", "true"], 0),
    (["-r", "+1:-0", "true"], 0),
    (["-r", "1:2x", "true"], 0),
    (["--rewrite=1:2", "true"], 0),
    (["--single-child", "true"], 0),
    (["--", "sh", "-c", "exit 9"], 9),
])
def test_exit_codes_match_dumb_init(bins, args, expected):
    assert same(bins, args)[0] == expected


@needs_real
def test_exec_failure_message(bins):
    code, _, err = same(bins, ["nonexistent-program-xyz"])
    assert err == "[dumb-init] nonexistent-program-xyz: No such file or directory\n"


@needs_real
@pytest.mark.parametrize("args,env", [
    (["-v", "sh", "-c", "exit 3"], None),
    (["-v", "-c", "true"], None),
    (["--verbose", "sh", "-c", "kill -TERM $$"], None),
    (["true"], {"DUMB_INIT_DEBUG": "1"}),
    (["true"], {"DUMB_INIT_DEBUG": "0"}),
    (["true"], {"DUMB_INIT_DEBUG": "yes"}),
    (["true"], {"DUMB_INIT_DEBUG": "1", "DUMB_INIT_SETSID": "0"}),
    (["-v", "true"], {"DUMB_INIT_SETSID": "0"}),
    (["-v", "true"], {"DUMB_INIT_SETSID": "no"}),
    (["-c", "true"], {"DUMB_INIT_DEBUG": "1"}),
    (["-v", "-r", "15:0", "true"], None),
    (["-v", "-r", "15:1", "-r", "15:3", "true"], None),
    (["-v", "nonexistent-program-xyz"], None),
])
def test_debug_output_matches_dumb_init(bins, args, env):
    same(bins, args, env=env)


@needs_real
def test_debug_messages_text(bins):
    code, _, err = same(bins, ["-v", "-c", "sh", "-c", "exit 3"])
    assert normalise(err) == (
        "[dumb-init] Child spawned with PID N.\n"
        "[dumb-init] Received signal 17.\n"
        "[dumb-init] A child with PID N exited with exit status 3.\n"
        "[dumb-init] Forwarded signal 15 to children.\n"
        "[dumb-init] Child exited with status 3. Goodbye.\n")


@needs_real
@pytest.mark.parametrize("args", [["true"], ["-v", "sh", "-c", "exit 4"], ["-c", "-v", "true"],
                                  ["-v", "sh", "-c", "kill -INT $$"]])
def test_as_pid1_matches_dumb_init(bins, args):
    same(bins, args, pid1=True)


@needs_real
@pytest.mark.parametrize("command", ["dumb-init -v true", "dumb-init -v -c true",
                                     "sh -c 'dumb-init -v true; echo rc=$?'"])
def test_controlling_tty_handoff(bins, command):
    """Under a terminal (script(1) gives one) dumb-init drops it and the child takes it."""
    (real_code, real), (our_code, ours) = under_terminal(bins, command)
    real, ours = normalise(real), normalise(ours)
    assert our_code == real_code
    assert sorted(ours.splitlines()) == sorted(real.splitlines())
    assert parent_lines(ours) == parent_lines(real)


# --- the child's process -----------------------------------------------------------------------

def start_recorder(bins, kind, args, tmp_path, grandchild=False, pid1=False, env=None):
    if kind == "real" and not REAL.exists():
        pytest.skip("no dumb-init")
    return start_init(bins[kind], ["dumb-init", *args], tmp_path, kind, grandchild, pid1, env)


@pytest.mark.parametrize("kind", ["real", "ours"])
@pytest.mark.parametrize("pid1", [False, True])
def test_signals_forwarded(bins, tmp_path, kind, pid1):
    proc, log, child = start_recorder(bins, kind, [], tmp_path, pid1=pid1)
    send_forwarded_then_term(init_pid(proc, pid1), log)
    proc.communicate(timeout=30)
    assert [s for _, s in received(log, len(FORWARDED) + 1)] == [int(s) for s in FORWARDED] + [15]
    assert proc.returncode == 7


@pytest.mark.parametrize("kind", ["real", "ours"])
@pytest.mark.parametrize("mode", ["setsid", "-c", "DUMB_INIT_SETSID=0"])
def test_session_and_group_forwarding(bins, tmp_path, kind, mode):
    args = ["-c"] if mode == "-c" else []
    env = {"DUMB_INIT_SETSID": "0"} if mode.startswith("DUMB") else None
    proc, log, child = start_recorder(bins, kind, args, tmp_path, grandchild=True, env=env)
    if mode == "setsid":
        assert os.getsid(child) == child and os.getpgid(child) == child
    else:
        assert os.getpgid(child) == os.getpgid(proc.pid) and os.getsid(child) == os.getsid(proc.pid)
    os.kill(proc.pid, signal.SIGUSR1)
    lines = received(log, 2 if mode == "setsid" else 1)
    if mode != "setsid":
        time.sleep(0.5)
        lines = received(log, 1)
    assert {pid for pid, _ in lines} == ({child, max(p for p, _ in lines)} if mode == "setsid" else {child})
    assert len(lines) == (2 if mode == "setsid" else 1)
    grandchild = int((tmp_path / f"{kind}.ready.grandchild").read_text())
    os.kill(grandchild, signal.SIGKILL)  # with -c nobody else would: it shares our group
    os.kill(child, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == 137


@pytest.mark.parametrize("kind", ["real", "ours"])
def test_rewrite_and_drop(bins, tmp_path, kind):
    proc, log, child = start_recorder(bins, kind, ["-r", "10:12", "-r", "1:0"], tmp_path)
    os.kill(proc.pid, signal.SIGHUP)   # dropped
    os.kill(proc.pid, signal.SIGUSR1)  # arrives as SIGUSR2
    assert [s for _, s in received(log, 1)] == [signal.SIGUSR2]
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=30)
    assert [s for _, s in received(log, 2)] == [signal.SIGUSR2, signal.SIGTERM]


@pytest.mark.parametrize("kind", ["real", "ours"])
@pytest.mark.parametrize("args,child_stops", [([], True), (["-c"], False), (["-r", "20:0"], False)])
def test_terminal_stop_suspends_dumb_init(bins, tmp_path, kind, args, child_stops):
    """TSTP: passed on (as SIGSTOP in session mode), then dumb-init stops itself; CONT resumes."""
    proc, log, child = start_recorder(bins, kind, args, tmp_path)
    os.kill(proc.pid, signal.SIGTSTP)
    wait_for(lambda: state(proc.pid) == "T", 20, what="dumb-init to stop itself")
    if child_stops:
        wait_for(lambda: state(child) == "T", 20, what="the child to stop")
    elif args == ["-c"]:
        assert received(log, 1)[0][1] == signal.SIGTSTP  # a handled TSTP does not stop it
    os.kill(proc.pid, signal.SIGCONT)
    wait_for(lambda: state(proc.pid) in "SR" and state(child) in "SR", 20, what="resume")
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 7


@needs_real
@pytest.mark.parametrize("args", [[], ["-c"]])
def test_child_gets_clean_signal_state(bins, args):
    argv = ["dumb-init", *args, "grep", "-E", "^(SigBlk|SigIgn)", "/proc/self/status"]
    outs = [with_mask(bins[kind], argv).stdout for kind in ("real", "ours")]
    assert outs[0] == outs[1] == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"


def test_dumb_init_leaves_its_cwd_child_keeps_it(bins, tmp_path):
    proc, log, child = start_recorder(bins, "ours", [], tmp_path)
    assert os.readlink(f"/proc/{proc.pid}/cwd") == "/"
    assert os.readlink(f"/proc/{child}/cwd") == os.getcwd()
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=30)


@pytest.mark.parametrize("kind", ["real", "ours"])
def test_group_gets_sigterm_when_child_exits(bins, tmp_path, kind):
    if kind == "real" and not REAL.exists():
        pytest.skip("no dumb-init")
    pidfile = tmp_path / "bg.pid"
    code, _, _ = run(bins, kind, ["sh", "-c", f"sleep 300 & echo $! > {pidfile}; exit 5"])
    assert code == 5
    pid = int(pidfile.read_text())
    wait_for(lambda: not pathlib.Path(f"/proc/{pid}").exists() or state(pid) == "Z", 20,
             what="the background sleep to get SIGTERM")


# --- tend's addition: TEND_WAIT_DESCENDANTS / --wait-descendants ------------------------------

@pytest.mark.parametrize("how", ["env", "option"])
def test_wait_descendants_as_pid1(bins, tmp_path, how):
    marker = tmp_path / "late"
    # -c: the child's group is not sent SIGTERM, so the grandchild can finish its work
    args = ["-c", "sh", "-c", f"(sleep 1; echo x > {marker}) & exit 3"]
    env = {"TEND_WAIT_DESCENDANTS": "1"} if how == "env" else None
    if how == "option":
        args = ["--wait-descendants"] + args
    code, _, err = run(bins, "ours", args, pid1=True, env=env)
    assert code == 3 and err == ""
    assert marker.read_text() == "x\n"


def test_default_does_not_wait(bins, tmp_path):
    marker = tmp_path / "late"
    code, _, _ = run(bins, "ours", ["-c", "sh", "-c", f"(sleep 1; echo x > {marker}) & exit 3"], pid1=True)
    assert code == 3
    time.sleep(1.5)
    assert not marker.exists()


def test_wait_descendants_outside_namespace_kills_orphans(bins, tmp_path):
    pidfile = tmp_path / "orphan.pid"
    # setsid(1) moves the orphan out of the child's group, so only lingering can catch it
    script = f"setsid sleep 300 & echo $! > {pidfile}; sleep 0.3; exit 4"
    code, _, err = run(bins, "ours", ["-v", "sh", "-c", script], env={"TEND_WAIT_DESCENDANTS": "1"})
    assert code == 4
    orphan = int(pidfile.read_text())
    assert not pathlib.Path(f"/proc/{orphan}").exists()
    assert "Goodbye" in err.splitlines()[-1]
