"""Service and logging keys that change how tend treats a process or a file: a service's
`setpgrp: false` (it stays in tend's process group), a service's `debug: true` (its
environment logged at debug level), and a logging section's `uid`/`gid` (the log file and the
directories tend creates for it owned by that user and group).
(`--no-exitkills` with a tty is in test_pid1_interactive.py.)"""
import grp
import os
import pathlib
import pwd

from conftest import wait_for
from helpers_proc import children_of, pgrp
from test_engine_util import engine, log_text, stop, wait_log


def child_with_arg(tp, arg):
    for pid in children_of(tp.pid1):
        try:
            words = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if arg.encode() in words:
            return pid
    return None


def test_setpgrp_false_shares_tends_process_group(tend, tmp_path):
    services = """
shared.service:
  command: sleep 102
  setpgrp: false
own.service:
  command: sleep 103
"""
    tp = engine(tend, tmp_path, services)
    shared = wait_for(lambda: child_with_arg(tp, "102"), 20, what="shared.service")
    own = wait_for(lambda: child_with_arg(tp, "103"), 20, what="own.service")
    assert pgrp(shared) == pgrp(tp.pid1)
    assert pgrp(own) == own != pgrp(tp.pid1)
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    assert code == 0, err


# As chaperone's debug() calls, the environment dump is a debug-level message of tend's own,
# which tend (like chaperone's logger) lets through only with --debug or --log-level debug;
# the logging section's "*.debug" selector alone is not enough.
DEBUG_ARGS = ("--no-syslog", "--log-level", "debug")


def environment_lines(text, service):
    return [l.split(" environment: ", 1)[1] for l in text.splitlines()
            if f"{service} environment: " in l]


def test_service_debug_logs_its_environment(tend, tmp_path):
    services = """
settings:
  env_set:
    MARKER: from-settings
loud.service:
  command: sleep 104
  debug: true
  env_set:
    LOUD_ONLY: "yes"
quiet.service:
  command: sleep 105
"""
    tp = engine(tend, tmp_path, services, args=DEBUG_ARGS)
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    assert code == 0, err
    text = log_text(tmp_path)
    loud = environment_lines(text, "loud.service")
    assert "MARKER=from-settings" in loud, text
    assert "LOUD_ONLY=yes" in loud, text
    assert any(l.startswith("PATH=") for l in loud), text
    assert environment_lines(text, "quiet.service") == [], text


def test_service_debug_false_overrides_settings_debug(tend, tmp_path):
    services = """
settings:
  debug: true
default.service:
  command: sleep 106
silent.service:
  command: sleep 107
  debug: false
"""
    tp = engine(tend, tmp_path, services, args=DEBUG_ARGS)
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    assert code == 0, err
    text = log_text(tmp_path)
    assert environment_lines(text, "default.service"), text
    assert environment_lines(text, "silent.service") == [], text


def owner(path):
    st = os.stat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name


def logging_owned(tend, tmp_path, keys):
    logdir = tmp_path / "logs"
    logfile = logdir / "sub" / "x.log"
    services = f"""
idle.service:
  command: sleep 108
x.logging:
  selector: "*.*"
  file: {logfile}
{keys}"""
    tp = engine(tend, tmp_path, services)
    wait_for(lambda: logfile.exists() and "start-up finished" in logfile.read_text(), 20,
             what="the owned log file to be written")
    code, err = stop(tp)
    assert code == 0, err
    return logdir, logfile


def test_logging_uid_gid_own_file_and_created_dirs(tend, tmp_path):
    logdir, logfile = logging_owned(tend, tmp_path, "  uid: nobody\n  gid: nogroup\n")
    assert owner(logfile) == ("nobody", "nogroup")
    assert owner(logdir / "sub") == ("nobody", "nogroup")
    assert owner(logdir) == ("nobody", "nogroup")
    assert owner(tmp_path)[0] != "nobody"  # existing directories are left alone
    # Group-writable when a group is given, whatever tend's umask (chaperone's modes).
    assert os.stat(logfile).st_mode & 0o777 == 0o664
    assert os.stat(logdir / "sub").st_mode & 0o777 == 0o775
    assert os.stat(logdir).st_mode & 0o777 == 0o775


def test_logging_uid_alone_uses_the_users_group(tend, tmp_path):
    logdir, logfile = logging_owned(tend, tmp_path, "  uid: nobody\n")
    primary = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    assert owner(logfile) == ("nobody", primary)
    assert owner(logdir / "sub") == ("nobody", primary)


def test_logging_without_owner_keeps_root(tend, tmp_path):
    logdir, logfile = logging_owned(tend, tmp_path, "")
    assert os.stat(logfile).st_uid == os.getuid()
    assert os.stat(logfile).st_mode & 0o777 == 0o644
    assert os.stat(logdir).st_mode & 0o777 == 0o755
