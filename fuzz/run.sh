#!/usr/bin/env bash
# Fuzzes every target for N seconds each (default 60), starting from the committed seeds.
#
#   fuzz/run.sh [seconds-per-target]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`); installs nothing. Stable Rust is enough:
# RUSTC_BOOTSTRAP=1 lets it take the -Z flags cargo-fuzz passes (AddressSanitizer included).
# The first build instruments every dependency of the host (wasmtime included) and takes a long
# time; later runs reuse fuzz/target. The growing corpus is kept in fuzz/corpus/<target>
# (git-ignored); a crash is saved under fuzz/artifacts/<target>/ and makes the script fail.
set -euo pipefail

seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

export RUSTC_BOOTSTRAP=1
# Instrumented builds live in fuzz/target, apart from the host's normal builds.
unset CARGO_TARGET_DIR
# 16 codegen units: a much faster build of the large dependencies, at no cost that matters here.
flags=(--codegen-units 16)

cargo fuzz build "${flags[@]}"

status=0
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target"
    echo "=== $target: ${seconds}s"
    if ! cargo fuzz run "${flags[@]}" "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1; then
        echo "=== $target: FAILED, reproducer in fuzz/artifacts/$target/" >&2
        status=1
    fi
done
exit "$status"
