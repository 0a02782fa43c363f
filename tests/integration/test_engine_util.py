"""Helpers shared by the test_engine_* files (this file holds no tests).

`engine(tend, tmp_path, services_yaml)` starts tend with the services and a logging section
that writes every record both to stderr and to tmp_path/tend.log, so that a test can wait
for one of tend's messages while tend runs (`log_has`), not only read stderr at the end.
"""
import os
import time

from conftest import stop, wait_for  # noqa: F401  (stop: re-exported)


def logging_section(tmp_path):
    return f"""
all.logging:
  selector: "*.debug"
  stderr: true
  file: {tmp_path}/tend.log
"""


def engine(tend, tmp_path, services, args=("--no-syslog",), extra=None, env=None):
    config = {"a.conf": services + logging_section(tmp_path)}
    if extra:
        config.update(extra)
    return tend(list(args), config=config, env=env)


def plain(tend, services, args=("--no-syslog",)):
    """Start tend with the services alone: no logging section, tend's own messages go to
    stderr as by default."""
    return tend(list(args), config={"a.conf": services})


def keys_yaml(**keys):
    """`keys` as the indented lines of a YAML section, in that order (True as true)."""
    return "".join(f"  {key}: {str(value).lower() if value is True else value}\n"
                   for key, value in keys.items())


def log_text(tmp_path):
    try:
        return (tmp_path / "tend.log").read_text()
    except FileNotFoundError:
        return ""


def wait_log(tmp_path, text, timeout=20):
    wait_for(lambda: text in log_text(tmp_path), timeout, what=repr(text))


def script(tmp_path, name, body):
    """An executable /bin/sh script in the test's directory."""
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def stamps(path):
    """Lines 'WORD TIMESTAMP' written by services, as (word, float) pairs."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) == 2:
            out.append((parts[0], float(parts[1])))
    return out


def now_cmd():
    return "$(date +%s.%N)"


def pid_in_file(path):
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def outside_pid(tp, inner_pid):
    """Map a pid of tend's namespace to ours (the last NSpid entry is the inner pid)."""
    ns = os.readlink(f"/proc/{tp.pid1}/ns/pid")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != ns:
                continue
            status = open(f"/proc/{entry}/status").read()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("NSpid:") and int(line.split()[-1]) == inner_pid:
                return int(entry)
    return None


def elapsed(start):
    return time.monotonic() - start
