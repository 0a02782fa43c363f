"""The HTTP face (issue 6): /healthz, /readyz, /services, /metrics with curl and a real
Prometheus parser, and the bad clients: malformed, huge, wrong method, slow, too many."""
import json
import shutil
import socket
import subprocess
import time

import pytest

from conftest import TEND, wait_for
from test_ctl_helpers import ctl, wait_listening

pytestmark = pytest.mark.skipif(not TEND.exists(), reason=f"{TEND} is not built")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def curl(url, *args, unix=None):
    cmd = ["curl", "-s", "-S", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}", *args]
    if unix:
        cmd += ["--unix-socket", str(unix)]
    r = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=30)
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def raw(port, data, timeout=20):
    """Send raw bytes, return everything the server answers until it closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        out += chunk
    s.close()
    return out


@pytest.fixture
def served(tend):
    port = free_port()
    tp = tend(config=f"""
settings:
  detect_exit: false
  http: {{listen: "127.0.0.1:{port}"}}
web.service: {{command: sleep 1000}}
flaky.service:
  command: "sh -c 'sleep 1; exit 3'"
  ignore_failures: true
""")
    wait_listening(tp)
    wait_for(lambda: curl(f"http://127.0.0.1:{port}/readyz")[0] == 200, 20, 0.1, "ready")
    tp.port = port
    return tp


def test_health_and_services(served):
    base = f"http://127.0.0.1:{served.port}"
    # flaky.service fails once for good (no restart): unhealthy, and named
    def failing():
        code, body = curl(base + "/healthz")
        return code == 503 and "flaky.service" in json.loads(body)["unhealthy"]
    wait_for(failing, 20, 0.2, "/healthz to report flaky.service")
    code, body = curl(base + "/healthz")
    assert json.loads(body)["unhealthy"] == {"flaky.service": "failed"}
    code, body = curl(base + "/services")
    doc = json.loads(body)
    assert code == 200 and {s["name"] for s in doc["services"]} == {"web.service", "flaky.service"}
    code, body = curl(base + "/services/web")
    svc = json.loads(body)
    assert code == 200 and svc["state"] == "running" and isinstance(svc["pid"], int)
    assert svc["uptime_seconds"] >= 0 and svc["restarts"] == 0
    code, body = curl(base + "/services/flaky.service")
    assert json.loads(body)["last_exit"]["code"] == 3
    assert curl(base + "/services/nope")[0] == 404
    assert curl(base + "/nope")[0] == 404
    # a user stopping the failed one makes the container healthy again
    ctl(served, "reset", "flaky", check=0)
    wait_for(lambda: curl(base + "/healthz")[0] == 200, 20, 0.2, "healthy again")
    code, _ = curl(base + "/healthz", "-I")
    assert code == 200


def test_metrics_parse(served):
    from prometheus_client.parser import text_string_to_metric_families
    base = f"http://127.0.0.1:{served.port}"
    wait_for(lambda: "tend_service_exits_total{code=\"3\"} 1" in curl(base + "/metrics")[1], 20,
             0.2, "the exit to be counted")
    code, text = curl(base + "/metrics")
    assert code == 200
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in ("tend_services", "tend_service_restarts", "tend_service_exits",
                 "tend_log_records", "tend_log_records_dropped", "tend_orphans_reaped"):
        assert name in families, name
    states = {s.labels["state"]: s.value for s in families["tend_services"].samples}
    assert states["running"] == 1 and states["failed"] == 1
    assert families["tend_service_restarts"].type == "counter"
    exits = {s.labels["code"]: s.value for s in families["tend_service_exits"].samples}
    assert exits["3"] == 1
    assert families["tend_up"].samples[0].value == 1


def test_bad_requests(served):
    port = served.port
    assert raw(port, b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert raw(port, b"GET / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")  # no Host
    r = raw(port, b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
    assert r.startswith(b"HTTP/1.1 405 ") and b"Allow: GET, HEAD" in r
    assert raw(port, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 505 ")
    huge = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
    assert raw(port, huge).startswith(b"HTTP/1.1 413 ")
    code, _ = curl(f"http://127.0.0.1:{port}/healthz", "-X", "DELETE")
    assert code == 405
    # and tend is still serving
    assert curl(f"http://127.0.0.1:{port}/readyz")[0] == 200


def test_slow_client_times_out(served):
    port = served.port
    slow = socket.create_connection(("127.0.0.1", port), timeout=30)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHo")
    # while it dawdles, others are served
    assert curl(f"http://127.0.0.1:{port}/readyz")[0] == 200
    start = time.monotonic()
    answer = b""
    while True:
        chunk = slow.recv(4096)
        if not chunk:
            break
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - start < 25
    slow.close()


def test_connection_limit(served):
    port = served.port
    idle = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(32)]
    time.sleep(0.5)
    extra = socket.create_connection(("127.0.0.1", port), timeout=10)
    extra.sendall(b"GET /readyz HTTP/1.0\r\n\r\n")
    try:
        data = extra.recv(100)
    except ConnectionResetError:
        data = b""
    assert data == b"", "over the limit: closed without an answer"
    for s in idle:
        s.close()
    wait_for(lambda: curl(f"http://127.0.0.1:{port}/readyz")[0] == 200, 20, 0.2, "service again")
    code, text = curl(f"http://127.0.0.1:{port}/metrics")
    assert 'tend_http_connections_dropped_total{reason="limit"} 1' in text


def test_unix_socket_listen(tend, tmp_path):
    path = tmp_path / "http.sock"
    tp = tend(config=f"""
settings:
  detect_exit: false
  http: {{listen: "{path}"}}
web.service: {{command: sleep 1000}}
""")
    wait_for(lambda: path.exists(), 20, 0.1, "the HTTP socket")
    wait_for(lambda: curl("http://tend/healthz", unix=path)[0] == 200, 20, 0.1, "healthy")
    code, body = curl("http://tend/services/web", unix=path)
    assert code == 200 and json.loads(body)["name"] == "web.service"


def test_http_is_off_by_default(tend, tmp_path):
    if not shutil.which("ss"):
        pytest.skip("ss (iproute2) is not installed")
    tp = tend(config="settings: {detect_exit: false}\nweb.service: {command: sleep 1000}\n")
    wait_listening(tp)
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
    assert f"pid={tp.pid1}," not in out
