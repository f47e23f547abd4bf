"""motornet-rs from Python: differentiable muscle-driven effectors, MotorNet's tasks and training.

The numerical work happens in Rust (``motornet_rs._native``, built with PyO3); this package adds
dict-based conveniences, a ``gymnasium.Env`` (:class:`motornet_rs.gym.MotorNetEnv`) and run
directories (:func:`train`, :func:`load_run`). Arrays are numpy ``float64``; errors are
:class:`MotornetError` (a ``ValueError``) with the Rust error's message. See ``docs/python.md``.
"""
import json as _json

from ._native import (  # noqa: F401
    Effector,
    Env,
    MotornetError,
    Trainer as _NativeTrainer,
    cosine_tuning,
    pca,
    preferred_direction_shift,
    preset_names,
)
from . import _native
from .runs import Run, load_run, train  # noqa: F401

__all__ = [
    "Effector",
    "Env",
    "MotornetError",
    "Trainer",
    "MotorNetEnv",
    "Run",
    "default_config",
    "resolve_config",
    "load_run",
    "train",
    "pca",
    "cosine_tuning",
    "preferred_direction_shift",
    "preset_names",
]


def _config_json(config):
    """A run config given as a dict (or None for the defaults, or JSON text) as JSON text."""
    if config is None:
        return "{}"
    if isinstance(config, str):
        return config
    if isinstance(config, dict):
        return _json.dumps(config)
    raise TypeError(f"config must be a dict, JSON text or None, got {type(config).__name__}")


def default_config():
    """The run config defaults (MotorNet's tutorial) as a dict, the fields of ``motornet train --config``."""
    return _json.loads(_native.default_config_json())


def resolve_config(config=None):
    """Check a run config (dict) and return it complete, the effector written out as a full spec."""
    return _json.loads(_native.resolve_config_json(_config_json(config)))


class Trainer(_NativeTrainer):
    """A training run from a run config (a dict with the fields ``motornet train --config`` takes;
    missing fields take MotorNet's tutorial defaults).

    ``train(batches)`` trains (GIL released) and returns ``[batches, 4]`` rows (batch, loss,
    grad_norm, lr); ``evaluate(batch, seed=0, task=None, env=None)`` returns the trajectories;
    ``save_checkpoint(path)`` / ``resume_from(path)``; ``losses()``, ``params()``, ``config``.
    """

    def __new__(cls, config=None):
        return super().__new__(cls, _config_json(config))

    @property
    def config(self):
        """The resolved config as a dict."""
        return _json.loads(self.config_json())

    def evaluate(self, batch, seed=0, task=None, env=None):
        """Run ``batch`` episodes without training; ``task`` / ``env`` (dicts, as in a run
        config) replace the training task and environment settings."""
        return super().evaluate(
            batch,
            seed,
            None if task is None else _json.dumps(task),
            None if env is None else _json.dumps(env),
        )


def make_env(config=None):
    """A batched native environment (:class:`Env`) from a run config dict."""
    return Env(_config_json(config))


def __getattr__(name):
    # gymnasium is imported only when the environment is asked for
    if name == "MotorNetEnv":
        from .gym import MotorNetEnv

        return MotorNetEnv
    raise AttributeError(f"module 'motornet_rs' has no attribute {name!r}")
