"""What the tests of tend's compatible modes (tini, dumb-init) share: the real program and tend
side by side under one name, a child that records the signals it gets, a wrapper that starts
the init with a signal mask, and reading a process's state.
"""
import os
import pathlib
import re
import signal
import subprocess
import sys

from conftest import ROOT, TEND, wait_for

UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc"]
TEND_VERSION = re.search(r"version\s*:\s*'([^']+)'", (ROOT / "meson.build").read_text()).group(1)

# The child: notes "pid signo" in argv[1] for every signal it gets (exits 7 on SIGTERM), with a
# grandchild doing the same when a third argument is given; writes its pid to argv[2] when ready.
RECORDER = r"""
import os, signal, sys, time
log, ready = sys.argv[1], sys.argv[2]
def note(signo, frame):
    with open(log, "a") as f:
        f.write(f"{os.getpid()} {int(signo)}\n")
    if signo == signal.SIGTERM:
        os._exit(7)
for s in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
          signal.SIGALRM, signal.SIGTERM, signal.SIGWINCH, signal.SIGCONT, signal.SIGURG,
          signal.SIGPWR, signal.SIGTSTP, signal.SIGRTMIN + 3):
    signal.signal(s, note)
if len(sys.argv) > 3 and os.fork() == 0:
    ready += ".grandchild"
with open(ready + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(ready + ".tmp", ready)
while True:
    time.sleep(1)
"""

# Blocks and ignores some signals, then execs its arguments (the init under test).
MASK_WRAPPER = r"""
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2, signal.SIGWINCH})
for s in (signal.SIGUSR1, signal.SIGTTOU, signal.SIGPIPE, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])
"""


def link_bins(tmp_path, real, names):
    """Directories "real" and "ours" holding links `names` to the real program and to tend."""
    dirs = {}
    for kind, target in (("real", real), ("ours", TEND)):
        d = tmp_path / kind
        d.mkdir()
        for name in names:
            (d / name).symlink_to(target)
        dirs[kind] = d
    return dirs


def environment(bindir, env=None):
    full = {"PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "LANG": "C.UTF-8"}
    full.update(env or {})
    return full


def start_recorder(bindir, init_cmd, tmp_path, kind, grandchild=False, pid1=False, env=None):
    """Start init_cmd (the init and its options) with RECORDER as its child; once the child
    (and grandchild) are ready, return (process, signal log, the child's pid)."""
    log, ready = tmp_path / f"{kind}.log", tmp_path / f"{kind}.ready"
    cmd = (UNSHARE if pid1 else []) + [*init_cmd, sys.executable, "-c", RECORDER,
                                        str(log), str(ready)] + (["gc"] if grandchild else [])
    proc = subprocess.Popen(cmd, env=environment(bindir, env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(ready.exists, 30, what="the child to start")
    if grandchild:
        wait_for(pathlib.Path(str(ready) + ".grandchild").exists, 30, what="the grandchild")
    return proc, log, int(ready.read_text())


def init_pid(proc, pid1):
    """The init's pid: proc itself, or unshare's child when it runs as PID 1."""
    if not pid1:
        return proc.pid
    return int(pathlib.Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()[0])


def received(log, count, timeout=20):
    """Wait for at least `count` lines in RECORDER's log; return them as (pid, signo)."""
    wait_for(lambda: log.exists() and len(log.read_text().splitlines()) >= count, timeout,
             what=f"{count} signals in {log}")
    return [tuple(map(int, line.split())) for line in log.read_text().splitlines()]


def state(pid):
    """The process's state letter from /proc (R, S, T, Z ...)."""
    return pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def under_terminal(bins, command):
    """Run the shell command with a terminal (script(1)) for the real program and for tend;
    return [(code, output without CRs)] for real, then ours."""
    outs = []
    for kind in ("real", "ours"):
        p = subprocess.run(["script", "-qec", command, "/dev/null"], env=environment(bins[kind]),
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        outs.append((p.returncode, p.stdout.replace("\r", "")))
    return outs


def with_mask(bindir, argv):
    """Run argv through MASK_WRAPPER (some signals blocked and ignored)."""
    return subprocess.run([sys.executable, "-c", MASK_WRAPPER, *argv], env=environment(bindir),
                          capture_output=True, text=True, timeout=60)


# Every signal an init passes on to its child (SIGTERM, which ends RECORDER, comes last).
FORWARDED = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
             signal.SIGALRM, signal.SIGWINCH, signal.SIGURG, signal.SIGPWR, signal.SIGRTMIN + 3]


def send_forwarded_then_term(init, log):
    """Send the init each of FORWARDED, waiting for RECORDER to note each, then SIGTERM."""
    for i, s in enumerate(FORWARDED):
        os.kill(init, s)
        received(log, i + 1)
    os.kill(init, signal.SIGTERM)
