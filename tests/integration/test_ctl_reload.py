"""`tendctl reload` (issue 6): the configuration is read again and only the difference is
applied — added services start, removed ones stop and disappear, changed ones restart,
unchanged ones keep their process."""
import pytest

from conftest import TEND, wait_for
from test_ctl_helpers import ctl, status_rows, wait_listening, wait_status

pytestmark = pytest.mark.skipif(not TEND.exists(), reason=f"{TEND} is not built")

BEFORE = """
settings:
  detect_exit: false
keep.service: {command: sleep 1000}
change.service: {command: sleep 1001}
gone.service: {command: sleep 1002}
"""

AFTER = """
settings:
  detect_exit: false
keep.service: {command: sleep 1000}
change.service: {command: sleep 2001}
new.service: {command: sleep 3000, after: keep.service, service_groups: fresh}
"""


def write_config(tp, text):
    (tp.workdir / "conf.d" / "tend.conf").write_text(text)


def rows(tp):
    return status_rows(ctl(tp, "status", check=0).stdout)


@pytest.fixture
def running(tend):
    tp = tend(config=BEFORE)
    wait_listening(tp)
    wait_for(lambda: ctl(tp, "status", "--check").returncode == 0, 20, 0.1, "healthy")
    return tp


def test_reload_applies_the_difference(running):
    before = rows(running)
    write_config(running, AFTER)
    r = ctl(running, "reload", check=0)
    assert r.stdout.strip() == "configuration reloaded: 1 added, 1 removed, 1 changed, 1 unchanged"
    wait_status(running, "new.service", "running")
    wait_status(running, "change.service", "running")
    after = rows(running)
    assert "gone.service" not in after
    assert after["keep.service"]["pid"] == before["keep.service"]["pid"], "unchanged: untouched"
    assert after["change.service"]["pid"] != before["change.service"]["pid"]
    # the new service is a full citizen: groups, commands, status counts
    assert "Managed processes: 3 (3 enabled)" in ctl(running, "status").stdout
    ctl(running, "stop", "--wait", "fresh", check=0)
    assert rows(running)["new.service"]["status"] == "ready"
    assert "no such service: gone" in ctl(running, "stop", "gone", check=1).stdout
    # the old process of change.service is gone, and so is gone.service's
    out = ctl(running, "status", "--json", check=0).stdout
    assert "sleep 1002" not in out


def test_reload_back_and_forth(running):
    write_config(running, AFTER)
    ctl(running, "reload", check=0)
    write_config(running, BEFORE)
    r = ctl(running, "reload", check=0)
    assert r.stdout.strip() == "configuration reloaded: 1 added, 1 removed, 1 changed, 1 unchanged"
    wait_status(running, "gone.service", "running")
    assert "new.service" not in rows(running)


def test_reload_nothing_changed(running):
    before = rows(running)
    r = ctl(running, "reload", check=0)
    assert r.stdout.strip() == "configuration reloaded: 0 added, 0 removed, 0 changed, 3 unchanged"
    assert rows(running) == before


def test_reload_bad_config_changes_nothing(running):
    before = rows(running)
    write_config(running, "keep.service: {command: [unclosed\n")
    r = ctl(running, "reload", check=1)
    assert "reload failed" in r.stdout
    write_config(running, BEFORE + "\nloop1.service: {command: sleep 1, after: loop2.service}\n"
                 "loop2.service: {command: sleep 1, after: loop1.service}\n")
    r = ctl(running, "reload", check=1)
    assert "reload failed" in r.stdout
    assert rows(running) == before


def test_settings_change_restarts_everything(running):
    before = rows(running)
    write_config(running, BEFORE.replace("detect_exit: false",
                                         "detect_exit: false\n  env_set: {COLOUR: blue}"))
    r = ctl(running, "reload", check=0)
    assert "3 changed, 0 unchanged" in r.stdout
    wait_for(lambda: all(rows(running)[n]["status"] == "running" for n in before), 20, 0.1,
             "all running again")
    after = rows(running)
    assert all(after[n]["pid"] != before[n]["pid"] for n in before)


def test_reload_of_the_only_service_keeps_tend_up(tend):
    """detect_exit: the replacement is starting before the old process is seen gone."""
    tp = tend(config="only.service: {command: sleep 1000}\n")
    wait_listening(tp)
    wait_for(lambda: ctl(tp, "status", "--check").returncode == 0, 20, 0.1, "healthy")
    write_config(tp, "only.service: {command: sleep 1001}\n")
    ctl(tp, "reload", check=0)
    wait_status(tp, "only.service", "running")
    assert tp.proc.poll() is None
    # removing everything leaves nothing to run: detect_exit ends tend, as it would at boot
    write_config(tp, "settings: {}\n")
    ctl(tp, "reload")
    assert tp.wait(30) == 0


def test_reload_through_the_fifo(running):
    write_config(running, AFTER)
    with open(running.workdir / "tend.fifo", "w") as f:
        f.write("reload\n")
    wait_status(running, "new.service", "running")


def test_reload_changes_a_cron_service(tend, tmp_path):
    ticks = tmp_path / "ticks"
    cron = ('settings: {detect_exit: false}\n'
            'tick.service: {type: cron, interval: "* * * * * */1", '
            f'command: "sh -c \'echo WORD >> {ticks}\'"}}\n')
    tp = tend(config=cron.replace("WORD", "one"))
    wait_listening(tp)
    wait_for(lambda: ticks.exists() and "one" in ticks.read_text(), 20, 0.1, "a first tick")
    write_config(tp, cron.replace("WORD", "two"))
    assert "1 changed" in ctl(tp, "reload", check=0).stdout
    wait_for(lambda: "two" in ticks.read_text(), 20, 0.1, "a tick of the new command")
    seen = len(ticks.read_text().split())
    wait_for(lambda: len(ticks.read_text().split()) > seen + 1, 20, 0.1, "more ticks")
    assert ticks.read_text().split()[-1] == "two"
