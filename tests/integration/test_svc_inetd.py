"""type: inetd — tend listens on a port and runs the command per connection.

Real TCP clients (Python sockets) over IPv4 and IPv6 loopback; tend shares the test's network
namespace (only the PID namespace is private), so each test picks a free port first.
"""
import socket
import time

import pytest

from conftest import stop, tendctl_or_skip, wait_for


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def connect(port, family=socket.AF_INET, timeout=20):
    """Connect once tend listens (it starts asynchronously)."""
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect((host, port))
            return s
        except (ConnectionRefusedError, OSError):
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def read_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def inetd_conf(port, command, extra=""):
    """e.service (type inetd) on `port` running `command`, then the YAML in `extra`."""
    return {"a.conf": f"""
e.service:
  type: inetd
  port: {port}
  command: {command}
{extra}"""}


def echo_conf(port, extra=""):
    """e.service answers a line with 'echo:' and the line."""
    return inetd_conf(port, r'''"sh -c 'read line; echo \"echo:$line\"'"''', extra)


def start_echo(tend):
    """Start tend with the echo service (echo_conf) on a free port; return (tend, port)."""
    port = free_port()
    return tend(["--no-syslog"], config=echo_conf(port)), port


def test_ipv4_client(tend):
    tp, port = start_echo(tend)
    s = connect(port)
    s.sendall(b"hello\n")
    assert read_line(s) == b"echo:hello\n"
    s.close()
    code, err = stop(tp)
    assert f"e.service: listening on port {port}" in err, err
    assert f"e.service: received connection on port {port}" in err, err
    assert "e.service successfully started" in err
    assert code == 0, err


@pytest.mark.skipif(not have_ipv6(), reason="no IPv6 loopback")
def test_ipv6_and_ipv4_on_one_listener(tend):
    tp, port = start_echo(tend)
    s6 = connect(port, socket.AF_INET6)
    s6.sendall(b"six\n")
    assert read_line(s6) == b"echo:six\n"
    s4 = connect(port, socket.AF_INET)
    s4.sendall(b"four\n")
    assert read_line(s4) == b"echo:four\n"
    s6.close()
    s4.close()
    code, err = stop(tp)
    assert err.count(f"received connection on port {port}") == 2, err
    assert code == 0, err


def test_concurrent_clients(tend):
    """Five connections held open at once: five instances run side by side."""
    tp, port = start_echo(tend)
    clients = [connect(port) for _ in range(5)]
    # answer in reverse order: each instance is waiting on its own line
    for i, s in reversed(list(enumerate(clients))):
        s.sendall(f"client{i}\n".encode())
        assert read_line(s) == f"echo:client{i}\n".encode()
    for s in clients:
        s.close()
    code, err = stop(tp)
    assert err.count("received connection") == 5, err
    assert code == 0, err


def test_instance_environment_and_stdio(tend):
    """stdin, stdout and stderr are all the socket; the service's environment applies."""
    port = free_port()
    tp = tend(["--no-syslog"], config={"a.conf": f"""
e.service:
  type: inetd
  port: {port}
  env_set:
    GREETING: bonjour
  command: "sh -c 'echo out:$GREETING; echo err:$GREETING >&2'"
"""})
    s = connect(port)
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    assert b"out:bonjour\n" in data and b"err:bonjour\n" in data, data
    code, err = stop(tp)
    assert code == 0, err


def over_limit(tend, port, limit, extra=""):
    """Hold `limit` connections (each instance is a `cat` echoing back), then one more."""
    tp = tend(["--no-syslog"], config=inetd_conf(port, "cat", extra))
    held = []
    for i in range(limit):
        s = connect(port)
        s.sendall(b"ping\n")
        assert read_line(s) == b"ping\n"  # its instance is running
        held.append(s)
    extra_client = connect(port)
    extra_client.settimeout(20)
    # over the limit: tend closes the connection without running anything
    assert extra_client.recv(100) == b""
    extra_client.close()
    for s in held:
        s.close()
    return tp


def test_default_limit_of_64_instances(tend):
    port = free_port()
    tp = over_limit(tend, port, 64)
    code, err = stop(tp)
    assert "e.service: 64 instances running (max_instances); connection closed" in err, err
    assert code == 0, err


def test_max_instances_key(tend, tmp_path):
    port = free_port()
    tp = tend(["--no-syslog", "--check-config"], config=inetd_conf(port, "cat",
                                                                    "  max_instances: 2\n"))
    if tp.wait(30) != 0:
        pytest.skip("max_instances is not in the configuration schema yet: " + tp.stderr[-200:])
    tp = over_limit(tend, port, 2, "  max_instances: 2\n")
    code, err = stop(tp)
    assert "e.service: 2 instances running (max_instances); connection closed" in err, err
    assert code == 0, err


def test_keeps_the_container_alive_with_detect_exit(tend):
    tp, port = start_echo(tend)
    s = connect(port)
    s.sendall(b"x\n")
    read_line(s)
    s.close()
    time.sleep(1.5)
    assert tp.proc.poll() is None, "tend exited although an inetd service was listening"
    code, err = stop(tp)
    assert "system will remain active since there are scheduled services" in err, err
    assert code == 0, err


def test_port_in_use_is_a_start_failure(tend):
    blocker = socket.socket(socket.AF_INET6 if have_ipv6() else socket.AF_INET,
                            socket.SOCK_STREAM)
    blocker.bind(("::" if have_ipv6() else "0.0.0.0", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        tp = tend(["--no-syslog"], config=echo_conf(port, "k.service:\n  command: sleep 30\n"))
        code = tp.wait(30)
    finally:
        blocker.close()
    assert f"e.service: cannot listen on port {port}" in tp.stderr, tp.stderr
    assert code != 0


def test_bad_port_is_a_start_failure(tend):
    # the schema refuses a literal bad port; one that comes from the environment is checked
    # at start
    tp = tend(["--no-syslog"], config={"a.conf": """
e.service:
  type: inetd
  env_set:
    E_PORT: "99999"
  port: "$(E_PORT)"
  command: cat
k.service:
  command: sleep 30
"""})
    code = tp.wait(30)
    assert "is not a port number (1-65535)" in tp.stderr, tp.stderr
    assert code != 0


def test_stop_closes_the_listener_and_ends_instances(tend):
    port = free_port()
    tp = tend(["--no-syslog"], config=inetd_conf(port, "cat"))
    s = connect(port)
    s.sendall(b"ping\n")
    assert read_line(s) == b"ping\n"
    code, err = stop(tp)
    # the instance was told to stop: the client sees the connection end
    s.settimeout(10)
    assert s.recv(100) == b""
    s.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert code == 0, err


def test_note_stop_and_start_through_the_control_socket(tend, tmp_path):
    port = free_port()
    sock = tmp_path / "tend.sock"
    # k.service keeps tend up (detect_exit) while e.service is stopped
    tp = tend(["--no-syslog"], config=echo_conf(port, "k.service:\n  command: sleep 60\n"))
    s = connect(port)
    s.sendall(b"one\n")
    assert read_line(s) == b"echo:one\n"
    s.close()
    ctl, status = tendctl_or_skip(tp, sock)
    assert f"waiting on port {port}; req recvd = 1; running = " in status.stdout, status.stdout
    assert ctl("stop", "e").returncode == 0
    wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) != 0, 10,
             what="the listener to close")
    assert ctl("start", "e").returncode == 0
    s = connect(port)
    s.sendall(b"two\n")
    assert read_line(s) == b"echo:two\n"
    s.close()
    code, err = stop(tp)
    assert err.count(f"e.service: listening on port {port}") == 2, err
    assert code == 0, err
