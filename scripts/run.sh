#!/usr/bin/env bash
# Install, initialise the embedded default (SQLite + encrypted local store under ./instance) with a
# demo organisation, and serve docgen on http://127.0.0.1:5000. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/docgen init --demo
exec .venv/bin/docgen run "$@"
