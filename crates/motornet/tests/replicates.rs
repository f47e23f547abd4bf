//! `motornet train --replicates N` end to end: a set's replicates are the single runs of their
//! seeds, its summary is the mean ± sd of theirs, sets are not overwritten by accident, resume
//! continues the unfinished replicates, failures and Ctrl-C are handled per replicate.

mod common;

use common::{bin, small_config, train};
use motornet::train::{Checkpoint, TrainConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("motornet-reps-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// The loss column of a run's log, as written (the text, for bit-identity).
fn loss_cells(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("log.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect()
}

fn losses(dir: &Path) -> Vec<f64> {
    loss_cells(dir).iter().map(|c| c.parse().unwrap()).collect()
}

/// Mean and sample sd, written out here independently of the program's.
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ok(o: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    err
}

#[test]
fn replicates_are_the_runs_of_their_seeds_and_their_summary_is_their_mean_and_sd() {
    let base = tmp("set");
    let cfg = small_config(&base);
    let seed = TrainConfig::from_file(&cfg).unwrap().seed;
    let set = base.join("set");
    // 3 threads shared by 3 replicates: 1 each
    let o = train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--replicates",
        "3",
        "--threads",
        "3",
        "--batches",
        "4",
        "--validate-every",
        "2",
        "--out",
        set.to_str().unwrap(),
    ]);
    ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.starts_with("replicates: ") && stdout.contains(" n=3 of=3 "),
        "{stdout}"
    );
    let described = json(&set.join("replicates.json"));
    assert_eq!(described["replicates"], 3);
    assert_eq!(described["threads_per_replicate"], 1);
    assert_eq!(
        described["seeds"],
        serde_json::json!([seed, seed + 1, seed + 2])
    );
    let reps: Vec<PathBuf> = (0..3).map(|i| set.join(format!("rep-{i}"))).collect();
    for (i, rep) in reps.iter().enumerate() {
        let c = TrainConfig::from_file(&rep.join("config.json")).unwrap();
        assert_eq!(
            (c.seed, c.threads),
            (seed + i as u64, 1),
            "{}",
            rep.display()
        );
        assert_eq!(losses(rep).len(), 4);
        assert!(rep.join("checkpoint.bin").is_file() && rep.join("loss.png").is_file());
    }
    assert_ne!(losses(&reps[0]), losses(&reps[1]));
    assert_ne!(losses(&reps[1]), losses(&reps[2]));
    // a replicate IS the single run of its seed (with the threads it had)
    let single = base.join("single");
    ok(&train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--seed",
        &(seed + 1).to_string(),
        "--threads",
        "1",
        "--batches",
        "4",
        "--out",
        single.to_str().unwrap(),
    ]));
    assert_eq!(loss_cells(&single), loss_cells(&reps[1]));

    // the summary's metrics are the mean and sd of the replicates' own: the final loss from
    // their logs, the reach metrics as `motornet eval` reports them for each
    let summary = json(&set.join("summary.json"));
    assert_eq!(summary["n"], 3);
    let metric = |name: &str| {
        let m = &summary["metrics"][name];
        (m["mean"].as_f64().unwrap(), m["sd"].as_f64().unwrap())
    };
    let finals: Vec<f64> = reps
        .iter()
        .map(|r| losses(r).iter().sum::<f64>() / 4.0)
        .collect();
    let (m, s) = mean_sd(&finals);
    assert!(close(metric("final_loss").0, m) && close(metric("final_loss").1, s));
    let mut evals = vec![];
    for rep in &reps {
        ok(&bin().arg("eval").arg(rep).output().unwrap());
        evals.push(json(&rep.join("eval").join("trajectories.json")));
    }
    for name in [
        "mean_final_error_m",
        "mean_signed_lateral_deviation_m",
        "mean_peak_speed_m_per_s",
    ] {
        let values: Vec<f64> = evals.iter().map(|e| e[name].as_f64().unwrap()).collect();
        let (m, s) = mean_sd(&values);
        let (got_m, got_s) = metric(name);
        assert!(
            close(got_m, m) && close(got_s, s),
            "{name}: {got_m} {got_s} vs {m} {s}"
        );
    }
    let values: Vec<f64> = evals.iter().map(|e| e["loss"].as_f64().unwrap()).collect();
    assert!(close(metric("validation_loss").0, mean_sd(&values).0));
    // the curves: the loss of each batch, the validation metrics on the row of the batch
    // after which they were taken (validation.csv's `batches` − 1)
    let csv = std::fs::read_to_string(set.join("summary.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(
        rows[0][..5],
        [
            "batch",
            "loss_mean",
            "loss_sd",
            "mean_final_error_m_mean",
            "mean_final_error_m_sd"
        ]
    );
    assert_eq!(rows.len(), 5);
    let logs: Vec<Vec<f64>> = reps.iter().map(|r| losses(r)).collect();
    for b in 0..4 {
        let (m, s) = mean_sd(&logs.iter().map(|l| l[b]).collect::<Vec<_>>());
        let cell = |c: usize| rows[b + 1][c].parse::<f64>().unwrap();
        assert!(close(cell(1), m) && close(cell(2), s), "batch {b}");
        assert_eq!(
            rows[b + 1][3].is_empty(),
            b % 2 == 0,
            "batch {b}: {:?}",
            rows[b + 1]
        );
    }
    let errors_at_2: Vec<f64> = reps
        .iter()
        .map(|r| {
            let t = std::fs::read_to_string(r.join("validation.csv")).unwrap();
            let row = t.lines().find(|l| l.starts_with("2,")).unwrap().to_string();
            row.split(',').nth(1).unwrap().parse().unwrap()
        })
        .collect();
    let (m, s) = mean_sd(&errors_at_2);
    let cell = |c: usize| rows[2][c].parse::<f64>().unwrap();
    assert!(close(cell(3), m) && close(cell(4), s));
    for f in ["loss.png", "loss.svg", "validation.png"] {
        assert!(set.join(f).is_file(), "{f}");
    }
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn sets_are_not_overwritten_by_accident_and_zero_replicates_is_an_error() {
    let base = tmp("refuse");
    let cfg = small_config(&base);
    let set = base.join("set");
    let args = |n: &str| {
        vec![
            "--config".to_string(),
            cfg.to_str().unwrap().into(),
            "--replicates".into(),
            n.into(),
            "--batches".into(),
            "1".into(),
            "--out".into(),
            set.to_str().unwrap().into(),
        ]
    };
    let run = |a: &[String]| train(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let o = run(&args("0"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--replicates must be at least 1"),
        "{err}"
    );
    assert!(!set.exists());
    ok(&run(&args("2")));
    let log = std::fs::read_to_string(set.join("rep-1").join("log.csv")).unwrap();
    let o = run(&args("2"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("already holds a replicate set"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(set.join("rep-1").join("log.csv")).unwrap(),
        log
    );
    // nor is a set taken for a run
    let o = train(
        &["--config", cfg.to_str().unwrap(), "--batches", "1", "--out"]
            .iter()
            .copied()
            .chain([set.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("holds no run"), "{err}");
    // --overwrite replaces it, a smaller set's leftover replicates included
    let mut again = args("1");
    again.push("--overwrite".into());
    ok(&run(&again));
    assert!(set.join("rep-0").join("log.csv").is_file());
    assert!(!set.join("rep-1").exists());
    assert_eq!(json(&set.join("summary.json"))["n"], 1);
    // n = 1: the sd is undefined (null)
    assert!(json(&set.join("summary.json"))["metrics"]["final_loss"]["sd"].is_null());
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn resuming_a_set_continues_its_unfinished_replicates_exactly() {
    let base = tmp("resume");
    let cfg = small_config(&base);
    let seed = TrainConfig::from_file(&cfg).unwrap().seed;
    let set = base.join("set");
    let c = cfg.to_str().unwrap();
    let s = set.to_str().unwrap();
    ok(&train(&[
        "--config",
        c,
        "--replicates",
        "2",
        "--threads",
        "2",
        "--batches",
        "3",
        "--out",
        s,
    ]));
    // one replicate is taken to 5 batches on its own, as any run
    let rep1 = set.join("rep-1");
    ok(&train(&[
        "--resume",
        "--batches",
        "5",
        "--out",
        rep1.to_str().unwrap(),
    ]));
    let rep1_log = loss_cells(&rep1);
    let o = train(&["--resume", "--replicates", "3", "--out", s]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("has 2 replicates"),
        "{err}"
    );
    let o = train(&["--resume", "--batches", "5", "--out", s]);
    let err = ok(&o);
    assert!(err.contains("already has its 5 batches"), "{err}");
    assert_eq!(
        loss_cells(&rep1),
        rep1_log,
        "a finished replicate was trained"
    );
    // the other continued as an uninterrupted run of its seed would have
    let single = base.join("single");
    ok(&train(&[
        "--config",
        c,
        "--seed",
        &seed.to_string(),
        "--threads",
        "1",
        "--batches",
        "5",
        "--out",
        single.to_str().unwrap(),
    ]));
    assert_eq!(loss_cells(&set.join("rep-0")), loss_cells(&single));
    assert_eq!(json(&set.join("summary.json"))["n"], 2);
    let o = train(&["--resume", "--batches", "5", "--out", s]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("already has its batches"),
        "{err}"
    );
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn failed_replicates_are_named_and_ctrl_c_stops_every_replicate_cleanly() {
    let base = tmp("fail");
    let cfg = small_config(&base);
    let set = base.join("set");
    let o = train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--replicates",
        "2",
        "--lr",
        "1e300",
        "--batches",
        "3",
        "--out",
        set.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("2 of 2 replicates failed") && err.contains("rep-0") && err.contains("rep-1"),
        "{err}"
    );
    assert!(
        err.contains("not finite") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!set.join("summary.json").exists());
    for i in 0..2 {
        let kept = Checkpoint::load(&set.join(format!("rep-{i}/checkpoint.bin")), None).unwrap();
        assert!(kept.first_non_finite().is_none());
    }

    let set = base.join("stopped");
    let child = bin()
        .args(["train", "--quiet", "--config", cfg.to_str().unwrap()])
        .args(["--replicates", "2", "--batches", "100000", "--out"])
        .arg(&set)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for i in 0..2 {
        common::wait_for_log_lines(&set.join(format!("rep-{i}")), 3);
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    let err = ok(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("n=2") && stdout.contains("stopped=signal"),
        "{stdout}\n{err}"
    );
    for i in 0..2 {
        let rep = set.join(format!("rep-{i}"));
        let c = Checkpoint::load(&rep.join("checkpoint.bin"), None).unwrap();
        assert_eq!(c.batches_done, losses(&rep).len());
        assert!(c.batches_done < 100000);
    }
    std::fs::remove_dir_all(&base).ok();
}
