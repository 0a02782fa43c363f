"""The service engine's launch: user and groups (initgroups), directory, HOME/USER/LOGNAME,
env_set/env_unset/env_inherit, private names not exported, stdout/stderr inherit vs log."""
import os
import shutil
import subprocess
import uuid

import pytest

from conftest import wait_for
from test_engine_util import engine, stop, wait_log


@pytest.fixture
def test_user():
    """A throw-away user with a home under /tmp and one supplementary group."""
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("needs root and useradd")
    tag = uuid.uuid4().hex[:6]
    name, group = f"tendu{tag}", f"tendg{tag}"
    home = f"/tmp/tend-home-{tag}"
    subprocess.run(["groupadd", group], check=True)
    try:
        subprocess.run(["useradd", "-m", "-d", home, "-G", group, "-s", "/bin/sh", name], check=True)
        try:
            yield {"name": name, "group": group, "home": home}
        finally:
            subprocess.run(["userdel", "-r", name], stderr=subprocess.DEVNULL)
            shutil.rmtree(home, ignore_errors=True)
    finally:
        subprocess.run(["groupdel", group], stderr=subprocess.DEVNULL)


def read_kv(path):
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def test_user_groups_home_directory(tend, tmp_path, test_user):
    home = test_user["home"]
    report = f"{home}/report"
    tp = engine(tend, tmp_path, f"""
u.service:
  uid: {test_user["name"]}
  command: "sh -c 'echo uid=$(id -un) >> {report}; echo groups=$(id -Gn) >> {report}; echo pwd=$(pwd) >> {report}; echo HOME=$HOME >> {report}; echo USER=$USER >> {report}; echo LOGNAME=$LOGNAME >> {report}; sleep 60'"
""")
    wait_for(lambda: os.path.exists(report) and "LOGNAME=" in open(report).read(), 10,
             what="the report")
    code, err = stop(tp)
    got = read_kv(tmp_path.__class__(report))
    assert got["uid"] == test_user["name"], got
    assert test_user["group"] in got["groups"].split(), got  # initgroups
    assert got["pwd"] == home, got
    assert got["HOME"] == home and got["USER"] == test_user["name"], got
    assert got["LOGNAME"] == test_user["name"], got
    assert code == 0, err


def test_user_and_group_by_number(tend, tmp_path):
    out = tmp_path / "outdir"
    out.mkdir()
    out.chmod(0o777)
    tmp_path.chmod(0o755)
    for parent in tmp_path.parents:
        if str(parent).startswith("/tmp/pytest-of"):
            os.chmod(parent, 0o755)
    tp = engine(tend, tmp_path, f"""
n.service:
  uid: "65534"
  gid: "65534"
  directory: {out}
  command: "sh -c 'echo ids=$(id -u):$(id -g) > ids; sleep 60'"
""")
    wait_for(lambda: (out / "ids").exists(), 10, what="ids")
    code, err = stop(tp)
    assert (out / "ids").read_text().strip() == "ids=65534:65534", err
    assert code == 0, err


def test_unknown_user_is_a_start_failure(tend, tmp_path):
    tp = engine(tend, tmp_path, """
u.service:
  uid: no-such-user-here
  command: sleep 60
""")
    code = tp.wait(30)
    assert code == 3, tp.stderr
    assert "u.service: user 'no-such-user-here' does not exist" in tp.stderr, tp.stderr
    assert "u.service failed" in tp.stderr


def environment_of_service(tend, tmp_path, service_keys="", env=None):
    """Runs e.service, which writes its environment to a file, under settings that set
    FROM_SETTINGS=s1, then stops tend. Returns the environment, tend's status and stderr."""
    envfile = tmp_path / "env"
    tp = engine(tend, tmp_path, f"""
settings:
  env_set:
    FROM_SETTINGS: s1
e.service:
  command: "sh -c 'env > {envfile}; exec sleep 60'"
{service_keys}""", env=env)
    wait_for(lambda: envfile.exists() and envfile.stat().st_size > 0, 10, what="env")
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    return read_kv(envfile), code, err


def test_environment(tend, tmp_path):
    env, code, err = environment_of_service(tend, tmp_path, """\
  env_inherit: ['KEEP_*', 'PATH', 'UNSET_*']
  env_set:
    ADDED: "added-$(KEEP_ONE)"
    _PRIVATE: hidden
    EMPTY: ""
  env_unset: ['UNSET_*']
""", env={"KEEP_ONE": "k1", "DROP_ONE": "d1", "UNSET_ME": "u1"})
    assert env.get("KEEP_ONE") == "k1", env
    assert env.get("ADDED") == "added-k1", env
    assert "DROP_ONE" not in env, env
    assert "UNSET_ME" not in env, env
    # names starting with _ (and _CHAP_SERVICE itself) are not public; empty values neither
    assert not [k for k in env if k.startswith("_") and k != "_"], env
    assert "EMPTY" not in env, env
    assert "FROM_SETTINGS" not in env, env  # not matched by the service's env_inherit
    assert code == 0, err


def test_settings_env_reaches_services(tend, tmp_path):
    env, code, err = environment_of_service(tend, tmp_path)
    assert env.get("FROM_SETTINGS") == "s1", env
    assert "_CHAP_SERVICE" not in env, env
    assert code == 0, err


def test_stdout_inherit_and_log(tend, tmp_path):
    tp = engine(tend, tmp_path, """
inh.service:
  command: "sh -c 'echo inherited-out; echo inherited-err >&2; exec sleep 60'"
  stdout: inherit
  stderr: inherit
lg.service:
  command: "sh -c 'echo logged-out; echo logged-err >&2; exec sleep 60'"
""")
    wait_log(tmp_path, "logged-err")
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    out = tp.stdout
    assert "inherited-out" in out.splitlines(), out
    assert "inherited-err" in err.splitlines(), err
    # a logged line is a log record with the short service name and its pid
    logged = [line for line in err.splitlines() if line.endswith("logged-out")]
    assert logged and " lg[" in logged[0], err
    assert "logged-out" not in out, out
    assert code == 0, err


def test_missing_directory_is_a_start_failure(tend, tmp_path):
    tp = engine(tend, tmp_path, f"""
d.service:
  directory: {tmp_path}/nowhere
  command: sleep 60
""")
    code = tp.wait(30)
    assert code == 3, tp.stderr
    assert (f"d.service: could not start sleep: chdir failed: No such file or directory"
            in tp.stderr), tp.stderr


def test_directory_is_expanded(tend, tmp_path):
    where = tmp_path / "work"
    where.mkdir()
    tp = engine(tend, tmp_path, """
d.service:
  directory: "$(WORKDIR)"
  command: "sh -c 'pwd > here; exec sleep 60'"
""", env={"WORKDIR": str(where)})
    wait_for(lambda: (where / "here").exists(), 10, what="pwd")
    code, err = stop(tp)
    assert (where / "here").read_text().strip() == str(where), err
    assert code == 0, err
