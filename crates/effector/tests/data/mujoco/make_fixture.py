"""Write a forward-dynamics fixture for any MJCF model, in the format of ../shared/mujoco
(README there): random states and what MuJoCo's mj_forward computes at each.

    python make_fixture.py MODEL.xml OUT.json [--states 16] [--seed 0]

Needs `pip install mujoco==4.0.1 numpy`. Joint positions are drawn inside each joint's range
(or in [-1, 1] without one), velocities in [-2, 2], activations and controls in [0, 1].
The committed fixtures are the tests' ground truth, so CI does not need MuJoCo.
"""
import argparse
import json
import os

import mujoco
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--states", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    m = mujoco.MjModel.from_xml_path(a.model)
    d = mujoco.MjData(m)
    rng = np.random.default_rng(a.seed)
    states, expected = [], []
    wrapped = 0
    for _ in range(a.states):
        lo = np.where(m.jnt_limited, m.jnt_range[:, 0], -1.0)
        hi = np.where(m.jnt_limited, m.jnt_range[:, 1], 1.0)
        qpos = rng.uniform(lo, hi)
        qvel = rng.uniform(-2.0, 2.0, m.nv)
        act = rng.uniform(0.0, 1.0, m.na)
        ctrl = rng.uniform(0.0, 1.0, m.nu)
        d.qpos[:], d.qvel[:], d.act[:], d.ctrl[:] = qpos, qvel, act, ctrl
        mujoco.mj_forward(m, d)
        full = np.zeros((m.nv, m.nv))
        mujoco.mj_fullM(m, d, full)
        moment = np.zeros((m.nu, m.nv))
        mujoco.mju_sparse2dense(moment, d.actuator_moment, d.moment_rownnz,
                                d.moment_rowadr, d.moment_colind)
        for t in range(m.ntendon):
            adr, num = d.ten_wrapadr[t], d.ten_wrapnum[t]
            wrapped += int(np.any(np.asarray(d.wrap_obj).ravel()[adr:adr + num] >= 0))
        states.append({"qpos": qpos.tolist(), "qvel": qvel.tolist(),
                       "act": act.tolist(), "ctrl": ctrl.tolist()})
        expected.append({
            "qacc": d.qacc.tolist(), "qfrc_bias": d.qfrc_bias.tolist(),
            "qfrc_passive": d.qfrc_passive.tolist(),
            "qfrc_actuator": d.qfrc_actuator.tolist(), "mass_matrix": full.tolist(),
            "ten_length": d.ten_length.tolist(), "ten_velocity": d.ten_velocity.tolist(),
            "actuator_length": d.actuator_length.tolist(),
            "actuator_velocity": d.actuator_velocity.tolist(),
            "actuator_moment": moment.tolist(), "actuator_force": d.actuator_force.tolist(),
            "act_dot": d.act_dot.tolist(),
            "site_xpos": {m.site(i).name: d.site_xpos[i].tolist() for i in range(m.nsite)},
        })
    out = {
        "name": m.names[0:m.names.index(b"\0")].decode() if m.names else "",
        "model": os.path.relpath(a.model, os.path.dirname(os.path.abspath(a.out))),
        "generator": f"mujoco {mujoco.__version__}, mj_forward, float64",
        "nq": m.nq, "nv": m.nv, "nu": m.nu, "na": m.na, "ntendon": m.ntendon,
        "joint_names": [m.joint(i).name for i in range(m.njnt)],
        "actuator_names": [m.actuator(i).name for i in range(m.nu)],
        "states": states, "expected": expected, "wrapped_tendon_states": wrapped,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
