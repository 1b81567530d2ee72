#!/usr/bin/env bash
# The main job: installs what is missing, then runs the tour of Cambium's storage engine, which
# builds a large prolly map and shows edits, diff and merge on it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo run --release --example tour -- "$@"
