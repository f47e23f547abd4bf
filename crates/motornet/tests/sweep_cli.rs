//! `motornet sweep`, `sweep-task` and `collect` end to end: grid expansion (count, values,
//! dotted paths, errors naming the key), refusing an existing directory, `--jobs 2` on four
//! tiny runs, `collect`'s rows, a failed run reported and re-run with `--resume`, a stopped run
//! continued from its checkpoint (or, `--from-scratch`, trained again), and the
//! Slurm script. (A real Slurm cluster runs the sweep in `.ci/slurm-test.sh`.)

mod common;

use common::bin;
use motornet::train::TrainConfig;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("motornet-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A tiny run config (3 batches of 4 episodes of 0.2 s, GRU 4) followed by `grid`.
fn grid_file(dir: &Path, grid: &str) -> PathBuf {
    grid_file_with(dir, "", grid)
}

/// [`grid_file`] with `top` (top-level settings) first.
fn grid_file_with(dir: &Path, top: &str, grid: &str) -> PathBuf {
    let path = dir.join("grid.toml");
    std::fs::write(
        &path,
        format!(
            "{top}batch_size = 4\nbatches = 3\ncheckpoint_every = 0\n\
             [env]\nmax_ep_duration = 0.2\n\
             [network]\nkind = \"gru\"\nhidden = 4\nlayers = 1\n\
             {grid}"
        ),
    )
    .unwrap();
    path
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

/// `motornet sweep GRID --out OUT EXTRA…`.
fn sweep(grid: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("sweep")
        .arg(grid)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sweep_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap()
}

/// `collect`'s CSV: header and rows, split on commas (the test values hold none).
fn collect(dir: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let o = run(&["collect", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let mut lines = out
        .lines()
        .map(|l| l.split(',').map(String::from).collect());
    let header: Vec<String> = lines.next().unwrap();
    (header, lines.collect())
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn expansion_writes_every_point_with_its_values_and_config() {
    let base = tmp("expand");
    let grid = grid_file(
        &base,
        "[grid]\nnetwork.hidden = [4, 8, 16]\n\"env.vision_delay\" = [0.02, 0.05]\n\
         \"losses.0.weight\" = [0.5]\n",
    );
    let out = base.join("sweep");
    let o = sweep(&grid, &out, &["--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    let s = sweep_json(&out);
    let runs = s["runs"].as_array().unwrap();
    // 3 × 2 × 1 points
    assert_eq!(runs.len(), 6);
    let keys: Vec<&str> = (s["grid"].as_array().unwrap().iter())
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["env.vision_delay", "losses.0.weight", "network.hidden"]
    );
    let mut seen = vec![];
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r["index"], i);
        let dir = out.join(r["dir"].as_str().unwrap());
        assert!(dir.starts_with(out.join("runs")), "{dir:?}");
        assert!(
            r["name"].as_str().unwrap().starts_with(&format!("{i:04}-")),
            "{r}"
        );
        // each run's config has its values at the dotted paths, and the base's other settings
        let c = TrainConfig::from_file(&dir.join("config.json")).unwrap();
        let (delay, hidden) = (
            r["values"]["env.vision_delay"].as_f64().unwrap(),
            r["values"]["network.hidden"].as_u64().unwrap(),
        );
        assert_eq!(c.network.hidden as u64, hidden);
        assert_eq!(c.env.vision_delay, Some(delay));
        match &c.losses[0] {
            motornet::task::loss::LossConfig::PositionL1(l) => assert_eq!(l.weight, 0.5),
            other => panic!("{other:?}"),
        }
        assert_eq!((c.batch_size, c.batches), (4, 3));
        assert_eq!(c.env.max_ep_duration, 0.2);
        seen.push((hidden, (delay * 1000.0).round() as u64));
        // nothing was run
        assert!(!dir.join("train").exists());
    }
    seen.sort();
    assert_eq!(
        seen,
        [(4, 20), (4, 50), (8, 20), (8, 50), (16, 20), (16, 50)]
    );
    // an existing directory is never replaced
    let o = sweep(&grid, &out, &["--dry-run"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("already exists"), "{}", text(&o));
    assert_eq!(sweep_json(&out)["runs"].as_array().unwrap().len(), 6);
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn bad_grids_are_errors_naming_the_key_before_anything_is_written() {
    let base = tmp("bad");
    for (grid, expected) in [
        ("[grid]\nnetwork.hiden = [4, 8]\n", "network.hiden"),
        ("[grid]\nlearning_rate = [0.1]\n", "learning_rate"),
        ("[grid]\nnetwork.hidden = [\"many\"]\n", "network.hidden"),
        ("[grid]\nlr = 0.001\n", "must be a list"),
        ("[grid]\nlr = []\n", "empty"),
        ("[grid]\nlr = [0.001, -1.0]\n", "lr"),
        ("[grid]\n\"batch_size.x\" = [1]\n", "batch_size"),
        ("[grid]\neffector.preset = [\"NoSuchArm\"]\n", "NoSuchArm"),
        ("", "no [grid] table"),
    ] {
        let g = grid_file(&base, grid);
        let out = base.join("sweep");
        let o = run(&["sweep", g.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{grid}: {t}");
        assert!(t.contains(expected), "{grid}: expected {expected:?} in {t}");
        assert!(!t.contains("panicked"), "{t}");
        assert!(!out.exists(), "{grid}: the sweep directory was made");
    }
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn jobs_run_four_runs_and_collect_lists_them() {
    let base = tmp("jobs");
    let grid = grid_file(&base, "[grid]\nlr = [0.001, 0.003]\nseed = [0, 1]\n");
    let out = base.join("sweep");
    let o = sweep(&grid, &out, &["--jobs", "2"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("2 at a time"), "{t}");
    assert!(t.contains("[4/4] done"), "{t}");
    let (header, rows) = collect(&out);
    assert_eq!(rows.len(), 4, "{rows:?}");
    let (status, loss, lr, seed, err) = (
        column(&header, "status"),
        column(&header, "final_loss"),
        column(&header, "lr"),
        column(&header, "seed"),
        column(&header, "mean_final_error_m"),
    );
    let mut values = vec![];
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[status], "done", "{r:?}");
        values.push((r[lr].clone(), r[seed].clone()));
        // the final loss is the mean of the run's logged losses (3 batches: all of them)
        let log =
            std::fs::read_to_string(out.join("runs").join(&r[0]).join("train").join("log.csv"))
                .unwrap();
        let losses: Vec<f64> = log
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(losses.len(), 3, "run {i}");
        let mean = losses.iter().sum::<f64>() / 3.0;
        let got: f64 = r[loss].parse().unwrap();
        assert!((got - mean).abs() <= 1e-12 * mean.abs(), "{got} vs {mean}");
        // the evaluation ran (and its files are kept in the run)
        let e: f64 = r[err].parse().unwrap();
        assert!(e.is_finite() && e > 0.0, "{r:?}");
        assert!(out
            .join("runs")
            .join(&r[0])
            .join("train/eval/trajectories.json")
            .is_file());
    }
    assert_eq!(
        values,
        [
            ("0.001", "0"),
            ("0.001", "1"),
            ("0.003", "0"),
            ("0.003", "1")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    for f in ["collect.png", "collect.svg"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // a resumed sweep with every run done has nothing to do
    let o = run(&["sweep", "--resume", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("every run"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn a_failed_run_is_reported_listed_and_re_run_alone() {
    let base = tmp("fail");
    // a run to start from: its network has 4 hidden units, so starting an 8-unit network
    // from it fails when training starts (after the configs were checked)
    let donor = base.join("donor");
    let o = common::train(&[
        "--config",
        grid_file(&base, "").to_str().unwrap(),
        "--out",
        donor.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let grid = grid_file_with(
        &base,
        &format!("init_from = {:?}\n", donor.to_str().unwrap()),
        "[grid]\nnetwork.hidden = [4, 8]\n",
    );
    let out = base.join("sweep");
    let o = sweep(&grid, &out, &["--jobs", "2"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("1 of 2 runs failed"), "{t}");
    assert!(t.contains("failed: 0001-network.hidden=8"), "{t}");
    assert!(t.contains("done 0000-network.hidden=4"), "{t}");
    let (header, rows) = collect(&out);
    let status = column(&header, "status");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][status], "done");
    assert_eq!(rows[1][status], "failed");
    assert_eq!(rows[1][column(&header, "final_loss")], "");
    // --resume re-runs only the failed run (it fails again), keeping the earlier attempt
    let before = std::fs::metadata(out.join("runs/0000-network.hidden=4/train/log.csv"))
        .unwrap()
        .modified()
        .unwrap();
    let o = run(&["sweep", "--resume", out.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("1 runs to train"), "{t}");
    assert!(out
        .join("runs/0001-network.hidden=8/attempt-1/output.log")
        .is_file());
    let after = std::fs::metadata(out.join("runs/0000-network.hidden=4/train/log.csv"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "the done run was trained again");
    // a run that did not finish (no status) is `missing`, and `sweep-task` trains it
    std::fs::remove_file(out.join("runs/0000-network.hidden=4/status.json")).unwrap();
    let (header, rows) = collect(&out);
    assert_eq!(rows[0][column(&header, "status")], "missing");
    let o = run(&["sweep-task", out.to_str().unwrap(), "0"]);
    assert!(o.status.success(), "{}", text(&o));
    let (header, rows) = collect(&out);
    assert_eq!(rows[0][column(&header, "status")], "done");
    // an index out of range is an error
    let o = run(&["sweep-task", out.to_str().unwrap(), "2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no run 2"), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&base);
}

/// `log.csv` without its last column (`seconds`, the wall time of each batch).
fn losses(train: &Path) -> Vec<String> {
    std::fs::read_to_string(train.join("log.csv"))
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect()
}

#[test]
fn a_stopped_run_resumes_from_its_checkpoint_as_if_never_stopped() {
    let base = tmp("stopped");
    let grid = base.join("grid.toml");
    std::fs::write(
        &grid,
        "batch_size = 4\nbatches = 6\ncheckpoint_every = 2\n\
         [env]\nmax_ep_duration = 0.2\n\
         [network]\nkind = \"gru\"\nhidden = 4\nlayers = 1\n\
         [grid]\nseed = [0]\n",
    )
    .unwrap();
    let out = base.join("sweep");
    let o = sweep(&grid, &out, &["--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    let dir = out.join("runs/0000-seed=0");
    let config = dir.join("config.json");
    // what `sweep --jobs 1` gives each run
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.clamp(1, motornet::train::MAX_THREADS).to_string();
    // the uninterrupted run
    let reference = base.join("reference");
    let o = common::train(&[
        "--config",
        config.to_str().unwrap(),
        "--out",
        reference.to_str().unwrap(),
        "--threads",
        &threads,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let expected = losses(&reference);
    assert_eq!(expected.len(), 7, "header and 6 batches: {expected:?}");
    // an attempt stopped after 4 of its 6 batches (a time limit, say): no status
    let o = common::train(&[
        "--config",
        config.to_str().unwrap(),
        "--out",
        dir.join("train").to_str().unwrap(),
        "--threads",
        &threads,
        "--batches",
        "4",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(losses(&dir.join("train")), expected[..5]);
    let (header, rows) = collect(&out);
    assert_eq!(rows[0][column(&header, "status")], "missing");
    // --resume continues it from its checkpoint: the same 6 batches as the uninterrupted run
    let o = run(&["sweep", "--resume", out.to_str().unwrap()]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("resuming from its checkpoint"), "{t}");
    assert_eq!(losses(&dir.join("train")), expected);
    let (header, rows) = collect(&out);
    assert_eq!(rows[0][column(&header, "status")], "done");
    // --from-scratch trains it again from the start, keeping the earlier attempt whole
    std::fs::remove_file(dir.join("status.json")).unwrap();
    let o = run(&["sweep", "--resume", out.to_str().unwrap(), "--from-scratch"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(!t.contains("resuming"), "{t}");
    assert!(dir.join("attempt-1/train/checkpoint.bin").is_file());
    assert!(dir.join("attempt-1/output.log").is_file());
    assert_eq!(losses(&dir.join("train")), expected);
    // --from-scratch only means something with --resume
    let o = sweep(&grid, &base.join("other"), &["--from-scratch"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("give it with --resume DIR"),
        "{}",
        text(&o)
    );
    assert!(!base.join("other").exists());
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn slurm_writes_a_job_array_script() {
    let base = tmp("slurm");
    let grid = grid_file(&base, "[grid]\nlr = [0.001, 0.003]\nseed = [0, 1, 2]\n");
    let out = base.join("sweep");
    let o = sweep(
        &grid,
        &out,
        &[
            "--slurm",
            "--time",
            "00:10:00",
            "--cpus-per-task",
            "2",
            "--mem",
            "2G",
            "--partition",
            "short",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let script = std::fs::read_to_string(out.join("sweep.sbatch")).unwrap();
    let dir = out.canonicalize().unwrap();
    for line in [
        "#SBATCH --array=0-5".to_string(),
        format!("#SBATCH --output={}/slurm-%A_%a.out", dir.display()),
        "#SBATCH --time=00:10:00".into(),
        "#SBATCH --cpus-per-task=2".into(),
        "#SBATCH --mem=2G".into(),
        "#SBATCH --partition=short".into(),
        format!("sweep-task '{}' \"$SLURM_ARRAY_TASK_ID\"", dir.display()),
    ] {
        assert!(script.contains(&line), "{line} not in\n{script}");
    }
    assert!(script.starts_with("#!/bin/bash\n"));
    // nothing ran here
    assert!(!out.join("runs/0000-lr=0.001-seed=0/train").exists());
    // resource flags need --slurm
    let o = sweep(&grid, &base.join("other"), &["--time", "1:00"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&base);
}
