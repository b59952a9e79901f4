#!/usr/bin/env bash
# The organisation's stack on this machine, after the README's set-up (scripts/setup.sh):
# gunicorn with N web workers, M `docgen worker` Huey consumers on Redis, PostgreSQL, and S3
# through moto's server (or a real endpoint in DOCGEN_STORAGE_URL), run by honcho from ./Procfile.
#
#   bash scripts/stack.sh start    start in the background; returns once /health/ready answers 200
#                                  and every consumer is consuming
#   bash scripts/stack.sh stop     stop everything (SIGTERM, graceful); exit 1 if anything was left
#   bash scripts/stack.sh status   running or not, and readiness
#   bash scripts/stack.sh run      in the foreground (Ctrl-C stops)
#
# Settings (environment):
#   DOCGEN_WEB_WORKERS=2  DOCGEN_CONSUMERS=2  DOCGEN_STACK_PORT=8000  DOCGEN_STACK_S3_PORT=8001
#   DOCGEN_WEB_WORKER_CLASS=sync (one request at a time per worker) or gthread (docs/SCALING.md)
#   DOCGEN_WEB_THREADS=4 (gthread only; at most the database pool each worker keeps, storage.db.POOL_SIZE)
#   DOCGEN_STACK_DIR=instance/stack (state: env file, logs, instance folder, metrics)
#   DOCGEN_STACK_PG=postgresql://postgres@127.0.0.1:5432/postgres (a server to create the database on)
#   DOCGEN_STACK_DB=docgen_stack (created if missing)   DOCGEN_STACK_REDIS=redis://127.0.0.1:6379/0
#   DOCGEN_STACK_DEMO=1 (`docgen init --demo`)    DOCGEN_STORAGE_URL=s3://bucket?... (no moto then)
#   DOCGEN_STACK_PROXY_PORT=8080: Debian's nginx in front too, with docs/nginx/docgen-proxy.conf, on
#     127.0.0.1:8080 (then DOCGEN_TRUSTED_PROXIES defaults to 1 and DOCGEN_BASE_URL to the proxy)
# Any other DOCGEN_* variable (DOCGEN_SMTP_PORT, DOCGEN_BASE_URL, DOCGEN_TRUSTED_PROXIES, ...) is
# passed to every process.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

