#!/usr/bin/env bash
# Stops the testbed servers started by start.sh. Data stays in $BD_TESTBED_DIR.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
if [ -f "$BD_TESTBED_DIR/pg/postmaster.pid" ]; then
  su postgres -c "/usr/lib/postgresql/15/bin/pg_ctl -D '$BD_TESTBED_DIR/pg' -m fast -w stop" >/dev/null 2>&1 || true
fi
if [ -f "$BD_TESTBED_DIR/mariadb.pid" ]; then
  kill "$(cat "$BD_TESTBED_DIR/mariadb.pid")" 2>/dev/null || true
  for _ in $(seq 1 100); do [ -f "$BD_TESTBED_DIR/mariadb.pid" ] || break; sleep 0.1; done
fi
pkill -f "vsftpd $BD_TESTBED_DIR/vsftpd.conf" 2>/dev/null || true
pkill -f "vsftpd $BD_TESTBED_DIR/vsftpd-ftps.conf" 2>/dev/null || true
pkill -f "vsftpd $BD_TESTBED_DIR/vsftpd-limited.conf" 2>/dev/null || true
[ -f "$BD_TESTBED_DIR/pure-ftpd.pid" ] && kill "$(cat "$BD_TESTBED_DIR/pure-ftpd.pid")" 2>/dev/null || true
[ -f "$BD_TESTBED_DIR/sshd.pid" ] && kill "$(cat "$BD_TESTBED_DIR/sshd.pid")" 2>/dev/null || true
echo "[testbed] stopped" >&2
