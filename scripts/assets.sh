#!/usr/bin/env bash
# Fetches GOV.UK Frontend (pinned: govuk-frontend-jinja 4.1.0 targets 6.3.0) into docgen/static,
# which Flask serves at /assets (the CSS refers to /assets/fonts/... and /assets/images/...).
# The fetched files are not committed; running this again skips when they are there.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=6.3.0
STATIC=docgen/static
if [ -f "$STATIC/govuk-frontend.min.css" ] && [ -f "$STATIC/govuk-frontend.min.js" ] \
   && [ -f "$STATIC/manifest.json" ] && grep -qs "$VERSION" "$STATIC/GOVUK-FRONTEND-VERSION"; then
  exit 0
fi

command -v npm >/dev/null || { echo "assets: npm is needed to fetch govuk-frontend@$VERSION" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "assets: fetching govuk-frontend@$VERSION"
(cd "$work" && npm pack --silent "govuk-frontend@$VERSION" >/dev/null && tar -xzf "govuk-frontend-$VERSION.tgz")
dist="$work/package/dist/govuk"
mkdir -p "$STATIC"
cp "$dist/govuk-frontend.min.css" "$dist/govuk-frontend.min.js" "$STATIC/"
cp -R "$dist/assets/." "$STATIC/"
# The npm package ships no LICENSE file (6.3.0): keep its licence statement from the README.
licence=$(ls "$work"/package/LICEN[CS]E* 2>/dev/null | head -1 || true)
if [ -n "$licence" ]; then
  cp "$licence" "$STATIC/GOVUK-FRONTEND-LICENSE.txt"
else
  { echo "govuk-frontend $VERSION (https://github.com/alphagov/govuk-frontend), from its README:"; echo
    sed -n '/^## Licence/,/^## /p' "$work/package/README.md" | sed '$d'; } > "$STATIC/GOVUK-FRONTEND-LICENSE.txt"
fi
echo "$VERSION" > "$STATIC/GOVUK-FRONTEND-VERSION"
