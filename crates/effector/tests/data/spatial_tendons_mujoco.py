"""Generate spatial_tendons_mujoco.json: MuJoCo 4.0.1 reference values (ten_length,
ten_velocity, ten_J = d ten_length / d qpos) of spatial tendons wrapping around spheres and
cylinders, for tests/spatial_tendons.rs.

Run with a Python that has `mujoco` (4.0.1) and numpy:
    python crates/effector/tests/data/spatial_tendons_mujoco.py
Each model is described once below; the script writes both its MJCF and its motornet
`spatial_tendons` geometry fields (the same sites and geoms), then samples random states.
"""
import json
import os

import mujoco
import numpy as np

# ---------------------------------------------------------------------------------------------
# Models: sites {name: (body, pos)}, geoms {name: (body, type, center, axis, radius)}, tendons
# [(name, [("site", s) | ("geom", g, sidesite or None)])]. Body 0 is the world, 1 the moving body.
# ---------------------------------------------------------------------------------------------

POINT_MASS = dict(
    name="point_mass_3d",
    skeleton="PointMass(3)",
    body1='<body name="b1" pos="0 0 0"><joint type="slide" axis="1 0 0"/>'
    '<joint type="slide" axis="0 1 0"/><joint type="slide" axis="0 0 1"/>'
    '<geom type="sphere" size="0.01" mass="1" contype="0" conaffinity="0"/>{inner}</body>',
    qrange=[(0.0, 0.2), (-0.12, 0.12), (-0.1, 0.1)],
    sites={
        "w1": (0, [-0.3, 0.02, 0.01]),
        "w2": (0, [-0.25, -0.1, 0.05]),
        "w3": (0, [0.0, 0.3, -0.05]),
        "w4": (0, [0.35, 0.0, 0.02]),
        "v1": (0, [-0.17, -0.04, 0.0]),
        "side_top": (0, [-0.1, 0.2, 0.0]),
        "side_low": (0, [-0.1, -0.03, -0.2]),
        "side_in_ball": (0, [-0.1, 0.01, 0.005]),
        "side_cyl": (0, [-0.05, -0.2, 0.03]),
        "side_in_cyl": (0, [-0.1, 0.06, 0.01]),
        "side_perp": (0, [-0.1, 0.0, 0.3]),
        "m1": (1, [0.02, 0.0, 0.0]),
        "m2": (1, [0.0, 0.02, 0.01]),
        "m5": (1, [-0.06, 0.0, 0.0]),
        "m_side": (1, [0.0, 0.0, 0.1]),
    },
    geoms={
        "ball": (0, "sphere", [-0.1, 0.0, 0.0], [0, 0, 1], 0.05),
        "cyl": (0, "cylinder", [-0.1, 0.05, 0.0], [0.1, 0.2, 1.0], 0.04),
        "mball": (1, "sphere", [0.0, 0.0, 0.0], [0, 0, 1], 0.03),
    },
    tendons=[
        ("sphere", [("site", "w1"), ("geom", "ball", None), ("site", "m1")]),
        ("sphere_side", [("site", "w1"), ("geom", "ball", "side_top"), ("site", "m2")]),
        ("sphere_side_low", [("site", "w2"), ("geom", "ball", "side_low"), ("site", "m1")]),
        ("sphere_side_perp", [("site", "w1"), ("geom", "ball", "side_perp"), ("site", "m1")]),
        ("sphere_inside", [("site", "w1"), ("geom", "ball", "side_in_ball"), ("site", "m1")]),
        ("cylinder", [("site", "w1"), ("geom", "cyl", None), ("site", "m1")]),
        ("cylinder_side", [("site", "w1"), ("geom", "cyl", "side_cyl"), ("site", "m2")]),
        ("cylinder_inside", [("site", "w1"), ("geom", "cyl", "side_in_cyl"), ("site", "m2")]),
        ("via", [("site", "w2"), ("site", "v1"), ("geom", "ball", None), ("site", "m5"),
                 ("geom", "mball", "m_side"), ("site", "w4")]),
    ],
)

