"""Effectors from Python: simulate against the `motornet` program and MotorNet's fixtures,
presets/spec/MJCF construction, step/rollout VJPs against finite differences, errors."""
import json
import subprocess

import numpy as np
import pytest

import motornet_rs as mn


def load_fixture(parity_dir, name):
    with open(parity_dir / f"{name}.json") as f:
        return json.load(f)


@pytest.mark.parametrize(
    "name",
    ["arm26_RigidTendonHillMuscle_euler", "arm26_RigidTendonHillMuscle_rk4_ministeps2_loads", "relu_pointmass24_euler"],
)
def test_simulate_equals_cli_and_motornet(tmp_path, parity_dir, motornet_bin, name):
    fx = load_fixture(parity_dir, name)
    eff = mn.Effector.from_spec_json(json.dumps(fx["effector"]))
    out = eff.simulate(
        np.array(fx["initial_joint_state"]),
        np.array(fx["excitation"]),
        endpoint_load=None if "endpoint_load" not in fx else np.array(fx["endpoint_load"]),
        joint_load=None if "joint_load" not in fx else np.array(fx["joint_load"]),
    )
    # the `motornet` program on the same scenario file
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({k: v for k, v in fx.items() if k != "expected"}))
    result = tmp_path / "out.json"
    subprocess.run([motornet_bin, "simulate", str(scenario), "-o", str(result)], check=True,
                   capture_output=True)
    cli = json.loads(result.read_text())
    t1, b = len(fx["excitation"]) + 1, len(fx["initial_joint_state"])
    for key in ["joint", "cartesian", "fingertip", "muscle", "geometry"]:
        got = out[key]
        assert got.shape[:2] == (t1, b), key
        # same code, same inputs, f64: bit-identical (the program's JSON round-trips floats)
        np.testing.assert_array_equal(got, np.array(cli[key]), err_msg=key)
        # and MotorNet 0.3.0's own trajectory
        np.testing.assert_allclose(got, np.array(fx["expected"][key]), rtol=1e-6, atol=1e-8, err_msg=key)
    assert out["muscle_state_names"] == fx["expected"]["state_names"]["muscle"]
    assert out["geometry_state_names"] == fx["expected"]["state_names"]["geometry"]


def test_f32_simulation_is_close_to_f64():
    eff = mn.Effector.preset("RigidTendonArm26")
    rng = np.random.default_rng(0)
    j0 = np.column_stack([rng.uniform(0.3, 1.2, 4), rng.uniform(0.5, 1.5, 4), np.zeros((4, 2))])
    u = rng.uniform(0, 1, (50, 4, eff.n_muscles))
    a = eff.simulate(j0, u)
    b = eff.simulate(j0, u, precision="f32")
    assert not np.array_equal(a["joint"], b["joint"])
    np.testing.assert_allclose(a["joint"], b["joint"], atol=1e-3)


def test_constructors(tmp_path):
    assert "RigidTendonArm26" in mn.preset_names()
    eff = mn.Effector.preset("RigidTendonArm26", "MujocoHillMuscle")
    assert (eff.n_muscles, eff.dof, eff.space_dim) == (6, 2, 2)
    spec = json.loads(eff.spec_json())
    assert spec["muscle"]["type"] == "MujocoHillMuscle" or "Mujoco" in json.dumps(spec["muscle"])
    path = tmp_path / "spec.json"
    path.write_text(eff.spec_json())
    again = mn.Effector.from_spec_file(str(path))
    j0 = np.array([[0.8, 1.0, 0.0, 0.0]])
    u = np.full((10, 1, 6), 0.4)
    np.testing.assert_array_equal(eff.simulate(j0, u)["joint"], again.simulate(j0, u)["joint"])
    from conftest import ROOT

    arm = mn.Effector.from_mjcf(str(ROOT / "crates" / "effector" / "data" / "arm3d.xml"))
    assert (arm.n_muscles, arm.dof, arm.space_dim) == (11, 4, 3)
    out = arm.simulate(np.zeros((2, 8)), np.full((5, 2, 11), 0.2))
    assert out["fingertip"].shape == (6, 2, 3) and np.isfinite(out["muscle"]).all()


