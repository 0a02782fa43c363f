"""Configuration problems found before anything starts, and pidzero auto-detection."""
import json
import os
import shutil

import pytest

from conftest import TEND, run_tend


def test_bad_selector_and_cron_interval_stop_before_start(tend, tmp_path):
    marker = tmp_path / "started"
    conf = (f"x.logging:\n  selector: '*.blah'\n  stdout: true\n"
            f"c.service:\n  type: cron\n  interval: '61 * * * *'\n  command: 'true'\n"
            f"m.service:\n  command: touch {marker}\n")
    rc, out, err = run_tend(tend, [], config=conf)
    assert rc == 1
    assert "tend.conf:2:13: error: x.logging.selector: found '*.blah'" in err
    assert "tend.conf:6:13: error: c.service.interval: found '61 * * * *': minute: found '61', allowed: 0-59" in err
    assert not marker.exists()
    rc, out, err = run_tend(tend, ["--check-config"], config=conf, namespace=False)
    assert rc == 1 and "x.logging.selector" in err


def test_expanded_interval_is_checked_at_launch_not_load(tend):
    conf = "c.service:\n  type: cron\n  interval: '$(NOPE:-61) * * * *'\n  command: 'true'\n"
    rc, out, err = run_tend(tend, ["--check-config"], config=conf, namespace=False)
    assert rc == 0


@pytest.mark.skipif(os.path.exists("/etc/tend.d") or os.path.exists("/etc/chaperone.d"),
                    reason="a chaperone configuration exists on this machine")
def test_pidzero_daemons_json_beside_the_binary_is_found(tend, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(TEND, bindir / "tend")
    (bindir / "daemons.json").write_text(json.dumps([
        {"name": "hello", "command": "echo pidzero-autodetected", "vital": False}]))
    (bindir / "config.json").write_text(json.dumps({"log": {"json": True, "log_to_stdout": True,
                                                            "log_to_file": False}}))
    rc, out, err = run_tend(tend, [], binary=bindir / "tend")
    assert rc == 0, err
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert any(r.get("source") == "hello" and r.get("logtext") == "pidzero-autodetected"
               for r in records), out