# slider_sphere's configuration: everything in one plane (z = 0), the sidesite on the sphere's
# normal to it, so that it projects exactly onto the centre of the wrap plane (a tie)
PLANAR = dict(
    POINT_MASS,
    name="point_mass_planar",
    qrange=[(0.0, 0.2), (-0.12, 0.12), (0.0, 0.0)],
    sites={
        "w1": (0, [-0.3, 0.02, 0.0]),
        "w2": (0, [-0.25, -0.1, 0.0]),
        "w4": (0, [0.35, 0.01, 0.0]),
        "side_perp": (0, [-0.1, 0.0, 0.3]),
        "m1": (1, [0.02, 0.0, 0.0]),
        "m5": (1, [-0.06, 0.0, 0.0]),
        "m_perp": (1, [0.0, 0.0, 0.1]),
    },
    geoms={
        "ball": (0, "sphere", [-0.1, 0.0, 0.0], [0, 0, 1], 0.05),
        "mball": (1, "sphere", [0.0, 0.0, 0.0], [0, 0, 1], 0.03),
    },
    tendons=[
        ("ball_perp", [("site", "w1"), ("geom", "ball", "side_perp"), ("site", "m1")]),
        ("ball_perp2", [("site", "w2"), ("geom", "ball", "side_perp"), ("site", "m5")]),
        ("mball_perp", [("site", "m5"), ("geom", "mball", "m_perp"), ("site", "w4")]),
    ],
)

ROTATING = dict(
    name="two_hinge_body",
    skeleton="TwoHinge",
    body1='<body name="b1" pos="0.05 -0.02 0.1"><joint type="hinge" axis="0.3 1 0.2"/>'
    '<joint type="hinge" axis="1 -0.2 0.5"/>'
    '<geom type="sphere" size="0.01" mass="1" contype="0" conaffinity="0"/>{inner}</body>',
    qrange=[(-np.pi, np.pi), (-np.pi, np.pi)],
    sites={
        "w1": (0, [0.3, 0.0, 0.1]),
        "w2": (0, [-0.2, 0.05, 0.12]),
        "w3": (0, [0.05, 0.3, 0.0]),
        "b1": (1, [0.15, 0.0, 0.0]),
        "b2": (1, [-0.12, 0.02, 0.0]),
        "b3": (1, [0.0, 0.15, 0.02]),
        "bside": (1, [0.0, 0.08, 0.01]),
        "bside_in": (1, [0.025, 0.005, 0.0]),
        "wside": (0, [0.05, 0.2, 0.1]),
        "wside_in": (0, [0.05, 0.0, 0.105]),
    },
    geoms={
        "bcyl": (1, "cylinder", [0.0, 0.0, 0.0], [0.2, -0.1, 1.0], 0.04),
        "bball": (1, "sphere", [0.02, 0.0, 0.0], [0, 0, 1], 0.035),
        "wcyl": (0, "cylinder", [0.05, -0.02, 0.1], [0.0, 1.0, 0.3], 0.03),
    },
    tendons=[
        ("cyl", [("site", "w1"), ("geom", "bcyl", None), ("site", "b2")]),
        ("cyl_side", [("site", "w2"), ("geom", "bcyl", "bside"), ("site", "b1")]),
        ("ball_side", [("site", "w1"), ("geom", "bball", "wside"), ("site", "b2")]),
        ("wcyl_side", [("site", "b3"), ("geom", "wcyl", "wside"), ("site", "w1")]),
        ("wcyl_inside", [("site", "b1"), ("geom", "wcyl", "wside_in"), ("site", "w2")]),
        ("ball_inside", [("site", "w1"), ("geom", "bball", "bside_in"), ("site", "w2")]),
        ("ball", [("site", "b2"), ("geom", "bball", None), ("site", "w1")]),
        # arm3d_cylinder's triceps: the cylinder on one body, the sidesite on another
        ("cyl_wside", [("site", "w2"), ("geom", "bcyl", "wside"), ("site", "b1")]),
    ],
)


def fmt(v):
    return " ".join(repr(float(x)) for x in v)


