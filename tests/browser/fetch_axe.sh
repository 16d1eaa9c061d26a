#!/usr/bin/env bash
# Puts axe.min.js (npm package axe-core, major version 4) under tests/browser/vendor/ for the
# accessibility check in the browser tests. Idempotent: does nothing when it is already there.
# The vendor directory is gitignored; CI runs this through `make chromium`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vendor="$here/vendor"
target="$vendor/axe.min.js"
if [[ -s "$target" ]]; then
  exit 0
fi
command -v npm >/dev/null || { echo "fetch_axe.sh: npm is needed to fetch axe-core" >&2; exit 1; }
mkdir -p "$vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@4" >/dev/null)
tar -xzf "$work"/axe-core-*.tgz -C "$work"
cp "$work/package/axe.min.js" "$target.tmp"
cp "$work/package/LICENSE" "$vendor/axe-core.LICENSE" 2>/dev/null || true
mv "$target.tmp" "$target"
echo "fetch_axe.sh: axe-core $(node -p "require('$work/package/package.json').version" 2>/dev/null || echo '?') -> $target"
