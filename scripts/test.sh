#!/usr/bin/env bash
# Every test of the project: formatting, lints (native and wasm32), the Rust tests natively, the
# same tests compiled to wasm in headless Chrome and in Node, and the built package's tests
# (pkg-tests/) in Node and in headless Chromium. Installs what is missing first.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --browser
export PATH="$HOME/.cargo/bin:$PATH"
# A linker that runs out of disk or memory dies without saying so; these two lines tell afterwards.
echo "[test] free disk: $(df -h --output=avail . | tail -1 | tr -d ' '), free memory: $(free -h | awk '/^Mem:/ { print $7 }')"

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

step "package tests (pkg-tests: Node and headless Chromium)"
# The built package (pkg/web, pkg/node) under node:test: the JS API and crashes in Node, IndexedDB
# through Playwright in Chromium. Its npm packages are installed when missing or when the lockfile
# changed since the last install.
bash scripts/build-pkg.sh
stamp=pkg-tests/node_modules/.installed-lock
if [ ! -f "$stamp" ] || ! cmp -s pkg-tests/package-lock.json "$stamp"; then
  echo "[test] installing the package tests' npm packages in pkg-tests/"
  (cd pkg-tests && npm ci --no-audit --no-fund)
  cp pkg-tests/package-lock.json "$stamp"
fi
# One test file at a time: the crash test's timings and the browser's stay undisturbed.
node --test --test-reporter=tap --test-concurrency=1 pkg-tests/ 2>&1 | tee -a "$log"

# Cargo's "test result: ok. N passed; M failed" lines and node:test's "# pass N" / "# fail N".
totals=$(grep -oE 'test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed|^# (pass|fail) [0-9]+$' "$log" |
  awk '/^test result/ { passed += $4; failed += $6 }
       /^# pass/ { passed += $3 }
       /^# fail/ { failed += $3 }
       END { print passed + 0, failed + 0 }')
read -r passed failed <<<"$totals"
[ "$passed" -gt 0 ] || { echo "no test ran" >&2; exit 1; }
echo
echo "$passed passed, $failed failed"
