"""tend as tini (issue 8): the same command line, messages, streams and exit codes as tini.

Most tests run the real /usr/bin/tini and tend (through a symlink named `tini`, found first in
PATH so that both see argv[0] == "tini") side by side with the same arguments, and compare
stdout, stderr and the exit code after masking pids. The rest check what cannot be compared
byte for byte: signal delivery, process groups, the signal mask the child gets, and tend's own
additions (its version text, -l, TEND_WAIT_DESCENDANTS).
"""
import os
import pathlib
import re
import signal
import subprocess
import time

import pytest

from conftest import TEND, wait_for
from helpers_modes import (FORWARDED, UNSHARE, environment, init_pid, link_bins, received,
                           send_forwarded_then_term, start_recorder as start_init, state,
                           under_terminal, with_mask)

REAL_TINI = pathlib.Path("/usr/bin/tini")

pytestmark = pytest.mark.skipif(not TEND.exists(), reason=f"{TEND} is not built")
needs_real = pytest.mark.skipif(not REAL_TINI.exists(), reason="/usr/bin/tini is not installed")


@pytest.fixture
def bins(tmp_path):
    """Directories holding `tini` and `docker-init`: one pointing at tini, one at tend."""
    return link_bins(tmp_path, REAL_TINI, ["tini", "docker-init"])


def run(bins, kind, args, name="tini", env=None, pid1=False, timeout=60, cwd=None):
    cmd = (UNSHARE if pid1 else []) + [name, *args]
    p = subprocess.run(cmd, env=environment(bins[kind], env), capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL, cwd=cwd or bins[kind])
    return p.returncode, p.stdout, p.stderr


def normalise(text):
    # tini's once-a-second "No child to reap" (trace level) depends on timing: left out here,
    # counted in test_trace_wakes_every_second_like_tini
    text = re.sub(r"(?m)^\[TRACE tini \(\d+\)\] No child to reap\n", "", text)
    text = re.sub(r"\[(\w+ *) tini \(\d+\)\]", r"[\1 tini (PID)]", text)
    text = re.sub(r"pid '\d+'", "pid 'N'", text)
    text = re.sub(r"pid: '\d+'", "pid: 'N'", text)
    text = re.sub(r"pid=\d+", "pid=N", text)
    return re.sub(r"tini version 0\.19\.0 - tend [^\s)]+", "tini version 0.19.0", text)


def same(bins, args, **kw):
    """Run tini and tend alike; assert identical (normalised) output; return tend's result."""
    real = run(bins, "real", args, **kw)
    ours = run(bins, "ours", args, **kw)
    assert ours[0] == real[0], f"exit code: tend {ours[0]}, tini {real[0]}\n{ours[2]}"
    assert normalise(ours[1]) == normalise(real[1]), "stdout differs"
    assert normalise(ours[2]) == normalise(real[2]), "stderr differs"
    return ours


# --- command line, help, version -------------------------------------------------------------

@needs_real
@pytest.mark.parametrize("args", [
    ["-h"], [], ["-x", "true"], ["--verbose", "true"], ["--version", "extra"], ["-s", "--"],
    ["-s"], ["-p"], ["-s", "-e"], ["-h", "-s", "true"], ["-s", "true", "-h"],
])
def test_usage_and_option_errors_match_tini(bins, args):
    same(bins, args)


@needs_real
def test_help_goes_to_stdout_and_errors_to_stderr(bins):
    code, out, err = same(bins, ["-h"])
    assert code == 0 and out.startswith("tini (tini version 0.19.0)\n") and err == ""
    code, out, err = same(bins, [])
    assert code == 1 and out == "" and "Usage: tini [OPTIONS] PROGRAM -- [ARGS] | --version" in err


@needs_real
def test_usage_names_docker_init(bins):
    code, out, _ = same(bins, ["-h"], name="docker-init")
    assert out.startswith("docker-init (tini version")
    assert "valid init process (docker-init)" in out
    same(bins, ["-x"], name="docker-init")


def test_version_is_byte_for_byte_tinis(bins):
    code, out, err = run(bins, "ours", ["--version"])
    assert (code, out, err) == (0, "tini version 0.19.0\n", "")
    assert (code, out, err) == run(bins, "real", ["--version"])
    assert run(bins, "ours", ["--version"], name="docker-init")[1] == out


