#!/usr/bin/env bash
# The cost of compliant tendons in training (issue 18): seconds per batch of
#   motornet train --effector CompliantTendonArm26 --task CentreOutReach
# against the same with --effector RigidTendonArm26, in one run on the same machine. Both take
# the CentreOutReach recipe (GRU 64, batch 32, 100 steps of 10 ms, Euler); the compliant arm's
# muscles integrate their fibres implicitly (2 Radau IIA sub-steps of 5 ms, Newton solves; the
# VJP by the sub-steps' adjoint from the forward record). Issue 18 asks for at most 2 times.
#
# Usage: bash benches/compare/compliant_speed.sh      (from anywhere)
# Env:   BATCHES   batches of each run (default 60; the first 2 are not timed)
#        REPS      runs of each effector (default 3)
#        THREADS   worker threads of each run (default 2)
#
# Each run's batch time is the median of its log.csv's `seconds` column (which times
# `Trainer::batch` alone: forward, backward and optimiser step) after 2 untimed warm-up batches.
# Machines that share their cores vary by ±30 % from minute to minute, so the two effectors
# alternate (rigid, compliant, rigid, compliant, ...) and the median of each effector's run
# medians is compared. The last line is `compliant_over_rigid=<ratio>` (median of medians).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=benches/compare/common.sh
source "$root/benches/compare/common.sh"
batches="${BATCHES:-60}"
reps="${REPS:-3}"
threads="${THREADS:-2}"

for var in batches reps threads; do
    if ! [[ "${!var}" =~ ^[1-9][0-9]*$ ]]; then
        echo "error: ${var^^} must be a whole number >= 1, got '${!var}'" >&2
        exit 1
    fi
done
if ((batches < 3)); then
    echo "error: BATCHES must be >= 3 (the first 2 batches are not timed), got $batches" >&2
    exit 1
fi

build_and_tmp

names=("RigidTendonArm26" "CompliantTendonArm26")

for ((r = 1; r <= reps; r++)); do
    for i in "${!names[@]}"; do
        name="${names[$i]}"
        out="$tmp/run$i-$r"
        if ! "$bin" train --quiet --threads "$threads" --effector "$name" --task CentreOutReach \
            --batches "$batches" --out "$out" 2>"$tmp/err"; then
            cat "$tmp/err" >&2
            echo "error: motornet train failed for $name" >&2
            exit 1
        fi
        # the `seconds` column of log.csv (found by its header), batches 3 onwards
        col="$(head -n1 "$out/log.csv" | tr ',' '\n' | grep -nx 'seconds' | cut -d: -f1)"
        if [[ -z "$col" ]]; then
            echo "error: $out/log.csv has no seconds column" >&2
            exit 1
        fi
        tail -n +4 "$out/log.csv" | cut -d, -f"$col" >"$tmp/batches"
        spb="$(median "$tmp/batches")"
        if [[ -z "$spb" ]]; then
            echo "error: no batch times in log.csv from motornet train for $name" >&2
            exit 1
        fi
        echo "rep=$r effector=$name seconds_per_batch_median=$spb"
        echo "$spb" >>"$tmp/spb-$i"
        rm -rf "$out"
    done
done

rigid="$(median "$tmp/spb-0")"
compliant="$(median "$tmp/spb-1")"
echo
printf '%-24s %14s %s\n' "effector" "s/batch (med)" "runs"
for i in "${!names[@]}"; do
    printf '%-24s %14.4f %s\n' "${names[$i]}" "$(median "$tmp/spb-$i")" "$(sort -g "$tmp/spb-$i" | tr '\n' ' ')"
done
echo "(median of $reps runs of $batches batches each, batch time = median after 2 warm-up batches; $threads threads on $(nproc) cores)"
awk -v c="$compliant" -v r="$rigid" 'BEGIN { printf "compliant_over_rigid=%.2f\n", c / r }'
