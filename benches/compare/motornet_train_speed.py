"""Time MotorNet 0.3.0's training batch on the workloads of `motornet train`.

Usage (MotorNet needs PyTorch; install it in a throwaway virtual environment):
    python3 -m venv /tmp/mnenv && /tmp/mnenv/bin/pip install motornet==0.3.0
    /tmp/mnenv/bin/python benches/compare/motornet_train_speed.py [--batches 6] [--threads 2]

benches/compare/train_speed.sh runs this next to motornet-rs's `train` command and prints both.

One training batch is exactly what MotorNet's tutorial does: reset RandomTargetReach (1 s
episodes) for a batch, roll the GRU policy out closed-loop until the episode terminates,
take the mean over batch and time of the L1 distance between fingertip and goal (initial
state included), backpropagate, clip the gradient norm to 1 and take one Adam step (lr 1e-3).
Each workload runs 2 untimed warm-up batches, then reports the median and minimum wall
seconds of --batches timed ones.
"""
import argparse
import os
import statistics
import time

# PyTorch's OpenMP workers spin after each parallel region and would steal the cores from
# whatever runs next on the machine; let them sleep instead.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import motornet as mn

# (name, effector factory, hidden units, batch size)
WORKLOADS = [
    ("ReluPointMass24", lambda: mn.effector.ReluPointMass24(), 32, 32),
    ("RigidTendonArm26/MujocoHillMuscle",
     lambda: mn.effector.RigidTendonArm26(muscle=mn.muscle.MujocoHillMuscle()), 32, 32),
    ("RigidTendonArm26/RigidTendonHillMuscle",
     lambda: mn.effector.RigidTendonArm26(muscle=mn.muscle.RigidTendonHillMuscle()), 128, 64),
]

WARMUP = 2


def l1_loss(xy, tg):
    return torch.mean(torch.sum(torch.abs(xy - tg), dim=-1))


def train_batch(env, policy, optimizer, batch):
    obs, info = env.reset(options={"batch_size": batch})
    h = policy.init_hidden(batch)
    terminated = False
    xy = [info["states"]["fingertip"][:, None, :]]
    tg = [info["goal"][:, None, :]]
    while not terminated:
        action, h = policy(obs, h)
        obs, reward, terminated, truncated, info = env.step(action=action)
        xy.append(info["states"]["fingertip"][:, None, :])
        tg.append(info["goal"][:, None, :])
    loss = l1_loss(torch.cat(xy, dim=1), torch.cat(tg, dim=1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(policy.parameters(), max_norm=1.)
    optimizer.step()
    return loss.item()


def time_workload(make_effector, hidden, batch, batches, seed):
    torch.manual_seed(seed)
    env = mn.environment.RandomTargetReach(effector=make_effector(), max_ep_duration=1.)
    # MotorNet 0.3.0's PolicyGRU takes the device as a required fourth argument
    policy = mn.policy.PolicyGRU(env.observation_space.shape[0], hidden, env.n_muscles,
                                 device=torch.device("cpu"))
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-3)
    times = []
    for i in range(WARMUP + batches):
        t0 = time.perf_counter()
        train_batch(env, policy, optimizer, batch)
        dt = time.perf_counter() - t0
        if i >= WARMUP:
            times.append(dt)
    return statistics.median(times), min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", type=int, default=6, help="timed batches per workload")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", help="run only the workloads whose name contains this")
    a = p.parse_args()
    if a.batches < 1:
        p.error("--batches must be at least 1")
    torch.set_num_threads(a.threads)
    for name, make_effector, hidden, batch in WORKLOADS:
        if a.only and a.only not in name:
            continue
        median, fastest = time_workload(make_effector, hidden, batch, a.batches, a.seed)
        print(f"motornet workload={name} batch={batch} hidden={hidden} "
              f"seconds_per_batch_median={median:.6f} seconds_per_batch_min={fastest:.6f} "
              f"batches={a.batches}", flush=True)


if __name__ == "__main__":
    main()
