"""A ``gymnasium.Env`` over a motornet-rs environment: one episode at a time (batch of 1)."""
import json

import gymnasium as gym
import numpy as np

from ._native import Env


class MotorNetEnv(gym.Env):
    """MotorNet's environment as a ``gymnasium.Env``.

    With no arguments: MotorNet's tutorial (``ReluPointMass24``, a point mass pulled by four ReLU
    muscles, on ``RandomTargetReach``, 1 s episodes at dt = 10 ms). Keyword arguments are the
    fields of a run config (``effector``, ``task``, ``env``), e.g.
    ``MotorNetEnv(effector={"preset": "RigidTendonArm26"}, env={"vision_delay": 0.05})``.

    Observation (``float32``, ``[obs_len]``): MotorNet's, i.e. the goal, the delayed fingertip
    position (vision), the delayed normalised muscle lengths and velocities (proprioception), the
    stacked past actions, with the configured noise. Action: ``[n_muscles]`` excitations in
    ``[0, 1]``. Reward: minus the L1 distance (m) between fingertip and goal after the step (the
    tutorial's loss, per step). An episode ends (``terminated``) after ``max_ep_duration``.
    ``info`` holds the fingertip position and velocity, the goal and the joint state.
    """

    metadata = {"render_modes": []}

    def __init__(self, effector=None, task=None, env=None, render_mode=None):
        config = {}
        if effector is not None:
            config["effector"] = effector
        if task is not None:
            config["task"] = task
        if env is not None:
            config["env"] = env
        self.config = config
        self._env = Env(json.dumps(config))
        n, m = self._env.obs_len, self._env.n_muscles
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(n,), dtype=np.float32)
        self.action_space = gym.spaces.Box(0.0, 1.0, shape=(m,), dtype=np.float32)
        self.render_mode = render_mode
        self.dt = self._env.dt
        self.max_steps = self._env.steps
        self._started = False

    @property
    def native(self):
        """The underlying batched :class:`motornet_rs.Env` (batch of 1)."""
        return self._env

    def _info(self):
        return {
            "fingertip": self._env.fingertip()[0],
            "goal": self._env.goal()[0],
            "joint": self._env.joint()[0],
        }

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        # the episode's seed: drawn from the env's generator, which `seed` seeds
        episode_seed = int(self.np_random.integers(0, 2**63 - 1))
        initial = None if options is None else options.get("joint_state")
        if initial is not None:
            initial = np.asarray(initial, dtype=np.float64).reshape(1, -1)
        obs = self._env.reset(1, episode_seed, initial)
        self._started = True
        return obs[0].astype(np.float32), self._info()

    def step(self, action):
        if not self._started:
            raise gym.error.ResetNeeded("call reset() before step()")
        a = np.asarray(action, dtype=np.float64).reshape(1, -1)
        obs, done = self._env.step(a)
        info = self._info()
        reward = -float(np.abs(info["fingertip"][: len(info["goal"])] - info["goal"]).sum())
        if done:
            self._started = False
        return obs[0].astype(np.float32), reward, bool(done), False, info
