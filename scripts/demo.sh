#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running cache tier:
# installs the dependencies, builds, and serves on 127.0.0.1:8080 with the
# demo origin shipped in demo/origin (a file:// origin). Ctrl-C stops it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/install-deps.sh"
# Only the binary: a newcomer sees it running without waiting for the tests to build.
"$ROOT/scripts/build.sh" cache-tier

CACHE_DIR="${CACHE_DIR:-$ROOT/build/demo-cache}"
LISTEN="${LISTEN:-127.0.0.1:8080}"
mkdir -p "$CACHE_DIR"
cat <<MSG

cache-tier demo: origin file://$ROOT/demo/origin, cache $CACHE_DIR
Try, in another terminal:
  curl http://$LISTEN/verify/episode-001.mp3          # not cached yet: starts a fill
  curl http://$LISTEN/verify/episode-001.mp3          # a moment later: "available": true
  curl -IL http://$LISTEN/download/episode-001.mp3    # 302 to the local copy, then the file
  curl -r 0-99 -o /dev/null -w '%{http_code}\n' http://$LISTEN/static/files_cache/episode-001.mp3

MSG
exec "$ROOT/build/cache-tier" serve --listen "$LISTEN" --cache-dir "$CACHE_DIR" \
  --origin "file://$ROOT/demo/origin" --access-log - "$@"
