"""tend-docker, the Docker events controller, against a real dockerd (no mocks).

Each test builds small images from local/busybox whose /contrainer/ holds registration
scripts, runs containers from them, runs tend-docker on the host (DOCKER_HOST pointing at
the private engine) and checks the dispatch records tend-docker prints (one JSON object per
line on stdout) and what the scripts left behind inside the containers.

%contrainer is tested twice: with tend-docker inside a real controller container (the
dynamically linked binary plus the libraries ldd lists, copied onto local/busybox, the
engine's socket bind-mounted), and on the host with --self naming the container it acts as.
"""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

from conftest import BUILD, wait_for
from docker_engine import DockerEngine, docker_available

TEND_DOCKER = pathlib.Path(os.environ.get("TEND_DOCKER_BIN", BUILD / "tools" / "docker" / "tend-docker"))

pytestmark = pytest.mark.skipif(not TEND_DOCKER.exists(), reason=f"{TEND_DOCKER} not built")

SLEEP_CMD = '["sleep","100000"]'


def uid():
    return uuid.uuid4().hex[:8]


def script_text(header, body):
    """A registration script: prints the header line, then the body."""
    return f"#!/bin/sh\ncat <<'TEND_EOF'\n{header}\n{body}\nTEND_EOF\n"


def scripted_image(engine, scripts, tag=None):
    """Build an image from local/busybox with /contrainer/<name> for each (header, body), or
    raw text for a script given as a str."""
    tag = tag or f"local/scripted-{uid()}"
    ctx = pathlib.Path(tempfile.mkdtemp(dir=engine.root))
    files = {}
    for name, spec in scripts.items():
        path = ctx / name
        path.write_text(script_text(*spec) if isinstance(spec, tuple) else spec)
        path.chmod(0o755)
        files[f"contrainer/{name}"] = str(path)
    if not files:
        files["contrainer/.keep"] = b""
    engine.build(tag, files, f"FROM local/busybox\nCOPY contrainer /contrainer\nCMD {SLEEP_CMD}\n")
    return tag