def test_errors_carry_rust_messages(motornet_bin, tmp_path):
    with pytest.raises(mn.MotornetError) as e:
        mn.Effector.preset("NoSuchArm")
    assert isinstance(e.value, ValueError)
    # the same message as the `motornet` program gives
    cli = subprocess.run([motornet_bin, "simulate", "--preset", "NoSuchArm", "--steps", "1"], capture_output=True,
                         text=True)
    assert cli.returncode != 0
    assert str(e.value) in cli.stderr
    assert "NoSuchArm" in str(e.value)
    eff = mn.Effector.preset("RigidTendonArm26")
    with pytest.raises(mn.MotornetError, match="excitation"):
        eff.simulate(np.zeros((2, 4)), np.zeros((5, 2, 3)))  # 3 muscles instead of 6
    with pytest.raises(mn.MotornetError, match="initial_joint_state"):
        eff.simulate(np.zeros(4), np.zeros((5, 1, 6)))
    with pytest.raises(mn.MotornetError, match="precision"):
        eff.simulate(np.zeros((1, 4)), np.zeros((5, 1, 6)), precision="f16")
    with pytest.raises(mn.MotornetError, match="state"):
        eff.step(np.zeros(3), np.zeros(6))
    with pytest.raises(mn.MotornetError, match="not finite"):
        eff.rollout(np.zeros(4), np.full((3, 6), np.nan))
    with pytest.raises(mn.MotornetError):
        eff.simulate(np.zeros((0, 4)), np.zeros((5, 0, 6)))  # an empty batch
    with pytest.raises(mn.MotornetError, match="excitation"):
        eff.simulate(np.zeros((1, 4)), np.full((5, 1, 6), np.nan))
    with pytest.raises(mn.MotornetError, match="grad_states"):
        eff.rollout_vjp(np.zeros(4), np.zeros((3, 6)), np.zeros((3, eff.state_len)))
    with pytest.raises(mn.MotornetError, match="endpoint_load"):
        eff.step(eff.reset(np.zeros(4)), np.zeros(6), endpoint_load=np.zeros(3))
    with pytest.raises(mn.MotornetError, match="not an array"):
        eff.step("abc", np.zeros(6))
    bad = tmp_path / "bad.json"
    bad.write_text('{"skeleton": 3}')
    with pytest.raises(mn.MotornetError, match="bad.json"):
        mn.Effector.from_spec_file(str(bad))


def arm():
    eff = mn.Effector.preset("RigidTendonArm26")  # Euler, dt = 10 ms
    state = eff.step(eff.reset(np.array([0.7, 1.1, 0.3, -0.2])), np.full(6, 0.3))
    return eff, state


def test_step_vjp_unfolded_matches_finite_differences():
    eff, s = arm()
    rng = np.random.default_rng(1)
    u = rng.uniform(0.2, 0.8, 6)
    load = np.array([0.5, -0.3])
    w = rng.normal(size=eff.state_len)
    g = eff.step_vjp(s, u, w, endpoint_load=load, fold_geometry=False)
    f = lambda s_, u_, l_: w @ eff.step(s_, u_, endpoint_load=l_)
    eps = 1e-6
    for i in range(eff.state_len):
        d = np.zeros(eff.state_len)
        d[i] = eps
        fd = (f(s + d, u, load) - f(s - d, u, load)) / (2 * eps)
        assert abs(fd - g["state"][i]) <= 1e-5 * (1 + abs(fd)), (i, fd, g["state"][i])
    for i in range(6):
        d = np.zeros(6)
        d[i] = eps
        fd = (f(s, u + d, load) - f(s, u - d, load)) / (2 * eps)
        assert abs(fd - g["excitation"][i]) <= 1e-5 * (1 + abs(fd))
    for i in range(2):
        d = np.zeros(2)
        d[i] = eps
        fd = (f(s, u, load + d) - f(s, u, load - d)) / (2 * eps)
        assert abs(fd - g["endpoint_load"][i]) <= 1e-5 * (1 + abs(fd))
    assert g["joint_load"].shape == (0,)
    assert np.abs(g["state"]).max() > 0


