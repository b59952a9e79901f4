#!/usr/bin/env bash
# Moves uv.lock to the newest releases on purpose (monthly, and on any security advisory):
#
#   bash scripts/upgrade.sh
#
# 1. re-resolves every dependency to its newest release (uv lock --upgrade) and says what moved;
# 2. installs that into .venv and runs the whole suite (scripts/test.sh);
# 3. keeps the new lock only if the suite is green; otherwise puts the old lock (and .venv) back and
#    exits 1, the failing tests above saying what broke;
# 4. audits the kept lock with pip-audit (itself locked, dependency group "audit") against PyPI's
#    vulnerability data; exits 3 if a package has a known vulnerability or could not be audited.
# A green run leaves uv.lock changed: commit it with the suite's result in the message.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export UV_PYTHON_DOWNLOADS=never
uv=.tools/bin/uv

kept=$(mktemp)
trap 'rm -f "$kept"' EXIT
cp uv.lock "$kept"
echo "upgrade: re-resolving to the newest releases"
"$uv" lock --upgrade --python "${PYTHON:-python3}" 2>&1 | grep -E "^(Updated|Added|Removed)" || true
if cmp -s uv.lock "$kept"; then
  echo "upgrade: every dependency is already at its newest release"
else
  echo "upgrade: running the whole suite on the new lock"
  if ! bash scripts/test.sh -q; then
    cp "$kept" uv.lock
    bash scripts/setup.sh --test >/dev/null
    echo "upgrade: the suite failed on the newest releases (above); uv.lock and .venv are as they were." >&2
    echo "upgrade: pin the release that broke (e.g. 'cryptography<52' in pyproject.toml, with why) or fix" >&2
    echo "upgrade: docgen for it, then run this again." >&2
    exit 1
  fi
  echo "upgrade: the suite is green; uv.lock now holds the newest releases"
fi

echo "upgrade: auditing uv.lock for known vulnerabilities (pip-audit)"
audit_requirements=$(mktemp)
"$uv" export -q --frozen --only-group audit --no-emit-project > "$audit_requirements"
"$uv" pip install -q --python .tools/bin/python --require-hashes -r "$audit_requirements"
"$uv" export -q --frozen --all-extras --no-emit-project > "$audit_requirements"
# --strict: a package PyPI could not tell us about fails the audit instead of passing it silently.
if ! .tools/bin/pip-audit --strict --disable-pip --require-hashes -r "$audit_requirements"; then
  rm -f "$audit_requirements"
  echo "upgrade: the audit failed or was incomplete (above): upgrade or replace what it names, or, if it" >&2
  echo "upgrade: could not reach PyPI's vulnerability data, run it again where it can." >&2
  exit 3
fi
rm -f "$audit_requirements"
