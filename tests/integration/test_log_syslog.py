"""tend's built-in syslog: real clients (util-linux logger in both formats, Python's
SysLogHandler, raw datagrams), malformed input kept, routing into several files by selector,
formats, the optional stream socket."""
import json
import os
import signal
import socket
import subprocess

from conftest import wait_for
from helpers_log import PY, lines, log_section


def start(tend, tmp_path, logging_conf, extra_args=(), service="sleep 300"):
    config = f"""
idle.service:
  command: "{service}"
{logging_conf}
"""
    tp = tend(list(extra_args), config=config)
    sock = tmp_path / "log.sock"
    wait_for(sock.exists, 10, what="syslog socket")
    return tp, sock


def stop(tp):
    tp.signal(signal.SIGTERM)
    tp.wait(30)


def test_logger_rfc3164_and_rfc5424(tend, tmp_path):
    log = tmp_path / "all.log"
    tp, sock = start(tend, tmp_path, log_section("all", "*.*", log, extended=True))
    subprocess.run(["logger", "-u", str(sock), "--rfc3164", "-t", "app3164", "-p", "local3.err",
                    "hello three one six four"], check=True)
    subprocess.run(["logger", "-u", str(sock), "--rfc5424", "-t", "app5424", "-i",
                    "-p", "user.warning", "hello five four two four"], check=True)
    wait_for(lambda: any("five four" in l for l in lines(log)), what="5424 line")
    got = lines(log)
    stop(tp)
    l3164 = next(l for l in got if "three one six four" in l)
    assert l3164.startswith("local3.err ")
    assert " app3164: hello three one six four" in l3164
    l5424 = next(l for l in got if "five four two four" in l)
    assert l5424.startswith("user.warn ")
    # the pid logger -i sends is kept, and 5424 is not mangled into "??"
    assert "app5424[" in l5424 and "]: hello five four two four" in l5424
    assert "??" not in l5424


def test_python_sysloghandler(tend, tmp_path):
    log = tmp_path / "py.log"
    tp, sock = start(tend, tmp_path, log_section("py", "[pyapp].*", log, format="json"))
    script = f"""
import logging, logging.handlers
h = logging.handlers.SysLogHandler(address={str(sock)!r},
                                   facility=logging.handlers.SysLogHandler.LOG_LOCAL1)
h.setFormatter(logging.Formatter('pyapp: %(message)s'))
log = logging.getLogger('t'); log.addHandler(h); log.setLevel(logging.DEBUG)
log.error('an error from python')
log.debug('a debug from python')
"""
    subprocess.run([PY, "-c", script], check=True)
    wait_for(lambda: len(lines(log)) >= 2, what="python records")
    stop(tp)
    records = [json.loads(l) for l in lines(log)]
    by_text = {r["message"]: r for r in records}
    err = by_text["an error from python"]
    assert err["facility"] == "local1" and err["severity"] == "err"
    assert err["tag"] == "pyapp" and err["stream"] == "syslog"
    assert by_text["a debug from python"]["severity"] == "debug"
    assert "time" in err and err["time"][19] == "."  # milliseconds


def test_malformed_input_is_kept(tend, tmp_path):
    log = tmp_path / "all.log"
    tp, sock = start(tend, tmp_path, log_section("all", "*.*", log, extended=True))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b"no priority at all", str(sock))
    s.sendto(b"<999>bad priority", str(sock))
    s.sendto(b"<13>first\x00<14>second\x00", str(sock))
    s.sendto(b"<13>1 2026-01-01T00:00:00Z h app - - [broken sd", str(sock))
    s.sendto("<13>tag: caf\u00e9 \xff".encode("utf-8", "surrogateescape"), str(sock))
    s.close()
    wait_for(lambda: any("caf" in l for l in lines(log)), what="last datagram")
    got = "\n".join(lines(log))
    stop(tp)
    assert "user.notice" in got and "no priority at all" in got
    assert "<999>bad priority" in got
    assert " first" in got and " second" in got
    assert "[broken sd" in got


