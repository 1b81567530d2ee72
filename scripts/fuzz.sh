#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for a bounded time: `bash scripts/fuzz.sh [SECONDS_PER_TARGET]`
# (60 by default). Each target starts from its corpus in fuzz/corpus/<target> (the committed
# seeds and whatever earlier runs added) and grows it; a crash, timeout or out-of-memory input
# is kept in fuzz/artifacts/<target>/. Prints, per target, the executions, the time, the corpus
# and the findings, and exits 1 when any target found something. Not part of scripts/test.sh:
# the regression tests in tests/fuzz_regressions.rs replay what was found.
#
# cargo fuzz needs nightly compiler flags (sanitizers, coverage instrumentation); RUSTC_BOOTSTRAP
# lets the stable toolchain accept them, so no second toolchain is needed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cd fuzz
targets=$(cargo fuzz list)
cargo fuzz build

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
found=0
summary=()
for target in $targets; do
  mkdir -p "corpus/$target" "artifacts/$target"
  before=$(find "artifacts/$target" -type f | wc -l)
  echo "== $target: ${seconds}s"
  # -timeout: an input running this long is a finding (a statement or request without bound);
  # -rss_limit_mb: so is one that needs this much memory.
  status=0
  cargo fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" >"$logs/$target" 2>&1 || status=$?
  tail -n 25 "$logs/$target"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target" | tail -1)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$logs/$target" | tail -1)
  files=$(find "corpus/$target" -type f | wc -l)
  bytes=$(du -sk "corpus/$target" | cut -f1)
  findings=$(( $(find "artifacts/$target" -type f | wc -l) - before ))
  if [ "$status" -ne 0 ] || [ "$findings" -gt 0 ]; then
    found=1
  fi
  summary+=("$target: ${runs:-?} executions in ${took:-?} s, corpus $files inputs ($bytes KiB), $findings new findings, exit $status")
done

echo
echo "== fuzzing summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
ls -l artifacts/*/ 2>/dev/null | grep -v '^total' || true
exit "$found"