def test_license_is_tends(bins):
    code, out, err = run(bins, "ours", ["-l"])
    assert code == 0 and err == ""
    assert out.startswith("The MIT License (MIT)\n") and "the tend authors" in out


def test_tend_tini_subcommand(tmp_path):
    p = subprocess.run([str(TEND), "tini", "-s", "--", "sh", "-c", "exit 3"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 3 and p.stderr == ""


# --- exit codes --------------------------------------------------------------------------------

@needs_real
@pytest.mark.parametrize("args,expected", [
    (["-s", "true"], 0),
    (["-s", "--", "sh", "-c", "exit 3"], 3),
    (["-s", "--", "sh", "-c", "exit 255"], 255),
    (["-s", "--", "sh", "-c", "kill -TERM $$"], 143),
    (["-s", "--", "sh", "-c", "kill -KILL $$"], 137),
    (["-s", "-e", "3", "--", "sh", "-c", "exit 3"], 0),
    (["-s", "-e", "3", "-e", "4", "--", "sh", "-c", "exit 4"], 0),
    (["-s", "-e", "3", "--", "sh", "-c", "exit 4"], 4),
    (["-s", "-e", "143", "--", "sh", "-c", "kill -TERM $$"], 0),
    (["-s", "-e", " 3", "--", "sh", "-c", "exit 3"], 0),
    (["-s", "-e", "+3", "--", "sh", "-c", "exit 3"], 0),
    (["-s", "-e", "03", "--", "sh", "-c", "exit 3"], 0),
    (["-s", "-e", "", "--", "sh", "-c", "exit 7"], 7),
    (["-s", "nonexistent-program-xyz"], 127),
    (["-s", "/etc/passwd"], 126),
    (["-s", "/etc/passwd/x"], 1),
    (["-s", "/"], 126),
])
def test_exit_codes_match_tini(bins, args, expected):
    assert same(bins, args)[0] == expected


@needs_real
@pytest.mark.parametrize("value", ["256", "-1", "abc", "0x3", "3 ", "99999999999999999999"])
def test_invalid_remap_is_fatal(bins, value):
    code, out, err = same(bins, ["-s", "-e", value, "true"])
    assert code == 1 and f"Not a valid option for -e: {value}" in err and err.startswith("[FATAL tini (")


@needs_real
@pytest.mark.parametrize("value", ["FOO", "9", "KILL", "SIGPWR", "SIGIO", "sigterm"])
def test_invalid_parent_death_signal_is_fatal(bins, value):
    code, _, err = same(bins, ["-s", "-p", value, "true"])
    assert code == 1 and f"Not a valid option for -p: {value}" in err


@needs_real
@pytest.mark.parametrize("value", ["SIGKILL", "SIGTERM", "SIGUSR1", "SIGWINCH", "SIGSYS"])
def test_valid_parent_death_signal(bins, value):
    assert same(bins, ["-s", "-p", value, "-vvv", "true"])[0] == 0


@needs_real
def test_exec_failure_messages(bins):
    _, _, err = same(bins, ["-s", "nonexistent-program-xyz"])
    assert re.fullmatch(r"\[FATAL tini \(\d+\)\] exec nonexistent-program-xyz failed: "
                        r"No such file or directory\n", err)
    _, _, err = same(bins, ["-s", "/etc/passwd"])
    assert "exec /etc/passwd failed: Permission denied" in err


# --- warnings and verbosity --------------------------------------------------------------------

@needs_real
def test_not_pid1_warning(bins):
    code, out, err = same(bins, ["true"])
    assert code == 0 and out == ""
    assert normalise(err) == (
        "[WARN  tini (PID)] Tini is not running as PID 1 and isn't registered as a child subreaper.\n"
        "Zombie processes will not be re-parented to Tini, so zombie reaping won't work.\n"
        "To fix the problem, use the -s option or set the environment variable TINI_SUBREAPER "
        "to register Tini as a child subreaper, or run Tini as PID 1.\n")


@needs_real
@pytest.mark.parametrize("args,env", [
    (["-s", "true"], None),
    (["true"], {"TINI_SUBREAPER": ""}),
    (["true"], {"TINI_SUBREAPER": "0"}),
    (["true"], {"TINI_VERBOSITY": "0"}),
])
def test_no_warning_when_subreaper_or_quiet(bins, args, env):
    assert same(bins, args, env=env)[2] == ""


@needs_real
@pytest.mark.parametrize("args,env", [
    (["-v", "-s", "--", "sh", "-c", "exit 3"], None),
    (["-vv", "-s", "--", "sh", "-c", "exit 3"], None),
    (["-vvv", "-s", "--", "sh", "-c", "exit 3"], None),
    (["-vvvvv", "-s", "--", "sh", "-c", "kill -TERM $$"], None),
    (["-s", "true"], {"TINI_VERBOSITY": "3"}),
    (["-s", "true"], {"TINI_VERBOSITY": "4"}),
    (["-s", "-vv", "true"], {"TINI_VERBOSITY": "abc"}),
    (["true"], {"TINI_VERBOSITY": "-1", "TINI_SUBREAPER": ""}),
])
def test_verbosity_levels_match_tini(bins, args, env):
    same(bins, args, env=env)


def test_exec_failure_prints_buffered_lines_once(bins):
    """tini's child inherits tini's unflushed stdout and prints it a second time when exec
    fails; tend's child drops its copy, so each line appears once (a documented difference)."""
    code, out, err = run(bins, "ours", ["-s", "-vvv", "nonexistent-program-xyz"])
    assert code == 127
    assert normalise(out) == (
        "[DEBUG tini (PID)] tcsetpgrp failed: no tty (ok to proceed)\n"
        "[TRACE tini (PID)] Registered as child subreaper\n"
        "[INFO  tini (PID)] Spawned child process 'nonexistent-program-xyz' with pid 'N'\n"
        "[DEBUG tini (PID)] Received SIGCHLD\n"
        "[DEBUG tini (PID)] Reaped child with pid: 'N'\n"
        "[INFO  tini (PID)] Main child exited normally (with status '127')\n"
        "[TRACE tini (PID)] No child to wait\n"
        "[TRACE tini (PID)] Exiting: child has exited\n")


@needs_real
def test_verbose_messages_text(bins):
    _, out, err = same(bins, ["-vvv", "-s", "--", "sh", "-c", "exit 3"])
    assert err == ""
    assert normalise(out) == (
        "[TRACE tini (PID)] Registered as child subreaper\n"
        "[INFO  tini (PID)] Spawned child process 'sh' with pid 'N'\n"
        "[DEBUG tini (PID)] Received SIGCHLD\n"
        "[DEBUG tini (PID)] Reaped child with pid: 'N'\n"
        "[INFO  tini (PID)] Main child exited normally (with status '3')\n"
        "[TRACE tini (PID)] No child to wait\n"
        "[TRACE tini (PID)] Exiting: child has exited\n")


@needs_real
def test_trace_wakes_every_second_like_tini(bins):
    """At trace level tini reaps once a second ("No child to reap"); tend shows the same."""
    for kind in ("real", "ours"):
        code, out, _ = run(bins, kind, ["-vvv", "-s", "--", "sleep", "2.5"])
        assert code == 0 and out.count("No child to reap") in (2, 3), (kind, out)


@needs_real
def test_zombie_warning(bins):
    script = "(sleep 0.2 &); sleep 2; exit 2"
    code, out, err = same(bins, ["-s", "-w", "--", "sh", "-c", script])
    assert code == 2 and re.fullmatch(r"\[WARN  tini \(\d+\)\] Reaped zombie process with pid=\d+\n", err)
    same(bins, ["-s", "-w", "-vvv", "--", "sh", "-c", script])
    assert same(bins, ["-s", "--", "sh", "-c", script])[2] == ""


@needs_real
@pytest.mark.parametrize("command", ["tini -s -vvv -- true", "tini -vv -s -- sh -c 'exit 3'",
                                     "tini -s -- sh -c 'cat /proc/$$/stat'"])
def test_under_a_terminal_matches_tini(bins, command):
    """With a terminal (script(1) gives one), stdout is line-buffered and the child gets the
    terminal's foreground."""
    (real_code, real), (our_code, ours) = under_terminal(bins, command)
    assert our_code == real_code
    if "/stat" in command:
        fields = ours.rsplit(")", 1)[1].split()
        assert fields[2] == fields[5]  # the child's group is the terminal's foreground group
    else:
        assert normalise(ours) == normalise(real)


# --- as PID 1 ----------------------------------------------------------------------------------

@needs_real
@pytest.mark.parametrize("args", [
    ["--", "sh", "-c", "exit 4"],
    ["-vvv", "--", "sh", "-c", "echo hi; exit 4"],
    ["-vvv", "--", "sh", "-c", "kill -INT $$"],
    ["--", "nonexistent-program-xyz"],
    ["-g", "-e", "5", "--", "sh", "-c", "exit 5"],
])
def test_as_pid1_matches_tini(bins, args):
    code, out, err = same(bins, args, pid1=True)
    assert "not running as PID 1" not in err


def test_as_pid1_reports_pid_1(bins):
    code, out, _ = run(bins, "ours", ["-vv", "--", "sh", "-c", "echo $$; exit 6"], pid1=True)
    assert code == 6
    assert "[INFO  tini (1)] Spawned child process 'sh' with pid '2'" in out
    assert out.startswith("2\n")


# --- the child's process: signals, group, mask ------------------------------------------------

def start_recorder(bins, kind, args, tmp_path, grandchild=False, pid1=False, env=None):
    return start_init(bins[kind], ["tini", *args, "--"], tmp_path, kind, grandchild, pid1, env)


@pytest.mark.parametrize("kind", ["real", "ours"])
@pytest.mark.parametrize("pid1", [False, True])
def test_signals_forwarded_to_child(bins, tmp_path, kind, pid1):
    if kind == "real" and not REAL_TINI.exists():
        pytest.skip("no tini")
    proc, log, child = start_recorder(bins, kind, ["-s"], tmp_path, pid1=pid1)
    send_forwarded_then_term(init_pid(proc, pid1), log)
    proc.communicate(timeout=30)
    numbers = [signo for _, signo in received(log, len(FORWARDED) + 1)]
    assert numbers == [int(s) for s in FORWARDED] + [signal.SIGTERM]
    assert proc.returncode == 7


@pytest.mark.parametrize("kind", ["real", "ours"])
@pytest.mark.parametrize("group", ["-g", "env", None])
def test_process_group_forwarding(bins, tmp_path, kind, group):
    if kind == "real" and not REAL_TINI.exists():
        pytest.skip("no tini")
    args = ["-s"] + (["-g"] if group == "-g" else [])
    env = {"TINI_KILL_PROCESS_GROUP": "1"} if group == "env" else None
    proc, log, child = start_recorder(bins, kind, args, tmp_path, grandchild=True, env=env)
    assert os.getpgid(child) == child  # tini puts the child in a process group of its own
    os.kill(proc.pid, signal.SIGUSR1)
    lines = received(log, 2 if group else 1)
    if not group:
        time.sleep(0.5)
        lines = received(log, 1)
    pids = {pid for pid, _ in lines}
    assert child in pids and len(pids) == (2 if group else 1)
    os.killpg(child, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == 137


@needs_real
def test_child_gets_original_signal_mask_and_ignored_signals(bins):
    args = ["-s", "--", "grep", "-E", "^(SigBlk|SigIgn)", "/proc/self/status"]
    real = with_mask(bins["real"], ["tini", *args])
    ours = with_mask(bins["ours"], ["tini", *args])
    assert ours.returncode == real.returncode == 0
    assert ours.stdout == real.stdout
    blocked = int(re.search(r"SigBlk:\s*(\w+)", ours.stdout).group(1), 16)
    ignored = int(re.search(r"SigIgn:\s*(\w+)", ours.stdout).group(1), 16)
    assert blocked & (1 << (signal.SIGUSR2 - 1)) and blocked & (1 << (signal.SIGWINCH - 1))
    for s in (signal.SIGUSR1, signal.SIGTTOU, signal.SIGPIPE, signal.SIGHUP):
        assert ignored & (1 << (s - 1)), s
    assert not ignored & (1 << (signal.SIGTTIN - 1))


def test_child_keeps_cwd_and_tend_opens_no_fd(bins, tmp_path):
    code, out, _ = run(bins, "ours", ["-s", "--", "sh", "-c", "pwd; ls /proc/$PPID/fd | sort -n | tr '\\n' ' '"],
                       cwd=tmp_path)
    assert code == 0
    cwd, fds = out.splitlines()
    assert cwd == str(tmp_path)
    assert fds.split() == ["0", "1", "2"]  # no signalfd, no socket, nothing: just stdio


def test_tini_itself_ignores_stop_signals_from_terminal(bins, tmp_path):
    proc, log, child = start_recorder(bins, "ours", ["-s"], tmp_path)
    os.kill(proc.pid, signal.SIGTTIN)
    os.kill(proc.pid, signal.SIGTTOU)
    time.sleep(0.3)
    assert state(proc.pid) == "S"
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 7
    assert [signo for _, signo in received(log, 1)] == [signal.SIGTERM]


@pytest.mark.parametrize("kind", ["real", "ours"])
def test_parent_death_signal(bins, tmp_path, kind):
    if kind == "real" and not REAL_TINI.exists():
        pytest.skip("no tini")
    pidfile = tmp_path / "tini.pid"
    # sh starts tini in the background, records its pid, and exits: tini gets SIGTERM, which
    # it passes on to sleep, so both are gone.
    script = f'tini -s -p SIGTERM -- sleep 60 & echo $! > {pidfile}; sleep 0.5'
    subprocess.run(["sh", "-c", script], env=environment(bins[kind]), timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid = int(pidfile.read_text())

    def gone():
        try:
            return state(pid) == "Z"
        except FileNotFoundError:
            return True
    wait_for(gone, 20, what="tini to exit after its parent")


# --- tend's addition: TEND_WAIT_DESCENDANTS ---------------------------------------------------

def test_default_does_not_wait_for_grandchildren(bins, tmp_path):
    marker = tmp_path / "late"
    code, _, _ = run(bins, "ours", ["--", "sh", "-c", f"(sleep 1; echo x > {marker}) & exit 3"],
                     pid1=True)
    assert code == 3
    time.sleep(1.5)
    assert not marker.exists()  # as tini: exiting as PID 1 killed the grandchild


@pytest.mark.parametrize("how", ["env", "option"])
def test_wait_descendants_as_pid1(bins, tmp_path, how):
    marker = tmp_path / "late"
    args = ["--", "sh", "-c", f"(sleep 1; echo x > {marker}) & exit 3"]
    env = {"TEND_WAIT_DESCENDANTS": "1"} if how == "env" else None
    if how == "option":
        args = ["--wait-descendants"] + args
    code, out, err = run(bins, "ours", args, pid1=True, env=env)
    assert code == 3 and err == ""
    assert marker.read_text() == "x\n"


def test_wait_descendants_subreaper_kills_leftovers(bins, tmp_path):
    pidfile = tmp_path / "orphan.pid"
    args = ["-vvv", "--", "sh", "-c", f"sleep 300 & echo $! > {pidfile}; exit 4"]
    started = time.monotonic()
    code, out, err = run(bins, "ours", args, env={"TEND_WAIT_DESCENDANTS": "1"})
    assert code == 4
    assert time.monotonic() - started < 60
    assert "not running as PID 1" not in err  # lingering makes it a subreaper
    orphan = int(pidfile.read_text())
    assert not pathlib.Path(f"/proc/{orphan}").exists()
    assert f"Reaped child with pid: '{orphan}'" in out


def test_wait_descendants_subreaper_sigkills_after_grace(bins, tmp_path):
    pidfile = tmp_path / "stubborn.pid"
    stubborn = "trap '' TERM; echo \\$$ > " + str(pidfile) + "; while :; do sleep 0.1; done"
    args = ["-s", "--", "sh", "-c", f"sh -c \"{stubborn}\" & sleep 0.5; exit 0"]
    started = time.monotonic()
    code, _, _ = run(bins, "ours", args, env={"TEND_WAIT_DESCENDANTS": "1"})
    assert code == 0
    assert time.monotonic() - started >= 4  # waited for the grace period, then SIGKILL
    assert not pathlib.Path(f"/proc/{int(pidfile.read_text())}").exists()
