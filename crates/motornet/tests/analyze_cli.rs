//! `motornet analyze` end to end: on a tiny trained run, the files it writes and what they
//! hold, `--compare` against the run itself, and clear errors for bad arguments.

mod common;

use common::{bin, small_config, train};
use std::path::{Path, PathBuf};
use std::process::Output;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("motornet-analyze-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A run of 2 batches of the small config (GRU of `hidden` units, 0.3 s episodes) in `dir`.
fn tiny_run(base: &Path, name: &str, hidden: usize) -> PathBuf {
    let cfg = small_config(base);
    let out = base.join(name);
    let o = train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--batches",
        "2",
        "--hidden",
        &hidden.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn analyze(args: &[&str]) -> Output {
    bin().arg("analyze").args(args).output().unwrap()
}

/// The rows of a CSV file under its header, as numbers.
fn csv(path: &Path, header: &str) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "{}", path.display());
    lines
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect()
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

fn variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

#[test]
fn analyze_writes_components_tuning_and_a_zero_shift_against_itself() {
    let base = tmp("files");
    let run = tiny_run(&base, "run", 16);
    let dir = run.to_str().unwrap();
    // every component, so that the projections carry all the variance
    let o = analyze(&[dir, "--components", "16"]);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "{err}");
    assert!(
        out.starts_with("analyze: run=") && out.contains(" units=16 "),
        "{out}"
    );
    let a = run.join("analysis");
    for f in [
        "pca.csv",
        "pc_trajectories.csv",
        "tuning.csv",
        "variance.png",
        "variance.svg",
        "pc_trajectories.png",
        "pc_trajectories.svg",
    ] {
        assert!(a.join(f).exists(), "{f} missing: {err}");
    }
    assert!(!a.join("shift.csv").exists());

    let pca = csv(&a.join("pca.csv"), "component,variance_ratio,cumulative");
    assert_eq!(pca.len(), 16);
    let ratios: Vec<f64> = pca.iter().map(|r| r[1]).collect();
    assert!(
        (ratios.iter().sum::<f64>() - 1.0).abs() < 1e-9,
        "{ratios:?}"
    );
    assert!(ratios.windows(2).all(|w| w[0] >= w[1]), "{ratios:?}");
    assert!((pca[15][2] - 1.0).abs() < 1e-9);
    assert!(
        (number_after(&out, "pc1_variance=") - ratios[0]).abs() < 1e-4,
        "{out}"
    );
    assert!(
        (number_after(&out, "pc3_cumulative=") - pca[2][2]).abs() < 1e-4,
        "{out}"
    );

    // 8 reaches of 30 steps (0.3 s at 0.01 s); the variance of each projection over all rows
    // is its component's share of the total
    let header: Vec<String> = (1..=16).map(|i| format!("pc{i}")).collect();
    let traj = csv(
        &a.join("pc_trajectories.csv"),
        &format!("reach,step,time_s,{}", header.join(",")),
    );
    assert_eq!(traj.len(), 8 * 30);
    assert_eq!((traj[31][0], traj[31][1]), (1.0, 1.0));
    assert!((traj[31][2] - 0.01).abs() < 1e-12);
    let vars: Vec<f64> = (0..16)
        .map(|k| variance(&traj.iter().map(|r| r[3 + k]).collect::<Vec<_>>()))
        .collect();
    let total: f64 = vars.iter().sum();
    for (k, (v, r)) in vars.iter().zip(&ratios).enumerate() {
        assert!(
            (v / total - r).abs() < 1e-9,
            "component {}: {} vs {r}",
            k + 1,
            v / total
        );
    }

    let tuning = csv(
        &a.join("tuning.csv"),
        "unit,preferred_direction_rad,depth,r2,baseline,tuned",
    );
    assert_eq!(tuning.len(), 16);
    for (u, row) in tuning.iter().enumerate() {
        assert_eq!(row[0], u as f64);
        assert!(row[1] > -std::f64::consts::PI && row[1] <= std::f64::consts::PI);
        assert!(row[2] >= 0.0 && (0.0..=1.0).contains(&row[3]), "{row:?}");
        assert_eq!(row[5], f64::from(u8::from(row[3] >= 0.5 && row[2] > 0.0)));
    }
    let tuned = tuning.iter().filter(|r| r[5] == 1.0).count();
    assert_eq!(number_after(&out, "tuned_units=") as usize, tuned, "{out}");

    // against itself: every shift is 0
    let o = analyze(&[dir, "--compare", dir]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shift = csv(
        &a.join("shift.csv"),
        "unit,pd_run_rad,pd_other_rad,shift_rad,counted",
    );
    assert_eq!(shift.len(), 16);
    for row in &shift {
        assert_eq!(row[1], row[2]);
        assert_eq!(row[3], 0.0);
    }
    assert_eq!(number_after(&out, "shift_units=") as usize, tuned, "{out}");
    if tuned > 0 {
        assert_eq!(number_after(&out, "mean_pd_shift_rad="), 0.0, "{out}");
    }
    assert!(a.join("pd_shift.png").exists() && a.join("pd_shift.svg").exists());
    // a later analysis without --compare leaves no stale comparison
    let o = analyze(&[dir]);
    assert!(o.status.success());
    assert!(!a.join("shift.csv").exists() && !a.join("pd_shift.png").exists());

    // a run of another size cannot be compared unit by unit
    let small = tiny_run(&base, "small", 8);
    let o = analyze(&[dir, "--compare", small.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("same units") && !err.contains("panicked"),
        "{err}"
    );

    // bad component counts
    let o = analyze(&[dir, "--components", "0"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--components must be at least 1"),
        "{err}"
    );
    let o = analyze(&[dir, "--components", "17"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("16 hidden units"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn a_missing_run_directory_is_a_clear_error() {
    let base = tmp("missing");
    let o = analyze(&[base.join("nothing").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error:") && err.contains("nothing"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!base.join("nothing").exists());
}