class Controller:
    """tend-docker as a child process; its stdout records are collected by a thread."""

    def __init__(self, engine, args=(), tmp=None):
        self.records = []
        self.lock = threading.Lock()
        self.errfile = open(pathlib.Path(tmp or engine.root) / f"tend-docker-{uid()}.err", "w+")
        env = dict(os.environ, DOCKER_HOST=engine.host)
        self.proc = subprocess.Popen([str(TEND_DOCKER), *args], stdout=subprocess.PIPE,
                                     stderr=self.errfile, env=env, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                record = {"kind": "unparsable", "line": line}
            with self.lock:
                self.records.append(record)

    def find(self, kind="dispatch", **match):
        """Records of a kind whose fields match; nested fields as target_name='x' etc."""
        out = []
        with self.lock:
            records = list(self.records)
        for r in records:
            if r.get("kind") != kind:
                continue
            ok = True
            for key, want in match.items():
                value = r
                for part in key.split("__"):
                    value = value.get(part) if isinstance(value, dict) else None
                if value != want:
                    ok = False
                    break
            if ok:
                out.append(r)
        return out

    def wait(self, kind="dispatch", count=1, timeout=60, **match):
        return wait_for(lambda: len(self.find(kind, **match)) >= count and self.find(kind, **match),
                        timeout, 0.05, what=f"{count} {kind} record(s) {match}\n{self.dump()}")

    def stderr(self):
        self.errfile.flush()
        self.errfile.seek(0)
        return self.errfile.read()

    def dump(self):
        with self.lock:
            lines = [json.dumps(r)[:400] for r in self.records[-40:]]
        return "records:\n" + "\n".join(lines) + "\nstderr:\n" + self.stderr()[-3000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(5)
        return self.proc.returncode


@pytest.fixture
def world(docker_engine, tmp_path):
    """Start containers and controllers; everything is removed afterwards."""
    containers, controllers = [], []

    class World:
        engine = docker_engine

        def run(self, image, name=None, args=()):
            name = name or f"c-{uid()}"
            docker_engine.docker("run", "-d", "--network", "none", "--name", name, *args, image)
            containers.append(name)
            return name

        def controller(self, *args, engine=None):
            c = Controller(engine or docker_engine, args, tmp_path)
            controllers.append(c)
            return c

        def read(self, name, path):
            r = docker_engine.docker("exec", name, "cat", path, check=False)
            return r.stdout if r.returncode == 0 else ""

        def lines(self, name, path):
            return [line for line in self.read(name, path).splitlines() if line]

        def remember(self, name):
            containers.append(name)

    yield World()
    for c in controllers:
        c.stop()
    if containers:
        docker_engine.docker("rm", "-f", *containers, check=False)


def id_of(engine, name):
    return engine.docker("inspect", "-f", "{{.Id}}", name).stdout.strip()


# ---- immediate scripts ----


def test_me_immediate_runs_once_per_target(world):
    img = scripted_image(world.engine, {
        "10-me": ("%me", 'echo "$DOCKER_EVENT $SYSTEM_NAME $REGISTRAR_CONTAINER_NAME" >> /tmp/ran; echo out; echo err >&2'),
    })
    ctl = world.controller()
    a = world.run(img)
    rec = ctl.wait(event="_inmediate", target__name=a)[0]
    assert rec["status"] == "ok" and rec["exit_code"] == 0
    assert rec["owner"]["name"] == a and rec["registrar"]["name"] == a
    assert rec["stdout"] == "out\n" and rec["stderr"] == "err\n"
    assert rec["owner"]["id"] == id_of(world.engine, a)
    assert isinstance(rec["duration_ms"], int)
    assert world.lines(a, "/tmp/ran") == [f"_inmediate {a} {a}"]
    # a second container from the same image: its own run, and a's is not repeated
    b = world.run(img)
    ctl.wait(event="_inmediate", target__name=b)
    time.sleep(1)
    assert len(ctl.find(event="_inmediate", target__name=a)) == 1
    assert world.lines(a, "/tmp/ran") == [f"_inmediate {a} {a}"]
    # restarting a makes it a new target: its immediate script runs again, once
    world.engine.docker("restart", "-t", "1", a)
    ctl.wait(event="_inmediate", target__name=a, count=2)
    time.sleep(1)
    assert len(ctl.find(event="_inmediate", target__name=a)) == 2


def test_catch_up_of_running_container(world):
    img = scripted_image(world.engine, {"me": ("%me", "echo caught >> /tmp/ran"),
                                        "st": ("%me:start", "echo start >> /tmp/ran")})
    a = world.run(img)
    wait_for(lambda: world.engine.docker("inspect", "-f", "{{.State.Running}}", a).stdout.strip() == "true",
             30, what="container running")
    time.sleep(1.5)  # its start event is well in the past when tend-docker starts
    ctl = world.controller()
    ctl.wait("register", container__name=a, script="/contrainer/me")
    rec = ctl.wait(event="_inmediate", target__name=a)[0]
    assert rec["status"] == "ok"
    assert world.lines(a, "/tmp/ran") == ["caught"]
    # catch-up registers; it does not pretend the container just started
    ctl.wait("register", container__name=a, script="/contrainer/st")
    time.sleep(1)
    assert ctl.find(event="start", owner__name=a) == []
    assert world.lines(a, "/tmp/ran") == ["caught"]


def test_named_targets_and_later_new_target(world):
    plain = scripted_image(world.engine, {})
    t1, t2 = f"t1-{uid()}", f"t2-{uid()}"
    world.run(plain, t1)
    img = scripted_image(world.engine, {"names": (f"{t1}+{t2}", 'echo "on $SYSTEM_NAME" >> /tmp/named')})
    ctl = world.controller()
    owner = world.run(img)
    ctl.wait(event="_inmediate", target__name=t1)
    assert world.lines(t1, "/tmp/named") == [f"on {t1}"]
    # t2 appears later: the immediate script runs on it as it becomes available
    world.run(plain, t2)
    rec = ctl.wait(event="_inmediate", target__name=t2)[0]
    assert rec["owner"]["name"] == owner and rec["registrar"]["name"] == t2
    assert world.lines(t2, "/tmp/named") == [f"on {t2}"]
    assert ctl.find(event="_inmediate", target__name=owner) == []
    assert len(ctl.find(event="_inmediate", target__name=t1)) == 1


def test_all_minus_me(world):
    plain = scripted_image(world.engine, {})
    x, y = world.run(plain), world.run(plain)
    img = scripted_image(world.engine, {"others": ("%all~%me", "echo visited >> /tmp/all")})
    ctl = world.controller()
    owner = world.run(img)
    ctl.wait(event="_inmediate", target__name=x)
    ctl.wait(event="_inmediate", target__name=y)
    time.sleep(1)
    targets = {r["target"]["name"] for r in ctl.find(event="_inmediate", owner__name=owner)}
    assert owner not in targets
    assert "%host" not in targets  # host targeting is off by default
    assert world.lines(x, "/tmp/all") == ["visited"]


def test_comma_groups_all_count(world):
    plain = scripted_image(world.engine, {})
    other = world.run(plain)
    img = scripted_image(world.engine, {"both": (f"%me, {other}", "echo here >> /tmp/both")})
    ctl = world.controller()
    owner = world.run(img)
    # contrainer would only run the last group; here both do
    ctl.wait(event="_inmediate", target__name=owner)
    ctl.wait(event="_inmediate", target__name=other)
    assert world.lines(owner, "/tmp/both") == ["here"]
    assert world.lines(other, "/tmp/both") == ["here"]


# ---- events ----


def test_me_die_and_events_of_other_containers(world):
    img = scripted_image(world.engine, {
        "watch": ("%me:start:die", 'echo "$DOCKER_EVENT $REGISTRAR_CONTAINER_NAME $SYSTEM_NAME" >> /tmp/events'),
    })
    plain = scripted_image(world.engine, {})
    ctl = world.controller()
    owner = world.run(img)
    ctl.wait(event="start", registrar__name=owner)  # its own start, after registration
    x = world.run(plain)
    ctl.wait(event="start", registrar__name=x)
    world.engine.docker("kill", x)
    rec = ctl.wait(event="die", registrar__name=x)[0]
    assert rec["target"]["name"] == owner and rec["status"] == "ok"
    assert world.lines(owner, "/tmp/events") == [
        f"start {owner} {owner}", f"start {x} {owner}", f"die {x} {owner}"]
    # exec_* events (tend-docker's own execs) are never dispatched
    assert all(not r["event"].startswith("exec_") for r in ctl.find())


def test_invalid_header_is_reported_and_skipped(world):
    img = scripted_image(world.engine, {
        "01-bad": ("%me+:start", "echo never >> /tmp/bad"),
        "02-good": ("%me", "echo good >> /tmp/good"),
        "03-empty": "#!/bin/sh\ntrue\n",
    })
    ctl = world.controller()
    owner = world.run(img)
    ctl.wait(event="_inmediate", script="/contrainer/02-good")
    bad = ctl.wait("invalid_header", container__name=owner)[0]
    assert bad["script"] == "/contrainer/01-bad"
    assert bad["column"] == 5
    assert bad["header"] == "%me+:start"
    assert f"{owner}: /contrainer/01-bad: invalid header at column 5" in ctl.stderr()
    registered = [r["script"] for r in ctl.find("register", container__name=owner)]
    assert "/contrainer/01-bad" not in registered and "/contrainer/03-empty" not in registered
    assert world.read(owner, "/tmp/bad") == ""


def test_script_discovery_rules(world, tmp_path):
    """Only executable regular files at the top of /contrainer/, sorted by name; a failing
    script is skipped with its stderr and exit code logged."""
    ctx = tmp_path / "ctx"
    (ctx / "contrainer" / "sub").mkdir(parents=True)
    for name in ("b", "a", "sub/deep"):
        p = ctx / "contrainer" / name
        p.write_text(script_text("%me:never_happens", "true"))
        p.chmod(0o755)
    (ctx / "contrainer" / "plain").write_text(script_text("%me", "true"))
    fail = ctx / "contrainer" / "c-fails"
    fail.write_text("#!/bin/sh\necho '%me'\necho oops >&2\nexit 3\n")
    fail.chmod(0o755)
    binary = ctx / "contrainer" / "d-binary"
    binary.write_text("#!/bin/sh\necho '%me'\nprintf 'echo \\377\\n'\n")
    binary.chmod(0o755)
    os.symlink("a", ctx / "contrainer" / "link")
    (ctx / "Dockerfile").write_text(f"FROM local/busybox\nCOPY contrainer /contrainer\nCMD {SLEEP_CMD}\n")
    tag = f"local/rules-{uid()}"
    world.engine.docker("build", "-q", "-t", tag, str(ctx), timeout=300)
    ctl = world.controller()
    owner = world.run(tag)
    skipped = ctl.wait("script_skipped", container__name=owner)[0]
    assert skipped["script"] == "/contrainer/c-fails"
    assert skipped["exit_code"] == 3 and skipped["stderr"] == "oops\n"
    not_text = ctl.wait("script_skipped", count=2, container__name=owner)[1]
    assert not_text["script"] == "/contrainer/d-binary" and "UTF-8" in not_text["error"]
    ctl.wait("register", count=2, container__name=owner)
    time.sleep(1)
    assert [r["script"] for r in ctl.find("register", container__name=owner)] == ["/contrainer/a", "/contrainer/b"]


# ---- timeouts and concurrency ----


def test_hanging_script_times_out_without_stalling_others(world):
    hang = scripted_image(world.engine, {"hang": ("%me", "echo begin; sleep 600")})
    quick = scripted_image(world.engine, {"quick": ("%me", "echo quick")})
    ctl = world.controller("--timeout", "30")
    h = world.run(hang)
    ctl.wait("register", container__name=h)
    q = world.run(quick)
    fast = ctl.wait(event="_inmediate", target__name=q)[0]
    assert fast["status"] == "ok"
    assert ctl.find(event="_inmediate", target__name=h) == []  # still hanging
    slow = ctl.wait(event="_inmediate", target__name=h, timeout=120)[0]
    assert slow["status"] == "timeout" and slow["exit_code"] is None
    assert slow["stdout"] == "begin\n"
    assert slow["killed"] is True  # tend-docker runs on the host: it can see the pid
    ps = world.engine.docker("top", h).stdout
    assert "sleep 600" not in ps


# ---- %contrainer ----


def copy_binary(binary, root):
    """Copy a dynamically linked binary and the libraries ldd lists under root."""
    libs = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    for word in libs.split():
        if word.startswith("/") and os.path.exists(word):
            dest = root / word.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(os.path.realpath(word), dest)
    (root / "usr/local/bin").mkdir(parents=True, exist_ok=True)
    shutil.copy(binary, root / "usr/local/bin" / pathlib.Path(binary).name)


def controller_image(engine, tmp_path, scripts, entrypoint='CMD ["/usr/local/bin/tend-docker"]', extra=None):
    """local/busybox + tend-docker with the shared libraries it needs (ldd), as a controller."""
    root = tmp_path / "ctlroot"
    copy_binary(TEND_DOCKER, root)
    (root / "contrainer").mkdir()
    for name, spec in scripts.items():
        p = root / "contrainer" / name
        if isinstance(spec, tuple):
            p.write_text(script_text(*spec))
        else:
            shutil.copy(spec, p)
        p.chmod(0o755)
    if extra:
        extra(root)
    (tmp_path / "Dockerfile").write_text(f"FROM local/busybox\nCOPY ctlroot /\n{entrypoint}\n")
    tag = f"local/controller-{uid()}"
    engine.docker("build", "-q", "-t", tag, str(tmp_path), timeout=300)
    return tag


def test_contrainer_inside_a_controller_container(world, tmp_path):
    ctx = tmp_path / "ctl"
    ctx.mkdir()
    tag = controller_image(world.engine, ctx, {
        "watch": ("%all~%contrainer:start", 'echo "seen $REGISTRAR_CONTAINER_NAME by $CONTRAINER_NAME" >> /tmp/watched'),
    })
    img = scripted_image(world.engine, {"toctl": ("%contrainer", 'echo "from $REGISTRAR_CONTAINER_NAME" >> /tmp/contrainer')})
    ctl = f"ctl-{uid()}"
    world.run(tag, ctl, args=("-v", f"{world.engine.sock}:/var/run/docker.sock"))
    wait_for(lambda: "acting as container " + ctl in world.engine.docker("logs", ctl).stderr, 60,
             what="controller to detect its own container")
    owner = world.run(img)
    wait_for(lambda: world.lines(ctl, "/tmp/contrainer") == [f"from {owner}"], 60,
             what="%contrainer script to run in the controller container")
    wait_for(lambda: world.lines(owner, "/tmp/watched") == [f"seen {owner} by {ctl}"], 60,
             what="the controller's own script to run on the new container")
    assert world.lines(ctl, "/tmp/watched") == []


def test_contrainer_with_self_option(world):
    plain = scripted_image(world.engine, {})
    me = world.run(plain, f"self-{uid()}")
    img = scripted_image(world.engine, {"toctl": ("%contrainer", 'echo "$CONTRAINER_NAME $SYSTEM_NAME" >> /tmp/c')})
    ctl = world.controller("--self", me)
    owner = world.run(img)
    rec = ctl.wait(event="_inmediate", owner__name=owner)[0]
    assert rec["target"]["name"] == me
    assert world.lines(me, "/tmp/c") == [f"{me} {me}"]


def test_example_controller_under_tend(world, tmp_path):
    """examples/controller: tend as PID 1 runs tend-docker from the shipped chaperone.d, and
    the example publisher's scripts work against it."""
    from conftest import TEND, ROOT
    if not TEND.exists():
        pytest.skip(f"{TEND} not built")
    example = ROOT / "examples" / "controller"

    def add_tend(root):
        copy_binary(TEND, root)
        shutil.copytree(example / "chaperone.d", root / "etc" / "chaperone.d")
        (root / "var" / "log").mkdir(parents=True)

    ctx = tmp_path / "ctl"
    ctx.mkdir()
    scripts = {p.name: p for p in (example / "contrainer").iterdir()}
    tag = controller_image(world.engine, ctx, scripts, 'ENTRYPOINT ["/usr/local/bin/tend"]', add_tend)
    publisher = scripted_image(world.engine, {p.name: p.read_text() for p in (example / "publisher" / "contrainer").iterdir()})
    ctl = f"ctl-{uid()}"
    world.run(tag, ctl, args=("-v", f"{world.engine.sock}:/var/run/docker.sock"))
    wait_for(lambda: "acting as container " + ctl in world.engine.docker("logs", ctl).stderr
             + world.engine.docker("logs", ctl).stdout, 60, what="tend-docker under tend")
    pub = world.run(publisher)
    wait_for(lambda: world.lines(pub, "/tmp/controller-ready") == [f"registered with the controller {ctl}"],
             60, what="the publisher's immediate %me script")
    wait_for(lambda: any(f"started: {pub} (" in line for line in world.lines(ctl, "/var/log/container-starts")),
             60, what="the controller's %contrainer:start script")
    wait_for(lambda: any("serves http on port 8080" in line for line in world.lines(ctl, "/tmp/peers")),
             60, what="the publisher's %all~%me script on the controller")
    assert world.read(pub, "/tmp/peers") == ""


# ---- %host ----


@pytest.fixture
def namespace_holder():
    """A sleep in fresh mount + UTS namespaces with its own hostname and a private tmpfs."""
    mark = f"tend-ns-{uid()}"
    proc = subprocess.Popen(
        ["unshare", "--mount", "--uts", "--propagation", "private", "--fork", "sh", "-c",
         f"hostname {mark} && mount -t tmpfs none /mnt && echo {mark} > /mnt/mark && exec sleep 300"],
        start_new_session=True)
    from conftest import namespace_child
    pid = wait_for(lambda: namespace_child(proc.pid), 10, what="namespace holder")

    def ready():
        try:
            return os.readlink(f"/proc/{pid}/exe").endswith("sleep")
        except OSError:
            return False
    wait_for(ready, 10, what="sleep in the namespace")
    yield pid, mark
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def test_host_target_enters_the_namespaces(world, namespace_holder):
    pid, mark = namespace_holder
    img = scripted_image(world.engine, {"host": ("%host", 'hostname; cat /mnt/mark; echo "$SYSTEM_ID $SYSTEM_NAME $REGISTRAR_CONTAINER_NAME"')})
    ctl = world.controller("--host-pid", str(pid))
    owner = world.run(img)
    rec = ctl.wait(event="_inmediate", target__name="%host")[0]
    assert rec["status"] == "ok", rec
    assert rec["stdout"] == f"{mark}\n{mark}\n%host %host {owner}\n"


def test_host_is_off_without_flag_and_allowlist(world, namespace_holder):
    pid, mark = namespace_holder
    body = "hostname"
    plain_img = scripted_image(world.engine, {"host": ("%host+%me", body)})
    ctl = world.controller()
    owner = world.run(plain_img)
    ctl.wait(event="_inmediate", target__name=owner)
    time.sleep(1)
    assert ctl.find(target__name="%host") == []
    assert "%host is ignored" in ctl.stderr()
    ctl.stop()
    # with --host-pid but an allowlist: only labelled containers reach the host
    ctl2 = world.controller("--host-pid", str(pid), "--allow-label", "tend.host=yes")
    ctl2.wait(event="_inmediate", target__name=owner)  # catch-up of the unlabelled one
    labelled = world.run(plain_img, args=("--label", "tend.host=yes"))
    ctl2.wait(event="_inmediate", target__name=labelled)
    rec = ctl2.wait(event="_inmediate", target__name="%host")[0]
    assert rec["owner"]["name"] == labelled and rec["stdout"] == f"{mark}\n"
    time.sleep(1)
    assert len(ctl2.find(target__name="%host")) == 1


def test_dry_run_runs_nothing(world):
    img = scripted_image(world.engine, {"me": ("%me", "echo ran >> /tmp/dry")})
    ctl = world.controller("--dry-run")
    owner = world.run(img)
    rec = ctl.wait(event="_inmediate", target__name=owner)[0]
    assert rec["dry_run"] is True and rec["body"] == "echo ran >> /tmp/dry"
    time.sleep(1)
    assert world.read(owner, "/tmp/dry") == ""


# ---- the daemon restarting under us ----


@pytest.fixture
def own_engine():
    """A private dockerd this test may restart."""
    if not docker_available():
        pytest.skip("dockerd is not installed or we are not root")
    root = tempfile.mkdtemp(prefix="tend-dockerd-restart-")
    engine = DockerEngine(root)
    engine.start()
    try:
        engine.import_busybox()
        yield engine
    finally:
        if engine.proc and engine.proc.poll() is None:
            leftovers = engine.docker("ps", "-aq", check=False).stdout.split()
            if leftovers:
                engine.docker("rm", "-f", *leftovers, check=False)
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_daemon_restart_resumes_without_loss_or_double_runs(own_engine, tmp_path):
    engine = own_engine
    img = scripted_image(engine, {
        "me": ("%me", "echo immediate >> /tmp/imm"),
        "starts": ("%me:start", "echo start >> /tmp/starts"),
    })
    ctl = Controller(engine, (), tmp_path)
    try:
        name = f"r-{uid()}"
        engine.docker("run", "-d", "--network", "none", "--restart", "always", "--name", name, img)
        ctl.wait(event="start", target__name=name)
        ctl.wait(event="_inmediate", target__name=name)
        engine.stop()
        engine.start()  # the container comes back by its restart policy
        ctl.wait(event="start", target__name=name, registrar__name=name, count=2, timeout=90)
        ctl.wait(event="_inmediate", target__name=name, count=2, timeout=90)
        # a container started after the restart is seen normally
        later = f"l-{uid()}"
        engine.docker("run", "-d", "--network", "none", "--name", later, img)
        ctl.wait(event="start", target__name=later)
        # "%me:start" runs on its owner when any container starts (contrainer's semantics)
        ctl.wait(event="start", target__name=name, registrar__name=later)
        time.sleep(2)
        assert len(ctl.find(event="start", target__name=name, registrar__name=name)) == 2, ctl.dump()
        assert len(ctl.find(event="start", target__name=name, registrar__name=later)) == 1, ctl.dump()
        assert len(ctl.find(event="_inmediate", target__name=name)) == 2, ctl.dump()
        assert len(ctl.find(event="start", target__name=later, registrar__name=later)) == 1
        starts = engine.docker("exec", name, "cat", "/tmp/starts").stdout.split()
        assert starts == ["start", "start", "start"]
        # no record is a duplicate of another
        seen = set()
        for r in ctl.find():
            key = (r["event"], r["script"], r["target"]["id"], r["registrar"]["id"], r["time"])
            assert key not in seen
            seen.add(key)
    finally:
        ctl.stop()


# ---- Podman's Docker-compatible service ----


class PodmanService:
    """`podman system service` on a private socket, storage and events log (file backend).

    Containers get explicit ulimits: rootful podman raises RLIMIT_NOFILE/NPROC by default,
    which a machine with lower hard limits refuses."""

    ULIMITS = ("--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")

    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.sock = self.root / "podman.sock"
        self.host = f"unix://{self.sock}"
        self.base = ["podman", "--root", str(self.root / "storage"), "--runroot", str(self.root / "run"),
                     "--tmpdir", str(self.root / "tmp"), "--events-backend=file",
                     "--cgroup-manager=cgroupfs", "--storage-driver=overlay", "--runtime", "runc"]
        self.proc = None

    def cli(self, *args, check=True, input=None, stdin=None):
        r = subprocess.run([*self.base, *args], capture_output=True, text=stdin is None, input=input,
                           stdin=stdin, timeout=180)
        if check and r.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} failed: {r.stdout}\n{r.stderr}")
        return r

    def start(self):
        self.log = open(self.root / "service.log", "w")
        self.proc = subprocess.Popen([*self.base, "system", "service", "--time=0", self.host],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

        def ping():
            r = subprocess.run(["curl", "-s", "--unix-socket", str(self.sock), "http://d/_ping"],
                               capture_output=True, text=True)
            return r.stdout == "OK"
        wait_for(ping, 60, 0.1, what="podman service")

    def import_busybox(self, rootfs):
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        r = subprocess.run([*self.base, "import", "-c", "ENV PATH=/bin", "-c", 'CMD ["sh"]', "-",
                            "local/busybox"], stdin=tar.stdout, capture_output=True)
        tar.wait()
        assert r.returncode == 0, r.stderr

    def stop(self):
        self.cli("rm", "-af", "-t", "0", check=False)
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # conmon keeps each exec session's monitor for minutes (--exit-delay): end the ones
        # that belong to this private root, by pid
        for entry in pathlib.Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if str(self.root).encode() in (entry / "cmdline").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass
        subprocess.run(f"grep -o ' {self.root}[^ ]*' /proc/mounts | sort -r | xargs -r umount -l",
                       shell=True, check=False)


@pytest.fixture(scope="module")
def podman(docker_engine):
    if shutil.which("podman") is None or shutil.which("runc") is None or os.geteuid() != 0:
        pytest.skip("podman (and runc) not installed, or not root")
    root = tempfile.mkdtemp(prefix="tend-podman-")
    service = PodmanService(root)
    try:
        service.start()
        service.import_busybox(docker_engine.root / "rootfs")  # made by the docker fixture
        yield service
    finally:
        service.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_podman_compatibility(podman, tmp_path):
    """Against Podman 4.3: version from /_ping, died -> die, remove -> destroy, exec events
    (exec, exec_died) never dispatched, framed exec output."""
    ctx = tmp_path / "ctx"
    (ctx / "contrainer").mkdir(parents=True)
    for name, spec in {"me": ("%me", "echo immediate >> /tmp/log; echo out; echo err >&2"),
                       "watch": ("%me:die:destroy", 'echo "$DOCKER_EVENT $REGISTRAR_CONTAINER_NAME" >> /tmp/log')}.items():
        p = ctx / "contrainer" / name
        p.write_text(script_text(*spec))
        p.chmod(0o755)
    (ctx / "Dockerfile").write_text(f"FROM localhost/local/busybox\nCOPY contrainer /contrainer\nCMD {SLEEP_CMD}\n")
    tag = f"localhost/scripted-{uid()}"
    podman.cli("build", "-q", "-t", tag, str(ctx))
    fake_engine = type("E", (), {"host": podman.host, "root": tmp_path})()
    ctl = Controller(fake_engine, (), tmp_path)
    try:
        owner, other = f"p-{uid()}", f"q-{uid()}"
        podman.cli("run", "-d", "--network", "none", *PodmanService.ULIMITS, "--name", owner, tag)
        rec = ctl.wait(event="_inmediate", target__name=owner)[0]
        assert rec["status"] == "ok" and rec["stdout"] == "out\n" and rec["stderr"] == "err\n"
        podman.cli("run", "-d", "--network", "none", *PodmanService.ULIMITS, "--name", other,
                   "localhost/local/busybox", "sleep", "100000")
        podman.cli("rm", "-f", "-t", "0", other)
        ctl.wait(event="die", registrar__name=other, target__name=owner)
        ctl.wait(event="destroy", registrar__name=other, target__name=owner)
        log = podman.cli("exec", owner, "cat", "/tmp/log").stdout.splitlines()
        assert log[0] == "immediate"
        assert f"die {other}" in log and f"destroy {other}" in log
        assert log.index(f"die {other}") < log.index(f"destroy {other}")
        assert all(not r["event"].startswith("exec") for r in ctl.find())
        assert "API 1.41" in ctl.stderr()
    finally:
        ctl.stop()


# ---- the stream breaking while the daemon keeps running ----


class SocketRelay:
    """A unix-socket relay in front of the real daemon (no fake answers: every byte comes
    from dockerd). cut() drops every open connection and refuses new ones for a while, as a
    proxy or a socket hiccup would."""

    def __init__(self, upstream, path):
        import socket
        self.socket_mod = socket
        self.upstream, self.path = str(upstream), str(path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(64)
        self.lock = threading.Lock()
        self.conns = []
        self.refuse_until = 0.0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self.refuse_until:
                client.close()
                continue
            server = self.socket_mod.socket(self.socket_mod.AF_UNIX, self.socket_mod.SOCK_STREAM)
            server.connect(self.upstream)
            with self.lock:
                self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(self.socket_mod.SHUT_RDWR)
            except OSError:
                pass

    def cut(self, refuse_seconds):
        self.refuse_until = time.monotonic() + refuse_seconds
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(self.socket_mod.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self):
        self.closed = True
        self.listener.close()
        self.cut(0)


def test_stream_cut_resumes_with_since_without_double_runs(world, tmp_path):
    relay = SocketRelay(world.engine.sock, tmp_path / "relay.sock")
    fake_engine = type("E", (), {"host": f"unix://{tmp_path / 'relay.sock'}", "root": tmp_path})()
    img = scripted_image(world.engine, {"starts": ("%me:start", 'echo "$REGISTRAR_CONTAINER_NAME" >> /tmp/starts')})
    ctl = world.controller(engine=fake_engine)
    try:
        a = world.run(img)
        ctl.wait(event="start", registrar__name=a, target__name=a)
        # the stream breaks; a container starts while tend-docker cannot connect
        relay.cut(refuse_seconds=3)
        b = world.run(img)
        wait_for(lambda: "reconnecting: following events from" in ctl.stderr(), 60, what="reconnect")
        ctl.wait(event="start", registrar__name=b, target__name=b, timeout=90)
        ctl.wait(event="start", registrar__name=b, target__name=a, timeout=90)
        time.sleep(2)
        # the replay from `since` repeated a's start: it was recognised, not run again
        assert len(ctl.find(event="start", registrar__name=a)) == 1, ctl.dump()
        assert len(ctl.find(event="start", registrar__name=b)) == 2, ctl.dump()
        assert world.lines(a, "/tmp/starts") == [a, b]
        assert world.lines(b, "/tmp/starts") == [b]
        assert "event stream ended" in ctl.stderr()
    finally:
        relay.close()
