"""Time motornet-rs from Python (motornet_rs) beside MotorNet 0.3.0 on the tutorial's workloads, in one run.

Usage:
    python3 -m venv /tmp/mnenv && /tmp/mnenv/bin/pip install motornet==0.3.0     # MotorNet + PyTorch
    python3 -m venv /tmp/pyvenv && /tmp/pyvenv/bin/pip install ./crates/python  # motornet_rs
    /tmp/pyvenv/bin/python benches/compare/python_speed.py [--mn-python /tmp/mnenv/bin/python]

The motornet_rs half runs in this interpreter; the MotorNet half in --mn-python (a subprocess:
the two packages live in different environments), both with 2 threads, one after the other.
Workloads:
 - simulate: RigidTendonArm26 (RigidTendonHillMuscle, Euler, dt 10 ms), batch 64, 100 steps of
   constant excitation 0.5, float64 (motornet_rs `Effector.simulate`; MotorNet `effector.step`
   in a loop under torch.no_grad); sample-steps per second;
 - gym: the tutorial environment (ReluPointMass24 on RandomTargetReach, 1 s), one episode of 100
   steps at batch 1 driven step by step from Python (MotorNetEnv.step; MotorNet env.step with a
   tensor action); steps per second;
 - train: one training batch of the tutorial (GRU 32, batch 32, 100 steps, L1 loss, Adam 1e-3,
   clipping at 1); seconds per batch (median of --batches after 2 warm-up ones).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
WARMUP = 2


def rs_part(batches):
    import numpy as np
    import motornet_rs as mn
    from motornet_rs.gym import MotorNetEnv

    out = {}
    eff = mn.Effector.preset("RigidTendonArm26", "RigidTendonHillMuscle")
    rng = np.random.default_rng(0)
    j0 = np.column_stack([rng.uniform(0.2, 1.4, 64), rng.uniform(0.3, 2.0, 64), np.zeros((64, 2))])
    u = np.full((100, 64, 6), 0.5)
    eff.simulate(j0, u)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        eff.simulate(j0, u)
        times.append(time.perf_counter() - t0)
    out["simulate"] = 64 * 100 / min(times)
    env = MotorNetEnv()
    env.reset(seed=0)
    a = np.full(4, 0.5, dtype=np.float32)
    t0 = time.perf_counter()
    n = 0
    for ep in range(3):
        env.reset(seed=ep)
        done = False
        while not done:
            _, _, done, _, _ = env.step(a)
            n += 1
    out["gym"] = n / (time.perf_counter() - t0)
    trainer = mn.Trainer({"threads": 2})
    times = []
    for i in range(WARMUP + batches):
        t0 = time.perf_counter()
        trainer.train(1)
        if i >= WARMUP:
            times.append(time.perf_counter() - t0)
    out["train"] = statistics.median(times)
    return out


def mn_part(batches):
    import torch
    import motornet as mn

    torch.set_num_threads(2)
    torch.set_default_dtype(torch.float64)
    out = {}
    eff = mn.effector.RigidTendonArm26(muscle=mn.muscle.RigidTendonHillMuscle())
    eff.reset(seed=0, options={"batch_size": 64})
    action = torch.full((64, 6), 0.5)
    with torch.no_grad():
        eff.step(action)
        best = float("inf")
        for _ in range(3):
            eff.reset(seed=0, options={"batch_size": 64})
            t0 = time.perf_counter()
            for _ in range(100):
                eff.step(action)
            best = min(best, time.perf_counter() - t0)
    out["simulate"] = 64 * 100 / best
    torch.set_default_dtype(torch.float32)
    env = mn.environment.RandomTargetReach(effector=mn.effector.ReluPointMass24(), max_ep_duration=1.)
    a = torch.full((1, 4), 0.5)
    n = 0
    with torch.no_grad():
        t0 = time.perf_counter()
        for ep in range(3):
            env.reset(seed=ep, options={"batch_size": 1})
            done = False
            while not done:
                _, _, done, _, _ = env.step(action=a)
                n += 1
    out["gym"] = n / (time.perf_counter() - t0)
    torch.manual_seed(0)
    env = mn.environment.RandomTargetReach(effector=mn.effector.ReluPointMass24(), max_ep_duration=1.)
    policy = mn.policy.PolicyGRU(env.observation_space.shape[0], 32, env.n_muscles, device=torch.device("cpu"))
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3)
    times = []
    for i in range(WARMUP + batches):
        t0 = time.perf_counter()
        obs, info = env.reset(options={"batch_size": 32})
        h = policy.init_hidden(32)
        xy, tg = [info["states"]["fingertip"][:, None]], [info["goal"][:, None]]
        done = False
        while not done:
            action, h = policy(obs, h)
            obs, _, done, _, info = env.step(action=action)
            xy.append(info["states"]["fingertip"][:, None])
            tg.append(info["goal"][:, None])
        loss = torch.mean(torch.sum(torch.abs(torch.cat(xy, 1) - torch.cat(tg, 1)), dim=-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), max_norm=1.)
        opt.step()
        if i >= WARMUP:
            times.append(time.perf_counter() - t0)
    out["train"] = statistics.median(times)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mn-python", default="/tmp/mnenv/bin/python")
    p.add_argument("--batches", type=int, default=6)
    p.add_argument("--part", choices=["rs", "motornet"], help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.part == "motornet":
        print(json.dumps(mn_part(a.batches)))
        return
    rs = rs_part(a.batches)
    res = subprocess.run([a.mn_python, __file__, "--part", "motornet", "--batches", str(a.batches)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"the MotorNet half failed:\n{res.stderr}")
    m = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"{'workload':55s} {'MotorNet 0.3.0':>15s} {'motornet_rs':>12s} {'speed-up':>9s}")
    rows = [
        ("simulate RigidTendonArm26 B=64 T=100 f64 (sample-steps/s)", "simulate", False),
        ("gym step, tutorial env, batch 1 (steps/s)", "gym", False),
        ("train batch, tutorial (GRU 32, B=32, 100 steps) (s)", "train", True),
    ]
    for label, key, lower_is_better in rows:
        ratio = m[key] / rs[key] if lower_is_better else rs[key] / m[key]
        fmt = (lambda x: f"{x:.4f}") if lower_is_better else (lambda x: f"{x:.0f}")
        print(f"{label:55s} {fmt(m[key]):>15s} {fmt(rs[key]):>12s} {ratio:8.1f}x")


if __name__ == "__main__":
    main()
