#!/usr/bin/env bash
# Benchmarks: runs the prolly workloads natively and in wasm under Node, prints them side by side
# and rewrites their table in docs/benchmarks.md. Not part of the test command.
#   bench.sh [--smoke]   --smoke runs small sizes, to check the harness quickly
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p target/bench-out

cargo bench --features bench --bench prolly -- "$@" | tee target/bench-out/native.jsonl
wasm-pack build --release --target nodejs --out-dir target/bench-pkg --out-name cambium \
  --no-pack -- --features bench
node benches/prolly-wasm.mjs "$@" | tee target/bench-out/wasm.jsonl
node benches/report.mjs target/bench-out/native.jsonl target/bench-out/wasm.jsonl docs/benchmarks.md
