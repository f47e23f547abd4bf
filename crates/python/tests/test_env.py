"""The gymnasium environment: check_env, MotorNet's observation, seeding, spaces."""
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import motornet_rs as mn
from motornet_rs.gym import MotorNetEnv


def test_check_env_default_and_arm():
    check_env(MotorNetEnv(), skip_render_check=True)
    check_env(
        MotorNetEnv(effector={"preset": "RigidTendonArm26"},
                    env={"vision_delay": 0.05, "proprioception_delay": 0.02, "action_frame_stacking": 2,
                         "obs_noise": 0.01, "action_noise": 0.01}),
        skip_render_check=True,
    )


def test_default_is_the_tutorial():
    env = MotorNetEnv()
    # ReluPointMass24: 4 muscles on a 2-D point mass; goal (2) + vision (2) + proprioception (2·4)
    assert env.action_space.shape == (4,)
    assert env.observation_space.shape == (12,)
    assert env.dt == pytest.approx(0.01) and env.max_steps == 100


def test_observation_layout_and_episode():
    env = MotorNetEnv(env={"action_frame_stacking": 1})
    layout = env.native.layout()
    obs, info = env.reset(seed=5)
    d = 2
    # no delay, no noise: vision is the fingertip position now, the goal is the goal
    np.testing.assert_allclose(obs[layout["goal"]:layout["goal"] + d], info["goal"], rtol=1e-6)
    np.testing.assert_allclose(obs[layout["vision"]:layout["vision"] + d], info["fingertip"][:d], rtol=1e-6, atol=1e-7)
    action = np.array([0.9, 0.1, 0.5, 0.2], dtype=np.float32)
    steps, terminated = 0, False
    while not terminated:
        obs, reward, terminated, truncated, info = env.step(action)
        steps += 1
        # the stacked action is the last command
        np.testing.assert_allclose(obs[layout["actions"]:layout["actions"] + 4], action, rtol=1e-6)
        assert reward == pytest.approx(-np.abs(info["fingertip"][:d] - info["goal"]).sum())
        assert not truncated
    assert steps == env.max_steps
    with pytest.raises(Exception):
        env.step(action)


def test_vision_delay_shows_past_positions():
    env = MotorNetEnv(env={"vision_delay": 0.03})  # 3 steps: the observation lags by 2 states
    layout = env.native.layout()
    obs, info = env.reset(seed=1)
    seen = [info["fingertip"][:2].copy()]
    for _ in range(6):
        obs, _, _, _, info = env.step(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32))
        seen.append(info["fingertip"][:2].copy())
        if len(seen) >= 3:
            np.testing.assert_allclose(obs[layout["vision"]:layout["vision"] + 2], seen[-3], rtol=1e-6, atol=1e-7)
    assert not np.allclose(seen[-1], seen[-3])


def test_seeding_is_reproducible():
    a, b = MotorNetEnv(env={"obs_noise": 0.1}), MotorNetEnv(env={"obs_noise": 0.1})
    oa, _ = a.reset(seed=42)
    ob, _ = b.reset(seed=42)
    np.testing.assert_array_equal(oa, ob)
    oc, _ = b.reset(seed=43)
    assert not np.array_equal(oa, oc)


def test_env_errors():
    with pytest.raises(mn.MotornetError, match="vision_delay"):
        MotorNetEnv(env={"vision_delay": 0.015})  # not a multiple of dt
    with pytest.raises(mn.MotornetError, match="no_such_field"):
        MotorNetEnv(env={"no_such_field": 1})
    native = mn.make_env()
    with pytest.raises(mn.MotornetError, match="reset"):
        native.step(np.zeros((1, 4)))
    native.reset(2, 0)
    with pytest.raises(mn.MotornetError, match="actions"):
        native.step(np.zeros((3, 4)))


def test_reset_from_a_given_joint_state():
    env = MotorNetEnv(effector={"preset": "RigidTendonArm26"})
    _, info = env.reset(seed=0, options={"joint_state": [0.5, 1.0, 0.0, 0.0]})
    np.testing.assert_array_equal(info["joint"], [0.5, 1.0, 0.0, 0.0])
    arm = mn.Effector.preset("RigidTendonArm26")
    fingertip = arm.simulate(np.array([[0.5, 1.0, 0.0, 0.0]]), np.zeros((0, 1, 6)))["fingertip"][0, 0]
    np.testing.assert_allclose(info["fingertip"][:2], fingertip, rtol=1e-12)
