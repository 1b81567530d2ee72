#!/usr/bin/env bash
# Builds the npm package into pkg/: pkg/web/ for browsers (an ES module with `init`) and pkg/node/
# for Node (CommonJS), both named cambium.js next to cambium_bg.wasm; the `cambium` command in
# pkg/bin/ (from js/cli/); the types (pkg/cambium.d.ts, from js/cambium.d.ts); and
# pkg/package.json. `npm install ./pkg` installs it. pkg-tests/ tests it.
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

# Each build says its module system, so Node and bundlers read web/ as ES modules and node/ as
# CommonJS whatever the package's own default is.
echo '{ "type": "module" }' >pkg/web/package.json
echo '{ "type": "commonjs" }' >pkg/node/package.json

rm -rf pkg/bin
mkdir -p pkg/bin
cp -R js/cli/. pkg/bin/
chmod +x pkg/bin/cambium.js
cp js/cambium.d.ts pkg/cambium.d.ts
node js/package-json.mjs Cargo.toml pkg/package.json
