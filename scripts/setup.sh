#!/usr/bin/env bash
# Installs what building and testing Cambium needs and is missing; skips what is present, so a
# repeat run costs a few seconds. Sourced by run.sh, test.sh and bench.sh.
#   setup.sh            toolchain for native and wasm builds
#   setup.sh --browser  also Chromium and ChromeDriver for headless browser tests
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"

WASM_PACK_VERSION=0.15.1
# wasm-bindgen-cli must match the wasm-bindgen library version pinned in Cargo.lock exactly.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

command -v cargo >/dev/null || { echo "cargo is required (install Rust with rustup)" >&2; exit 1; }

for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    say "adding rustup component $component"
    rustup component add "$component"
  fi
done

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-pack --version 2>/dev/null | grep -q " $WASM_PACK_VERSION\$"; then
  say "installing wasm-pack $WASM_PACK_VERSION (a few minutes, once)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ "${1:-}" = "--browser" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing chromium and chromium-driver"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
  fi
fi

command -v node >/dev/null || { echo "node (20 or later) is required" >&2; exit 1; }

# npm packages of every part of the project that has a package.json, reinstalled only when the
# lockfile changed since the last install. benches/ is left to bench.sh: its peers are needed only
# there, and better-sqlite3 may compile from source for minutes.
for dir in . pkg-tests www; do
  if [ -f "$dir/package.json" ]; then
    stamp="$dir/node_modules/.installed-lock"
    if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
      say "installing npm packages in $dir"
      (cd "$dir" && npm ci --no-audit --no-fund)
      cp "$dir/package-lock.json" "$stamp"
    fi
  fi
done
