#!/usr/bin/env bash
# The test command: build, start the real servers on loopback, run every test tier.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
npm run build
bash testbed/start.sh
source testbed/env.sh
exec npx vitest run "$@"
