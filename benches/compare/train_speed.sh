#!/usr/bin/env bash
# Compare training speed (seconds per batch) of motornet-rs's `train` command and MotorNet 0.3.0
# (PyTorch) on the same three workloads, in one run on the same machine, both with 2 threads;
# then motornet-rs's LSTM 32 (dfdx autodiff path) against its hand-written GRU 32 on the tutorial.
#
# Usage: bash benches/compare/train_speed.sh      (from anywhere)
# Env:   MOTORNET_PY   python with motornet==0.3.0 installed (default /tmp/mnenv/bin/python);
#                      set it up with: python3 -m venv /tmp/mnenv && /tmp/mnenv/bin/pip install motornet==0.3.0
#        MN_BATCHES    timed MotorNet batches per workload (default 8)
#        REPS          runs of each motornet-rs workload (default 3)
#
# Workloads (MotorNet's tutorial set-up: RandomTargetReach, 1 s episodes, L1 position loss,
# Adam 1e-3, gradient norm clipped to 1):
#   ReluPointMass24                           GRU 32,  batch 32
#   RigidTendonArm26/MujocoHillMuscle         GRU 32,  batch 32
#   RigidTendonArm26/RigidTendonHillMuscle    GRU 128, batch 64
#
# Both sides are timed by the same rule: the median wall time of one batch (forward, backward
# and optimiser step) after 2 untimed warm-up batches. For motornet-rs the batches' times come
# from the run's log.csv (its `seconds` column times `Trainer::batch` alone); the whole run's
# seconds_per_batch, a mean that also counts the first batch's allocations and any pause of
# the machine, is printed beside it.
#
# Machines that share their cores (virtual machines, laptops) vary by ±30 % from minute to
# minute, so each motornet-rs workload runs REPS times — half before MotorNet's timing, half
# after, the workloads alternating — and the median of the runs' medians is compared with
# MotorNet's median batch. The LSTM and the GRU 32 alternate the same way.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=benches/compare/common.sh
source "$root/benches/compare/common.sh"
py="${MOTORNET_PY:-/tmp/mnenv/bin/python}"
mn_batches="${MN_BATCHES:-8}"
reps="${REPS:-3}"

if [[ ! -x "$py" ]]; then
    echo "error: $py not found; set MOTORNET_PY or run:" >&2
    echo "  python3 -m venv /tmp/mnenv && /tmp/mnenv/bin/pip install motornet==0.3.0" >&2
    exit 1
fi
if ! [[ "$reps" =~ ^[1-9][0-9]*$ ]]; then
    echo "error: REPS must be a whole number >= 1, got '$reps'" >&2
    exit 1
fi

build_and_tmp

names=(
    "ReluPointMass24"
    "RigidTendonArm26/MujocoHillMuscle"
    "RigidTendonArm26/RigidTendonHillMuscle"
    "ReluPointMass24/lstm32"
)
args=(
    "--effector ReluPointMass24 --batches 200"
    "--effector RigidTendonArm26 --muscle MujocoHillMuscle --batches 200"
    "--effector RigidTendonArm26 --muscle RigidTendonHillMuscle --hidden 128 --batch-size 64 --batches 60"
    "--effector ReluPointMass24 --network lstm --hidden 32 --batches 200"
)

# run_ours REP: every workload once, appending its median batch time (log.csv, after 2
# warm-up batches) to $tmp/spb-<index>
run_ours() {
    local rep="$1" i line spb
    for i in "${!names[@]}"; do
        # shellcheck disable=SC2086  # the flags are meant to split
        if ! "$bin" train --quiet --threads 2 --out "$tmp/run$i-$rep" ${args[$i]} 2>"$tmp/err"; then
            cat "$tmp/err" >&2
            echo "error: motornet train failed for ${names[$i]}" >&2
            exit 1
        fi
        line="$(grep '^train:' "$tmp/err" | tail -n1)"
        # the `seconds` column of log.csv (the last), batches 3 onwards
        tail -n +4 "$tmp/run$i-$rep/log.csv" | awk -F, '{ print $NF }' >"$tmp/batches"
        spb="$(median "$tmp/batches")"
        if [[ -z "$spb" ]]; then
            echo "error: no batch times in log.csv from motornet train for ${names[$i]}" >&2
            exit 1
        fi
        echo "motornet-rs rep=$rep workload=${names[$i]} seconds_per_batch_median=$spb $line"
        echo "$spb" >>"$tmp/spb-$i"
        rm -rf "$tmp/run$i-$rep"
    done
}

before=$(((reps + 1) / 2))
for ((r = 1; r <= before; r++)); do run_ours "$r"; done
"$py" "$root/benches/compare/motornet_train_speed.py" --threads 2 --batches "$mn_batches" | tee "$tmp/py.txt"
for ((r = before + 1; r <= reps; r++)); do run_ours "$r"; done

echo
printf '%-40s %20s %22s %8s\n' "workload" "motornet-rs s/batch" "MotorNet s/batch (med)" "ratio"
for i in 0 1 2; do
    name="${names[$i]}"
    ours="$(median "$tmp/spb-$i")"
    mn="$(grep -F "workload=$name " "$tmp/py.txt" | sed -n 's/.*seconds_per_batch_median=\([0-9.eE+-]*\).*/\1/p')"
    awk -v n="$name" -v r="$ours" -v m="$mn" \
        'BEGIN { printf "%-40s %20.4f %22.4f %7.1fx\n", n, r, m, (r > 0 ? m / r : 0) }'
done
echo "(ratio = MotorNet / motornet-rs, median batch after 2 warm-up batches on both sides; motornet-rs: median of $reps runs; both with 2 threads on $(nproc) cores)"
awk -v l="$(median "$tmp/spb-3")" -v g="$(median "$tmp/spb-0")" \
    'BEGIN { printf "lstm 32 (dfdx) / gru 32 (hand-written), tutorial, medians: %.4f / %.4f s = %.2fx\n", l, g, l / g }'
