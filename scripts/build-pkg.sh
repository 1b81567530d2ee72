#!/usr/bin/env bash
# Builds the JS package into pkg/: pkg/web/ for browsers (an ES module with `init`) and pkg/node/
# for Node (CommonJS), both named cambium.js next to cambium_bg.wasm. pkg-tests/ tests them.
# Rebuilds each time (cargo skips what is up to date); leaves nothing else behind.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v wasm-pack >/dev/null || { echo "wasm-pack is missing: run bash scripts/setup.sh" >&2; exit 1; }

for target in web nodejs; do
  out=pkg/${target%js}
  wasm-pack build --release --target "$target" --out-dir "$out" --out-name cambium --no-pack
  # wasm-pack writes a .gitignore of '*' into its output; pkg/ is ignored as a whole instead.
  rm -f "$out/.gitignore"
done
