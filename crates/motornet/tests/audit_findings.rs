//! Defects the issue-14 audit program (`examples/audit.rs`) found in the `motornet` program,
//! one test each, named after the bug.

mod common;

use common::{bin, small_config};
use std::path::PathBuf;
use std::process::Stdio;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("motornet-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture() -> String {
    format!(
        "{}/../../../shared/parity/arm26_MujocoHillMuscle_euler.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Family 5: `eprintln!` panicked (exit 101) when standard error could not be written
/// (`2> /dev/full`): the summary line of a successful run, or the message of a failed one.
#[test]
fn a_standard_error_that_cannot_be_written_is_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full on this system
    };
    let ok = bin()
        .args(["simulate", "--preset", "RigidTendonArm26", "--batch", "2"])
        .args(["--steps", "2"])
        .stdout(Stdio::null())
        .stderr(full.try_clone().unwrap())
        .status()
        .unwrap();
    assert_eq!(ok.code(), Some(0), "{ok:?}");
    let failed = bin()
        .args(["simulate", "--preset", "RigidTendonArm26", "--batch", "0"])
        .stdout(Stdio::null())
        .stderr(full)
        .status()
        .unwrap();
    assert_eq!(failed.code(), Some(1), "{failed:?}");
}

/// Family 10: `simulate --spec FILE --muscle NAME` (and `simulate SCENARIO --muscle NAME`)
/// accepted the flag and ignored it: clap's `requires = "preset"` did not hold.
#[test]
fn simulate_muscle_is_used_with_a_spec_and_refused_with_a_scenario() {
    let dir = tmp("muscle");
    let spec = dir.join("arm.json");
    let o = bin()
        .args(["spec", "--preset", "RigidTendonArm26"])
        .output()
        .unwrap();
    std::fs::write(&spec, &o.stdout).unwrap();
    let o = bin()
        .args(["simulate", "--spec"])
        .arg(&spec)
        .args([
            "--muscle",
            "MujocoHillMuscle",
            "--batch",
            "2",
            "--steps",
            "2",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("muscle=MujocoHillMuscle"), "{err}");
    let o = bin()
        .args(["simulate", &fixture(), "--muscle", "ReluMuscle"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error:") && err.contains("--muscle"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "a trajectory was written");
    std::fs::remove_dir_all(&dir).ok();
}

/// Family 1/10: a run config's `batches = 0` (the flag was already refused) trained nothing,
/// wrote a run directory and exited 0 with `final_loss=NaN`.
#[test]
fn a_run_config_with_zero_batches_is_refused_and_leaves_no_run() {
    let dir = tmp("zero-batches");
    let cfg = small_config(&dir);
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    c["batches"] = 0.into();
    std::fs::write(&cfg, c.to_string()).unwrap();
    let run = dir.join("run");
    let o = bin()
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("batches") && err.contains("at least 1"),
        "{err}"
    );
    assert!(!run.exists(), "a failed start left {}", run.display());
    std::fs::remove_dir_all(&dir).ok();
}

/// Family 1/11: `max_ep_duration = 1e300` was refused in a 700-character message that wrote
/// the duration and the step count out in full (301 digits each).
#[test]
fn a_huge_episode_length_is_refused_in_a_short_message() {
    let dir = tmp("long-episode");
    let cfg = dir.join("c.toml");
    std::fs::write(&cfg, "[env]\nmax_ep_duration = 1e300\n").unwrap();
    let o = bin()
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.join("run"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("max_ep_duration") && err.contains("1e300"),
        "{err}"
    );
    assert!(err.len() < 250, "{} characters: {err}", err.len());
    std::fs::remove_dir_all(&dir).ok();
}

/// docs/reliability.md's table is the audit program's (`examples/audit.rs --write`): it sits
/// between its markers, has a row for each of the 12 families whose outcome counts add up to
/// the variants tried, and says "fixed" exactly where no variant failed. A hand edit that
/// changes a status or a count without re-running the audit fails here.
#[test]
fn the_reliability_table_is_the_audit_programs_and_adds_up() {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/reliability.md"),
    )
    .unwrap();
    let start = doc
        .find("<!-- audit-table:start -->")
        .expect("start marker");
    let end = doc.find("<!-- audit-table:end -->").expect("end marker");
    let table = &doc[start..end];
    assert!(table.contains("Last run: "), "{table}");
    let failing = ["abort", "panic", "hang", "lost-file", "wrong"];
    let mut families = Vec::new();
    for row in table.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let Ok(family) = cells[1].parse::<usize>() else {
            continue; // the header and the totals
        };
        let tried: usize = cells[3].parse().unwrap();
        let mut total = 0;
        let mut failed = false;
        for part in cells[4].split(", ") {
            let (class, n) = part.rsplit_once(' ').unwrap();
            total += n.parse::<usize>().unwrap();
            failed |= failing.contains(&class);
        }
        assert_eq!(total, tried, "family {family}: {row}");
        let status = if failed { "open" } else { "fixed" };
        assert_eq!(cells[5], status, "family {family}: {row}");
        families.push(family);
    }
    assert_eq!(families, (1..=12).collect::<Vec<_>>(), "{table}");
}
