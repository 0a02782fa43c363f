"""A container end to end (issue 6): the static tend as PID 1 of an image built from
local/busybox, with a Docker HEALTHCHECK running `tendctl status --check`; the container
turns unhealthy when a service dies and healthy again when it is brought back."""
import os
import pathlib
import time

import pytest

from conftest import ROOT, wait_for

STATIC = pathlib.Path(os.environ.get("TEND_STATIC", ROOT / "build-static" / "tend"))

CONFIG = """\
settings:
  detect_exit: false
  http: {listen: "127.0.0.1:8081"}
web.service:
  command: sleep 100000
worker.service:
  command: "sh -c 'while [ ! -e /tmp/die ]; do sleep 0.2; done; exit 1'"
  ignore_failures: true
"""

DOCKERFILE = """\
FROM local/busybox
COPY tend /sbin/tend
COPY app.conf /etc/tend.d/app.conf
RUN ln -s /sbin/tend /bin/tendctl
HEALTHCHECK --interval=1s --timeout=5s --retries=1 CMD ["/bin/tendctl", "status", "--check"]
ENTRYPOINT ["/sbin/tend"]
"""


def health(engine, name):
    state = engine.api("GET", f"/containers/{name}/json")["State"]
    return (state.get("Health") or {}).get("Status"), state


@pytest.fixture
def container(docker_engine):
    if not STATIC.exists():
        pytest.skip(f"static tend missing at {STATIC}: meson setup build-static -Dstatic=true "
                    "&& ninja -C build-static (or set TEND_STATIC)")
    tag = docker_engine.build("local/tend-health", {"tend": STATIC, "app.conf": CONFIG}, DOCKERFILE)
    name = f"tend-health-{os.getpid()}-{time.monotonic_ns()}"
    docker_engine.docker("run", "-d", "--name", name, tag)
    yield name
    r = docker_engine.docker("logs", name, check=False)
    print("container output:\n", r.stdout, r.stderr)
    docker_engine.docker("rm", "-f", name, check=False)


def test_healthcheck_follows_services(docker_engine, container):
    wait_for(lambda: health(docker_engine, container)[0] == "healthy", 60, 0.5, "healthy")
    # the worker dies: the check fails and the container turns unhealthy
    docker_engine.docker("exec", container, "touch", "/tmp/die")
    wait_for(lambda: health(docker_engine, container)[0] == "unhealthy", 60, 0.5, "unhealthy")
    _, state = health(docker_engine, container)
    last = state["Health"]["Log"][-1]
    assert last["ExitCode"] == 1 and "worker.service failed" in last["Output"]
    # tendctl inside the container shows why, and brings the worker back
    r = docker_engine.docker("exec", container, "tendctl", "status", check=False)
    assert "worker.service" in r.stdout and "exit(1)" in r.stdout
    docker_engine.docker("exec", container, "rm", "/tmp/die")
    r = docker_engine.docker("exec", container, "tendctl", "start", "--force", "--wait", "worker")
    assert r.stdout.strip() == "services started."
    wait_for(lambda: health(docker_engine, container)[0] == "healthy", 60, 0.5, "healthy again")
    # the HTTP face answers inside the container too
    r = docker_engine.docker("exec", container, "wget", "-q", "-O", "-",
                             "http://127.0.0.1:8081/healthz")
    assert '"status": "ok"' in r.stdout
    # and the container stops cleanly on docker stop
    docker_engine.docker("stop", "-t", "20", container)
    state = docker_engine.api("GET", f"/containers/{container}/json")["State"]
    assert state["ExitCode"] == 0
