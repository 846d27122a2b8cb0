#!/usr/bin/env bash
# The main job: start the testbed (installing PostgreSQL, MariaDB and vsftpd from Debian
# packages when missing), seed the sample data, and profile the orders-export sample.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash testbed/start.sh
source testbed/env.sh
[ -f dist/bin/batch-doctor.js ] || npm run build
node fixtures/pipelines/orders-export/seed.cjs
exec node dist/bin/batch-doctor.js profile --out batch-doctor-report -- node fixtures/pipelines/orders-export/main.cjs