def mjcf(model):
    def items(body):
        out = []
        for n, (b, p) in model["sites"].items():
            if b == body:
                out.append(f'<site name="{n}" pos="{fmt(p)}"/>')
        for n, (b, t, c, a, r) in model["geoms"].items():
            if b == body:
                extra = f' zaxis="{fmt(a)}" size="{r} 0.05"' if t == "cylinder" else f' size="{r}"'
                out.append(f'<geom name="{n}" type="{t}" pos="{fmt(c)}"{extra} mass="0" '
                           'contype="0" conaffinity="0"/>')
        return "".join(out)

    tendons = []
    for n, els in model["tendons"]:
        s = []
        for e in els:
            if e[0] == "site":
                s.append(f'<site site="{e[1]}"/>')
            else:
                side = f' sidesite="{e[2]}"' if e[2] else ""
                s.append(f'<geom geom="{e[1]}"{side}/>')
        tendons.append(f'<spatial name="{n}">{"".join(s)}</spatial>')
    return (
        '<mujoco><compiler angle="radian"/><option><flag contact="disable" '
        'constraint="disable"/></option><worldbody>' + items(0)
        + model["body1"].format(inner=items(1)) + "</worldbody><tendon>" + "".join(tendons)
        + "</tendon></mujoco>"
    )


def spec_tendons(model):
    def point(name):
        b, p = model["sites"][name]
        return {"body": b, "coordinates": list(map(float, p))}

    out = {}
    for n, els in model["tendons"]:
        lst = []
        for e in els:
            if e[0] == "site":
                lst.append({"site": point(e[1])})
            else:
                b, t, c, a, r = model["geoms"][e[1]]
                w = {"body": b, "center": list(map(float, c))}
                if t == "cylinder":
                    w["axis"] = list(map(float, a))
                w["radius"] = r
                if e[2]:
                    w["sidesite"] = point(e[2])
                lst.append({t: w})
        out[n] = lst
    return out


def generate(model, n_states, rng):
    xml = mjcf(model)
    m = mujoco.MjModel.from_xml_string(xml)
    d = mujoco.MjData(m)
    nt, nv = m.ntendon, m.nv
    states, expected = [], []
    wraps = np.zeros(nt, dtype=int)
    for _ in range(n_states):
        q = np.array([rng.uniform(lo, hi) for lo, hi in model["qrange"]])
        qd = rng.normal(size=nv)
        d.qpos[:] = q
        d.qvel[:] = qd
        mujoco.mj_forward(m, d)
        jac = np.array(d.ten_J).reshape(nt, nv)
        # self-check: the Jacobian against central differences of the length (not across the
        # planar model's tie, where the length jumps as soon as a point leaves the plane)
        for j in range(nv if model["qrange"][-1][0] != model["qrange"][-1][1] else nv - 1):
            h = 1e-7
            lens = []
            for sgn in (1, -1):
                d2 = mujoco.MjData(m)
                d2.qpos[:] = q
                d2.qpos[j] += sgn * h
                mujoco.mj_fwdPosition(m, d2)
                lens.append(d2.ten_length.copy())
            fd = (lens[0] - lens[1]) / (2 * h)
            assert np.all(np.abs(fd - jac[:, j]) < 1e-5), (fd, jac[:, j])
        for t in range(nt):
            wraps[t] += d.ten_wrapnum[t] > sum(1 for e in model["tendons"][t][1] if e[0] == "site")
        states.append({"qpos": q.tolist(), "qvel": qd.tolist()})
        expected.append({
            "ten_length": d.ten_length.tolist(),
            "ten_velocity": d.ten_velocity.tolist(),
            "ten_J": jac.tolist(),
            "site_xpos": {n: d.site(n).xpos.tolist() for n in model["sites"]},
        })
    return {
        "name": model["name"],
        "skeleton": model["skeleton"],
        "mjcf": xml,
        "tendon_names": [n for n, _ in model["tendons"]],
        "geometry": {"type": "spatial_tendons", "tendons": spec_tendons(model)},
        "states": states,
        "expected": expected,
        "wrapped_states_per_tendon": wraps.tolist(),
    }


def main():
    rng = np.random.default_rng(20261216)
    out = {
        "generator": f"mujoco {mujoco.__version__}, mj_forward, float64; "
        "crates/effector/tests/data/spatial_tendons_mujoco.py",
        "models": [generate(POINT_MASS, 48, rng), generate(ROTATING, 48, rng),
                   generate(PLANAR, 32, rng)],
    }
    for mdl in out["models"]:
        print(mdl["name"], dict(zip(mdl["tendon_names"], mdl["wrapped_states_per_tendon"])))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spatial_tendons_mujoco.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
