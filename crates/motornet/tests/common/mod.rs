//! Helpers the `motornet` program's end-to-end tests share (each test file that uses them
//! says `mod common;`).
#![allow(dead_code)] // each test file uses some of them

use motornet::train::TrainConfig;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `motornet` binary of this build.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_motornet"))
}

/// A short run: 0.3 s episodes, batch 8, GRU 16.
pub fn small_config(dir: &Path) -> PathBuf {
    let c = TrainConfig {
        batch_size: 8,
        env: motornet::task::EnvConfig {
            max_ep_duration: 0.3,
            ..Default::default()
        },
        network: motornet::train::NetworkConfig {
            kind: motornet::train::NetworkKind::Gru,
            hidden: 16,
            layers: 1,
        },
        checkpoint_every: 4,
        threads: 2,
        ..TrainConfig::default()
    };
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("small.json");
    std::fs::write(&path, serde_json::to_string(&c).unwrap()).unwrap();
    path
}

/// `motornet train --quiet ARGS`, run to the end.
pub fn train(args: &[&str]) -> Output {
    bin()
        .arg("train")
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap()
}

/// Waits (at most 120 s) until the run in `dir` has logged `rows` lines (header included).
pub fn wait_for_log_lines(dir: &Path, rows: usize) {
    let start = std::time::Instant::now();
    while std::fs::read_to_string(dir.join("log.csv")).map_or(0, |t| t.lines().count()) < rows {
        assert!(start.elapsed().as_secs() < 120, "training did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
