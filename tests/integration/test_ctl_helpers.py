"""Helpers shared by the control-face tests (test_ctl_*.py; no tests here): run tendctl against a tend
started by the `tend` fixture, and wait for things."""
import os
import subprocess

from conftest import TEND, wait_for

NOBODY = 65534


def sock_of(tp):
    return tp.workdir / "tend.sock"


def ctl(tp_or_path, *args, user=None, group=None, env=None, timeout=60, check=None):
    """Run `tend ctl --socket PATH args...`; returns CompletedProcess (text)."""
    path = tp_or_path if isinstance(tp_or_path, (str, os.PathLike)) else sock_of(tp_or_path)
    cmd = [str(TEND), "ctl", "--socket", str(path), *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={group if group is not None else user}",
               "--clear-groups", *cmd]
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if env:
        full_env.update(env)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env)
    if check is not None:
        assert r.returncode == check, f"rc={r.returncode}\nstdout:{r.stdout}\nstderr:{r.stderr}"
    return r


def wait_listening(tp, timeout=15):
    """Until tend answers `status` on its control socket."""
    def ok():
        if tp.proc.poll() is not None:
            raise AssertionError(f"tend exited early: {tp.proc.communicate()}")
        return sock_of(tp).exists() and ctl(tp, "status").returncode == 0
    wait_for(ok, timeout, 0.05, "the control socket")


def status_rows(text):
    """The `status` table as {name: {pid, enabled, status, note}}."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("pid "))
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            continue
        pid, name, enabled, status, *note = line.split()
        rows[name] = {"pid": pid, "enabled": enabled, "status": status, "note": " ".join(note)}
    return rows


def wait_status(tp, name, wanted, timeout=20):
    def check():
        r = ctl(tp, "status")
        return r.returncode == 0 and status_rows(r.stdout).get(name, {}).get("status") == wanted
    wait_for(check, timeout, 0.1, f"{name} to be {wanted}")
