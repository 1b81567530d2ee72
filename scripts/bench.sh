#!/usr/bin/env bash
# Benchmarks: runs the prolly and SQL workloads natively and in wasm under Node, the SQL ones next
# to other in-memory databases (benches/sql-peers.mjs) and the version-control SQL ones next to
# DoltLite's wasm build (benches/dolt-peers.mjs), and the browser build on IndexedDB in headless
# Chromium next to raw IndexedDB and PGlite (benches/idb-bench.mjs), clone, push and pull over
# loopback HTTP (benches/remote-bench.mjs), replica lag and commit rates with replication
# (benches/replication-bench.mjs), persisted workloads on disk next to better-sqlite3 and PGlite
# (benches/persist-peers.mjs), prints them side by side and rewrites their tables in
# docs/benchmarks.md, with a summary of Cambium against the best peer per workload and its chart
# (benches/summary.mjs). Not part of the test command.
#   bench.sh [--smoke]   --smoke runs small sizes, to check the harness quickly
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p target/bench-out

# The peers of the SQL benchmark (benches/package.json), installed when missing or when the
# lockfile changed since the last install.
stamp=benches/node_modules/.installed-lock
if [ ! -f "$stamp" ] || ! cmp -s benches/package-lock.json "$stamp"; then
  echo "[bench] installing the SQL benchmark's peers in benches/"
  (cd benches && npm ci --no-audit --no-fund)
  cp benches/package-lock.json "$stamp"
fi

# Everything is built before anything is measured, so that native and wasm figures come from the
# same sources and no compiler competes with the measurements.
cargo bench --features bench --bench prolly --bench sql --bench dolt --no-run
wasm-pack build --release --target nodejs --out-dir target/bench-pkg --out-name cambium \
  --no-pack -- --features bench
# The browser build (pkg/web) that benches/idb-bench.mjs serves to Chromium.
bash scripts/build-pkg.sh

cargo bench --features bench --bench prolly -- "$@" | tee target/bench-out/native.jsonl
cargo bench --features bench --bench sql -- "$@" | tee target/bench-out/sql-native.jsonl
node benches/prolly-wasm.mjs "$@" | tee target/bench-out/wasm.jsonl
# --expose-gc lets the runner collect garbage between engines, outside the timed workloads.
node --expose-gc benches/sql-peers.mjs "$@" | tee target/bench-out/sql-peers.jsonl
cargo bench --features bench --bench dolt -- "$@" | tee target/bench-out/dolt-native.jsonl
node --expose-gc benches/dolt-peers.mjs "$@" | tee target/bench-out/dolt-peers.jsonl
node benches/report.mjs target/bench-out/native.jsonl target/bench-out/wasm.jsonl docs/benchmarks.md
node benches/sql-report.mjs target/bench-out/sql-native.jsonl target/bench-out/sql-peers.jsonl \
  docs/benchmarks.md
node benches/dolt-report.mjs target/bench-out/dolt-native.jsonl target/bench-out/dolt-peers.jsonl \
  docs/benchmarks.md
# Start-up and size of the shipped Node build next to the peers' (fresh processes).
node benches/start-bench.mjs "$@" | tee target/bench-out/start.jsonl
node benches/start-report.mjs target/bench-out/start.jsonl docs/benchmarks.md
# Remotes over loopback HTTP: clone, push and pull against cambium remote-server's handler.
node benches/remote-bench.mjs "$@" | tee target/bench-out/remote.jsonl
node benches/remote-report.mjs target/bench-out/remote.jsonl docs/benchmarks.md
# Replication over loopback HTTP: replica lag (polling and live) and a primary's commit rate.
node benches/replication-bench.mjs "$@" | tee target/bench-out/replication.jsonl
node benches/replication-report.mjs target/bench-out/replication.jsonl docs/benchmarks.md
# Persistence in the browser: pkg/web on IndexedDB in headless Chromium (playwright-core from
# benches/node_modules, the system's /usr/bin/chromium).
node benches/idb-bench.mjs "$@" | tee target/bench-out/idb.jsonl
node benches/idb-report.mjs target/bench-out/idb.jsonl docs/benchmarks.md
# Persistence on disk in Node: the package on files next to better-sqlite3 and PGlite on disk.
node benches/persist-peers.mjs "$@" | tee target/bench-out/persist-peers.jsonl
# Where Cambium stands: every workload with peers in one table and one chart.
node benches/summary.mjs target/bench-out docs/benchmarks.md
