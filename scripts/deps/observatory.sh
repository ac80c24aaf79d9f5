#!/usr/bin/env bash
# Installs the MDN HTTP Observatory CLI (npm @mdn/mdn-http-observatory, scoring algorithm 4)
# for gonogo-harden's differential test, offline-capable:
#   - `--ignore-scripts`, because its postinstall downloads the HSTS preload list from the web;
#   - an empty `{}` as conf/hsts-preload.json instead.
# Installs into ${GONOGO_OBSERVATORY_DIR:-$HOME/.cache/gonogo/observatory}; the test finds the
# scanner there (or at $GONOGO_OBSERVATORY_SCAN) and prints why it skips when it is missing.
set -euo pipefail
dir="${GONOGO_OBSERVATORY_DIR:-$HOME/.cache/gonogo/observatory}"
version="1.4.8"
scan="$dir/node_modules/.bin/mdn-http-observatory-scan"
if [ -x "$scan" ] && grep -q "\"version\": \"$version\"" "$dir/node_modules/@mdn/mdn-http-observatory/package.json"; then
  exit 0
fi
command -v npm >/dev/null || { echo "observatory.sh: npm is not installed" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"private": true}' > package.json
npm install --ignore-scripts --no-audit --no-fund --silent "@mdn/mdn-http-observatory@$version"
echo '{}' > node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json
echo "observatory.sh: installed $scan" >&2
