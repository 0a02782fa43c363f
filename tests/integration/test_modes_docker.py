"""tend as dockerd's --init-path (issue 8): `docker run --init` with the static tend as the init.

--init-path is a daemon option, so this module starts a private dockerd of its own (besides
the session's `docker_engine`), pointing it at a copy of the static tend. dockerd mounts that
binary into each --init container as /sbin/docker-init and runs `/sbin/docker-init -- CMD`, so
tend answers as tini by its argv[0].
"""
import os
import pathlib
import shutil
import tempfile

import pytest

from conftest import ROOT, wait_for
from docker_engine import DockerEngine, docker_available

STATIC = pathlib.Path(os.environ.get("TEND_STATIC", ROOT / "build-static" / "tend"))


@pytest.fixture(scope="module")
def init_engine():
    if not docker_available():
        pytest.skip("dockerd is not installed or we are not root")
    if not STATIC.exists():
        pytest.skip(f"static tend missing at {STATIC}: build it with `meson setup build-static "
                    "-Dstatic=true --buildtype=release && ninja -C build-static` (or set TEND_STATIC)")
    root = pathlib.Path(tempfile.mkdtemp(prefix="tend-dockerd-init-"))
    # A copy, so that a rebuild during the run cannot change it, named docker-init: dockerd
    # also runs the file itself (`docker-init --version`, for `docker info`), and tend picks
    # its personality from that name.
    init = root / "docker-init"
    shutil.copy(STATIC, init)
    engine = DockerEngine(root)
    engine.start(["--init-path", str(init)])
    try:
        engine.import_busybox()
        yield engine
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


def state(engine, name):
    return engine.api("GET", f"/containers/{name}/json")["State"]


def test_exit_code_passes_through(init_engine):
    r = init_engine.docker("run", "--rm", "--init", "local/busybox", "sh", "-c", "exit 3", check=False)
    assert r.returncode == 3, r.stderr


def test_exit_code_of_signalled_command(init_engine):
    r = init_engine.docker("run", "--rm", "--init", "local/busybox", "sh", "-c", "kill -TERM $$",
                           check=False)
    assert r.returncode == 143, r.stderr


def test_with_a_terminal(init_engine):
    """-t: the init hands the terminal's foreground to the command (tcsetpgrp), as tini does."""
    r = init_engine.docker("run", "--rm", "-t", "--init", "local/busybox", "sh", "-c",
                           "tty; cat /proc/$$/stat; exit 4", check=False)
    assert r.returncode == 4, r.stderr
    tty, stat = r.stdout.replace("\r", "").splitlines()[:2]
    assert tty.startswith("/dev/pts/")
    fields = stat.rsplit(")", 1)[1].split()
    pgrp, foreground = fields[2], fields[5]  # stat fields 5 and 8
    assert pgrp == foreground, stat


def test_init_is_pid1_and_stop_is_clean(init_engine):
    name = "tend-init-stop"
    init_engine.docker("run", "-d", "--init", "--name", name, "local/busybox", "sleep", "300")
    try:
        wait_for(lambda: state(init_engine, name)["Running"], 60, what="the container to run")
        ps = init_engine.docker("exec", name, "ps", "-o", "pid,args").stdout
        pid1 = [line.split(None, 1) for line in ps.splitlines()[1:] if line.split()[0] == "1"]
        assert pid1 and pid1[0][1].startswith("/sbin/docker-init -- sleep 300"), ps
        # docker stop: SIGTERM to the init, passed on to sleep; no need for the SIGKILL
        init_engine.docker("stop", "-t", "30", name, timeout=120)
        st = state(init_engine, name)
        assert st["ExitCode"] == 143 and not st["OOMKilled"], st
    finally:
        init_engine.docker("rm", "-f", name, check=False)


def test_docker_kill_signal_reaches_command(init_engine):
    name = "tend-init-kill"
    script = "trap 'echo got-usr1; exit 5' USR1; echo ready; while :; do sleep 0.1; done"
    init_engine.docker("run", "-d", "--init", "--name", name, "local/busybox", "sh", "-c", script)
    try:
        wait_for(lambda: "ready" in init_engine.docker("logs", name).stdout, 60, what="ready")
        init_engine.docker("kill", "-s", "USR1", name)
        assert init_engine.docker("wait", name).stdout.strip() == "5"
        assert "got-usr1" in init_engine.docker("logs", name).stdout
    finally:
        init_engine.docker("rm", "-f", name, check=False)


def test_orphans_are_reaped(init_engine):
    script = "for i in 1 2 3 4 5; do (sleep 0.1 &) ; done; sleep 1; ps -o stat | grep -c Z; true"
    r = init_engine.docker("run", "--rm", "--init", "local/busybox", "sh", "-c", script)
    assert r.stdout.strip() == "0", r.stdout


def test_docker_info_reads_init_version(init_engine):
    # dockerd runs `docker-init --version` and parses tini's format out of it; "N/A" would
    # mean it could not
    assert init_engine.api("GET", "/info")["InitCommit"]["ID"] != "N/A"
    components = init_engine.api("GET", "/version")["Components"]
    init = [c for c in components if c["Name"] == "docker-init"]
    assert init and init[0]["Version"] == "0.19.0", components


def test_wait_descendants_in_a_container(init_engine):
    script = "(sleep 1; echo late) & exit 3"
    r = init_engine.docker("run", "--rm", "--init", "local/busybox", "sh", "-c", script, check=False)
    assert r.returncode == 3 and "late" not in r.stdout  # as tini: the leftover is killed
    r = init_engine.docker("run", "--rm", "--init", "-e", "TEND_WAIT_DESCENDANTS=1",
                           "local/busybox", "sh", "-c", script, check=False)
    assert r.returncode == 3 and r.stdout.strip() == "late"
