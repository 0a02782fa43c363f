"""--user, --create-user and --default-home, and the user-relative --config path."""
import os
import pwd
import subprocess

import pytest

from conftest import run_tend


def userdel(name):
    subprocess.run(["userdel", name], capture_output=True)
    subprocess.run(["groupdel", name], capture_output=True)


@pytest.fixture
def fresh_user():
    name = f"tendt{os.getpid() % 100000}"
    userdel(name)
    yield name
    userdel(name)


def test_user_runs_services_as_that_user(tend, tmp_path):
    conf = ("who.service:\n  type: oneshot\n  stdout: inherit\n"
            "  command: sh -c 'id -un; echo $HOME $USER $LOGNAME; id -G'\n")
    rc, out, err = run_tend(tend, ["--user", "nobody"], config=conf)
    assert rc == 0, err
    name, env, groups = out.splitlines()[:3]
    assert name == "nobody"
    assert env.split()[1:] == ["nobody", "nobody"]
    assert "0" not in groups.split()  # root's groups are gone (setgroups/initgroups)


def test_unknown_user_is_an_error(tend):
    rc, _, err = run_tend(tend, ["--user", "no-such-user-xyz", "--", "true"])
    assert rc == 1
    assert "no-such-user-xyz" in err


def test_create_user_with_path_uid_gid(tend, tmp_path, fresh_user):
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "id"
    conf = f"id.service:\n  type: oneshot\n  command: sh -c 'id -u; id -g; pwd'\n  stdout: inherit\n"
    rc, stdout, err = run_tend(tend, [f"--create-user={fresh_user}:{home}:43210:43210"],
                               config=conf)
    assert rc == 0, err
    assert pwd.getpwnam(fresh_user).pw_uid == 43210
    lines = stdout.split()
    assert lines[:3] == ["43210", "43210", str(home)]


def test_create_user_prefix_and_existing_user_mismatch(tend, tmp_path, fresh_user):
    subprocess.run(["useradd", "--no-create-home", "-u", "43211", fresh_user], check=True)
    # docopt-style unique prefix (--create for --create-user), as chaperone's own tests use
    rc, _, err = run_tend(tend, [f"--create={fresh_user}::43299", "--", "true"])
    assert rc == 1
    assert "different uid" in err


def test_relative_config_is_resolved_against_the_users_home(tend, tmp_path, fresh_user):
    home = tmp_path / "h"
    (home / "apps" / "chaperone.d").mkdir(parents=True)
    os.chown(home, 43212, 43212)  # --create-user takes a missing uid/gid from the path
    (home / "apps" / "chaperone.d" / "a.conf").write_text(
        "marker.service:\n  type: oneshot\n  command: echo relative-config-found\n  stdout: inherit\n")
    os.chmod(tmp_path, 0o755)
    rc, out, err = run_tend(tend, [f"--create-user={fresh_user}:{home}", "--config", "apps/chaperone.d"])
    assert rc == 0, err
    assert "relative-config-found" in out
    assert pwd.getpwnam(fresh_user).pw_uid == 43212


def test_backticks_run_as_the_services_user(tend):
    conf = ("who.service:\n  type: oneshot\n  stdout: inherit\n  uid: nobody\n"
            "  env_set:\n    WHO: '`id -un`'\n  command: sh -c 'echo who=$WHO'\n")
    rc, out, err = run_tend(tend, [], config=conf)
    assert rc == 0, err
    assert "who=nobody" in out


def test_failed_expansion_in_command_fails_the_service(tend):
    conf = "x.service:\n  command: echo $(MUST_BE_SET:?MUST_BE_SET is required)\n"
    rc, out, err = run_tend(tend, [], config=conf)
    assert rc == 3
    assert "MUST_BE_SET is required" in err


def test_settings_user_sets_home_for_every_service(tend):
    conf = ("settings:\n  uid: nobody\n"
            "h.service:\n  type: oneshot\n  stdout: inherit\n  command: sh -c 'echo home=$HOME user=$USER'\n")
    rc, out, err = run_tend(tend, [], config=conf)
    assert rc == 0, err
    assert "home=/nonexistent user=nobody" in out
