#!/usr/bin/env bash
# Installs what is needed, builds tend, and runs the demo: tend as PID 1 of a fresh PID
# namespace, supervising the example services in examples/demo. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh default
DEMO=$PWD/examples/demo
RUN=$(mktemp -d /tmp/tend-demo.XXXXXX)
echo "== tend demo: services start in dependency order; press Ctrl-C to stop =="
# DEMO_SECONDS (for unattended runs) sends SIGTERM to tend after that many seconds.
if [ -n "${DEMO_SECONDS:-}" ]; then
  ( sleep "$DEMO_SECONDS"; pkill -TERM -f "^$PWD/build/tend --config $DEMO" ) &
fi
set +e
DEMO_BIN=$DEMO/bin unshare --pid --fork --mount-proc \
  "$PWD/build/tend" --config "$DEMO/chaperone.d" \
  --syslog-socket "$RUN/log.sock" --control-socket "$RUN/tend.sock"
code=$?
rm -rf "$RUN"
echo "== tend exited with status $code =="
