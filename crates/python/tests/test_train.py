"""Training, evaluation, run directories and analysis from Python."""
import json
import subprocess
import threading
import time

import numpy as np
import pytest

import motornet_rs as mn

SMALL = {"batch_size": 8, "batches": 60, "lr": 3e-3, "seed": 1, "threads": 2}


def test_training_reduces_the_loss_and_run_dir_round_trips(tmp_path):
    out = tmp_path / "run"
    trainer = mn.train(SMALL, out_dir=str(out))
    losses = trainer.losses()
    assert losses.shape == (60,)
    assert losses[-10:].mean() < 0.8 * losses[:10].mean(), losses
    run = mn.load_run(str(out))
    assert run.config["batch_size"] == 8 and "spec" in run.config["effector"]
    np.testing.assert_array_equal(run.log["batch"], np.arange(60))
    np.testing.assert_array_equal(run.losses, losses)
    again = run.trainer()
    assert again.batches_done == 60
    np.testing.assert_array_equal(again.params(), trainer.params())
    a = trainer.evaluate(4, seed=9)
    b = again.evaluate(4, seed=9)
    np.testing.assert_array_equal(a["fingertip"], b["fingertip"])
    assert a["fingertip"].shape == (4, 101, 4) and a["excitation"].shape == (4, 100, 4)
    assert a["hidden"].shape == (4, 100, 32)
    with pytest.raises(mn.MotornetError, match="already"):
        mn.train(SMALL, out_dir=str(out), batches=1)


def test_python_training_equals_the_program(tmp_path, motornet_bin):
    config = dict(SMALL, batches=5)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    subprocess.run([motornet_bin, "train", "--config", str(path), "--out", str(tmp_path / "cli")], check=True,
                   capture_output=True)
    cli = mn.load_run(str(tmp_path / "cli"))
    py = mn.train(config)
    np.testing.assert_array_equal(py.losses(), cli.log["loss"])
    np.testing.assert_array_equal(py.params(), cli.trainer().params())


def test_evaluate_on_another_task():
    t = mn.Trainer(dict(SMALL, batches=1))
    r = t.evaluate(8, task={"name": "CentreOutReach", "n_targets": 8, "radius": 0.1,
                            "mode": {"validation": {"cue": 0.0}}, "cue_input": False}, env={})
    radii = np.linalg.norm(r["target"] - r["fingertip"][:, 0, :2], axis=1)
    np.testing.assert_allclose(radii, 0.1, rtol=1e-9)


def test_config_errors_name_the_field():
    with pytest.raises(mn.MotornetError, match="batch_sizee"):
        mn.Trainer({"batch_sizee": 3})
    with pytest.raises(mn.MotornetError, match="lr"):
        mn.Trainer({"lr": -1.0})
    with pytest.raises(mn.MotornetError, match="not a run directory"):
        mn.load_run("/nonexistent")


def test_defaults_are_the_tutorial():
    c = mn.default_config()
    assert c["effector"] == {"preset": "ReluPointMass24", "muscle": None}
    assert c["network"] == {"kind": "gru", "hidden": 32, "layers": 1} or c["network"]["hidden"] == 32
    r = mn.resolve_config({})
    assert r["effector"]["spec"]["skeleton"]


def test_pca_equals_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3)) @ np.array([[3.0, 0, 0], [1.0, 1.0, 0], [0, 0, 0.1]]) + 5
    p = mn.pca(x, 2)
    xc = x - x.mean(0)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    var = s**2 / (len(x) - 1)
    np.testing.assert_allclose(p["mean"], x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(p["explained_variance_ratio"], var / var.sum(), rtol=1e-8)
    for k in range(3):
        assert abs(abs(p["components"][k] @ vt[k]) - 1) < 1e-8
    np.testing.assert_allclose(np.abs(p["projection"]), np.abs(xc @ vt[:2].T), rtol=1e-8, atol=1e-10)


def test_training_releases_the_gil():
    trainer = mn.Trainer(dict(SMALL, threads=1))
    trainer.train(1)
    started, done = threading.Event(), threading.Event()

    def work():
        started.set()
        trainer.train(60)  # about 0.1 s
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    started.wait()
    # this thread runs Python while the worker trains: a call that kept the GIL would let the
    # loop run at most once or twice before `done`
    ticks = 0
    while not done.is_set():
        ticks += 1
        sum(range(2000))
    worker.join()
    assert trainer.batches_done == 61
    assert ticks > 20, ticks


def test_cosine_tuning_recovers_planted_tuning_and_shift():
    # 8 reaches, 20 steps, 3 units cosine-tuned to the reach direction: unit h responds
    # base[h] + depth[h]·cos(θ − pd[h]) during the reach (any step), so the fit recovers them
    directions = np.arange(8) * np.pi / 4
    pd = np.array([0.3, -2.0, 2.9])
    depth = np.array([1.0, 0.5, 2.0])
    base = np.array([0.1, -0.2, 0.0])

    def activity(pds):
        a = base + depth * np.cos(directions[:, None] - pds[None, :])
        return np.repeat(a[:, None, :], 20, axis=1)

    peaks = np.full(8, 10)
    t = mn.cosine_tuning(activity(pd), directions, peaks, half_width=3)
    np.testing.assert_allclose(t["preferred_direction_rad"], pd, atol=1e-12)
    np.testing.assert_allclose(t["depth"], depth, rtol=1e-12)
    np.testing.assert_allclose(t["baseline"], base, atol=1e-12)
    np.testing.assert_allclose(t["r2"], 1.0, atol=1e-12)
    # every unit's preferred direction turned by 0.4 rad counter-clockwise
    after = mn.cosine_tuning(activity(pd + 0.4), directions, peaks, half_width=3)
    s = mn.preferred_direction_shift(t, after)
    np.testing.assert_allclose(s["shift_rad"], 0.4, atol=1e-12)
    assert s["n_counted"] == 3 and s["counted"].all()
    assert abs(s["mean_shift_rad"] - 0.4) < 1e-12 and abs(s["resultant_length"] - 1) < 1e-12
    # bad input: the error names it
    with pytest.raises(mn.MotornetError, match="peak_steps"):
        mn.cosine_tuning(activity(pd), directions, np.full(8, 2.5))
    with pytest.raises(mn.MotornetError, match="directions"):
        mn.cosine_tuning(activity(pd), directions[:5], peaks)
    with pytest.raises(mn.MotornetError):
        mn.cosine_tuning(activity(pd), directions, np.full(8, 25))
    del after["r2"]
    with pytest.raises(mn.MotornetError, match="r2"):
        mn.preferred_direction_shift(t, after)
