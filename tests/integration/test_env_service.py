"""The environment a service receives, end to end (tend as PID 1): self-references across
the settings and service levels, late expansion of settings values in each service, the
launch variables, backticks in env_set (and not in directives), operators in directives,
cycles, and a failing `:?`."""
from conftest import wait_for
from helpers_proc import read_env
from test_engine_util import engine, stop, wait_log


def dump_service(name, envfile, extra=""):
    return f"""
{name}.service:
  command: "sh -c 'env > {envfile}.tmp; mv {envfile}.tmp {envfile}; exec sleep 60'"
{extra}"""


def started_env(tend, tmp_path, config, env=None):
    envfile = tmp_path / "env"
    tp = engine(tend, tmp_path, config, env=env)
    wait_for(lambda: envfile.exists(), 20, what="the service's environment")
    wait_log(tmp_path, "start-up finished")
    code, err = stop(tp)
    assert code == 0, err
    return read_env(envfile), err


def test_self_reference_and_late_expansion(tend, tmp_path):
    envfile = tmp_path / "env"
    config = f"""
settings:
  env_set:
    PATH: "/settings/bin:$(PATH)"
    MY_NAME: "$(_CHAP_SERVICE)"
    RUN_ID: "$(_CHAP_SERVICE_SERIAL)-$(_CHAP_SERVICE_TIME)"
    PYTHONPATH: "/app/lib$(PYTHONPATH:+:)$(PYTHONPATH)"
""" + dump_service("web", envfile, """  env_set:
    PATH: "/service/bin:$(PATH)"
    GREETING: "$(WHO:-nobody) in $(MY_NAME)"
""")
    env, _ = started_env(tend, tmp_path, config, env={"WHO": "tester", "PATH": "/usr/bin:/bin"})
    assert env["PATH"] == "/service/bin:/settings/bin:/usr/bin:/bin", env
    assert env["MY_NAME"] == "web.service", env  # a settings value expanded in the service
    assert env["GREETING"] == "tester in web.service", env
    assert env["PYTHONPATH"] == "/app/lib", env  # no dangling ':' when it was unset
    serial, _, started = env["RUN_ID"].partition("-")
    assert int(serial) >= 1 and int(started) > 1_600_000_000, env
    assert not [k for k in env if k.startswith("_CHAP")], env


def test_backticks_in_values_not_in_directives(tend, tmp_path):
    envfile = tmp_path / "env"
    marker = tmp_path / "marker"
    config = dump_service("bt", envfile, f"""  env_set:
    BARE: "`echo bare-output`"
    WRAPPED: "[$(`echo wrapped $(WHO)`)]"
    TWICE: "`echo bare-output` again"
""") + f"""
lit.service:
  command: "sh -c 'echo `echo from-shell` > {marker}; exec sleep 60'"
"""
    env, _ = started_env(tend, tmp_path, config, env={"WHO": "me"})
    assert env["BARE"] == "bare-output", env
    assert env["WRAPPED"] == "[wrapped me]", env
    assert env["TWICE"] == "bare-output again", env
    # The backticks in `command` reached the shell untouched: sh ran them itself.
    wait_for(lambda: marker.exists() and marker.read_text(), 10, what="the marker")
    assert marker.read_text() == "from-shell\n"


def test_operators_in_directives_and_cycles(tend, tmp_path):
    envfile = tmp_path / "env"
    workdir = tmp_path / "work-dir"
    workdir.mkdir()
    config = f"""
settings:
  env_set:
    BASE: "{tmp_path}"
    A: "a-$(B)"
    B: "b-$(A)"
    MODE: "Production"
probe.service:
  command: "sh -c 'pwd > {envfile}.pwd; echo $(MODE:|prod*|$(MODE:/Pro/pro/)|other) > {envfile}.mode; env > {envfile}.tmp; mv {envfile}.tmp {envfile}; exec sleep 60'"
  directory: "$(BASE)/work-$(UNSET:-dir)"
"""
    env, _ = started_env(tend, tmp_path, config)
    assert env["A"] == "a-b-a-$(B)", env  # the cycle stops where chaperone stops it
    assert env["B"] == "b-a-$(B)", env
    assert (tmp_path / "env.pwd").read_text().strip() == str(workdir)
    assert (tmp_path / "env.mode").read_text().strip() == "production"


def test_required_variable_fails_the_service(tend, tmp_path):
    tp = engine(tend, tmp_path, """
db.service:
  command: "sleep 60"
  env_set:
    DSN: "postgres://$(DB_HOST:?DB_HOST must be set for $(_CHAP_SERVICE))/app"
""")
    code = tp.wait(30)
    err = tp.stderr
    assert code != 0, err
    assert "DB_HOST must be set for db.service" in err, err
