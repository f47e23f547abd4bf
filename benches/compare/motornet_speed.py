"""Time MotorNet 0.3.0 and motornet-rs on the same open-loop workloads, in one run.

Usage (MotorNet needs PyTorch; install it in a throwaway virtual environment):
    python3 -m venv /tmp/mnenv && /tmp/mnenv/bin/pip install motornet==0.3.0
    cargo build --release -p motornet
    /tmp/mnenv/bin/python benches/compare/motornet_speed.py [--steps 100]

Both run float32 with 2 threads, constant excitation 0.5 from random initial joint states, and
report sample-steps per second (batch x steps / wall seconds of the stepping loop).
"""
import argparse
import os
import re
import subprocess
import time

# PyTorch's OpenMP workers spin after each parallel region and would steal the cores from the
# motornet-rs run that follows; let them sleep instead.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import motornet as mn

WORKLOADS = [
    ("RigidTendonArm26", "RigidTendonHillMuscle", 64),
    ("RigidTendonArm26", "RigidTendonHillMuscle", 1024),
    ("CompliantTendonArm26", "CompliantTendonHillMuscle", 64),
]


def motornet_rate(preset, muscle, batch, steps):
    if preset == "CompliantTendonArm26":
        eff = mn.effector.CompliantTendonArm26()
    else:
        eff = mn.effector.RigidTendonArm26(muscle=getattr(mn.muscle, muscle)())
    eff.reset(seed=0, options={"batch_size": batch})
    action = torch.full((batch, eff.n_muscles), 0.5)
    with torch.no_grad():
        eff.step(action)  # warm-up
        t0 = time.perf_counter()
        for _ in range(steps):
            eff.step(action)
        dt = time.perf_counter() - t0
    return batch * steps / dt


def rust_rate(preset, muscle, batch, steps, binary):
    out = subprocess.run(
        [binary, "simulate", "--preset", preset, "--muscle", muscle, "--batch", str(batch),
         "--steps", str(steps), "--precision", "f32", "--threads", "2", "--excitation", "0.5"],
        capture_output=True, text=True, check=True)
    return float(re.search(r"sample_steps_per_s=([0-9.eE+-]+)", out.stderr).group(1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--binary", default="target/release/motornet")
    a = p.parse_args()
    torch.set_num_threads(2)
    print(f"{'workload':45s} {'MotorNet':>12s} {'motornet-rs':>14s} {'ratio':>8s}")
    for preset, muscle, batch in WORKLOADS:
        steps = a.steps * (10 if preset == "CompliantTendonArm26" else 1)
        mn_steps = max(10, steps // 10) if preset == "CompliantTendonArm26" else steps
        m = motornet_rate(preset, muscle, batch, mn_steps)
        r = rust_rate(preset, muscle, batch, steps, a.binary)
        print(f"{preset + '/' + muscle + ' B=' + str(batch):45s} {m:12.0f} {r:14.0f} {r / m:8.0f}x")


if __name__ == "__main__":
    main()