def test_routing_into_several_files(tend, tmp_path):
    errors = tmp_path / "errors.log"
    cron = tmp_path / "cron.log"
    notcron = tmp_path / "notcron.log"
    regex = tmp_path / "regex.log"
    tp, sock = start(tend, tmp_path,
                     log_section("errors", "*.err", errors) +
                     log_section("cron", "[cron].*", cron) +
                     log_section("notcron", "*.*;![cron].*;![tend].*", notcron) +
                     log_section("regex", "/pass(word)?/.*;*.!=debug", regex))
    def send(tag, prio, text):
        subprocess.run(["logger", "-u", str(sock), "--rfc3164", "-t", tag, "-p", prio, text],
                       check=True)
    send("cron", "cron.info", "cron info line")
    send("cron", "cron.err", "cron error line")
    send("web", "daemon.err", "web error line")
    send("web", "daemon.debug", "web debug PASSWORD line")
    send("web", "daemon.info", "web info password line")
    send("web", "daemon.notice", "last line")
    wait_for(lambda: any("last line" in l for l in lines(notcron)), what="last line")
    stop(tp)
    text = {p.name: "\n".join(lines(p)) for p in (errors, cron, notcron, regex)}
    assert "cron error line" in text["errors.log"] and "web error line" in text["errors.log"]
    assert "cron info line" not in text["errors.log"]
    assert "cron info line" in text["cron.log"] and "cron error line" in text["cron.log"]
    assert "web" not in text["cron.log"]
    assert "cron" not in text["notcron.log"]
    assert "web error line" in text["notcron.log"] and "tend[" not in text["notcron.log"]
    assert "web info password line" in text["regex.log"]
    assert "PASSWORD" not in text["regex.log"]   # debug is excluded by *.!=debug
    assert "web error line" not in text["regex.log"]


def test_formats_pidzero_and_hostname(tend, tmp_path):
    pz = tmp_path / "pz.log"
    pzmap = tmp_path / "pzmap.log"
    text = tmp_path / "text.log"
    tp, sock = start(tend, tmp_path,
                     log_section("pz", "[app].*", pz, format="pidzero-json") +
                     log_section("pzmap", "[app].*", pzmap, format="pidzero-map") +
                     log_section("text", "[app].*", text, logrec_hostname="fixed-host"))
    subprocess.run(["logger", "-u", str(sock), "--rfc3164", "-t", "app", "-p", "user.warning",
                    "pidzero style"], check=True)
    wait_for(lambda: lines(pz) and lines(pzmap) and lines(text), what="records")
    stop(tp)
    record = json.loads(lines(pz)[0])
    assert record["source"] == "app" and record["loglevel"] == "WARN "
    assert record["logtext"] == "pidzero style" and len(record["timestamp"]) == 19
    assert lines(pzmap)[0].startswith("{ loglevel => WARN , logtext => pidzero style, timestamp => ")
    assert lines(pzmap)[0].endswith(", source => app }")
    assert " fixed-host app: pidzero style" in lines(text)[0]


def test_stream_socket_framing(tend, tmp_path):
    log = tmp_path / "all.log"
    stream = tmp_path / "stream.sock"
    config = f"""
settings:
  syslog_stream_socket: {stream}
idle.service:
  command: "sleep 300"
""" + log_section("all", "*.*", log)
    tp = tend([], config=config)
    wait_for(stream.exists, 10, what="stream socket")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(stream))
    msg = b"<13>app: octet counted"
    s.sendall(b"%d %s" % (len(msg), msg) + b"<13>app: newline framed\n<13>app: at close")
    s.close()
    wait_for(lambda: any("at close" in l for l in lines(log)), what="stream records")
    got = "\n".join(lines(log))
    stop(tp)
    assert "app: octet counted" in got and "app: newline framed" in got


def test_socket_is_world_writable_and_recreated(tend, tmp_path):
    stale = tmp_path / "log.sock"
    stale.write_text("stale file")
    log = tmp_path / "all.log"
    tp, sock = start(tend, tmp_path, log_section("all", "*.*", log))
    wait_for(lambda: sock.is_socket(), what="socket replaced the stale file")
    assert os.stat(sock).st_mode & 0o777 == 0o666
    stop(tp)
