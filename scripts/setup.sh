#!/usr/bin/env bash
# Installs what docgen needs on a fresh Debian 12 machine; safe to run again (skips what is there).
# Debian packages: LibreOffice (PDFs), python3-uno (its warm server), Chromium (browser tests), nginx (the stack),
# poppler-utils (PDF text in tests). Python: .venv with docgen and its test extras; .uvenv is a
# system-Python venv for unoserver, which must import Debian's `uno` module.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v soffice >/dev/null || need_apt+=(libreoffice-writer-nogui)
/usr/bin/python3 -c 'import uno' 2>/dev/null || need_apt+=(python3-uno)
/usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v pdftotext >/dev/null || need_apt+=(poppler-utils)
command -v nginx >/dev/null || need_apt+=(nginx-light)  # the stack's reverse proxy (docs/nginx/, tests/e2e/test_stack.py)
command -v npm >/dev/null || need_apt+=(nodejs npm)  # the test OpenID provider (and GOV.UK Frontend's assets)
fc-list 2>/dev/null | grep -qi "Liberation Sans" || need_apt+=(fonts-liberation)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.docgen-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[test]"
  touch "$stamp"
fi

if [ ! -x .uvenv/bin/unoserver ]; then
  echo "setup: installing unoserver into .uvenv (Debian's python3, for uno)"
  /usr/bin/python3 -m venv --system-site-packages .uvenv
  .uvenv/bin/pip install -q unoserver
fi

# The OpenID provider the sign-in tests run on loopback (npm oidc-provider, pinned by its lock file).
if [ ! -d tests/oidc_provider/node_modules ] || [ tests/oidc_provider/package-lock.json -nt tests/oidc_provider/node_modules ]; then
  echo "setup: installing the test OpenID provider (npm ci)"
  npm ci --prefix tests/oidc_provider --no-audit --no-fund --silent
  touch tests/oidc_provider/node_modules
fi

if [ -f scripts/assets.sh ]; then bash scripts/assets.sh; fi
