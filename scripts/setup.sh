#!/usr/bin/env bash
# Installs what docgen needs on a fresh Debian 12 machine; safe to run again (skips what is there).
#
#   bash scripts/setup.sh          what `docgen run` needs (scripts/run.sh)
#   bash scripts/setup.sh --test   that, plus what the suite needs (scripts/test.sh)
#
# Debian packages: LibreOffice (PDFs), python3-uno (its warm server), Liberation fonts; for the
# tests also Chromium, poppler-utils (PDF text), nginx (the stack) and Node.js (the test OpenID
# provider). Python: .venv holds exactly uv.lock (uv sync --frozen: nothing newer, nothing
# unlocked); .uvenv is a system-Python venv for unoserver, which must import Debian's `uno` module.
# Each step prints how long it took, so a slow first start shows where its time went.
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=false
[ "${1:-}" = "--test" ] && for_tests=true

step_started=$SECONDS
step_done() { echo "setup: $1 ($((SECONDS - step_started)) s)"; step_started=$SECONDS; }

need_apt=()
command -v soffice >/dev/null || need_apt+=(libreoffice-writer-nogui)
/usr/bin/python3 -c 'import uno' 2>/dev/null || need_apt+=(python3-uno)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)
fc-list 2>/dev/null | grep -qi "Liberation Sans" || need_apt+=(fonts-liberation)
command -v npm >/dev/null || need_apt+=(nodejs npm)  # GOV.UK Frontend's assets; the test OpenID provider
if $for_tests; then
  command -v chromium >/dev/null || need_apt+=(chromium)
  command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
  command -v nginx >/dev/null || need_apt+=(nginx-light)  # the stack's reverse proxy (docs/nginx/, tests/e2e/test_stack.py)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  step_done "Debian packages"
fi

# uv lives in its own venv: `uv sync` removes from .venv whatever the lock does not name.
if ! .tools/bin/uv --version 2>/dev/null | grep -q "$(sed -n 's/^uv==\([^ ]*\).*/\1/p' scripts/uv-requirements.txt)"; then
  echo "setup: installing uv into .tools"
  "${PYTHON:-python3}" -m venv --without-pip .tools  # pip from outside: no ensurepip, faster
  "${PYTHON:-python3}" -m pip --python .tools/bin/python install -q --disable-pip-version-check \
    --require-hashes -r scripts/uv-requirements.txt
  step_done "uv"
fi
export UV_PYTHON_DOWNLOADS=never  # the machine's own CPython 3.11; uv must not fetch one
if $for_tests; then
  .tools/bin/uv sync -q --frozen --python "${PYTHON:-python3}" --extra test  # exactly the lock
else
  .tools/bin/uv sync -q --frozen --python "${PYTHON:-python3}" --inexact  # leaves test extras alone
fi
step_done "Python packages from uv.lock"

unoserver_pin=$(.tools/bin/uv export -q --frozen --no-hashes --no-emit-project --no-header | grep '^unoserver==' | sed 's/ *;.*//')
if ! .tools/bin/uv pip freeze -q --python .uvenv/bin/python 2>/dev/null | grep -qx "$unoserver_pin"; then
  echo "setup: installing $unoserver_pin into .uvenv (Debian's python3, for uno)"
  /usr/bin/python3 -m venv --system-site-packages --without-pip .uvenv
  .tools/bin/uv pip install -q --python .uvenv/bin/python --no-deps "$unoserver_pin"
  step_done "unoserver"
fi

# The OpenID provider the sign-in tests run on loopback (npm oidc-provider, pinned by its lock file).
if $for_tests && { [ ! -d tests/oidc_provider/node_modules ] || [ tests/oidc_provider/package-lock.json -nt tests/oidc_provider/node_modules ]; }; then
  echo "setup: installing the test OpenID provider (npm ci)"
  npm ci --prefix tests/oidc_provider --no-audit --no-fund --silent
  touch tests/oidc_provider/node_modules
  step_done "test OpenID provider"
fi

bash scripts/assets.sh
step_done "GOV.UK Frontend assets"
