"""A private, real Docker engine for tests (see shared reference docker-engine.md).

`dockerd` runs with its socket, data and exec roots in a temporary directory, no iptables,
no bridge; images are made locally from the busybox-static binary, because no registry can
be reached. Import the `docker_engine` fixture from a test module (conftest re-exports it).
"""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import pytest

BUSYBOX = "/bin/busybox"


class DockerEngine:
    def __init__(self, root):
        self.root = pathlib.Path(root)
        self.sock = self.root / "docker.sock"
        self.host = f"unix://{self.sock}"
        self.env = dict(os.environ, DOCKER_HOST=self.host, DOCKER_BUILDKIT="0")
        self.proc = None

    def start(self, extra_args=()):
        self.log = open(self.root / "dockerd.log", "w")
        self.proc = subprocess.Popen(
            ["dockerd", "-H", self.host, "--data-root", str(self.root / "data"),
             "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "dockerd.pid"),
             "--iptables=false", "--ip6tables=false", "--bridge=none",
             "--storage-driver=overlay2", *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = subprocess.run(["curl", "-s", "--unix-socket", str(self.sock), "http://d/_ping"],
                               capture_output=True, text=True)
            if r.stdout == "OK":
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("dockerd did not start:\n" + (self.root / "dockerd.log").read_text()[-3000:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        subprocess.run(f"grep -o ' {self.root}[^ ]*' /proc/mounts | sort -r | xargs -r umount -l",
                       shell=True, check=False)

    def docker(self, *args, check=True, timeout=120, input=None):
        r = subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def api(self, method, path, body=None):
        """Raw Engine API call through curl; returns parsed JSON (or text)."""
        cmd = ["curl", "-s", "--unix-socket", str(self.sock), "-X", method,
               "http://d/v1.41" + path]
        if body is not None:
            cmd += ["-H", "Content-Type: application/json", "-d", json.dumps(body)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        try:
            return json.loads(out)
        except ValueError:
            return out

    def import_busybox(self, tag="local/busybox"):
        rootfs = self.root / "rootfs"
        for d in ("bin", "proc", "sys", "dev", "etc", "tmp"):
            (rootfs / d).mkdir(parents=True, exist_ok=True)
        shutil.copy(BUSYBOX, rootfs / "bin" / "busybox")
        applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split()
        for a in applets:
            if a != "busybox" and not (rootfs / "bin" / a).exists():
                os.symlink("busybox", rootfs / "bin" / a)
        (rootfs / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
        (rootfs / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        r = subprocess.run(["docker", "import", "-c", "ENV PATH=/bin", "-c", 'CMD ["sh"]', "-", tag],
                           stdin=tar.stdout, env=self.env, capture_output=True, text=True)
        tar.wait()
        if r.returncode != 0:
            raise AssertionError(f"docker import failed: {r.stderr}")
        return tag

    def build(self, tag, files, dockerfile):
        """Build an image with the legacy builder from a dict {name: path-or-bytes}."""
        ctx = pathlib.Path(tempfile.mkdtemp(dir=self.root))
        for name, src in files.items():
            dest = ctx / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(src, (bytes, str)) and not os.path.exists(str(src)):
                dest.write_bytes(src.encode() if isinstance(src, str) else src)
            else:
                shutil.copy(src, dest)
        (ctx / "Dockerfile").write_text(dockerfile)
        self.docker("build", "-q", "-t", tag, str(ctx), timeout=300)
        return tag


def docker_available():
    return shutil.which("dockerd") is not None and os.geteuid() == 0


@pytest.fixture(scope="session")
def docker_engine():
    """One private dockerd for the whole test session, with local/busybox imported."""
    if not docker_available():
        pytest.skip("dockerd is not installed or we are not root")
    root = tempfile.mkdtemp(prefix="tend-dockerd-")
    engine = DockerEngine(root)
    engine.start()
    try:
        engine.import_busybox()
        yield engine
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)
