#!/usr/bin/env bash
# Coverage-guided fuzzing of motornet-rs's file parsers with AFL++ (issue 14), on stable Rust.
#
#     bash fuzz/run.sh [SECONDS_PER_TARGET]     (default 60)
#
# Installs what is missing (cargo-afl, which builds AFL++ from the sources it ships, and the
# C toolchain that build needs), builds the targets with `cargo afl build --release`, fuzzes
# each target (fuzz/src/bin/*.rs) for SECONDS_PER_TARGET from its seeds (fuzz/corpus/TARGET),
# and exits non-zero, listing the inputs, if any target crashed (a panic or an abort, e.g. a
# failed allocation under the memory limit) or hung. Findings stay in fuzz/out/TARGET/default/
# {crashes,hangs}; replay one with `fuzz/target/release/TARGET < FILE`.
#
# If AFL++ cannot be installed (no cargo, no root for apt-get) the script says so and fails:
# it never skips the fuzzing silently.
set -euo pipefail
cd "$(dirname "$0")"

SECONDS_PER_TARGET=${1:-60}
case $SECONDS_PER_TARGET in '' | *[!0-9]*)
    echo "usage: fuzz/run.sh [SECONDS_PER_TARGET]" >&2
    exit 2
    ;;
esac
TARGETS=(spec_json spec_toml scenario run_config_json run_config_toml checkpoint)
# the afl crate in Cargo.lock; cargo-afl must be the same version (its AFL++ runtime is linked in)
AFL_VERSION=$(awk '/^name = "afl"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

fail() {
    echo "fuzz/run.sh: $* (fuzzing did NOT run)" >&2
    exit 2
}

command -v cargo >/dev/null || fail "cargo is required"

# cargo-afl builds AFL++ (afl-fuzz and the runtime the targets link) with make and a C compiler
if ! command -v make >/dev/null || ! command -v cc >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "fuzz/run.sh: installing make and a C compiler (Debian packages)" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make gcc >/dev/null ||
            fail "apt-get could not install make and gcc, which building AFL++ needs"
    else
        fail "AFL++ cannot be installed: make and a C compiler are missing, and installing them needs root and apt-get"
    fi
fi

installed=$(cargo afl --version 2>/dev/null | awk '{print $2}' || true)
if [ "$installed" != "$AFL_VERSION" ]; then
    echo "fuzz/run.sh: installing cargo-afl $AFL_VERSION (builds AFL++; about a minute)" >&2
    cargo install cargo-afl --locked --version "$AFL_VERSION" --force ||
        fail "could not install cargo-afl $AFL_VERSION (AFL++ for Rust)"
fi
# the AFL++ runtime is built per rustc version: after a toolchain update, build it again
rt_dir=${XDG_DATA_HOME:-$HOME/.local/share}/afl.rs
rustc_v=$(rustc -V | awk '{print $2}')
if ! compgen -G "$rt_dir/rustc-$rustc_v*/afl.rs-$AFL_VERSION/afl-llvm/afl-compiler-rt.o" >/dev/null; then
    cargo afl config --build --force || fail "cargo afl config --build could not build AFL++"
fi

cargo afl build --release --locked

export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_AFFINITY=1 AFL_FAST_CAL=1 AFL_SKIP_CRASHES=0
rm -rf out
mkdir -p out
failed=()
summary=()
for t in "${TARGETS[@]}"; do
    echo "fuzz/run.sh: fuzzing $t for ${SECONDS_PER_TARGET}s" >&2
    # -m: memory limit (MB): an absurd allocation aborts and is a crash; -t: ms per input
    # before it counts as a hang
    if ! cargo afl fuzz -V "$SECONDS_PER_TARGET" -m 2048 -t 2000 -i "corpus/$t" -o "out/$t" \
        -- "target/release/$t" >"out/$t.log" 2>&1; then
        tail -n 30 "out/$t.log" >&2
        failed+=("$t: afl-fuzz failed (out/$t.log)")
        continue
    fi
    stats=out/$t/default/fuzzer_stats
    stat() { awk -v k="$1" '$1 == k { print $3 }' "$stats"; }
    summary+=("$t: execs=$(stat execs_done) execs_per_s=$(stat execs_per_sec) paths=$(stat corpus_count) edges=$(stat edges_found)/$(stat total_edges) crashes=$(stat saved_crashes) hangs=$(stat saved_hangs)")
    for f in "out/$t/default/crashes"/id:* "out/$t/default/hangs"/id:*; do
        [ -e "$f" ] && failed+=("$t: fuzz/$f")
    done
done
printf 'fuzz: %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz/run.sh: FAILED: crashes or hangs (replay: fuzz/target/release/TARGET < FILE):" >&2
    printf '  %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "fuzz/run.sh: ${#TARGETS[@]} targets, ${SECONDS_PER_TARGET}s each: no crash, no hang"
