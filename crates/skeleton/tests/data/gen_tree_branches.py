"""Generates tree_branches.json from tree_branches.xml: for 16 random states, what MuJoCo's
mj_forward computes (mass matrix with armature, bias and passive forces, body frames, site
positions, and qacc under random generalized forces qfrc_applied), the ground truth of
tests/tree_parity.rs.

Run with a Python that has `mujoco` installed (the fixture was made with MuJoCo 4.0.1):
    python gen_tree_branches.py > tree_branches.json
"""
import json
import os

import mujoco
import numpy as np


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    model = mujoco.MjModel.from_xml_path(os.path.join(here, "tree_branches.xml"))
    data = mujoco.MjData(model)
    rng = np.random.default_rng(16)
    states, expected = [], []
    for _ in range(16):
        qpos = rng.uniform(-1.5, 1.5, model.nq)
        qvel = rng.uniform(-2.0, 2.0, model.nv)
        tau = rng.uniform(-3.0, 3.0, model.nv)
        data.qpos[:] = qpos
        data.qvel[:] = qvel
        data.qfrc_applied[:] = tau
        mujoco.mj_forward(model, data)
        m = np.zeros((model.nv, model.nv))
        mujoco.mj_fullM(model, data, m)
        states.append({"qpos": qpos.tolist(), "qvel": qvel.tolist(), "qfrc_applied": tau.tolist()})
        expected.append({
            "mass_matrix": m.tolist(),
            "qfrc_bias": data.qfrc_bias.tolist(),
            "qfrc_passive": data.qfrc_passive.tolist(),
            "qacc": data.qacc.tolist(),
            "xpos": data.xpos.tolist(),
            "xmat": data.xmat.tolist(),
            "site_xpos": {model.site(i).name: data.site_xpos[i].tolist() for i in range(model.nsite)},
        })
    out = {
        "name": "tree_branches",
        "model": "tree_branches.xml",
        "generator": "mujoco %s, mj_forward, float64, gen_tree_branches.py" % mujoco.__version__,
        "nq": model.nq,
        "nv": model.nv,
        "joint_names": [model.joint(i).name for i in range(model.njnt)],
        "body_names": [model.body(i).name for i in range(model.nbody)],
        "states": states,
        "expected": expected,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
