"""Run directories: train from Python into the layout ``motornet train --out DIR`` writes
(``config.json``, ``log.csv``, ``checkpoint.bin``), and load any run directory back."""
import csv
import json
import os
import time

import numpy as np


def train(config=None, out_dir=None, batches=None, overwrite=False, progress=None):
    """Train a run from a config dict (the fields ``motornet train --config`` takes) and, with
    ``out_dir``, write its ``config.json``, ``log.csv`` (batch, loss, grad_norm, lr, seconds)
    and ``checkpoint.bin`` there. ``batches`` defaults to the config's. ``progress(rows)`` is
    called after every block of up to 50 batches. Returns the :class:`motornet_rs.Trainer`."""
    from . import Trainer, MotornetError

    trainer = Trainer(config)
    total = trainer.config["batches"] if batches is None else int(batches)
    log = None
    if out_dir is not None:
        if os.path.exists(os.path.join(out_dir, "config.json")) and not overwrite:
            raise MotornetError(f"{out_dir} already holds a run (pass overwrite=True to replace it)")
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "config.json"), "w") as f:
            f.write(trainer.config_json() + "\n")
        log = open(os.path.join(out_dir, "log.csv"), "w")
        log.write("batch,loss,grad_norm,lr,seconds\n")
    try:
        done = 0
        while done < total:
            n = min(50, total - done)
            t0 = time.perf_counter()
            rows = trainer.train(n)
            per = (time.perf_counter() - t0) / n
            if log is not None:
                for b, loss, g, lr in rows:
                    log.write(f"{int(b)},{float(loss)!r},{float(g)!r},{float(lr)!r},{per:.6f}\n")
                log.flush()
            done += n
            if progress is not None:
                progress(rows)
    finally:
        if log is not None:
            log.close()
    if out_dir is not None:
        trainer.save_checkpoint(os.path.join(out_dir, "checkpoint.bin"))
    return trainer


class Run:
    """A run directory read back: ``config`` (dict), ``log`` (dict of numpy columns from
    ``log.csv``), ``trajectories`` (``trajectories.json`` as written by ``motornet train``, or
    None), ``validation`` (``validation.csv`` columns, or None); ``trainer()`` rebuilds the
    trainer from the config and its checkpoint."""

    def __init__(self, path):
        from . import MotornetError

        self.path = str(path)
        cfg = os.path.join(self.path, "config.json")
        if not os.path.isfile(cfg):
            raise MotornetError(f"{self.path} is not a run directory (no config.json)")
        with open(cfg) as f:
            self.config = json.load(f)
        self.log = _read_csv(os.path.join(self.path, "log.csv"))
        self.validation = _read_csv(os.path.join(self.path, "validation.csv"))
        traj = os.path.join(self.path, "trajectories.json")
        self.trajectories = None
        if os.path.isfile(traj):
            with open(traj) as f:
                self.trajectories = json.load(f)

    @property
    def checkpoint_path(self):
        """Path of ``checkpoint.bin``."""
        return os.path.join(self.path, "checkpoint.bin")

    def trainer(self):
        """A :class:`motornet_rs.Trainer` with the run's config and checkpoint."""
        from . import Trainer

        t = Trainer(self.config)
        t.resume_from(self.checkpoint_path)
        return t

    @property
    def losses(self):
        """The loss of every logged batch."""
        return None if self.log is None else self.log["loss"]


def load_run(path):
    """Read a run directory (one ``motornet train --out`` or :func:`train` wrote)."""
    return Run(path)


def _read_csv(path):
    """A CSV file's numeric columns as a dict of float arrays (text columns kept as lists)."""
    if not os.path.isfile(path):
        return None
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return {}
    header, body = rows[0], rows[1:]
    out = {}
    for i, name in enumerate(header):
        col = [r[i] if i < len(r) else "" for r in body]
        try:
            out[name] = np.array([float(x) for x in col])
        except ValueError:
            out[name] = col
    return out
