"""syslog_host outputs: UDP datagrams (one record each, with <PRI>) and TCP with RFC 6587
octet counting, including a server that appears only after tend started (reconnect)."""
import signal
import socket
import threading

from conftest import wait_for


def udp_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.2)
    return s


def test_udp_remote(tend, tmp_path):
    server = udp_server()
    port = server.getsockname()[1]
    config = f"""
hello.service:
  command: "sh -c 'echo remote hello; sleep 300'"
remote.logging:
  selector: "daemon.*"
  syslog_host: 127.0.0.1:{port}
"""
    tp = tend([], config=config)
    got = []

    def received():
        try:
            got.append(server.recv(65536).decode())
        except socket.timeout:
            pass
        return any("remote hello" in g for g in got)

    wait_for(received, 20, what="a datagram")
    line = next(g for g in got if "remote hello" in g)
    assert line.startswith("<30>")          # daemon.info
    assert " hello[" in line and line.endswith("]: remote hello")
    tp.signal(signal.SIGTERM)
    tp.wait(30)


class TcpCollector(threading.Thread):
    def __init__(self, listener):
        super().__init__(daemon=True)
        self.listener = listener
        self.data = b""

    def run(self):
        conn, _ = self.listener.accept()
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            self.data += chunk

    def frames(self):
        """Decode RFC 6587 octet-counted frames."""
        out, rest = [], self.data
        while rest:
            length, _, rest = rest.partition(b" ")
            n = int(length)
            out.append(rest[:n].decode())
            rest = rest[n:]
        return out


def test_tcp_remote_octet_counting_and_late_server(tend, tmp_path):
    # reserve a port, but listen only after tend has started (it must retry)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    config = f"""
hello.service:
  command: "sh -c 'for i in 1 2 3; do echo tcp line $i; done; sleep 300'"
remote.logging:
  selector: "daemon.*"
  syslog_host: tcp://127.0.0.1:{port}
"""
    tp = tend([], config=config)
    wait_for(lambda: (tmp_path / "log.sock").exists(), 10, what="tend up")
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1)
    collector = TcpCollector(listener)
    collector.start()
    wait_for(lambda: sum("tcp line" in f for f in collector.frames()) == 3, 30,
             what="three framed records after a reconnect")
    frames = [f for f in collector.frames() if "tcp line" in f]
    assert [f.rsplit(": ", 1)[1] for f in frames] == ["tcp line 1", "tcp line 2", "tcp line 3"]
    assert all(f.startswith("<30>") for f in frames)
    tp.signal(signal.SIGTERM)
    tp.wait(30)
