#!/usr/bin/env bash
# The load scenarios of issue 16 in one command, after the README's set-up (scripts/setup.sh) and
# `.venv/bin/pip install -e '.[bench]'` (locust). Starts what it needs (scripts/stack.sh with 1,
# then 2 consumers; Debian's nginx in front; an SMTP mailbox), seeds PostgreSQL, runs each
# scenario with locust headless and prints its figures beside a baseline from the same run
# (also written to instance/loadbench/results.json). Stops everything it started.
#
#   bash bench/load/run.sh
#   bash bench/load/run.sh --only links,browsing --web-worker-classes sync,gthread   (issue 26)
#
# --only SCENARIOS               of bulk,finalise,links,browsing,soak (default: all)
# --web-worker-classes CLASSES   links and browsing under each gunicorn worker class, side by side
# DOCGEN_BENCH_SECONDS=30        each browsing run (the 1-user baseline runs half as long)
# DOCGEN_BENCH_SOAK_SECONDS=600  the soak (the issue's 10 minutes; shorten it for a quick check)
# DOCGEN_BENCH_PORT=8100         gunicorn; +1 moto's S3, +2 nginx
# DOCGEN_WEB_WORKERS=2           gunicorn workers (DOCGEN_WEB_WORKER_CLASS, DOCGEN_WEB_THREADS: scripts/stack.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/locust ] || { echo "locust is missing: .venv/bin/pip install -e '.[bench]'" >&2; exit 2; }
command -v nginx >/dev/null || { echo "nginx is missing: apt-get install nginx" >&2; exit 2; }
exec .venv/bin/python bench/load/run.py "$@"
