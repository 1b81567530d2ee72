#!/usr/bin/env bash
# Every test of the project: formatting, lints (native and wasm32), the Rust tests natively, the
# same tests compiled to wasm in headless Chrome and in Node. Installs what is missing first.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --browser
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native)"
cargo clippy --all-targets --all-features -- -D warnings

step "cargo clippy (wasm32)"
cargo clippy --all-targets --all-features --target wasm32-unknown-unknown -- -D warnings

step "cargo test (native)"
cargo test --all-features

step "wasm-pack test --headless --chrome"
WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome

step "wasm-pack test --node"
wasm-pack test --node

step "all tests passed"
