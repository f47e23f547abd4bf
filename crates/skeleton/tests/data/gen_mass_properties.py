"""Generates mass_properties.json: MuJoCo's body mass, centre of mass and inertia for bodies
made of geoms, the ground truth of tests/mass_properties.rs.

Run with a Python that has `mujoco` installed (the fixture was made with MuJoCo 4.0.1):
    python gen_mass_properties.py > mass_properties.json
Each case is one body (a free-floating body on a hinge, so MuJoCo keeps its inertia) whose
geoms are listed in the JSON exactly as the Rust test builds them: shape, size (MuJoCo's `size`
attribute), pos, quat (w, x, y, z) and either mass or density (density 1000 when neither).
MuJoCo reports the body's inertia as principal moments (body_inertia) in a principal frame
(body_iquat) at body_ipos; the script turns them into the full 3x3 matrix about the centre of
mass in body axes, R diag(I) R^T.
"""
import json

import mujoco
import numpy as np

CASES = [
    ("sphere", [dict(type="sphere", size=[0.07], pos=[0, 0, 0], quat=[1, 0, 0, 0], mass=1.5)]),
    ("sphere_density", [dict(type="sphere", size=[0.05], pos=[0.1, -0.2, 0.05], quat=[1, 0, 0, 0], density=800.0)]),
    ("sphere_default_density", [dict(type="sphere", size=[0.03], pos=[0, 0, 0], quat=[1, 0, 0, 0])]),
    ("capsule", [dict(type="capsule", size=[0.04, 0.15], pos=[0, 0, -0.15], quat=[1, 0, 0, 0], mass=2.0)]),
    ("capsule_tilted", [dict(type="capsule", size=[0.03, 0.1], pos=[0.02, 0.05, -0.1], quat=[0.9, 0.3, -0.2, 0.1], density=1100.0)]),
    ("cylinder", [dict(type="cylinder", size=[0.028, 0.03], pos=[0, 0, 0], quat=[1, 0, 0, 0], mass=0.7)]),
    ("cylinder_tilted", [dict(type="cylinder", size=[0.05, 0.2], pos=[0.1, 0, 0], quat=[0.7, 0.1, 0.7, -0.1], density=500.0)]),
    ("box", [dict(type="box", size=[0.05, 0.05, 0.05], pos=[0, 0, 0], quat=[1, 0, 0, 0], mass=2.0)]),
    ("box_tilted", [dict(type="box", size=[0.1, 0.03, 0.02], pos=[-0.05, 0.02, 0.01], quat=[0.8, -0.2, 0.5, 0.3], density=2000.0)]),
    ("ellipsoid", [dict(type="ellipsoid", size=[0.1, 0.05, 0.03], pos=[0, 0, 0], quat=[1, 0, 0, 0], mass=1.0)]),
    ("ellipsoid_tilted", [dict(type="ellipsoid", size=[0.04, 0.06, 0.08], pos=[0.01, 0.02, 0.03], quat=[0.5, 0.5, 0.5, 0.5], density=900.0)]),
    ("mixed", [
        dict(type="capsule", size=[0.04, 0.15], pos=[0, 0, -0.15], quat=[1, 0, 0, 0], mass=2.0),
        dict(type="sphere", size=[0.05], pos=[0.02, 0, -0.31], quat=[1, 0, 0, 0], mass=0.5),
        dict(type="box", size=[0.02, 0.03, 0.04], pos=[0.05, 0.01, -0.1], quat=[0.9, 0.1, 0.3, -0.2], density=1500.0),
        dict(type="cylinder", size=[0.028, 0.03], pos=[0, 0, 0], quat=[0.7071067811865476, 0.7071067811865476, 0, 0], mass=0.0),
    ]),
]


def geom_xml(g):
    attrs = [f'type="{g["type"]}"', 'size="%s"' % " ".join(repr(v) for v in g["size"]),
             'pos="%s"' % " ".join(repr(float(v)) for v in g["pos"]),
             'quat="%s"' % " ".join(repr(float(v)) for v in g["quat"])]
    if "mass" in g:
        attrs.append(f'mass="{g["mass"]!r}"')
    if "density" in g:
        attrs.append(f'density="{g["density"]!r}"')
    return "<geom %s/>" % " ".join(attrs)


def main():
    out = {"generator": "mujoco %s, gen_mass_properties.py" % mujoco.__version__, "cases": []}
    for name, geoms in CASES:
        xml = ('<mujoco><worldbody><body name="b"><joint type="hinge" axis="0 0 1"/>%s'
               '</body></worldbody></mujoco>') % "".join(geom_xml(g) for g in geoms)
        model = mujoco.MjModel.from_xml_string(xml)
        b = 1
        rot = np.zeros(9)
        mujoco.mju_quat2Mat(rot, model.body_iquat[b])
        rot = rot.reshape(3, 3)
        inertia = rot @ np.diag(model.body_inertia[b]) @ rot.T
        out["cases"].append({
            "name": name,
            "geoms": geoms,
            "mass": float(model.body_mass[b]),
            "com": model.body_ipos[b].tolist(),
            "inertia": inertia.tolist(),
        })
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
