"""envcp, chaperone's template copier, run through the real binary: as `tend envcp ...`
and as a symlink named envcp. Templates are expanded with the caller's environment."""
import os
import pathlib
import stat
import subprocess

import pytest

from conftest import TEND


def envcp(args, env=None, stdin=None, via_symlink=None):
    """Runs envcp; returns the CompletedProcess (text mode)."""
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full_env.update(env or {})
    argv = [str(via_symlink)] + args if via_symlink else [str(TEND), "envcp"] + args
    return subprocess.run(argv, env=full_env, input=stdin, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def templates(tmp_path):
    """A template directory the way an image ships one, and an empty output directory."""
    src = tmp_path / "templates"
    src.mkdir()
    (src / "nginx.conf.tpl").write_text(
        "access_log ${NGINX_LOG_DIR}/access.log;\n"
        "$(CONFIG_FWD_HOST:+forwarders { $(CONFIG_FWD_HOST); };)\n"
        "listen $(PORT:-80);\n")
    (src / "admin.tpl").write_text(
        "$(ENABLE_ADMIN:|T*|Alias /admin/ /live|Alias /admin/ /dead)\n"
        "name=$(NAME:/(.*)-(.*)/\\2.\\1/)\n"
        "literal=\\$(NOT_EXPANDED) undefined=$(UNDEFINED_VAR)\n")
    out = tmp_path / "out"
    out.mkdir()
    return src, out


ENV = {"NGINX_LOG_DIR": "/var/log/nginx", "CONFIG_FWD_HOST": "10.0.0.1",
       "ENABLE_ADMIN": "true", "NAME": "web-app"}

EXPECTED_NGINX = ("access_log /var/log/nginx/access.log;\n"
                  "forwarders { 10.0.0.1; };\n"
                  "listen 80;\n")
EXPECTED_ADMIN = ("Alias /admin/ /live\n"
                  "name=app.web\n"
                  "literal=$(NOT_EXPANDED) undefined=$(UNDEFINED_VAR)\n")


def test_directory_of_templates_with_strip(templates):
    src, out = templates
    result = envcp(["-v", "--strip", ".tpl", str(src / "nginx.conf.tpl"), str(src / "admin.tpl"),
                    str(out)], env=ENV)
    assert result.returncode == 0, result.stderr
    assert (out / "nginx.conf").read_text() == EXPECTED_NGINX
    assert (out / "admin").read_text() == EXPECTED_ADMIN
    assert f"envcp {src / 'nginx.conf.tpl'} {out / 'nginx.conf'}" in result.stdout


def test_strip_removes_a_suffix_not_a_set_of_characters(templates, tmp_path):
    src, out = templates
    (src / "report.tpl").write_text("$(NAME)\n")
    result = envcp(["--strip", ".tpl", str(src / "report.tpl"), str(out)], env=ENV)
    assert result.returncode == 0, result.stderr
    # chaperone's rstrip('.tpl') would have produced "repor".
    assert sorted(p.name for p in out.iterdir()) == ["report"]
    # A name that does not end with the suffix is kept whole.
    (src / "keep.txt").write_text("x\n")
    result = envcp(["--strip", ".tpl", str(src / "keep.txt"), str(out)], env=ENV)
    assert result.returncode == 0, result.stderr
    assert (out / "keep.txt").read_text() == "x\n"


def test_symlink_named_envcp(templates, tmp_path):
    src, out = templates
    link = tmp_path / "envcp"
    link.symlink_to(TEND)
    result = envcp([str(src / "nginx.conf.tpl"), str(out / "nginx.conf")], env=ENV,
                   via_symlink=link)
    assert result.returncode == 0, result.stderr
    assert (out / "nginx.conf").read_text() == EXPECTED_NGINX


def test_stdin_to_stdout():
    result = envcp(["-"], env={"WHO": "world"}, stdin="hello $(WHO) ${MISSING:-there}\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello world there\n"
    result = envcp(["-", "other"], stdin="")
    assert result.returncode == 1
    assert "cannot be combined" in result.stderr


def test_overwrite_refused_then_allowed(templates):
    src, out = templates
    dest = out / "nginx.conf"
    dest.write_text("precious\n")
    result = envcp(["--strip", ".tpl", str(src / "nginx.conf.tpl"), str(src / "admin.tpl"),
                    str(out)], env=ENV)
    assert result.returncode == 1
    assert "exists, won't overwrite" in result.stderr
    assert dest.read_text() == "precious\n"
    assert not (out / "admin").exists()  # nothing is written when one would be refused
    result = envcp(["--overwrite", "--strip", ".tpl", str(src / "nginx.conf.tpl"), str(out)],
                   env=ENV)
    assert result.returncode == 0, result.stderr
    assert dest.read_text() == EXPECTED_NGINX


def test_backticks_only_with_shell_enable(tmp_path):
    template = "host=$(`echo from-shell`) bare=`echo bare`\n"
    result = envcp(["-"], stdin=template)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "host=`echo from-shell` bare=`echo bare`\n"
    result = envcp(["--shell-enable", "-"], stdin=template, env={"X": "y"})
    assert result.returncode == 0, result.stderr
    # Bare backticks are not expanded in templates, as in chaperone's envcp.
    assert result.stdout == "host=from-shell bare=`echo bare`\n"
    result = envcp(["--shell-enable", "-"], stdin="v=$(`echo $(X)`)\n", env={"X": "from-env"})
    assert result.stdout == "v=from-env\n"


def test_required_variable_fails(tmp_path):
    result = envcp(["-"], stdin="db=$(DB_HOST:?DB_HOST must be set)\n")
    assert result.returncode == 1
    assert "DB_HOST must be set" in result.stderr
    result = envcp(["-"], stdin="db=$(DB_HOST:?DB_HOST must be set)\n", env={"DB_HOST": "db1"})
    assert result.returncode == 0
    assert result.stdout == "db=db1\n"


def test_prefix_and_grouping(tmp_path):
    script = "#!/bin/bash\nBASENAME=%%(IMAGE_BASENAME)\nFULLNAME=${PWD:-/home}/${BASENAME}\n"
    result = envcp(["--xprefix", "%%", "-"], stdin=script, env={"IMAGE_BASENAME": "base"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "#!/bin/bash\nBASENAME=base\nFULLNAME=${PWD:-/home}/${BASENAME}\n"
    result = envcp(["--xgrouping", "[", "-"], stdin="$[A] $(A)\n", env={"A": "a"})
    assert result.stdout == "a $(A)\n"
    result = envcp(["--xgrouping", "<", "-"], stdin="")
    assert result.returncode == 1
    assert "--xgrouping" in result.stderr


def test_archive_keeps_mode_and_times(tmp_path):
    source = tmp_path / "run.sh.tpl"
    source.write_text("echo $(GREETING)\n")
    source.chmod(0o750)
    os.utime(source, (1_600_000_000, 1_600_000_000))
    dest = tmp_path / "run.sh"
    result = envcp(["-a", str(source), str(dest)], env={"GREETING": "hi"})
    assert result.returncode == 0, result.stderr
    assert dest.read_text() == "echo hi\n"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o750
    assert int(dest.stat().st_mtime) == 1_600_000_000


def test_usage_errors(tmp_path):
    result = envcp(["only-one"])
    assert result.returncode == 1
    assert "two or more filename arguments" in result.stderr
    a = tmp_path / "a"
    a.write_text("x")
    result = envcp([str(a), str(a), str(tmp_path / "not-a-dir")])
    assert result.returncode == 1
    assert "not a directory" in result.stderr
    result = envcp([str(tmp_path / "missing"), str(tmp_path / "out")])
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    result = envcp(["--help"])
    assert result.returncode == 0
    assert "Usage:" in result.stdout
