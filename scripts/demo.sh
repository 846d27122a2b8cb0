#!/usr/bin/env bash
# The demo against the testbed's real servers (npm run demo:testbed): start the testbed (installing
# PostgreSQL, MariaDB and vsftpd from Debian packages when missing) and run batch-doctor demo with its
# settings. `npm run demo` alone needs no server: it starts embedded ones.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash testbed/start.sh
source testbed/env.sh
[ -f dist/bin/batch-doctor.js ] || npm run build
exec node dist/bin/batch-doctor.js demo --out batch-doctor-report
