"""Writes mujoco_reference.json: MJCF models and what MuJoCo 4.0.1 compiles them into.

Run with a Python that has `mujoco` (pip install mujoco==4.0.1), from anywhere:

    python crates/mjcf/tests/data/generate.py

The committed JSON is the ground truth of crates/mjcf/tests/mujoco_reference.rs, so CI needs no
MuJoCo. Cases: generated models with every orientation form under several compiler settings
(angle unit, eulerseq), a model exercising default classes, and the three shared models of
../shared/mujoco (read from the workspace's sibling `shared` folder when present).
"""
import json
import os
import random

import mujoco
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "mujoco")


def vec(rng, n, lo=-1.0, hi=1.0):
    return " ".join(f"{rng.uniform(lo, hi):.6g}" for _ in range(n))


def orientation(rng, kind, degree):
    a = (lambda: rng.uniform(-170, 170)) if degree else (lambda: rng.uniform(-3, 3))
    if kind == "quat":
        return f'quat="{vec(rng, 4)}"'
    if kind == "euler":
        return f'euler="{a():.6g} {a():.6g} {a():.6g}"'
    if kind == "axisangle":
        return f'axisangle="{vec(rng, 3)} {a():.6g}"'
    if kind == "xyaxes":
        return f'xyaxes="{vec(rng, 6)}"'
    if kind == "zaxis":
        return f'zaxis="{rng.choice([vec(rng, 3), "0 0 -1", "0 0 2", "0.3 0 -1"])}"'
    return ""


KINDS = ["quat", "euler", "axisangle", "xyaxes", "zaxis", ""]


def orientation_model(rng, angle, eulerseq):
    degree = angle == "degree"
    seq = f' eulerseq="{eulerseq}"' if eulerseq else ""
    ang = f' angle="{angle}"' if angle else ""
    lines = [f'<mujoco model="orient_{angle or "default"}_{eulerseq or "default"}">',
             f"  <compiler{ang}{seq}/>",
             '  <option><flag contact="disable" constraint="disable"/></option>',
             "  <worldbody>",
             f'    <site name="ws" pos="{vec(rng, 3)}" {orientation(rng, "euler", degree)}/>']
    depth = 0
    for b, kind in enumerate(KINDS * 2):
        pad = "    " + "  " * depth
        lines.append(f'{pad}<body name="b{b}" pos="{vec(rng, 3)}" {orientation(rng, kind, degree)}>')
        lines.append(f'{pad}  <joint name="j{b}" axis="{vec(rng, 3)}"/>')
        gk = KINDS[(b + 2) % len(KINDS)]
        lines.append(f'{pad}  <geom type="box" size="{vec(rng, 3, 0.05, 0.2)}" pos="{vec(rng, 3)}" '
                     f'{orientation(rng, gk, degree)} mass="1"/>')
        d = rng.choice([vec(rng, 3), "0 0 0.5", "0 0 -0.5", "0.2 0 0"])
        gtype = ["capsule", "cylinder", "box", "ellipsoid"][b % 4]
        size = "0.05" if gtype in ("capsule", "cylinder") else "0.05 0.07"
        lines.append(f'{pad}  <geom type="{gtype}" size="{size}" fromto="{vec(rng, 3)} {d}" mass="0.5"/>')
        lines.append(f'{pad}  <site name="s{b}" pos="{vec(rng, 3)}" {orientation(rng, KINDS[(b + 4) % 6], degree)}/>')
        if b % 3 == 2:
            lines.append(f"{pad}</body>")
        else:
            depth += 1
    while depth >= 0:
        depth -= 1
        lines.append("    " + "  " * (depth + 1) + "</body>")
    lines[-1] = "  </worldbody>"
    lines.append("</mujoco>")
    return "\n".join(lines) + "\n"


