"""Time MuJoCo on an MJCF model: `rollout` of a batch from random joint positions under a
constant control, with N threads. Prints one line `mujoco: ... sample_steps_per_s=X`.

Usage: python mujoco_speed.py MODEL.xml --batch 1024 --steps 300 --threads 2 --control 0.5 [--reps 3]
Needs `pip install mujoco numpy` (MuJoCo 4.0.1 was used for docs/mjcf.md's numbers).
"""
import argparse
import time

import mujoco
import numpy as np
from mujoco import rollout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--control", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    model = mujoco.MjModel.from_xml_path(args.model)
    datas = [mujoco.MjData(model) for _ in range(args.threads)]
    rng = np.random.default_rng(args.seed)
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    nstate = mujoco.mj_stateSize(model, spec)
    initial = np.empty((args.batch, nstate))
    d = datas[0]
    for b in range(args.batch):
        mujoco.mj_resetData(model, d)
        for j in range(model.njnt):
            lo, hi = model.jnt_range[j] if model.jnt_limited[j] else (-1.0, 1.0)
            d.qpos[model.jnt_qposadr[j]] = rng.uniform(lo, hi)
        mujoco.mj_getState(model, d, initial[b], spec)
    control = np.full((args.batch, args.steps, model.nu), args.control)
    # warm up (thread pool, caches), then time one rollout
    rollout.rollout(model, datas, initial, control[:, :10], persistent_pool=True)
    t0 = time.perf_counter()
    state, _ = rollout.rollout(model, datas, initial, control, persistent_pool=True)
    seconds = time.perf_counter() - t0
    if not np.all(np.isfinite(state)):
        raise SystemExit("mujoco: non-finite state in the rollout")
    print(
        f"mujoco: model={args.model} version={mujoco.__version__} batch={args.batch} "
        f"steps={args.steps} precision=F64 threads={args.threads} timestep={model.opt.timestep} "
        f"seconds={seconds:.6f} sample_steps_per_s={args.batch * args.steps / seconds:.1f}"
    )


if __name__ == "__main__":
    main()
