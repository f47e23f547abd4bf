//! Issue 14, run directories: `train --out` never destroys a run or a user's files, one process
//! at a time writes a run, a failed start leaves nothing behind, `--resume` refuses flags that
//! would change the run, and the log is cut back to the checkpoint after a crash.

mod common;

use common::{bin, small_config, train, wait_for_log_lines};
use motornet::train::Checkpoint;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("motornet-rundir-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_existing_run_is_refused_unless_overwritten_and_a_foreign_directory_always() {
    let base = tmp("refuse");
    let cfg = small_config(&base);
    let run = base.join("run");
    let r = run.to_str().unwrap();
    let c = cfg.to_str().unwrap();
    assert!(train(&["--config", c, "--batches", "2", "--out", r])
        .status
        .success());
    let before = std::fs::read(run.join("checkpoint.bin")).unwrap();
    let o = train(&["--config", c, "--batches", "3", "--seed", "5", "--out", r]);
    let err = stderr(&o);
    assert!(
        !o.status.success() && err.contains("already holds a run"),
        "{err}"
    );
    assert!(
        err.contains("--overwrite") && err.contains("--resume"),
        "{err}"
    );
    assert_eq!(std::fs::read(run.join("checkpoint.bin")).unwrap(), before);
    let log = std::fs::read_to_string(run.join("log.csv")).unwrap();
    assert_eq!(log.lines().count(), 3, "{log}");
    // --overwrite replaces it: one header, the new run's rows
    let o = train(&["--config", c, "--batches", "3", "--out", r, "--overwrite"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let log = std::fs::read_to_string(run.join("log.csv")).unwrap();
    assert_eq!(log.lines().count(), 4, "{log}");
    assert_eq!(log.matches("batch,").count(), 1, "{log}");
    // a directory of someone else's files: refused, even with --overwrite, nothing touched
    let mine = base.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("thesis.tex"), "x").unwrap();
    for extra in [None, Some("--overwrite")] {
        let mut args = vec![
            "--config",
            c,
            "--batches",
            "2",
            "--out",
            mine.to_str().unwrap(),
        ];
        args.extend(extra);
        let o = train(&args);
        let err = stderr(&o);
        assert!(!o.status.success() && err.contains("not empty"), "{err}");
    }
    let left: Vec<_> = std::fs::read_dir(&mine).unwrap().collect();
    assert_eq!(left.len(), 1, "files were written into a foreign directory");
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn a_second_writer_fails_at_once_while_a_run_trains() {
    let base = tmp("lock");
    let cfg = small_config(&base);
    let run = base.join("run");
    let mut first = bin()
        .args([
            "train",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--batches",
            "100000",
        ])
        .arg("--out")
        .arg(&run)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_log_lines(&run, 3);
    let t0 = std::time::Instant::now();
    let o = train(&[
        "--resume",
        "--out",
        run.to_str().unwrap(),
        "--batches",
        "200000",
    ]);
    let err = stderr(&o);
    assert!(
        !o.status.success() && err.contains("in use by another motornet process"),
        "{err}"
    );
    assert!(
        err.contains(&first.id().to_string()),
        "the holder is named: {err}"
    );
    assert!(t0.elapsed().as_secs() < 30, "the second writer waited");
    let _ = Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status();
    let status = first.wait().unwrap();
    assert!(status.success());
    // the first run is whole: its checkpoint holds every logged batch
    let rows = std::fs::read_to_string(run.join("log.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let c = Checkpoint::load(&run.join("checkpoint.bin"), None).unwrap();
    assert_eq!(c.batches_done, rows);
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn a_failed_start_leaves_no_run_directory() {
    let base = tmp("failed");
    let run = base.join("run");
    for args in [
        vec!["--batch-size", "0"],
        vec!["--hidden", "1000000"],
        vec!["--batches", "0"],
        vec!["--threads", "0"],
    ] {
        let o = train(&[&args[..], &["--out", run.to_str().unwrap()]].concat());
        let err = stderr(&o);
        assert!(
            !o.status.success() && err.starts_with("error:"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("panicked") && !err.contains("memory allocation"),
            "{err}"
        );
        assert!(!run.exists(), "{args:?} left {}", run.display());
    }
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn resume_refuses_flags_that_would_change_the_run() {
    let base = tmp("resume-flags");
    let cfg = small_config(&base);
    let run = base.join("run");
    let r = run.to_str().unwrap();
    assert!(train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--batches",
        "2",
        "--out",
        r
    ])
    .status
    .success());
    let o = train(&[
        "--resume",
        "--out",
        r,
        "--batches",
        "4",
        "--hidden",
        "64",
        "--curl-field",
        "10",
    ]);
    let err = stderr(&o);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("--hidden") && err.contains("--curl-field"),
        "{err}"
    );
    // asking for no more batches than it has is an error, not a silent success
    let o = train(&["--resume", "--out", r, "--batches", "2"]);
    let err = stderr(&o);
    assert!(
        !o.status.success() && err.contains("already has 2 batches"),
        "{err}"
    );
    // --batches and --threads are fine
    let o = train(&["--resume", "--out", r, "--batches", "4", "--threads", "1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_dir_all(&base).ok();
}

/// After kill -9 the log was ahead of the checkpoint (174 duplicated rows on resume), and a
/// missing log got rows without a header.
#[test]
fn resume_cuts_the_log_back_to_the_checkpoint_and_restores_its_header() {
    let base = tmp("log");
    let cfg = small_config(&base);
    let run = base.join("run");
    let r = run.to_str().unwrap();
    // 6 batches, checkpoints every 4: the final checkpoint holds 6
    assert!(train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--batches",
        "6",
        "--out",
        r
    ])
    .status
    .success());
    let log_path = run.join("log.csv");
    let log = std::fs::read_to_string(&log_path).unwrap();
    // what a process killed after writing two more rows (and half a third) leaves
    std::fs::write(
        &log_path,
        format!("{log}6,0.5,0.1,0.001,0.01\n7,0.5,0.1,0.001,0.01\n8,0."),
    )
    .unwrap();
    assert!(train(&["--resume", "--out", r, "--batches", "8"])
        .status
        .success());
    let log = std::fs::read_to_string(&log_path).unwrap();
    let batches: Vec<&str> = log
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(batches, ["0", "1", "2", "3", "4", "5", "6", "7"], "{log}");
    // a missing log: header, then the new rows
    std::fs::remove_file(&log_path).unwrap();
    assert!(train(&["--resume", "--out", r, "--batches", "9"])
        .status
        .success());
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.starts_with("batch,loss,grad_norm,lr,seconds\n8,"),
        "{log}"
    );
    std::fs::remove_dir_all(&base).ok();
}