DEFAULTS_XML = """<mujoco model="defaults">
  <compiler angle="degree" autolimits="true"><lengthrange mode="none"/></compiler>
  <option timestep="0.005" gravity="0 0 -3"><flag contact="disable" constraint="disable"/></option>
  <default>
    <joint damping="0.3" armature="0.02"/>
    <geom type="capsule" size="0.03 0.1 0.2" density="500" rgba="1 0 0 1"/>
    <site size="0.01" pos="0 0 0.01"/>
    <muscle ctrlrange="0 1" lmin="0.4" timeconst="0.02 0.05"/>
    <default class="leg">
      <joint type="slide" range="-0.1 0.2" axis="1 0 0" pos="0 0 0.05"/>
      <geom type="box" size="0.05"/>
      <default class="foot">
        <joint type="hinge" range="-30 45" damping="1.5" ref="10"/>
        <geom type="ellipsoid" mass="0.7"/>
      </default>
    </default>
    <default class="strong">
      <muscle force="900" range="0.6 1.2" vmax="3" ctrllimited="false"/>
      <default class="weak">
        <muscle force="90" fvmax="1.5" fpmax="0.9"/>
      </default>
    </default>
    <default class="cyl">
      <geom type="cylinder" size="0.04 0.02"/>
    </default>
  </default>
  <worldbody>
    <site name="w0" pos="0.1 0 0"/>
    <site name="w1" pos="-0.1 0 0"/>
    <geom name="wglobe" type="sphere" size="0.05" pos="0 0.3 0"/>
    <body name="thigh" pos="0 0 1" childclass="leg">
      <joint name="slider"/>
      <joint name="plain" class="main" axis="0 1 0"/>
      <geom name="thighbox" size="0.1"/>
      <site name="t0" pos="0 0 -0.2"/>
      <body name="shin" pos="0 0 -0.4">
        <joint name="knee" class="foot" axis="0 1 0" limited="false"/>
        <joint name="knee2" class="foot" axis="0 0 1" range="-10 10"/>
        <geom name="shinell" class="foot" size="0.04 0.05 0.2"/>
        <geom name="knee_cyl" class="cyl" euler="90 0 0" density="2000"/>
        <site name="s0" pos="0.05 0 -0.1"/>
        <site name="s_side" pos="0.1 0.1 0"/>
        <body name="foot" pos="0 0 -0.4" childclass="foot">
          <joint name="ankle"/>
          <geom name="footgeom" size="0.08 0.03 0.02" mass="0.4"/>
          <geom name="footcap" class="main" size="0.02"/>
          <site name="f0" pos="0.1 0 0"/>
        </body>
      </body>
    </body>
    <body name="arm" pos="1 0 0" euler="0 0 30">
      <joint name="arm_hinge" axis="0 1 0" limited="true" range="-45 60"/>
      <geom name="armcap" fromto="0 0 0 0.3 0 0" size="0.02"/>
      <site name="a0" pos="0.2 0 0"/>
    </body>
  </worldbody>
  <tendon>
    <spatial name="t_thigh"><site site="w0"/><site site="t0"/></spatial>
    <spatial name="t_shin"><site site="t0"/><geom geom="knee_cyl" sidesite="s_side"/><site site="s0"/></spatial>
    <spatial name="t_foot"><site site="w1"/><geom geom="wglobe"/><site site="s0"/><site site="f0"/></spatial>
    <spatial name="t_arm"><site site="w0"/><site site="a0"/></spatial>
  </tendon>
  <actuator>
    <muscle name="m_plain" tendon="t_thigh" force="100" lengthrange="0.2 0.4"/>
    <muscle name="m_strong" tendon="t_shin" class="strong" ctrlrange="0 2" lengthrange="0.1 0.5"/>
    <muscle name="m_weak" tendon="t_foot" class="weak" lmax="1.9" group="2" tausmooth="0.2" lengthrange="0.3 0.6"/>
    <muscle name="m_limited" tendon="t_arm" class="weak" ctrllimited="true" ctrlrange="-1 1" timeconst="0.03 0.07" lengthrange="0.1 0.3"/>
  </actuator>
</mujoco>
"""


