"""tendctl logs and the in-memory ring behind it (src/ctl/logring.c): several `logs -f`
followers coming and going, the last 1024 records kept, and long lines cut with "..."."""
import socket

import pytest

from conftest import wait_for
from test_ctl_helpers import ctl, sock_of, wait_listening


def follow(tp, names=b"talker"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock_of(tp)))
    s.sendall(b"logs -f -n 0 " + names + b"\n")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(20)
    return s


def read_ticks(s, count):
    data = b""
    while data.count(b"tick-") < count:
        chunk = s.recv(4096)
        assert chunk, f"closed early: {data!r}"
        data += chunk
    return data


def test_followers_come_and_go(tend):
    tp = tend(config="""
settings: {detect_exit: false}
talker.service: {command: "sh -c 'while true; do echo tick-$$; sleep 0.1; done'"}
""")
    wait_listening(tp)
    if "keeps no records" in ctl(tp, "logs").stdout:
        pytest.skip("this build's logger has no tap (logger_set_tap) yet")
    first, second = follow(tp), follow(tp)
    assert read_ticks(first, 2).startswith(b"RESULT\n")
    read_ticks(second, 2)
    first.close()
    # the other follower still streams once the first has gone
    read_ticks(second, 3)
    second.close()
    # and a new one streams after every follower had gone
    third = follow(tp)
    read_ticks(third, 2)
    third.close()


def test_last_1024_and_long_lines(tend, tmp_path):
    script = tmp_path / "burst.sh"
    script.write_text("i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done\n"
                      "printf '%0600d\\n' 7\nexec sleep 1000\n")
    # --no-console-log: nothing depends on a reader of tend's stdout keeping up
    tp = tend(["--no-console-log"], config=f"""
settings: {{detect_exit: false}}
burst.service: {{command: "sh {script}"}}
""")
    wait_listening(tp)
    if "keeps no records" in ctl(tp, "logs").stdout:
        pytest.skip("this build's logger has no tap (logger_set_tap) yet")
    wait_for(lambda: "0000000..." in ctl(tp, "logs", "burst").stdout, 30, 0.1, "the long line")
    lines = ctl(tp, "logs").stdout.splitlines()
    assert len(lines) == 1024
    burst = ctl(tp, "logs", "burst").stdout.splitlines()
    assert burst[-2].endswith("line-2999")
    long = burst[-1]
    assert long.endswith("...") and len(long) == 479
    # the ring keeps whole records in order: the burst's lines are consecutive
    numbers = [int(line.rsplit("line-", 1)[1]) for line in burst if "line-" in line]
    assert numbers == list(range(numbers[0], 3000))
