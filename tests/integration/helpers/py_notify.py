"""A notify service using Debian's python3-systemd (systemd.daemon.notify).

Usage: py_notify.py MESSAGE [MESSAGE...] where each MESSAGE is sent in turn; a message
"sleep:N" sleeps N seconds instead. Exits 0 at the end.
"""
import sys
import time

from systemd import daemon

for arg in sys.argv[1:]:
    if arg.startswith("sleep:"):
        time.sleep(float(arg[6:]))
        continue
    sent = daemon.notify(arg.replace("\\n", "\n"))
    print(f"notify {arg!r} -> {sent}", flush=True)
