//! `motornet train`, `eval`, `plot` and `analyze` on an effector in 3-D (issue 16): the 3-D
//! point mass of `tests/data/point_mass_3d.json` (six muscles, one each way along each axis)
//! on `CentreOutReach`, whose validation reaches go to 8 targets on a sphere.

mod common;

use common::{bin, small_config, train};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("motornet-3d-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn spec() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/point_mass_3d.json")
}

/// Every `key=value` of a summary line, as numbers (NaN where the value is not one).
fn values(line: &str) -> Vec<(String, f64)> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap_or(f64::NAN)))
        .collect()
}

/// `(width, height)` of a PNG file.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&b[16..20]), be(&b[20..24]))
}

/// The `shape` of a `.npy` file's header.
fn npy_shape(path: &Path) -> String {
    let b = std::fs::read(path).unwrap();
    let header = String::from_utf8_lossy(&b[10..128]).into_owned();
    let at = header.find("'shape': (").unwrap() + 10;
    header[at..at + header[at..].find(')').unwrap()].to_string()
}

#[test]
fn a_3d_effector_trains_validates_evaluates_plots_and_analyses() {
    let base = tmp("run");
    let cfg = small_config(&base);
    let out = base.join("run");
    let o = train(&[
        "--config",
        cfg.to_str().unwrap(),
        "--effector-spec",
        spec().to_str().unwrap(),
        "--task",
        "CentreOutReach",
        "--batches",
        "20",
        "--validate-every",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");

    // the behaviour learning curve: two rows, every value a number; the lateral deviation of
    // reaches in space is a magnitude
    let table = std::fs::read_to_string(out.join("validation.csv")).unwrap();
    let rows: Vec<Vec<f64>> = table
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{table}");
    for r in &rows {
        assert!(r.iter().all(|v| v.is_finite()), "{table}");
        assert!(r[2] >= 0.0, "unsigned in 3-D: {table}");
    }
    // the plots: reaches as two projections side by side, speeds, the learning curve; a point
    // mass has no arm to draw
    assert_eq!(png_size(&out.join("reaches.png")), (1600, 800));
    for f in ["speed.png", "validation.png", "loss.png"] {
        assert!(out.join(f).exists(), "{f}: {err}");
    }
    assert!(!out.join("arm.png").exists());
    let svg = std::fs::read_to_string(out.join("reaches.svg")).unwrap();
    assert!(svg.contains("z (m)"));

    // eval: every metric a number (the lateral deviation too), 8 reaches to the sphere
    let o = bin().arg("eval").arg(&out).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line = values(&text);
    assert!(line.len() >= 9, "{text}");
    for (key, v) in &line {
        if key != "run" {
            assert!(v.is_finite(), "{key} in {text}");
        }
    }
    let eval = out.join("eval");
    assert_eq!(npy_shape(&eval.join("fingertip.npy")), "8, 31, 6");
    assert_eq!(npy_shape(&eval.join("target.npy")), "8, 3");
    assert_eq!(npy_shape(&eval.join("excitation.npy")), "8, 30, 6");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(eval.join("trajectories.json")).unwrap())
            .unwrap();
    let (targets, tips) = (
        json["target"].as_array().unwrap(),
        json["fingertip"].as_array().unwrap(),
    );
    assert_eq!(targets.len(), 8);
    for (t, f) in targets.iter().zip(tips) {
        let t: Vec<f64> = serde_json::from_value(t.clone()).unwrap();
        let f: Vec<f64> = serde_json::from_value(f.clone()).unwrap();
        let r = (0..3).map(|k| (t[k] - f[k]).powi(2)).sum::<f64>().sqrt();
        assert!((r - 0.1).abs() < 1e-9, "a target {r} m from the start");
    }
    let reaches = std::fs::read_to_string(eval.join("reaches.csv")).unwrap();
    assert_eq!(reaches.lines().count(), 9, "{reaches}");
    assert_eq!(png_size(&eval.join("reaches.png")), (1600, 800));
    // a curl field is planar: a clear error
    let o = bin()
        .args(["eval", "--curl-field", "5"])
        .arg(&out)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("planar"), "{e}");

    // plot regenerates the two-panel figure
    std::fs::remove_file(out.join("reaches.png")).unwrap();
    let o = bin().arg("plot").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(png_size(&out.join("reaches.png")), (1600, 800));

    // analyze: principal components, and a note that tuning needs reaches in the plane
    let o = bin().arg("analyze").arg(&out).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{e}");
    assert!(
        e.contains("no tuning.csv") && e.contains("3 coordinates"),
        "{e}"
    );
    assert!(out.join("analysis/pca.csv").exists());
    assert!(!out.join("analysis/tuning.csv").exists());
    let o = bin()
        .arg("analyze")
        .arg(&out)
        .arg("--compare")
        .arg(&out)
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("in the plane"), "{e}");
    std::fs::remove_dir_all(&base).ok();
}
