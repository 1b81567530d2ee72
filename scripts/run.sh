#!/usr/bin/env bash
# The main job: installs what is missing, builds the package when its sources changed, then
# serves the demo task board (www/) with a Cambium remote on 127.0.0.1 and prints its address.
# Arguments go to www/serve.mjs: --port N (default 8080, or PORT; 0 picks a free one) and
# --dir DIR (where the remote keeps its databases, default target/demo-remote).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

# wasm-pack relinks and rewrites pkg/ on every build even when nothing changed, so the build is
# skipped when the package is newer than every source it is made from.
stamp=pkg/web/cambium_bg.wasm
if [ ! -f "$stamp" ] || [ ! -f pkg/node/cambium_bg.wasm ] || [ ! -f pkg/bin/lib/server.js ] ||
  [ -n "$(find src js Cargo.toml Cargo.lock -newer "$stamp" -type f -print -quit)" ]; then
  bash scripts/build-pkg.sh
fi

exec node www/serve.mjs "$@"
