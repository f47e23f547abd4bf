//! The `motornet` program end to end: `simulate FIXTURE.json` reproduces MotorNet's
//! trajectories, `simulate --preset` reports its throughput, `spec` prints a spec that builds,
//! and bad input gives an error message, not a panic.

use motornet::effector::Trajectory;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_motornet"))
}

fn parity_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/parity")
}

/// The worst relative error per key of a `motornet simulate` output against a fixture's
/// `expected` block, by the parity rule (`Trajectory::compare`).
fn deviations(got: &str, fixture: &Value) -> Vec<(&'static str, f64)> {
    let got: Trajectory = serde_json::from_str(got).unwrap();
    let expected: Trajectory = serde_json::from_value(fixture["expected"].clone()).unwrap();
    assert_eq!(got.state_names, expected.state_names);
    got.compare(&expected)
        .unwrap()
        .into_iter()
        .map(|d| (d.key, d.relative_error))
        .collect()
}

#[test]
fn simulate_fixture_reproduces_motornet_trajectories() {
    let out_dir = std::env::temp_dir().join(format!("motornet-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(parity_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let out = out_dir.join(path.file_name().unwrap());
        let o = bin()
            .arg("simulate")
            .arg(&path)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{}: {stderr}", path.display());
        assert!(
            stderr.contains("sample_steps_per_s="),
            "summary line: {stderr}"
        );
        let fixture: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let got = std::fs::read_to_string(&out).unwrap();
        for (key, err) in deviations(&got, &fixture) {
            assert!(
                err <= 1e-6,
                "{}: key {key}: worst relative error {err:e}",
                path.display()
            );
        }
        n += 1;
    }
    assert!(n >= 9);
    std::fs::remove_dir_all(&out_dir).ok();
}

#[test]
fn simulate_fixture_in_f32_stays_close() {
    let path = parity_dir().join("arm26_RigidTendonHillMuscle_euler.json");
    let o = bin()
        .args(["simulate", "--precision", "f32"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let got = String::from_utf8(o.stdout).unwrap();
    let (_, err) = deviations(&got, &fixture)[0]; // joint
    assert!(err < 1e-3, "f32 joint error {err:e}");
}

#[test]
fn simulate_preset_reports_throughput() {
    for precision in ["f32", "f64"] {
        let o = bin()
            .args([
                "simulate",
                "--preset",
                "RigidTendonArm26",
                "--batch",
                "8",
                "--steps",
                "20",
                "--threads",
                "1",
            ])
            .args(["--precision", precision])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{stderr}");
        assert!(number_after(&stderr, "sample_steps_per_s=") > 0.0);
    }
}

#[test]
fn spec_prints_a_spec_that_builds() {
    for format in ["json", "toml"] {
        let o = bin()
            .args([
                "spec",
                "--preset",
                "CompliantTendonArm26",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        assert!(o.status.success());
        let text = String::from_utf8(o.stdout).unwrap();
        let spec = if format == "json" {
            motornet::effector::EffectorSpec::from_json(&text)
        } else {
            motornet::effector::EffectorSpec::from_toml(&text)
        }
        .unwrap();
        assert_eq!(spec.preset.as_deref(), Some("CompliantTendonArm26"));
        spec.build().unwrap();
    }
}

#[test]
fn bad_input_is_an_error_message_not_a_panic() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["spec", "--preset", "NoSuchPreset"],
        vec![
            "spec",
            "--preset",
            "ReluPointMass24",
            "--muscle",
            "RigidTendonHillMuscle",
        ],
        vec![
            "simulate",
            "--preset",
            "RigidTendonArm26",
            "--muscle",
            "Banana",
        ],
        vec!["simulate", "--preset", "RigidTendonArm26", "--batch", "0"],
        vec!["simulate", "--preset", "RigidTendonArm26", "--threads", "0"],
        vec!["simulate", "/no/such/file.json"],
    ];
    for args in cases {
        let o = bin().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(stderr.starts_with("error:"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

fn number_after(text: &str, key: &str) -> f64 {
    text.split(key)
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no {key} number in {text}"))
}

#[test]
fn check_reports_gradient_agreement_for_fixtures_and_spec_files() {
    let fixture = parity_dir().join("custom_paths_arm_RigidTendonHillMuscle_euler.json");
    let toml = std::env::temp_dir().join(format!("motornet-check-{}.toml", std::process::id()));
    let o = bin()
        .args(["spec", "--preset", "ReluPointMass24", "--format", "toml"])
        .output()
        .unwrap();
    std::fs::write(&toml, &o.stdout).unwrap();
    for file in [fixture, toml.clone()] {
        let o = bin()
            .arg("check")
            .arg(&file)
            .args(["--states", "2", "--steps", "4"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{}: {stderr}", file.display());
        let err = number_after(&stderr, "max_rel_grad_err=");
        assert!(err < 1e-5, "{}: {stderr}", file.display());
        assert!(number_after(&stderr, "compared=") > 0.0);
    }
    std::fs::remove_file(&toml).ok();
}

/// Issue 14's done-criterion: `motornet check` passes every parity fixture and every preset
/// (and every muscle model on RigidTendonArm26) at seeds 0–9. Before the exact comparison it
/// failed three of these on kinks (ReLU muscles at seed 0, Thelen's at seed 6).
#[test]
fn check_passes_every_fixture_and_preset_at_seeds_0_to_9() {
    let dir = std::env::temp_dir().join(format!("motornet-check-all-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(parity_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    let mut specs: Vec<(String, Vec<&str>)> = motornet::effector::presets::NAMES
        .iter()
        .map(|p| (p.to_string(), vec!["--preset", p]))
        .collect();
    for m in motornet::muscle::AnyMuscle::NAMES {
        specs.push((
            format!("RigidTendonArm26-{m}"),
            vec!["--preset", "RigidTendonArm26", "--muscle", m],
        ));
    }
    for (name, args) in specs {
        let o = bin().arg("spec").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        if stderr.contains("use the CompliantTendonArm26 preset") {
            continue; // a preset refusing a muscle model it cannot take
        }
        assert!(o.status.success(), "{name}: {stderr}");
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, &o.stdout).unwrap();
        files.push(path);
    }
    assert!(files.len() >= 9 + 5 + 4, "{files:?}");
    for file in &files {
        for seed in 0..10 {
            let o = bin()
                .arg("check")
                .arg(file)
                .args(["--seed", &seed.to_string()])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert!(
                o.status.success() && stderr.contains(" ok"),
                "{} seed {seed}: {stderr}",
                file.display()
            );
            // the 3-D arm's wrapping tendon (angles and the inverse-wrap point carried to the
            // derivatives by one correction step) and the DeGroote compliant fibre velocity
            // (Newton steps for its damping) agree to a few 1e-12 between the two modes
            let bound = if stderr.contains("skeleton=KinematicTree")
                || stderr.contains("muscle=CompliantTendonDeGrooteMuscle")
            {
                1e-10
            } else {
                1e-12
            };
            assert!(
                number_after(&stderr, "max_rel_grad_err=") < bound,
                "{stderr}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_rejects_an_invalid_spec_with_the_field_named() {
    let bad = std::env::temp_dir().join(format!("motornet-bad-{}.json", std::process::id()));
    let o = bin()
        .args(["spec", "--preset", "RigidTendonArm26"])
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout)
        .unwrap()
        .replace("\"timestep\": 0.01", "\"timestep\": -0.01");
    std::fs::write(&bad, text).unwrap();
    let o = bin().arg("check").arg(&bad).output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.starts_with("error:") && stderr.contains("timestep"),
        "{stderr}"
    );
    std::fs::remove_file(&bad).ok();
}

#[test]
fn simulate_a_spec_file_for_throughput() {
    let fixture = parity_dir().join("custom_paths_arm_RigidTendonHillMuscle_euler.json");
    let o = bin()
        .args(["simulate", "--spec"])
        .arg(&fixture)
        .args([
            "--batch",
            "5",
            "--steps",
            "10",
            "--precision",
            "f32",
            "--threads",
            "1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("preset=custom") && stderr.contains("batch=5"),
        "{stderr}"
    );
    assert!(number_after(&stderr, "sample_steps_per_s=") > 0.0);
    // --spec and --preset exclude each other
    let o = bin()
        .args(["simulate", "--preset", "Reacher", "--spec"])
        .arg(&fixture)
        .output()
        .unwrap();
    assert!(!o.status.success());
}

/// Issue 14: the file name was printed twice (`f1/x.json: f1/x.json: at …`).
#[test]
fn a_bad_spec_file_is_named_once() {
    let dir = std::env::temp_dir().join(format!("motornet-cli-named-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("x.json");
    std::fs::write(&path, r#"{"preset": 3}"#).unwrap();
    let shown = path.display().to_string();
    for args in [
        vec!["simulate", "--spec", &shown],
        vec!["check", &shown],
        vec![
            "train",
            "--effector-spec",
            &shown,
            "--out",
            "/nonexistent/never-made",
        ],
    ] {
        let o = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert_eq!(err.matches(&shown).count(), 1, "{args:?}: {err}");
        assert!(err.contains("at `preset`"), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 14: errors writing to standard output were ignored (`simulate … > /dev/full` exited
/// 0), and `simulate -o OUT` truncated OUT in place before writing.
#[test]
fn output_that_cannot_be_written_is_an_error_and_out_is_replaced_whole() {
    let fixture = parity_dir().join("arm26_MujocoHillMuscle_euler.json");
    if std::path::Path::new("/dev/full").exists() {
        for args in [
            vec!["simulate".to_string(), fixture.display().to_string()],
            vec!["spec".into(), "--preset".into(), "RigidTendonArm26".into()],
        ] {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap();
            let o = bin().args(&args).stdout(full).output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(!o.status.success(), "{args:?}: {err}");
            assert!(
                err.contains("writing to standard output"),
                "{args:?}: {err}"
            );
        }
    }
    // a reader that goes away early is not an error
    let mut child = bin()
        .arg("simulate")
        .arg(&fixture)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // -o: the old file stays until the new one is complete; no temporary file is left
    let dir = std::env::temp_dir().join(format!("motornet-cli-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.json");
    std::fs::write(&out, "previous").unwrap();
    let o = bin()
        .arg("simulate")
        .arg(&fixture)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(v.get("joint").is_some());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "a temporary file was left"
    );
    // a simulation that diverges halfway (its rows already streamed to scratch files): an
    // error naming the step, the previous OUT intact, no scratch or temporary file left
    let before = std::fs::read(&out).unwrap();
    let mut diverging: Value =
        serde_json::from_str(&std::fs::read_to_string(&fixture).unwrap()).unwrap();
    let (t, b) = (
        diverging["excitation"].as_array().unwrap().len(),
        diverging["initial_joint_state"].as_array().unwrap().len(),
    );
    diverging["effector"]["vel_lower_bound"] = serde_json::json!([-1e308, -1e308]);
    diverging["effector"]["vel_upper_bound"] = serde_json::json!([1e308, 1e308]);
    let mut load = vec![vec![vec![0.0, 0.0]; b]; t];
    for l in load.iter_mut().skip(t / 2) {
        l[0] = vec![1e308, 1e308];
    }
    diverging["endpoint_load"] = serde_json::json!(load);
    let bad = dir.join("diverging.scenario");
    std::fs::write(&bad, diverging.to_string()).unwrap();
    let o = bin()
        .arg("simulate")
        .arg(&bad)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("non-finite"), "{err}");
    assert!(std::fs::read(&out).unwrap() == before, "OUT changed");
    std::fs::remove_file(&bad).unwrap();
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "a scratch file was left"
    );
    // into a directory that does not exist: an error naming OUT, nothing written
    let o = bin()
        .arg("simulate")
        .arg(&fixture)
        .arg("-o")
        .arg(dir.join("missing/out.json"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("missing/out.json"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Issue 14: `-o` was ignored with `--preset`, and `--batch` with a scenario.
#[test]
fn flags_that_would_be_ignored_are_errors() {
    let fixture = parity_dir().join("arm26_MujocoHillMuscle_euler.json");
    let f = fixture.to_str().unwrap();
    for args in [
        vec![
            "simulate",
            "--preset",
            "RigidTendonArm26",
            "-o",
            "/tmp/never-written.json",
        ],
        vec!["simulate", f, "--batch", "5"],
        vec!["simulate", f, "--steps", "5"],
        vec!["simulate", f, "--excitation", "0.1"],
        vec!["simulate", f, "--seed", "3"],
    ] {
        let o = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.starts_with("error:"),
            "{args:?}: {err}"
        );
    }
    assert!(!std::path::Path::new("/tmp/never-written.json").exists());
}

/// Issue 14: a 200 kB line of a TOML file was echoed back whole in the error.
#[test]
fn a_very_long_line_is_not_echoed_back_whole() {
    let dir = std::env::temp_dir().join(format!("motornet-cli-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("long.toml");
    std::fs::write(&path, format!("x = \"{}\n", "y".repeat(200_000))).unwrap();
    let p = path.to_str().unwrap();
    for args in [
        vec!["check", p],
        vec!["train", "--config", p, "--out", "/nonexistent/r"],
    ] {
        let o = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert!(err.len() < 1000, "{args:?}: {} bytes of error", err.len());
        assert!(err.contains("line 1"), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn mujoco_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/mujoco")
}

#[test]
fn check_forward_matches_mujoco_and_fails_on_a_wrong_number() {
    for name in ["arm3d_cylinder", "planar3_gravity", "slider_sphere"] {
        let o = bin()
            .arg("check-forward")
            .arg(mujoco_dir().join(format!("{name}.json")))
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{name}: {out} {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(number_after(&out, "max_rel_err=") <= 1e-6, "{out}");
        assert!(
            out.contains("worst=") && out.contains("mass_matrix:"),
            "{out}"
        );
    }
    // one expected number changed by 1 %: the comparison names it and the command fails
    let dir = std::env::temp_dir().join(format!("motornet-cf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        mujoco_dir().join("slider_sphere.xml"),
        dir.join("slider_sphere.xml"),
    )
    .unwrap();
    let text = std::fs::read_to_string(mujoco_dir().join("slider_sphere.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let x = v["expected"][3]["qacc"][1].as_f64().unwrap();
    v["expected"][3]["qacc"][1] = serde_json::json!(x * 1.01);
    let bad = dir.join("bad.json");
    std::fs::write(&bad, v.to_string()).unwrap();
    let o = bin().arg("check-forward").arg(&bad).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("worst=qacc[1]"), "{out}");
    assert!(err.contains("exceeds --tolerance"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_mjcf_model_goes_where_a_spec_goes() {
    let model = mujoco_dir().join("arm3d_cylinder.xml");
    let o = bin()
        .args(["spec", "--format", "toml", "--mjcf"])
        .arg(&model)
        .output()
        .unwrap();
    let spec = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(spec.contains("type = \"KinematicTree\"") && spec.contains("spatial_tendons"));
    let o = bin().arg("check").arg(&model).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.contains(" ok"), "{err}");
    assert!(err.contains("skeleton=KinematicTree"), "{err}");
    // --muscle cannot apply to an imported model
    let o = bin()
        .args(["spec", "--muscle", "ReluMuscle", "--mjcf"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--muscle"));
    // an element outside the subset: file and line named
    let dir = std::env::temp_dir().join(format!("motornet-mjcf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.xml");
    let text = std::fs::read_to_string(&model)
        .unwrap()
        .replace("<tendon>", "<tendon>\n    <fixed name=\"f\"/>");
    std::fs::write(&bad, text).unwrap();
    let o = bin().arg("check").arg(&bad).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("bad.xml:") && err.contains("fixed"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

fn degroote_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/degroote")
}

#[test]
fn check_curves_matches_opensim_and_fails_on_a_wrong_number() {
    for name in ["defaults", "wide_stiff"] {
        let o = bin()
            .arg("check-curves")
            .arg(degroote_dir().join(format!("degroote_{name}.json")))
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{name}: {out} {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            out.starts_with(&format!("check-curves: fixture={name} points=462 ")),
            "{out}"
        );
        assert!(number_after(&out, "max_rel_err=") <= 1e-9, "{out}");
        assert!(out.contains("worst="), "{out}");
    }
    let dir = std::env::temp_dir().join(format!("motornet-cc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(degroote_dir().join("degroote_wide_stiff.json")).unwrap();
    let original: Value = serde_json::from_str(&text).unwrap();
    let run = |v: &Value, file: &str| {
        let path = dir.join(file);
        std::fs::write(&path, v.to_string()).unwrap();
        let o = bin().arg("check-curves").arg(&path).output().unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // one expected value off by 1e-6 (relative): named as the worst, and the command fails
    let mut v = original.clone();
    let y = v["passive_force_length"][40][1].as_f64().unwrap();
    v["passive_force_length"][40][1] = serde_json::json!(y * (1.0 + 1e-6));
    let (ok, out, err) = run(&v, "bad.json");
    assert!(!ok, "{out}");
    assert!(out.contains("worst=passive_force_length"), "{out}");
    assert!(number_after(&out, "max_rel_err=") > 1e-9, "{out}");
    assert!(err.contains("exceeds --tolerance"), "{err}");
    // … and passes with a tolerance above the error
    let path = dir.join("bad.json");
    let o = bin()
        .args(["check-curves", "--tolerance", "1e-5"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success());
    // another parameter value than the curves were computed with: fails
    let mut v = original.clone();
    v["params"]["tendon_strain_at_one_norm_force"] = serde_json::json!(0.034);
    let (ok, out, _) = run(&v, "params.json");
    assert!(!ok && out.contains("worst=tendon_force_length"), "{out}");
    // an unknown key, a missing parameter and an out-of-range one are errors naming them
    let mut v = original.clone();
    v["fibre_force_length"] = serde_json::json!([[1.0, 1.0]]);
    let (ok, _, err) = run(&v, "unknown.json");
    assert!(
        !ok && err.contains("unknown key `fibre_force_length`"),
        "{err}"
    );
    let mut v = original.clone();
    v["params"].as_object_mut().unwrap().remove("fiber_damping");
    let (ok, _, err) = run(&v, "missing.json");
    assert!(!ok && err.contains("fiber_damping"), "{err}");
    let mut v = original.clone();
    v["params"]["active_force_width_scale"] = serde_json::json!(0.5);
    let (ok, _, err) = run(&v, "range.json");
    assert!(!ok && err.contains("active_force_width_scale"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
