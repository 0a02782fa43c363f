"""`tend --check-config`: the merged, typed configuration as JSON, and every class of
configuration error reported as `file:line:column: error: ...` on stderr with exit status 1.

These runs only inspect the configuration, so tend runs as an ordinary process (no PID
namespace is needed) and nothing is started.
"""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("TEND_BUILD", ROOT / "build"))
TEND = pathlib.Path(os.environ.get("TEND_BIN", BUILD / "tend"))


def check_config(path, *extra, flag="--config"):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    proc = subprocess.run([str(TEND), "--check-config", flag, str(path), *extra],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=env, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def write(directory, files):
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (directory / name).write_text(body)
    return directory


def test_directory_of_files_merges_as_chaperone(tmp_path):
    confdir = write(tmp_path / "chaperone.d", {
        "10-base.conf": (
            "settings:\n"
            "  env_set: {A: a1, B: b1}\n"
            "  idle_delay: 3\n"
            "web.service:\n"
            "  command: /bin/old\n"
            "  restart: true\n"
            "  no_such_key: 1\n"          # replaced below, so never checked
            "console.logging:\n"
            "  stdout: true\n"
            "  selector: '*.info'\n"),
        "20-more.yaml": (
            "settings:\n"
            "  env_set: {B: b2, C: c2}\n"
            "web.service:\n"
            "  command: /bin/new\n"
            "  after: db.service\n"
            "console.logging:\n"
            "  selector: '*.err'\n"
            "db.service:\n"
            "  type: oneshot\n"
            "  command: /bin/db-init\n"),
        "05-first.conf": "settings:\n  idle_delay: 1\n  debug: true\n",
        "notes.txt": "not: [yaml\n",
    })
    code, out, err = check_config(confdir)
    assert code == 0, err
    config = json.loads(out)
    assert [pathlib.Path(f).name for f in config["files"]] == \
        ["05-first.conf", "10-base.conf", "20-more.yaml"]
    assert config["config_dir"] == str(tmp_path)
    settings = config["settings"]
    assert settings["idle_delay"] == 3
    assert settings["debug"] is True
    assert settings["env_set"] == {"A": "a1", "B": "b2", "C": "c2"}
    assert list(settings["env_set"]) == ["A", "B", "C"]
    web = config["services"]["web.service"]
    assert web["command"] == "/bin/new"
    assert web["restart"] is False            # the later section replaced the whole service
    assert web["after"] == ["db.service"]
    assert web["defined_at"].endswith("20-more.yaml:3:1")
    assert web["debug"] is True               # from settings
    db = config["services"]["db.service"]
    assert db["type"] == "oneshot"
    assert db["process_timeout"] == 60        # oneshot's own default
    assert list(config["services"]) == ["db.service", "web.service"]
    logging = config["logging"]["console.logging"]
    assert logging["stdout"] is True
    assert logging["selector"] == "*.err"


def test_check_config_prints_every_default(tmp_path):
    conf = tmp_path / "one.conf"
    conf.write_text("app.service:\n  command: sleep 1\n")
    code, out, err = check_config(conf)
    assert code == 0, err
    config = json.loads(out)
    assert config["config_dir"] == str(tmp_path)
    settings = config["settings"]
    assert settings["shutdown_timeout"] == 8
    assert settings["detect_exit"] is True
    assert settings["enable_syslog"] is True
    assert settings["env_inherit"] == ["*"]
    app = config["services"]["app.service"]
    expected = {
        "type": "simple", "command": "sleep 1", "enabled": "true", "optional": False,
        "ignore_failures": False, "after": [], "before": [], "service_groups": ["default"],
        "restart": False, "restart_limit": 5, "restart_delay": 3, "stdout": "log",
        "stderr": "log", "exit_kills": False, "kill_signal": "SIGTERM", "setpgrp": True,
        "process_timeout": 30, "startup_pause": 0.5, "idle_delay": 1.0, "debug": False,
    }
    for key, value in expected.items():
        assert app[key] == value, key


def test_missing_config_path_is_an_empty_configuration(tmp_path):
    code, out, err = check_config(tmp_path / "does-not-exist")
    assert code == 0, err
    config = json.loads(out)
    assert config["services"] == {} and config["files"] == []


ERROR_CASES = [
    # (file text, line:column, message)
    ("foo.service:\n  command: x\n  comand: y\n", "3:3",
     "foo.service: found unknown key 'comand', allowed: a known key (did you mean 'command'?)"),
    ("setings:\n  debug: true\n", "1:1",
     "setings: found an unknown section, allowed: settings, NAME.service or NAME.logging "
     "(did you mean 'settings'?)"),
    ("foo.service:\n  command: x\n  restart: 'yes'\n", "3:12",
     'foo.service.restart: found the string "yes", allowed: true or false'),
    ("foo.service:\n  command: x\n  type: daemon\n", "3:9",
     'foo.service.type: found the string "daemon", allowed: one of simple, forking, oneshot, '
     "notify, inetd, cron"),
    ("foo.service:\n  command: x\n  kill_signal: TERM\n", "3:16",
     'foo.service.kill_signal: found the string "TERM", allowed: a signal name such as '
     '"SIGTERM" or "SIGHUP", or a number (did you mean "SIGTERM"?)'),
    ("settings:\n  shutdown_timeout: -1\n", "2:21",
     "settings.shutdown_timeout: found the integer -1, allowed: a number >= 0"),
    ("foo.service:\n  command: x\n  gid: staff\n", "3:8",
     "foo.service.gid: found 'gid' without 'uid', allowed: 'gid' only together with 'uid'"),
    ("foo.service:\n  command: x\n  after: IDLE\n", "3:10",
     "foo.service.after: found IDLE, allowed: any service or group but IDLE (IDLE services "
     "start after all others)"),
    ("foo.service:\n  command: x\n  before: INIT\n", "3:11",
     "foo.service.before: found INIT, allowed: any service or group but INIT (INIT services "
     "start before all others)"),
    ("FOO.service:\n  command: x\n", "1:1",
     "FOO.service: found an all-uppercase name, allowed: a name with a lowercase letter "
     "(all-uppercase names are reserved for the system)"),
    ("foo.service:\n  restart: true\n", "1:1",
     "foo.service: found no 'command', allowed: a service with a command (the key is "
     "required)"),
    ("settings:\n  env_set:\n    PORT: 8080\n", "3:11",
     'settings.env_set: found the integer 8080 for PORT, allowed: a string (write it in '
     'quotes: "8080")'),
    ("foo.service:\n  command: \"x\n", "3:1",
     "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar at "
     "2:12)"),
]


@pytest.mark.parametrize("text,position,message", ERROR_CASES,
                         ids=[case[2].split(":")[0] + "-" + str(i)
                              for i, case in enumerate(ERROR_CASES)])
def test_each_error_class_names_file_line_column(tmp_path, text, position, message):
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    code, out, err = check_config(conf)
    assert code == 1
    assert f"{conf}:{position}: error: {message}\n" in err, err
    assert out == ""


def test_dependency_cycle_is_an_error(tmp_path):
    conf = tmp_path / "cycle.conf"
    conf.write_text("a.service: {command: a, after: b.service}\n"
                    "b.service: {command: b, after: a.service}\n")
    code, _, err = check_config(conf)
    assert code == 1
    line = [l for l in err.splitlines() if "a.service" in l and "b.service" in l]
    assert line and line[0].startswith(f"{conf}:"), err


def test_all_errors_are_reported_not_only_the_first(tmp_path):
    confdir = write(tmp_path / "conf.d", {
        "a.conf": "settings:\n  shutdown_timeout: -1\n",
        "b.conf": "x.service:\n  command: x\n  restart: maybe\n  kill_signal: HUP\n",
        "c.conf": "y.service: {command: [\n",
    })
    code, _, err = check_config(confdir)
    assert code == 1
    errors = [l for l in err.splitlines() if ": error: " in l]
    assert len(errors) == 4, err
    assert errors[0].startswith(f"{confdir}/a.conf:2:21: ")
    assert errors[1].startswith(f"{confdir}/b.conf:3:12: ")
    assert errors[2].startswith(f"{confdir}/b.conf:4:16: ")
    assert errors[3].startswith(f"{confdir}/c.conf:")


def test_pidzero_directory(tmp_path):
    pz = write(tmp_path / "pidzero", {
        "daemons.json": json.dumps([
            {"name": "web", "command": "httpd -f", "vital": True,
             "comment": "the shipped sample uses this key", "environment": ["A=1", "B=2"]},
            {"name": "helper", "command": "sleep 100", "vital": "yes"},
        ]),
        "config.json": json.dumps({
            "log": {"json": False, "file_path": "pzd.log", "log_to_file": True,
                    "log_to_stdout": True},
            "api": {"enable": True, "port": 5000},
        }),
    })
    code, out, err = check_config(pz, flag="--pidzero")
    assert code == 0, err
    config = json.loads(out)
    web = config["services"]["web.service"]
    assert web["command"] == "A=1 B=2 httpd -f"
    assert web["vital"] is True and web["shell_command"] is True
    assert web["restart"] is False
    assert config["services"]["helper.service"]["vital"] is False
    log = config["logging"]["pidzero.logging"]
    assert log["format"] == "pidzero-map"
    assert log["file"] == "pzd.log"
    assert log["stdout"] is True


def test_pidzero_malformed_json_has_line_and_column(tmp_path):
    pz = write(tmp_path / "pidzero", {"daemons.json": '[\n  {"name": "a",\n   "command" "x"}\n]\n'})
    code, _, err = check_config(pz, flag="--pidzero")
    assert code == 1
    assert f"{pz}/daemons.json:3:" in err and "malformed JSON" in err, err


def test_pidzero_without_daemons(tmp_path):
    pz = write(tmp_path / "pidzero", {"daemons.json": "[]"})
    code, _, err = check_config(pz, flag="--pidzero")
    assert code == 1
    assert "There are no daemons to run. Nothing to do!" in err