def rows(a):
    return np.asarray(a, dtype=float).tolist()


def expected(m):
    names = lambda objtype, n: [mujoco.mj_id2name(m, objtype, i) for i in range(n)]
    return {
        "body_name": names(mujoco.mjtObj.mjOBJ_BODY, m.nbody),
        "body_parentid": m.body_parentid.tolist(),
        "body_pos": rows(m.body_pos), "body_quat": rows(m.body_quat),
        "body_mass": rows(m.body_mass),
        "jnt_name": names(mujoco.mjtObj.mjOBJ_JOINT, m.njnt),
        "jnt_bodyid": m.jnt_bodyid.tolist(), "jnt_type": m.jnt_type.tolist(),
        "jnt_pos": rows(m.jnt_pos), "jnt_axis": rows(m.jnt_axis),
        "jnt_range": rows(m.jnt_range), "jnt_limited": m.jnt_limited.astype(int).tolist(),
        "qpos0": rows(m.qpos0),
        "dof_damping": rows(m.dof_damping), "dof_armature": rows(m.dof_armature),
        "geom_name": names(mujoco.mjtObj.mjOBJ_GEOM, m.ngeom),
        "geom_bodyid": m.geom_bodyid.tolist(), "geom_type": m.geom_type.tolist(),
        "geom_pos": rows(m.geom_pos), "geom_quat": rows(m.geom_quat), "geom_size": rows(m.geom_size),
        "site_name": names(mujoco.mjtObj.mjOBJ_SITE, m.nsite),
        "site_bodyid": m.site_bodyid.tolist(),
        "site_pos": rows(m.site_pos), "site_quat": rows(m.site_quat),
        "tendon_name": names(mujoco.mjtObj.mjOBJ_TENDON, m.ntendon),
        "ten_wrapadr": m.tendon_adr.tolist(), "ten_wrapnum": m.tendon_num.tolist(),
        "wrap_type": m.wrap_type.tolist(), "wrap_objid": m.wrap_objid.tolist(),
        "wrap_prm": rows(m.wrap_prm),
        "actuator_name": names(mujoco.mjtObj.mjOBJ_ACTUATOR, m.nu),
        "actuator_trnid": m.actuator_trnid[:, 0].tolist(),
        "actuator_gainprm": rows(m.actuator_gainprm[:, :9]),
        "actuator_dynprm": rows(m.actuator_dynprm[:, :3]),
        "actuator_lengthrange": rows(m.actuator_lengthrange),
        "actuator_ctrlrange": rows(m.actuator_ctrlrange),
        "actuator_ctrllimited": m.actuator_ctrllimited.astype(int).tolist(),
        "opt_timestep": float(m.opt.timestep), "opt_gravity": rows(m.opt.gravity),
    }


def main():
    rng = random.Random(16)
    cases = []
    for angle, seq in [("", ""), ("radian", ""), ("degree", "XYZ"), ("radian", "zyx"),
                       ("degree", "ZYX"), ("radian", "xZy"), ("degree", "zxz"), ("radian", "XyX")]:
        xml = orientation_model(rng, angle, seq)
        cases.append({"name": f"orientation angle={angle or 'default'} eulerseq={seq or 'default'}",
                      "xml": xml})
    cases.append({"name": "defaults", "xml": DEFAULTS_XML})
    for f in ["arm3d_cylinder.xml", "planar3_gravity.xml", "slider_sphere.xml"]:
        path = os.path.join(SHARED, f)
        with open(path) as fh:
            cases.append({"name": f, "xml": fh.read()})
    for c in cases:
        c["expected"] = expected(mujoco.MjModel.from_xml_string(c["xml"]))
    out = {"generator": f"mujoco {mujoco.__version__}, MjModel.from_xml_string, float64",
           "cases": cases}
    with open(os.path.join(HERE, "mujoco_reference.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
