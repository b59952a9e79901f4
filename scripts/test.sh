#!/usr/bin/env bash
# Install what the tests need and run the whole suite (SQLite, PostgreSQL on 127.0.0.1:5432,
# LibreOffice, S3 via moto, SMTP via aiosmtpd, Chromium). pytest's exit code is ours: 5 (no tests
# ran) fails like any other non-zero code.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "test: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "test: starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
# On every core: each xdist worker has its own databases, LibreOffice and servers (tests/conftest.py);
# the tests that share the replayed demo instance run on one worker (xdist_group "demo").
exec .venv/bin/python -m pytest -n auto --dist loadgroup "$@"
