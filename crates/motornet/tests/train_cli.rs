//! `motornet train`, `eval` and `plot` end to end: the run directory's files, the summary
//! line, resuming, reloading from the directory alone, and clear errors for bad runs.

mod common;

use common::{bin, small_config, train, wait_for_log_lines};
use motornet::train::{Checkpoint, TrainConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("motornet-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn number_after(text: &str, key: &str) -> f64 {
    let at = text
        .find(key)
        .unwrap_or_else(|| panic!("no {key} in {text}"))
        + key.len();
    let s: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '-' | '+'))
        .collect();
    s.parse()
        .unwrap_or_else(|_| panic!("bad number after {key}: {text}"))
}

fn losses(dir: &Path) -> Vec<f64> {
    std::fs::read_to_string(dir.join("log.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn train_writes_the_run_directory_and_the_summary_line() {
    let base = tmp("run");
    let cfg = small_config(&base);
    let out = base.join("run");
    let o = train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--batches",
        "6",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(number_after(&err, "seconds_per_batch=") > 0.0, "{err}");
    let final_loss = number_after(&err, "final_loss=");
    let l = losses(&out);
    assert_eq!(l.len(), 6);
    // final_loss is the mean of the last 250 batches, here all 6
    assert!(
        (final_loss - l.iter().sum::<f64>() / 6.0).abs() < 1e-4,
        "{final_loss} vs {l:?}"
    );
    for f in [
        "config.json",
        "log.csv",
        "checkpoint.bin",
        "loss.png",
        "loss.svg",
        "reaches.png",
        "reaches.svg",
    ] {
        assert!(out.join(f).exists(), "{f} missing: {err}");
    }
    // the resolved config rebuilds the run: the effector is written out in full
    let c = TrainConfig::from_file(&out.join("config.json")).unwrap();
    assert!(matches!(
        c.effector,
        motornet::train::EffectorChoice::Spec { .. }
    ));

    // eval reloads it from the directory alone
    let o = bin().arg("eval").arg(&out).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(number_after(&text, "mean_final_error_m=") >= 0.0);
    assert!(number_after(&text, "mean_path_length_ratio=") >= 1.0 - 1e-9);
    assert!(number_after(&text, "mean_peak_speed_m_per_s=") > 0.0);
    for f in [
        "trajectories.json",
        "fingertip.npy",
        "target.npy",
        "joint.npy",
        "excitation.npy",
        "reaches.png",
    ] {
        assert!(out.join("eval").join(f).exists(), "eval/{f} missing");
    }
    let npy = std::fs::read(out.join("eval/fingertip.npy")).unwrap();
    assert_eq!(&npy[..6], b"\x93NUMPY");
    let header =
        String::from_utf8_lossy(&npy[10..10 + u16::from_le_bytes([npy[8], npy[9]]) as usize])
            .to_string();
    assert!(header.contains("'shape': (8, 31, 4)"), "{header}");
    assert_eq!(npy.len(), 10 + header.len() + 8 * 31 * 4 * 8);
    // issue 15: the behavioural metrics, per reach in a CSV, and the hidden activity
    let lateral = number_after(&text, "mean_signed_lateral_deviation_m=");
    assert!(lateral.abs() < 0.2, "{text}");
    assert!(
        number_after(&text, "mean_movement_time_s=") >= 0.0,
        "{text}"
    );
    assert!(
        number_after(&text, "mean_reaction_time_s=") >= 0.0,
        "{text}"
    );
    let csv = std::fs::read_to_string(out.join("eval/reaches.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "reach,target,final_error_m,path_length_ratio,peak_speed_m_per_s,\
         signed_lateral_deviation_m,movement_time_s,reaction_time_s"
    );
    assert_eq!(rows.len(), 9, "{csv}");
    let mean_csv: f64 = rows[1..]
        .iter()
        .map(|r| r.split(',').nth(5).unwrap().parse::<f64>().unwrap())
        .sum::<f64>()
        / 8.0;
    assert!((mean_csv - lateral).abs() < 1e-5, "{mean_csv} vs {text}");
    let npy = std::fs::read(out.join("eval/hidden.npy")).unwrap();
    let header =
        String::from_utf8_lossy(&npy[10..10 + u16::from_le_bytes([npy[8], npy[9]]) as usize])
            .to_string();
    assert!(header.contains("'shape': (8, 30, 16)"), "{header}");
    // under a curl field the same network's reaches bend: another deviation
    let o = bin()
        .args(["eval", "--curl-field", "40"])
        .arg(&out)
        .output()
        .unwrap();
    let curled = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let in_field = number_after(&curled, "mean_signed_lateral_deviation_m=");
    assert!((in_field - lateral).abs() > 1e-6, "{text} / {curled}");
    // into a directory of its own: the evaluation without the field is kept
    let json = |d: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(out.join(d).join("trajectories.json")).unwrap(),
        )
        .unwrap()
    };
    assert_eq!(json("eval-curl-field-40")["curl_field"], 40.0);
    assert_eq!(json("eval")["curl_field"], 0.0);
    let o = bin()
        .args(["eval", "--curl-field", "inf"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--curl-field"), "{err}");

    // plot regenerates the plots
    std::fs::remove_file(out.join("loss.png")).unwrap();
    let o = bin().arg("plot").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("loss.png").exists());
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn resumed_runs_continue_exactly_and_seeds_reproduce() {
    let base = tmp("resume");
    let cfg = small_config(&base);
    let (a, b) = (base.join("a"), base.join("b"));
    let run = |out: &Path, n: &str| {
        train(&[
            "--config",
            cfg.to_str().unwrap(),
            "--batches",
            n,
            "--out",
            out.to_str().unwrap(),
        ])
    };
    assert!(run(&a, "8").status.success());
    assert!(run(&b, "5").status.success());
    let o = train(&["--resume", "--out", b.to_str().unwrap(), "--batches", "8"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(losses(&a), losses(&b), "5 + 3 batches = 8 batches");
    let c = base.join("c");
    assert!(run(&c, "8").status.success());
    assert_eq!(losses(&a), losses(&c), "same seed and threads, same curve");
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn bad_runs_are_clear_errors() {
    let base = tmp("bad");
    let cfg = small_config(&base);
    let out = base.join("run");
    assert!(train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--batches",
        "2",
        "--out",
        out.to_str().unwrap()
    ])
    .status
    .success());
    // a truncated checkpoint
    let ck = out.join("checkpoint.bin");
    let bytes = std::fs::read(&ck).unwrap();
    std::fs::write(&ck, &bytes[..bytes.len() / 2]).unwrap();
    let o = bin().arg("eval").arg(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("truncated"), "{err}");
    // a checkpoint from another run
    std::fs::write(&ck, &bytes).unwrap();
    let mut c = TrainConfig::from_file(&out.join("config.json")).unwrap();
    c.seed += 1;
    std::fs::write(out.join("config.json"), serde_json::to_string(&c).unwrap()).unwrap();
    let o = bin().arg("eval").arg(&out).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("another run"), "{err}");
    c.seed -= 1;
    std::fs::write(out.join("config.json"), serde_json::to_string(&c).unwrap()).unwrap();
    // an optimiser step that overflows (issue 14: `--lr 1e300` left +inf in the "last good
    // checkpoint"): training stops naming the batch and keeps a finite checkpoint
    let over = base.join("overflow");
    let o = train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--lr",
        "1e300",
        "--batches",
        "5",
        "--out",
        over.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains("batch 0") && err.contains("not finite") && err.contains("checkpoint"),
        "{err}"
    );
    let kept = Checkpoint::load(&over.join("checkpoint.bin"), None).unwrap();
    assert_eq!(kept.batches_done, 0);
    assert!(kept.first_non_finite().is_none());
    let hash = c.hash().unwrap();
    assert_eq!(Checkpoint::load(&ck, Some(hash)).unwrap().batches_done, 2);
    // bad flags
    for args in [
        vec!["--batch-size", "0"],
        vec!["--task", "Juggling"],
        vec!["--effector", "NoSuchArm"],
        vec!["--lr", "-1"],
    ] {
        let o = train(
            &[
                &args[..],
                &["--batches", "1", "--out", base.join("x").to_str().unwrap()],
            ]
            .concat(),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.starts_with("error:"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    std::fs::remove_dir_all(&base).ok();
}

/// Ctrl-C (SIGINT) and, since issue 14, SIGTERM (which lost the batches since the last
/// checkpoint) stop after the current batch and save a checkpoint of every batch logged.
#[test]
fn ctrl_c_and_sigterm_stop_cleanly_and_save_a_checkpoint() {
    for signal in ["-INT", "-TERM"] {
        stops_cleanly_on(signal);
    }
}

fn stops_cleanly_on(signal: &str) {
    let base = tmp(&format!("signal{signal}"));
    let cfg = small_config(&base);
    let out = base.join("run");
    let child = bin()
        .args([
            "train",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--batches",
            "100000",
        ])
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // wait until a few batches are logged, then send the signal
    wait_for_log_lines(&out, 4);
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{signal}: {err}");
    assert!(err.contains("stopped=signal"), "{err}");
    let logged = losses(&out).len();
    let c = Checkpoint::load(&out.join("checkpoint.bin"), None).unwrap();
    assert_eq!(c.batches_done, logged);
    assert!(logged < 100000);
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn the_config_example_in_docs_training_md_is_a_valid_config() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/training.md"),
    )
    .unwrap();
    let start = doc.find("```toml\n").expect("a toml block") + 8;
    let end = start + doc[start..].find("```").unwrap();
    let dir = tmp("doc");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.toml");
    std::fs::write(&path, &doc[start..end]).unwrap();
    let c = TrainConfig::from_file(&path).unwrap();
    c.validate().unwrap();
    assert_eq!(c.losses.len(), 3);
    assert_eq!(c.env.vision_delay, Some(0.05));
    motornet::train::AnyTrainer::new(&c).unwrap();
    // the phased protocol's example (the second block)
    let start = end + doc[end..].find("```toml\n").expect("a second toml block") + 8;
    let end = start + doc[start..].find("```").unwrap();
    let c = TrainConfig::from_toml(&doc[start..end]).unwrap();
    c.validate().unwrap();
    assert_eq!((c.phases.len(), c.batches), (3, 1700));
    assert_eq!(c.phases[1].curl_field, Some(10.0));
    motornet::train::AnyTrainer::new(&c).unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 15: `train --init-from RUN` starts a new run from another run's network (here into a
/// curl field, as an adaptation experiment does); a network of other sizes is refused before
/// any directory is made, and the source can never be the run being overwritten.
#[test]
fn train_init_from_starts_from_another_runs_network() {
    let base = tmp("init-from");
    let cfg = small_config(&base);
    let cfg = cfg.to_str().unwrap();
    let first = base.join("baseline");
    let o = train(&[
        "--config",
        cfg,
        "--batches",
        "3",
        "--out",
        first.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let adapted = base.join("adapted");
    let o = train(&[
        "--config",
        cfg,
        "--batches",
        "2",
        "--curl-field",
        "10",
        "--init-from",
        first.to_str().unwrap(),
        "--out",
        adapted.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(adapted.join("config.json")).unwrap())
            .unwrap();
    assert_eq!(config["init_from"], first.to_str().unwrap());
    // other sizes: an error naming both, and no directory
    let other = base.join("other");
    let o = train(&[
        "--config",
        cfg,
        "--hidden",
        "8",
        "--init-from",
        first.to_str().unwrap(),
        "--out",
        other.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("gru 16") && err.contains("gru 8"),
        "{err}"
    );
    assert!(!other.exists());
    // the source as the run to overwrite: refused, the source intact
    let before = std::fs::read(first.join("checkpoint.bin")).unwrap();
    let o = train(&[
        "--config",
        cfg,
        "--init-from",
        first.to_str().unwrap(),
        "--out",
        first.to_str().unwrap(),
        "--overwrite",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("--init-from"), "{err}");
    assert!(std::fs::read(first.join("checkpoint.bin")).unwrap() == before);
    // resuming takes the run as it was: --init-from cannot change it
    let o = train(&[
        "--resume",
        "--init-from",
        first.to_str().unwrap(),
        "--out",
        adapted.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    std::fs::remove_dir_all(&base).ok();
}

/// Issue 15: `--validate-every N` logs the validation reaches' behaviour every N batches to
/// validation.csv and plots it; on resume the table is cut back to the checkpoint like the log.
#[test]
fn validate_every_logs_a_learning_curve_of_behaviour() {
    let base = tmp("validate-every");
    let cfg = small_config(&base);
    let out = base.join("run");
    let o = train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--batches",
        "6",
        "--validate-every",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = || std::fs::read_to_string(out.join("validation.csv")).unwrap();
    let text = table();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "batches,mean_final_error_m,mean_signed_lateral_deviation_m,mean_path_length_ratio,\
         mean_peak_speed_m_per_s"
    );
    let batches: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap())
        .collect();
    assert_eq!(batches, ["2", "4", "6"], "{text}");
    for r in &rows[1..] {
        let cells: Vec<f64> = r.split(',').map(|c| c.parse().unwrap()).collect();
        assert!(
            cells[1] >= 0.0 && cells[2].abs() < 0.2 && cells[4] >= 0.0,
            "{r}"
        );
    }
    assert!(out.join("validation.png").exists() && out.join("validation.svg").exists());
    // the run's identity does not include the interval: resume with another
    let config = std::fs::read_to_string(out.join("config.json")).unwrap();
    assert!(config.contains("\"validate_every\": 2"), "{config}");
    // a row from a process killed after its last checkpoint is cut on resume
    std::fs::write(out.join("validation.csv"), text.clone() + "8,1,1,1,1\n").unwrap();
    let o = train(&[
        "--resume",
        "--out",
        out.to_str().unwrap(),
        "--batches",
        "9",
        "--validate-every",
        "3",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = table();
    let batches: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|r| r.split(',').next().unwrap())
        .collect();
    assert_eq!(batches, ["2", "4", "6", "9"], "{text}");
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn a_phased_config_runs_its_phases_into_one_log_with_the_phase_in_each_row() {
    let base = tmp("phased");
    std::fs::create_dir_all(&base).unwrap();
    let cfg = base.join("phased.toml");
    std::fs::write(
        &cfg,
        r#"
batch_size = 8
threads = 2
checkpoint_every = 2
validate_every = 2
[env]
max_ep_duration = 0.3
[network]
kind = "gru"
hidden = 16
layers = 1
[[phases]]
name = "NF1"
batches = 3
[[phases]]
name = "FF, strong"
batches = 2
curl_field = 10.0
lr = 1e-4
train = ["gru.weight_ih*"]
"#,
    )
    .unwrap();
    let out = base.join("run");
    let o = train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let log = std::fs::read_to_string(out.join("log.csv")).unwrap();
    let rows: Vec<&str> = log.lines().collect();
    assert_eq!(rows[0], "batch,loss,grad_norm,lr,seconds,phase");
    let phase_lr: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| {
            let (head, phase) = r.split_once(",\"").unwrap();
            (head.split(',').nth(3).unwrap().into(), phase.into())
        })
        .collect();
    let want = |lr: &str, p: &str| (lr.to_string(), format!("{p}\""));
    assert_eq!(
        phase_lr,
        [
            want("0.001", "NF1"),
            want("0.001", "NF1"),
            want("0.001", "NF1"),
            want("0.0001", "FF, strong"),
            want("0.0001", "FF, strong"),
        ]
    );
    assert!(out.join("validation.png").exists());
    // --batches must agree with the phases
    let again = base.join("again");
    let o = train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--batches",
        "9",
        "--out",
        again.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("not the phases' total, 5"),
        "{err}"
    );
    assert!(!again.exists(), "no run directory for a refused run");
    std::fs::remove_dir_all(&base).ok();
}