STATE=${DOCGEN_STACK_DIR:-$REPO/instance/stack}
mkdir -p "$STATE" && chmod 700 "$STATE" && STATE=$(cd "$STATE" && pwd)
ENV_FILE=$STATE/stack.env
PID_FILE=$STATE/honcho.pid
LOG=$STATE/stack.log
WEB_WORKERS=${DOCGEN_WEB_WORKERS:-2}
WEB_WORKER_CLASS=${DOCGEN_WEB_WORKER_CLASS:-sync}
WEB_THREADS=${DOCGEN_WEB_THREADS:-}
CONSUMERS=${DOCGEN_CONSUMERS:-2}
PORT=${DOCGEN_STACK_PORT:-8000}
S3_PORT=${DOCGEN_STACK_S3_PORT:-8001}
PG_ADMIN=${DOCGEN_STACK_PG:-postgresql://postgres@127.0.0.1:5432/postgres}
DB=${DOCGEN_STACK_DB:-docgen_stack}
REDIS=${DOCGEN_STACK_REDIS:-redis://127.0.0.1:6379/0}
PROXY_PORT=${DOCGEN_STACK_PROXY_PORT:-}
PY=$REPO/.venv/bin/python

say() { echo "stack: $*"; }
alive() { [ -e "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }
running() { [ -f "$PID_FILE" ] && alive "$(cat "$PID_FILE")"; }
setting() { sed -n "s/^$1='\(.*\)'$/\1/p" "$ENV_FILE"; }
with_env() { (set -a; . "$ENV_FILE"; set +a; "$@"); }  # a subshell: this script's own environment stays unmarked

# Every process of the stack inherits DOCGEN_STACK_ID (LibreOffice too, which runs in a session of
# its own), so `stop` can find anything left however it was started.
left_behind() {
  [ -f "$ENV_FILE" ] || return 0
  local id; id=$(setting DOCGEN_STACK_ID)
  grep -lsz "^DOCGEN_STACK_ID=$id\$" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | grep -vx "$$" || true
}

# gunicorn's worker class and threads. A gthread worker's threads each hold one of its database
# pool's connections for a request, so no more threads than the pool keeps: more would open and
# close an overflow connection per request, or wait for one. A sync worker has one thread (given
# more, gunicorn would quietly run gthread instead).
web_threads() {
  local pool
  case "$WEB_WORKER_CLASS" in
    sync)
      [ "${WEB_THREADS:-1}" = 1 ] || { say "DOCGEN_WEB_THREADS=$WEB_THREADS needs DOCGEN_WEB_WORKER_CLASS=gthread"; return 1; }
      WEB_THREADS=1 ;;
    gthread)
      WEB_THREADS=${WEB_THREADS:-4}
      pool=$("$PY" -c 'from storage.db import POOL_SIZE; print(POOL_SIZE)')
      if ! [[ "$WEB_THREADS" =~ ^[1-9][0-9]*$ ]] || [ "$WEB_THREADS" -gt "$pool" ]; then
        say "DOCGEN_WEB_THREADS must be a whole number from 1 to $pool (the database pool of each web worker), not '$WEB_THREADS'"
        return 1
      fi ;;
    *) say "DOCGEN_WEB_WORKER_CLASS must be sync or gthread, not '$WEB_WORKER_CLASS'"; return 1 ;;
  esac
}

write_env() {
  local storage=${DOCGEN_STORAGE_URL:-}
  local moto=0
  if [ -z "$storage" ]; then
    moto=1
    storage="s3://docgen-stack?endpoint_url=http://127.0.0.1:$S3_PORT&lock_mode=GOVERNANCE"
  fi
  local pg_base=${PG_ADMIN%/*}
  umask 077
  {
    echo "DOCGEN_STACK_ID='$(cat /proc/sys/kernel/random/uuid)'"
    echo "DOCGEN_STACK_MOTO='$moto'"
    echo "DOCGEN_WEB_WORKERS='$WEB_WORKERS'"
    echo "DOCGEN_WEB_WORKER_CLASS='$WEB_WORKER_CLASS'"
    echo "DOCGEN_WEB_THREADS='$WEB_THREADS'"
    echo "DOCGEN_STACK_PORT='$PORT'"
    echo "DOCGEN_STACK_S3_PORT='$S3_PORT'"
    echo "DOCGEN_INSTANCE_PATH='${DOCGEN_INSTANCE_PATH:-$STATE/instance}'"
    echo "DOCGEN_DATABASE_URL='${DOCGEN_DATABASE_URL:-${pg_base/postgresql:/postgresql+psycopg:}/$DB}'"
    echo "DOCGEN_TASKS_URL='${DOCGEN_TASKS_URL:-$REDIS?queue=docgen-$DB}'"
    echo "DOCGEN_RATELIMIT_STORAGE='${DOCGEN_RATELIMIT_STORAGE:-$REDIS}'"
    echo "DOCGEN_STORAGE_URL='$storage'"
    echo "DOCGEN_BASE_URL='${DOCGEN_BASE_URL:-http://127.0.0.1:${PROXY_PORT:-$PORT}}'"
    [ -n "$PROXY_PORT" ] && echo "DOCGEN_TRUSTED_PROXIES='${DOCGEN_TRUSTED_PROXIES:-1}'"
    echo "DOCGEN_STACK_NGINX_CONF='$STATE/nginx/nginx.conf'"
    echo "DOCGEN_LOG_FORMAT='${DOCGEN_LOG_FORMAT:-json}'"
    echo "PROMETHEUS_MULTIPROC_DIR='$STATE/prometheus'"
    echo "DOCGEN_STACK_LOCK='$STATE/init.lock'"
    if [ "$moto" = 1 ]; then  # moto accepts any credentials; a real endpoint uses the caller's
      echo "AWS_ACCESS_KEY_ID='stack'"; echo "AWS_SECRET_ACCESS_KEY='stack'"; echo "AWS_DEFAULT_REGION='eu-west-2'"
    fi
  } > "$ENV_FILE"
}

write_nginx_conf() {  # plain HTTP on loopback (TLS: docs/nginx/docgen.conf), the sample's proxy settings
  mkdir -p "$STATE/nginx"
  local user=""; [ "$(id -u)" = 0 ] && user="user root;"  # workers buffer under $STATE, which is 0700
  cat > "$STATE/nginx/nginx.conf" <<NGINX
$user
pid $STATE/nginx/nginx.pid;
error_log $STATE/nginx/error.log;
env DOCGEN_STACK_ID;   # workers keep the stack's mark, so stop can find them
events {}
http {
    include /etc/nginx/mime.types;
    client_body_temp_path $STATE/nginx/body;
    proxy_temp_path $STATE/nginx/proxy;
    access_log off;   # it would hold sign-off tokens; docs/nginx/docgen.conf redacts them instead
    upstream docgen_web { server 127.0.0.1:$PORT; keepalive 32; }
    server {
        listen 127.0.0.1:$PROXY_PORT;
        include $REPO/docs/nginx/docgen-proxy.conf;
    }
}
NGINX
}

create_database() {
  "$PY" - "$PG_ADMIN" "$DB" <<'PYEOF'
import sys
import psycopg
from psycopg import sql
admin, name = sys.argv[1], sys.argv[2]
with psycopg.connect(admin, autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"stack: created database {name}")
PYEOF
}

create_bucket() {  # an Object Lock bucket, as production's would be (docs/SCALING.md)
  "$PY" - <<'PYEOF'
import os, time
from urllib.parse import parse_qs, urlsplit
import boto3
from botocore.exceptions import ClientError, EndpointConnectionError
url = urlsplit(os.environ["DOCGEN_STORAGE_URL"])
s3 = boto3.client("s3", endpoint_url=parse_qs(url.query)["endpoint_url"][0], region_name="eu-west-2")
deadline = time.monotonic() + 30
while True:  # moto's server takes a moment to listen
    try:
        s3.list_buckets()
        break
    except EndpointConnectionError:
        if time.monotonic() > deadline:
            raise SystemExit("stack: moto's S3 server did not start")
        time.sleep(0.2)
try:
    s3.create_bucket(Bucket=url.netloc, ObjectLockEnabledForBucket=True,
                     CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
except ClientError as exc:
    if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
        raise
PYEOF
}

wait_ready() {
  local deadline=$((SECONDS + ${DOCGEN_STACK_TIMEOUT:-180}))
  until curl -sf -o /dev/null "http://127.0.0.1:$PORT/health/ready"; do
    if ! running; then say "the stack stopped while starting; see $LOG"; tail -n 30 "$LOG" >&2; return 1; fi
    if [ $SECONDS -gt $deadline ]; then
      say "not ready after ${DOCGEN_STACK_TIMEOUT:-180} s:"; curl -s "http://127.0.0.1:$PORT/health/ready" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}

wait_consumers() {  # each consumer says "docgen worker: ..." once migrated and consuming
  local deadline=$((SECONDS + ${DOCGEN_STACK_TIMEOUT:-180}))
  until [ "$(grep -c '| docgen worker: ' "$LOG")" -ge "$CONSUMERS" ]; do
    if ! running || [ $SECONDS -gt $deadline ]; then say "the consumers did not start; see $LOG"; return 1; fi
    sleep 0.5
  done
}

launch() {  # honcho in a session of its own, in the background; prints its pid. honcho SIGKILLs
            # what still runs 5 s after its SIGTERM; a consumer may need 30 s to finish a task and
            # then stop its LibreOffice, so honcho waits 40 s here.
  "$PY" - "$@" <<'PYEOF'
import subprocess, sys
code = "import sys, honcho.manager as m; m.KILL_WAIT = 40; from honcho.command import main; main()"
log = open(sys.argv[1], "ab")
print(subprocess.Popen([sys.executable, "-c", code, *sys.argv[2:]], stdin=subprocess.DEVNULL, stdout=log,
                       stderr=subprocess.STDOUT, start_new_session=True).pid)
PYEOF
}

start() {
  if running; then say "already running (honcho pid $(cat "$PID_FILE"))"; exit 1; fi
  web_threads || exit 2
  trap 'trap - ERR; say "start failed; stopping what was started"; stop || true; exit 1' ERR
  write_env
  create_database
  rm -rf "$STATE/prometheus" && mkdir -p "$STATE/prometheus"
  local processes=(web clock) moto; moto=$(setting DOCGEN_STACK_MOTO)
  [ "$moto" = 1 ] && processes=(s3 web clock)
  [ "$CONSUMERS" -gt 1 ] && processes+=(worker)  # clock is the first consumer
  if [ -n "$PROXY_PORT" ]; then write_nginx_conf; processes+=(proxy); fi
  say "starting ${processes[*]}: $WEB_WORKERS $WEB_WORKER_CLASS web workers of $WEB_THREADS thread(s) on http://127.0.0.1:$PORT, $CONSUMERS consumers (log: $LOG)"
  : > "$LOG"
  exec 9> "$STATE/init.lock" && flock 9  # held until `docgen init` is done (docgen.worker); not inherited
  launch "$LOG" start --no-colour -f Procfile -e "$ENV_FILE" -c "worker=$((CONSUMERS - 1))" "${processes[@]}" > "$PID_FILE"
  [ "$moto" = 1 ] && with_env create_bucket
  if [ "${DOCGEN_STACK_DEMO:-0}" = 1 ]; then with_env .venv/bin/docgen init --demo; else with_env .venv/bin/docgen init; fi
  flock -u 9 && exec 9>&-
  wait_ready
  [ -z "$PROXY_PORT" ] || PORT=$PROXY_PORT wait_ready
  wait_consumers
  trap - ERR
  say "ready: http://127.0.0.1:$PORT/ (readiness: /health/ready, metrics: /metrics from this machine)"
  [ -z "$PROXY_PORT" ] || say "through nginx: http://127.0.0.1:$PROXY_PORT/"
}

stop() {
  if running; then
    local pid; pid=$(cat "$PID_FILE")
    say "stopping (SIGTERM to honcho, pid $pid)"
    kill -TERM "$pid"
    local deadline=$((SECONDS + 60))
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  local left; left=$(left_behind)
  if [ -n "$left" ]; then
    say "left behind, now killed: $(ps -o pid=,comm= -p $(echo $left | tr ' ' ',') | tr '\n' ' ')"
    kill -KILL $left 2>/dev/null || true
    exit 1
  fi
  say "stopped; no process left"
}

status() {
  if running; then
    say "running (honcho pid $(cat "$PID_FILE"))"
    curl -s "http://127.0.0.1:$PORT/health/ready"; echo
  else
    say "not running"; exit 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  run) start; trap stop INT TERM; say "Ctrl-C stops the stack"; while running; do sleep 1; done ;;
  *) echo "usage: bash scripts/stack.sh start|stop|status|run" >&2; exit 2 ;;
esac
