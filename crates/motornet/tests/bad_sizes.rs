//! Issue 14, family 1: sizes that aborted the program ("memory allocation of N bytes failed",
//! "capacity overflow") are errors naming the flag or field, and nothing is left behind.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_motornet"))
}

fn fixture() -> String {
    format!(
        "{}/../../../shared/parity/arm26_MujocoHillMuscle_euler.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

const MAX: &str = "18446744073709551615";

/// Runs `args`; it must fail with a one-line error naming `names`, without a panic or abort.
fn refused(args: &[&str], names: &str) {
    let o = bin().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(
        err.starts_with("error:") && err.contains(names),
        "{args:?}: {err}"
    );
    assert!(err.len() < 600, "{args:?}: a long message: {err}");
}

#[test]
fn huge_sizes_on_the_command_line_are_errors_naming_the_flag() {
    let f = fixture();
    for batch in ["1000000000", "100000000", MAX] {
        refused(
            &["simulate", "--preset", "RigidTendonArm26", "--batch", batch],
            "--batch",
        );
    }
    refused(
        &[
            "simulate",
            "--preset",
            "RigidTendonArm26",
            "--threads",
            "100000",
        ],
        "--threads",
    );
    for states in ["1000000000", MAX] {
        refused(&["check", &f, "--states", states], "--states");
    }
    let dir = std::env::temp_dir().join(format!("motornet-bad-sizes-{}", std::process::id()));
    let out = dir.join("run");
    let o = out.to_str().unwrap();
    for (flag, value, names) in [
        ("--batch-size", "1000000000", "batch_size"),
        ("--batch-size", MAX, "batch_size"),
        ("--hidden", "1000000", "hidden 1000000"),
        ("--hidden", MAX, "parameters"),
        ("--layers", "100000", "memory"),
        ("--layers", MAX, "parameters"),
        ("--threads", "100000", "threads"),
    ] {
        refused(&["train", "--quiet", flag, value, "--out", o], names);
        assert!(!out.exists(), "{flag} {value} left a run directory");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn huge_sizes_in_a_run_config_are_errors_naming_the_field() {
    let dir = std::env::temp_dir().join(format!("motornet-bad-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (env, field) in [
        ("max_ep_duration = 1e9", "max_ep_duration"),
        ("max_ep_duration = 1e4", "max_ep_duration"),
        ("proprioception_delay = 1e7", "proprioception_delay"),
        (
            "action_frame_stacking = 1000000000",
            "action_frame_stacking",
        ),
    ] {
        let path = dir.join("config.toml");
        std::fs::write(&path, format!("[env]\n{env}\n")).unwrap();
        let out = dir.join("run");
        refused(
            &[
                "train",
                "--quiet",
                "--config",
                path.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            field,
        );
        assert!(!out.exists());
    }
    std::fs::remove_dir_all(&dir).ok();
}