def test_step_vjp_folded_matches_finite_differences():
    eff, _ = arm()
    nj, nm, ng = eff.state_part_lens
    j = np.array([0.7, 1.1, 0.3, -0.2])
    muscle = eff.step(eff.reset(j), np.full(6, 0.3))[nj:nj + nm]
    u = np.full(6, 0.45)
    w = np.random.default_rng(2).normal(size=eff.state_len)

    def f(j_, m_):
        s = eff.reset(j_)  # geometry consistent with the joint state
        s[nj:nj + nm] = m_
        return w @ eff.step(s, u)

    s = eff.reset(j)
    s[nj:nj + nm] = muscle
    g = eff.step_vjp(s, u, w)
    assert np.all(g["state"][nj + nm:] == 0)  # folded: geometry entries zero
    eps = 1e-6
    for i in range(nj):
        d = np.zeros(nj)
        d[i] = eps
        fd = (f(j + d, muscle) - f(j - d, muscle)) / (2 * eps)
        assert abs(fd - g["state"][i]) <= 1e-5 * (1 + abs(fd)), (i, fd, g["state"][i])
    for i in range(nm):
        d = np.zeros(nm)
        d[i] = eps
        fd = (f(j, muscle + d) - f(j, muscle - d)) / (2 * eps)
        assert abs(fd - g["state"][nj + i]) <= 1e-5 * (1 + abs(fd))


@pytest.mark.parametrize("preset", ["RigidTendonArm26", "ReluPointMass24"])
def test_rollout_vjp_matches_finite_differences(preset):
    eff = mn.Effector.preset(preset)
    rng = np.random.default_rng(3)
    dof = eff.dof
    # moving at the start: at zero velocity the Hill muscles' force-velocity curve has a kink
    j0 = np.concatenate([np.full(dof, 0.6) if preset == "RigidTendonArm26" else np.full(dof, 0.1),
                         np.array([0.3, -0.2])])
    T = 15
    u = rng.uniform(0.2, 0.8, (T, eff.n_muscles))
    W = rng.normal(size=(T + 1, eff.state_len))
    states = eff.rollout(j0, u)
    assert states.shape == (T + 1, eff.state_len)
    # the rollout's first states are reset and step
    np.testing.assert_array_equal(states[0], eff.reset(j0))
    np.testing.assert_array_equal(states[1], eff.step(states[0], u[0]))
    g = eff.rollout_vjp(j0, u, W)
    assert g["excitation"].shape == (T, eff.n_muscles)
    L = lambda j_, u_: float((W * eff.rollout(j_, u_)).sum())
    eps = 1e-6
    for i in range(2 * dof):
        d = np.zeros(2 * dof)
        d[i] = eps
        fd = (L(j0 + d, u) - L(j0 - d, u)) / (2 * eps)
        assert abs(fd - g["initial_joint"][i]) <= 1e-5 * (1 + abs(fd)), (i, fd, g["initial_joint"][i])
    for t, m in [(0, 0), (T // 2, 1), (T - 1, eff.n_muscles - 1)]:
        d = np.zeros_like(u)
        d[t, m] = eps
        fd = (L(j0, u + d) - L(j0, u - d)) / (2 * eps)
        assert abs(fd - g["excitation"][t, m]) <= 1e-5 * (1 + abs(fd)), (t, m, fd, g["excitation"][t, m])
