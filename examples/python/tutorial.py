"""MotorNet's tutorial (the `train-net` notebook) with motornet-rs from Python.

Steps, as the notebook takes them:
 1. build an effector (ReluPointMass24: a point mass pulled by four ReLU muscles) and look at it;
 2. simulate it open-loop, a batch at once, and read its states (numpy arrays, MotorNet's shapes);
 3. wrap it in the RandomTargetReach task (1 s episodes) as a gymnasium environment and step it;
 4. train a GRU of 32 units to reach (batch 32, Adam 1e-3, position L1 loss), logging the loss;
 5. save the run, reload it, and evaluate it on 8 centre-out reaches at 10 cm.

Run (after `pip install ./crates/python`):
    python examples/python/tutorial.py [--batches 2000] [--out target/examples-out/python-tutorial]
"""
import argparse
import os
import time

import numpy as np

import motornet_rs as mn
from motornet_rs.gym import MotorNetEnv


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", type=int, default=2000)
    p.add_argument("--out", default="target/examples-out/python-tutorial")
    a = p.parse_args()

    # 1. the effector
    effector = mn.Effector.preset("ReluPointMass24")
    print(f"effector: {effector.n_muscles} muscles, {effector.dof} joints, dt = {effector.dt} s, "
          f"state of {effector.state_len} numbers")

    # 2. open-loop: 16 starts, each muscle in turn fully on for 0.5 s
    rng = np.random.default_rng(0)
    start = np.column_stack([rng.uniform(-0.5, 0.5, (16, 2)), np.zeros((16, 2))])
    excitation = np.zeros((50, 16, effector.n_muscles))
    excitation[:, np.arange(16), np.arange(16) % effector.n_muscles] = 1.0
    traj = effector.simulate(start, excitation)
    print("simulate: fingertip", traj["fingertip"].shape, "muscle", traj["muscle"].shape,
          "names", traj["muscle_state_names"])
    moved = np.linalg.norm(traj["fingertip"][-1] - traj["fingertip"][0], axis=1)
    print(f"  mean distance travelled in 0.5 s: {moved.mean():.3f} m")

    # 3. the environment, as gymnasium sees it
    env = MotorNetEnv()
    obs, info = env.reset(seed=0)
    print(f"environment: observation {env.observation_space.shape}, action {env.action_space.shape}, "
          f"{env.max_steps} steps of {env.dt} s")
    total = 0.0
    terminated = False
    while not terminated:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        total += reward
    print(f"  a random policy's return: {total:.2f}")

    # 4. training (MotorNet's tutorial settings; `batches` of them)
    config = dict(mn.default_config(), batches=a.batches)
    t0 = time.perf_counter()

    def progress(rows):
        b = int(rows[-1, 0]) + 1
        if b % 250 == 0 or b == a.batches:
            print(f"  batch {b:5d}  loss {rows[:, 1].mean():.4f}  ({time.perf_counter() - t0:.1f} s)")

    run_dir = os.path.join(a.out, "run")
    trainer = mn.train(config, out_dir=run_dir, overwrite=True, progress=progress)
    seconds = time.perf_counter() - t0
    print(f"trained {a.batches} batches in {seconds:.1f} s ({seconds / a.batches * 1e3:.1f} ms per batch)")

    # 5. reload and evaluate: 8 centre-out reaches of 10 cm, no noise
    run = mn.load_run(run_dir)
    reloaded = run.trainer()
    centre_out = {"name": "CentreOutReach", "n_targets": 8, "radius": 0.1,
                  "mode": {"validation": {"cue": 0.0}}, "cue_input": False}
    r = reloaded.evaluate(8, task=centre_out, env={})
    same = np.array_equal(r["fingertip"], trainer.evaluate(8, task=centre_out, env={})["fingertip"])
    error = np.linalg.norm(r["fingertip"][:, -1, :2] - r["target"], axis=1)
    print(f"centre-out: loss {r['loss']:.4f}, mean final error {error.mean() * 100:.2f} cm, "
          f"reloaded run identical: {same}")
    pcs = mn.pca(r["hidden"].reshape(-1, r["hidden"].shape[-1]), 3)
    print(f"hidden activity: first 3 PCs explain {pcs['explained_variance_ratio'][:3].sum() * 100:.1f}% of the variance")


if __name__ == "__main__":
    main()
