"""Reference cases for `MujocoMuscle` (crates/muscle/src/mujoco_actuator.rs), computed by
MuJoCo 4.0.1 itself: `mujoco.mju_muscleGain`, `mju_muscleBias` and `mju_muscleDynamics`, the
functions `mj_forward` calls for a `<muscle>` actuator (gaintype, biastype and dyntype muscle).

Run with a Python that has `mujoco==4.0.1`:

    python gen_mujoco_muscle.py > mujoco_muscle.json

The output is deterministic (seeded). Test: crates/muscle/tests/mujoco_actuator.rs.

Cases:
- `muscles`: MuJoCo's defaults, the muscles of ../shared/mujoco/*.xml that set non-default
  parameters, and random parameter sets. `force` is always given (> 0), so MuJoCo's `scale`
  and `acc0` play no part (they would only if force < 0).
- `force_cases`: per muscle, normalised lengths L from below `lmin` to beyond `lmax` (and the
  knots lmin, (lmin+1)/2, 1, (1+lmax)/2, lmax exactly), normalised velocities V from below -1 to
  beyond fvmax - 1 (and the knots -1, 0, fvmax - 1), activations outside [0, 1]; converted to
  actuator length (m) and velocity (m/s) with MuJoCo's L0. Each row: muscle index, length,
  velocity, act, gain (N per unit act), bias (N), actuator_force = gain*act + bias (N).
- `dynamics` / `dynamics_cases`: time constants and `tausmooth` (0 and > 0), ctrl and act
  outside [0, 1] and close to each other (inside the smoothing band). Each row: dynamics index,
  ctrl, act, act_dot (1/s).
"""
import json
import random

import mujoco
import numpy as np

assert mujoco.__version__ == "4.0.1", mujoco.__version__

rng = random.Random(20261216)

muscles = [
    # MuJoCo's defaults
    dict(force=100.0, lengthrange=[0.2, 0.35], range=[0.75, 1.05], lmin=0.5, lmax=1.6,
         vmax=1.5, fpmax=1.3, fvmax=1.2),
    # arm3d_cylinder.xml: biceps (vmax 2), triceps (fpmax 1.1)
    dict(force=800.0, lengthrange=[0.2, 0.45], range=[0.75, 1.05], lmin=0.5, lmax=1.6,
         vmax=2.0, fpmax=1.3, fvmax=1.2),
    dict(force=1300.0, lengthrange=[0.1, 0.2], range=[0.75, 1.05], lmin=0.5, lmax=1.6,
         vmax=1.5, fpmax=1.1, fvmax=1.2),
    # slider_sphere.xml: wrap
    dict(force=150.0, lengthrange=[0.1, 0.4], range=[0.7, 1.1], lmin=0.4, lmax=1.7,
         vmax=1.5, fpmax=1.3, fvmax=1.2),
]
for _ in range(12):
    r0 = rng.uniform(0.4, 0.95)
    lr0 = rng.uniform(0.01, 0.5)
    muscles.append(dict(
        force=rng.uniform(10.0, 3000.0),
        lengthrange=[lr0, lr0 + rng.uniform(0.005, 0.4)],
        range=[r0, r0 + rng.uniform(0.05, 0.6)],
        lmin=rng.uniform(0.05, 0.95),
        lmax=rng.uniform(1.05, 2.5),
        vmax=rng.uniform(0.3, 10.0),
        fpmax=rng.uniform(0.0, 3.0),
        fvmax=rng.uniform(1.02, 2.0),
    ))


def prm(p):
    # (range[2], force, scale, lmin, lmax, vmax, fpmax, fvmax); scale unused as force > 0
    return np.array(p["range"] + [p["force"], 200.0, p["lmin"], p["lmax"], p["vmax"],
                                  p["fpmax"], p["fvmax"]], dtype=np.float64)


force_cases = []
for i, p in enumerate(muscles):
    lr = np.array(p["lengthrange"], dtype=np.float64)
    L0 = (lr[1] - lr[0]) / (p["range"][1] - p["range"][0])
    knots_L = [p["lmin"], 0.5 * (p["lmin"] + 1), 1.0, 0.5 * (1 + p["lmax"]), p["lmax"]]
    knots_V = [-1.0, 0.0, p["fvmax"] - 1.0]
    for k in range(200):
        if k < 15:
            L = knots_L[k % 5]
            V = knots_V[k // 5]
        else:
            L = rng.uniform(p["lmin"] - 0.6, p["lmax"] + 1.0)
            V = rng.uniform(-2.0, p["fvmax"] + 0.5)
        length = lr[0] + (L - p["range"][0]) * L0
        velocity = V * L0 * p["vmax"]
        act = rng.uniform(-0.3, 1.3)
        gain = mujoco.mju_muscleGain(length, velocity, lr, 1.0, prm(p))
        bias = mujoco.mju_muscleBias(length, lr, 1.0, prm(p))
        force_cases.append([i, length, velocity, act, gain, bias, gain * act + bias])

dynamics = [
    dict(timeconst=[0.01, 0.04], tausmooth=0.0),
    dict(timeconst=[0.02, 0.06], tausmooth=0.0),
    dict(timeconst=[0.01, 0.04], tausmooth=0.1),
    dict(timeconst=[0.005, 0.08], tausmooth=0.5),
    dict(timeconst=[0.03, 0.01], tausmooth=0.3),
]
for _ in range(5):
    dynamics.append(dict(timeconst=[rng.uniform(0.001, 0.1), rng.uniform(0.001, 0.2)],
                         tausmooth=rng.choice([0.0, rng.uniform(0.01, 1.5)])))

dynamics_cases = []
for j, d in enumerate(dynamics):
    dp = np.array(d["timeconst"] + [d["tausmooth"]], dtype=np.float64)
    for k in range(300):
        act = rng.uniform(-0.3, 1.3)
        if k % 2 == 0:
            ctrl = rng.uniform(-0.5, 1.5)
        else:
            # close to act: inside the smoothing band (where tausmooth > 0)
            ctrl = act + rng.uniform(-1.0, 1.0) * max(d["tausmooth"], 0.05)
        if k == 0:
            ctrl = act
        dynamics_cases.append([j, ctrl, act, mujoco.mju_muscleDynamics(ctrl, act, dp)])

print(json.dumps(dict(
    generator="crates/muscle/tests/data/gen_mujoco_muscle.py, mujoco " + mujoco.__version__,
    muscles=muscles,
    force_cases=force_cases,
    dynamics=dynamics,
    dynamics_cases=dynamics_cases,
), separators=(",", ":")))
