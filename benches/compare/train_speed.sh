#!/usr/bin/env bash
# Compare training speed (seconds per batch) of motornet-rs's `train` command and MotorNet 0.3.0
# (PyTorch) on the same three workloads, in one run on the same machine, both with 2 threads.
#
# Usage: bash benches/compare/train_speed.sh      (from anywhere)
# Env:   MOTORNET_PY   python with motornet==0.3.0 installed (default /tmp/mnenv/bin/python);
#                      set it up with: python3 -m venv /tmp/mnenv && /tmp/mnenv/bin/pip install motornet==0.3.0
#        MN_BATCHES    timed MotorNet batches per workload (default 6)
#
# Then motornet-rs's LSTM 32 (dfdx autodiff path) on the tutorial, against its GRU 32.
#
# Workloads (MotorNet's tutorial set-up: RandomTargetReach, 1 s episodes, L1 position loss,
# Adam 1e-3, gradient norm clipped to 1):
#   ReluPointMass24                           GRU 32,  batch 32
#   RigidTendonArm26/MujocoHillMuscle         GRU 32,  batch 32
#   RigidTendonArm26/RigidTendonHillMuscle    GRU 128, batch 64
# motornet-rs reports seconds_per_batch over the whole run; MotorNet the median of its timed
# batches after 2 warm-up batches.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
py="${MOTORNET_PY:-/tmp/mnenv/bin/python}"
mn_batches="${MN_BATCHES:-6}"

if [[ ! -x "$py" ]]; then
    echo "error: $py not found; set MOTORNET_PY or run:" >&2
    echo "  python3 -m venv /tmp/mnenv && /tmp/mnenv/bin/pip install motornet==0.3.0" >&2
    exit 1
fi

cargo build --release -p motornet
bin="$root/target/release/motornet"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

names=(
    "ReluPointMass24"
    "RigidTendonArm26/MujocoHillMuscle"
    "RigidTendonArm26/RigidTendonHillMuscle"
)
args=(
    "--effector ReluPointMass24 --batches 200"
    "--effector RigidTendonArm26 --muscle MujocoHillMuscle --batches 200"
    "--effector RigidTendonArm26 --muscle RigidTendonHillMuscle --hidden 128 --batch-size 64 --batches 60"
)

declare -A rs
for i in "${!names[@]}"; do
    name="${names[$i]}"
    # shellcheck disable=SC2086  # the flags are meant to split
    if ! "$bin" train --quiet --threads 2 --out "$tmp/run$i" ${args[$i]} 2>"$tmp/err$i"; then
        cat "$tmp/err$i" >&2
        echo "error: motornet train failed for $name" >&2
        exit 1
    fi
    line="$(grep '^train:' "$tmp/err$i" | tail -n1)"
    echo "motornet-rs workload=$name $line"
    spb="$(sed -n 's/.*seconds_per_batch=\([0-9.eE+-]*\).*/\1/p' <<<"$line")"
    if [[ -z "$spb" ]]; then
        cat "$tmp/err$i" >&2
        echo "error: no seconds_per_batch= from motornet train for $name" >&2
        exit 1
    fi
    rs[$name]="$spb"
done

"$py" "$root/benches/compare/motornet_train_speed.py" --threads 2 --batches "$mn_batches" | tee "$tmp/py.txt"

echo
printf '%-40s %18s %22s %8s\n' "workload" "motornet-rs s/batch" "MotorNet s/batch (med)" "ratio"
for name in "${names[@]}"; do
    mn="$(grep -F "workload=$name " "$tmp/py.txt" | sed -n 's/.*seconds_per_batch_median=\([0-9.eE+-]*\).*/\1/p')"
    awk -v n="$name" -v r="${rs[$name]}" -v m="$mn" \
        'BEGIN { printf "%-40s %18.4f %22.4f %7.1fx\n", n, r, m, (r > 0 ? m / r : 0) }'
done
echo "(ratio = MotorNet / motornet-rs; both with 2 threads on $(nproc) cores)"

# The dfdx path beside the hand-written GRU, on the tutorial: `--network lstm --hidden 32`
# (autodiff backward) against the GRU 32 timed above, in the same run.
if ! "$bin" train --quiet --threads 2 --out "$tmp/lstm" --effector ReluPointMass24 \
    --network lstm --hidden 32 --batches 200 2>"$tmp/err-lstm"; then
    cat "$tmp/err-lstm" >&2
    echo "error: motornet train --network lstm failed" >&2
    exit 1
fi
line="$(grep '^train:' "$tmp/err-lstm" | tail -n1)"
echo "motornet-rs workload=ReluPointMass24/lstm32 $line"
lstm="$(sed -n 's/.*seconds_per_batch=\([0-9.eE+-]*\).*/\1/p' <<<"$line")"
awk -v l="$lstm" -v g="${rs[ReluPointMass24]}" \
    'BEGIN { printf "lstm 32 (dfdx) / gru 32 (hand-written), tutorial: %.4f / %.4f s = %.2fx\n", l, g, l / g }'

