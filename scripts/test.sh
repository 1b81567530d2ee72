#!/usr/bin/env bash
# Every test of the project: formatting, lints (native and wasm32), the Rust tests natively, the
# same tests compiled to wasm in headless Chrome and in Node. Installs what is missing first.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --browser
export PATH="$HOME/.cargo/bin:$PATH"

# Every step's output is kept so the totals of all test runs can be printed at the end.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*" | tee -a "$log"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native)"
cargo clippy --all-targets --all-features -- -D warnings

step "cargo clippy (wasm32)"
cargo clippy --all-targets --all-features --target wasm32-unknown-unknown -- -D warnings

step "cargo test (native)"
cargo test --all-features 2>&1 | tee -a "$log"

step "wasm-pack test --headless --chrome"
WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome 2>&1 | tee -a "$log"

step "wasm-pack test --node"
# `node-tests` adds the tests that need Node's file system (tests/files_node.rs).
wasm-pack test --node -- --features node-tests 2>&1 | tee -a "$log"

totals=$(grep -oE 'test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed' "$log" |
  awk '{ passed += $4; failed += $6 } END { print passed + 0, failed + 0 }')
read -r passed failed <<<"$totals"
[ "$passed" -gt 0 ] || { echo "no test ran" >&2; exit 1; }
echo
echo "$passed passed, $failed failed"
