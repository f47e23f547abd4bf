#!/usr/bin/env bash
# Compare simulation speed of motornet-rs and MuJoCo on the same MJCF model, in one run on the
# same machine, both with 2 threads: `motornet simulate` (f32 and f64) against MuJoCo's
# `rollout` (f64) of the same batch size and number of steps, from random joint positions
# under a constant control of 0.5.
#
# Usage: bash benches/compare/mujoco_speed.sh [MODEL.xml]   (default: the Arm3D preset's model)
# Env:   MUJOCO_PY  python with mujoco installed (default /tmp/mjenv/bin/python); set it up with:
#                   python3 -m venv /tmp/mjenv && /tmp/mjenv/bin/pip install mujoco==4.0.1 numpy
#        BATCH, STEPS (default 1024, 300), REPS (default 3: runs of each side, alternating)
#
# Prints every run's line, then the medians and the ratio motornet-rs / MuJoCo.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:-$root/crates/effector/data/arm3d.xml}"
py="${MUJOCO_PY:-/tmp/mjenv/bin/python}"
batch="${BATCH:-1024}"
steps="${STEPS:-300}"
reps="${REPS:-3}"
[ -f "$model" ] || { echo "mujoco_speed: no model file $model" >&2; exit 2; }
"$py" -c "import mujoco" 2>/dev/null || {
  echo "mujoco_speed: $py cannot import mujoco (see the header of this script)" >&2; exit 2; }

cargo build --release -q -p motornet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/motornet"
export RAYON_NUM_THREADS=2

rate() { sed -n 's/.*sample_steps_per_s=\([0-9.]*\).*/\1/p'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
f32s=() f64s=() mjs=()
for _ in $(seq "$reps"); do
  line="$("$bin" simulate --spec "$model" --batch "$batch" --steps "$steps" --precision f32 2>&1 >/dev/null | tail -1)"
  echo "$line"; f32s+=("$(echo "$line" | rate)")
  line="$("$bin" simulate --spec "$model" --batch "$batch" --steps "$steps" --precision f64 2>&1 >/dev/null | tail -1)"
  echo "$line"; f64s+=("$(echo "$line" | rate)")
  line="$("$py" "$root/benches/compare/mujoco_speed.py" "$model" --batch "$batch" --steps "$steps" --threads 2)"
  echo "$line"; mjs+=("$(echo "$line" | rate)")
done
f32m="$(printf '%s\n' "${f32s[@]}" | median)"
f64m="$(printf '%s\n' "${f64s[@]}" | median)"
mjm="$(printf '%s\n' "${mjs[@]}" | median)"
awk -v a="$f32m" -v b="$f64m" -v m="$mjm" 'BEGIN {
  printf "median sample_steps_per_s: motornet-rs f32 %.0f, f64 %.0f, MuJoCo %.0f\n", a, b, m
  printf "ratio motornet-rs/MuJoCo: f32 %.2f, f64 %.2f\n", a / m, b / m }'
