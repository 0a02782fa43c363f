"""tend as a container's ENTRYPOINT in a real Docker engine: exit codes, docker stop, docker logs.

The image is the local busybox rootfs plus the static tend (build-static/tend), nothing else.
"""
import os
import pathlib
import time

import pytest

from conftest import ROOT

STATIC = pathlib.Path(os.environ.get("TEND_STATIC", ROOT / "build-static" / "tend"))


@pytest.fixture(scope="module")
def tend_image(docker_engine):
    if not STATIC.exists():
        pytest.skip(f"no static build at {STATIC} (scripts/build.sh static)")
    conf = "demo.service:\n  command: sh -c 'echo demo-service-says-hi; exec sleep 1000'\n"
    docker_engine.build("local/tend-pid1", {"tend": str(STATIC), "chaperone.d/demo.conf": conf},
                        "FROM local/busybox\nCOPY tend /bin/tend\n"
                        "COPY chaperone.d /etc/demo.d\n"
                        'ENTRYPOINT ["/bin/tend"]\nCMD ["--", "sh"]\n')
    return "local/tend-pid1"


@pytest.mark.parametrize("code", [0, 3, 42])
def test_docker_run_exit_codes(docker_engine, tend_image, code):
    r = docker_engine.docker("run", "--rm", "--network", "none", tend_image, "--", "sh", "-c",
                             f"exit {code}", check=False)
    assert r.returncode == code, r.stderr


def test_docker_run_command_killed_by_signal(docker_engine, tend_image):
    r = docker_engine.docker("run", "--rm", "--network", "none", tend_image, "--", "sh", "-c",
                             "kill -KILL $$", check=False)
    assert r.returncode == 137


def test_docker_stop_is_clean_and_fast(docker_engine, tend_image):
    name = "tend-stop-test"
    docker_engine.docker("run", "-d", "--network", "none", "--name", name, tend_image, "--", "sleep", "1000")
    try:
        time.sleep(1.5)
        started = time.monotonic()
        docker_engine.docker("stop", "-t", "20", name)
        elapsed = time.monotonic() - started
        state = docker_engine.api("GET", f"/containers/{name}/json")["State"]
        # SIGTERM reached the command through tend: 128+15, and well before docker's SIGKILL
        assert state["ExitCode"] == 143, state
        assert elapsed < 10, elapsed
    finally:
        docker_engine.docker("rm", "-f", name, check=False)


def test_output_in_docker_logs(docker_engine, tend_image):
    name = "tend-logs-test"
    docker_engine.docker("run", "-d", "--network", "none", "--name", name, tend_image, "--config", "/etc/demo.d",
                         "--exitkills", "--", "sh", "-c", "echo command-says-hello; sleep 2")
    try:
        docker_engine.docker("wait", name, timeout=60)
        logs = docker_engine.docker("logs", name)
        text = logs.stdout + logs.stderr
        assert "command-says-hello" in text
        assert "demo-service-says-hi" in text
    finally:
        docker_engine.docker("rm", "-f", name, check=False)


def test_tend_is_pid1_and_reaps_in_the_container(docker_engine, tend_image):
    r = docker_engine.docker("run", "--rm", "--network", "none", tend_image, "--", "sh", "-c",
                             "( sleep 0.1 & ) ; sleep 1; cat /proc/1/cmdline | tr '\\0' ' '; "
                             "echo; ps -o stat | grep -c '^Z' || true")
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("/bin/tend"), r.stdout
    assert lines[-1].strip() == "0", r.stdout
