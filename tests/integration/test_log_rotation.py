"""Log files under rotation: renamed (logrotate style) or deleted while a service writes, and
tend's own size-based rotation. Every line must end up in exactly one file."""
import os
import re

from conftest import wait_for
from helpers_log import PY, log_section, run_clean

# About 20,000 lines a second: slow enough that the test can rename the file mid-stream
# (tend notices a rename within a second), fast enough to keep the test short.
WRITER = """
import sys, time
n = int(sys.argv[1])
for i in range(n):
    sys.stdout.write('n=%d\\n' % i)
    if i % 1000 == 999:
        sys.stdout.flush()
        time.sleep(0.05)
"""


def numbers(paths):
    found = []
    for p in paths:
        if p.exists():
            found += [int(m.group(1)) for m in re.finditer(r"n=(\d+)$", p.read_text(), re.M)]
    return found


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def test_rename_while_writing_loses_nothing(tend, tmp_path):
    writer = tmp_path / "writer.py"
    writer.write_text(WRITER)
    log = tmp_path / "logs" / "app.log"
    n = 100000
    config = f"""
writer.service:
  command: "{PY} {writer} {n}"
""" + log_section("app", "daemon.*", log)
    tp = tend([], config=config)
    wait_for(lambda: count_lines(log) > 20000, 60, what="first lines")
    os.rename(log, str(log) + ".1")
    wait_for(lambda: count_lines(log) > 0, 30, what="tend to reopen the file")
    wait_for(lambda: count_lines(log) > 20000, 60, what="more lines")
    os.rename(log, str(log) + ".2")
    assert tp.wait(120) == 0, tp.stderr
    got = numbers([log, log.with_name("app.log.1"), log.with_name("app.log.2")])
    assert len(got) == n
    assert sorted(got) == list(range(n))


def test_delete_while_writing_reopens(tend, tmp_path):
    writer = tmp_path / "writer.py"
    writer.write_text(WRITER)
    log = tmp_path / "app.log"
    config = f"""
writer.service:
  command: "{PY} {writer} 60000"
""" + log_section("app", "daemon.*", log)
    tp = tend([], config=config)
    wait_for(lambda: count_lines(log) > 5000, 60, what="first lines")
    os.unlink(log)
    assert tp.wait(120) == 0, tp.stderr
    got = numbers([log])
    assert got and got[-1] == 59999
    assert got == list(range(got[0], 60000))


def test_size_rotation_keeps_n_files(tend, tmp_path):
    log = tmp_path / "sized.log"
    n = 40000
    config = f"""
burst.service:
  command: "{PY} -c \\"import sys; sys.stdout.writelines('n=%d' % i + chr(10) for i in range({n}))\\""
""" + log_section("sized", "daemon.*", log, rotate_size=200000, rotate_keep=3)
    run_clean(tend, config, timeout=60)
    files = [log.with_name("sized.log.3"), log.with_name("sized.log.2"),
             log.with_name("sized.log.1"), log]
    assert all(f.exists() for f in files)
    assert not log.with_name("sized.log.4").exists()
    for f in files:
        assert f.stat().st_size <= 200000
        assert f.read_text().endswith("\n")
    got = numbers(files)
    # the oldest lines are gone, the kept ones are contiguous and end with the last line
    assert got == list(range(got[0], n))
    assert got[0] > 0


def test_strftime_name_and_parent_dirs(tend, tmp_path):
    config = """
hello.service:
  command: "echo dated"
""" + log_section("dated", "daemon.*", f"{tmp_path}/a/b/log-%Y.txt")
    run_clean(tend, config)
    made = list((tmp_path / "a" / "b").glob("log-2*.txt"))
    assert len(made) == 1 and "dated" in made[0].read_text()
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o755


def test_overwrite_truncates(tend, tmp_path):
    log = tmp_path / "over.log"
    log.write_text("old content\n")
    config = """
hello.service:
  command: "echo new content"
""" + log_section("over", "daemon.*", log, overwrite=True)
    run_clean(tend, config)
    text = log.read_text()
    assert "old content" not in text and "new content" in text
