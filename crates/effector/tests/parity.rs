//! Physics parity with MotorNet 0.3.0: every fixture in `../shared/parity` is simulated in f64
//! and compared with the rule of `../shared/parity/README.md`: per state key and per state
//! component (the last axes), the worst |got − expected| / (max |expected| + 1e-9) over time and
//! batch must be ≤ 1e-6. A failure names the fixture, key, component, step and batch element.

use motornet_effector::{simulate, Scenario, Trajectory};
use serde_json::Value;
use std::path::PathBuf;

fn parity_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/parity")
}

/// Flatten `[T][B][...]` into (t, b, component index, value).
fn leaves(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        _ => panic!("unexpected value in trajectory"),
    }
}

struct Worst {
    err: f64,
    key: String,
    component: usize,
    step: usize,
    batch: usize,
    got: f64,
    expected: f64,
}

/// Compare one key; returns the worst error with its location.
fn compare(key: &str, got: &Value, expected: &Value) -> Worst {
    let steps = expected.as_array().unwrap();
    let got_steps = got.as_array().unwrap();
    assert_eq!(got_steps.len(), steps.len(), "{key}: number of steps");
    let batch = steps[0].as_array().unwrap().len();
    let mut e = Vec::new();
    let mut g = Vec::new();
    leaves(expected, &mut e);
    leaves(got, &mut g);
    assert_eq!(e.len(), g.len(), "{key}: shapes differ");
    let per = e.len() / (steps.len() * batch);
    let mut scale = vec![0.0f64; per];
    for (i, v) in e.iter().enumerate() {
        scale[i % per] = scale[i % per].max(v.abs());
    }
    let mut w = Worst {
        err: -1.0,
        key: key.into(),
        component: 0,
        step: 0,
        batch: 0,
        got: 0.0,
        expected: 0.0,
    };
    for (i, (x, y)) in g.iter().zip(&e).enumerate() {
        let c = i % per;
        let err = if x.is_finite() {
            (x - y).abs() / (scale[c] + 1e-9)
        } else {
            f64::INFINITY
        };
        if err > w.err {
            w = Worst {
                err,
                key: key.into(),
                component: c,
                step: i / (per * batch),
                batch: (i / per) % batch,
                got: *x,
                expected: *y,
            };
        }
    }
    w
}

fn check_fixture(name: &str, traj: &Trajectory, fixture: &Value) -> Vec<String> {
    let expected = &fixture["expected"];
    let got = serde_json::to_value(traj).unwrap();
    let mut failures = vec![];
    for key in ["joint", "cartesian", "fingertip", "muscle", "geometry"] {
        let w = compare(key, &got[key], &expected[key]);
        if w.err > 1e-6 {
            failures.push(format!(
                "{name}: key '{}', component {}, step {}, batch element {}: got {} expected {} (relative error {:e})",
                w.key, w.component, w.step, w.batch, w.got, w.expected, w.err
            ));
        }
    }
    assert_eq!(
        got["state_names"], expected["state_names"],
        "{name}: state names"
    );
    failures
}

#[test]
fn every_fixture_matches_motornet_in_f64() {
    let mut names: Vec<_> = std::fs::read_dir(parity_dir())
        .expect("../shared/parity must exist beside the project")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 9,
        "expected the parity fixtures, found {}",
        names.len()
    );
    let mut failures = vec![];
    for path in &names {
        let text = std::fs::read_to_string(path).unwrap();
        let fixture: Value = serde_json::from_str(&text).unwrap();
        let scenario = Scenario::from_json(&text).unwrap();
        let effector = scenario.effector.build().unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let traj = simulate::<f64, _, _, _>(&effector, &scenario).unwrap();
        failures.extend(check_fixture(&name, &traj, &fixture));
    }
    assert!(
        failures.is_empty(),
        "parity failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn presets_build_the_same_effectors_as_the_fixture_specs_that_name_them() {
    let mut checked = 0;
    for entry in std::fs::read_dir(parity_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let scenario = Scenario::from_path(&path).unwrap();
        let spec = &scenario.effector;
        let Some(preset) = &spec.preset else { continue };
        let mut from_preset =
            motornet_effector::presets::spec(preset, Some(&spec.muscle.kind)).unwrap();
        // MotorNet's preset constructors take these as keyword arguments
        from_preset.timestep = spec.timestep;
        from_preset.n_ministeps = spec.n_ministeps;
        from_preset.integration_method = spec.integration_method.clone();
        from_preset.damping = spec.damping;
        assert_eq!(
            from_preset.build().unwrap(),
            spec.build().unwrap(),
            "{}: preset {preset} differs from the fixture's spec",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} fixtures name a preset");
}

#[test]
fn presets_round_trip_through_json_and_toml() {
    for name in motornet_effector::presets::NAMES {
        let spec = motornet_effector::presets::spec(name, None).unwrap();
        let json = motornet_effector::EffectorSpec::from_json(&spec.to_json()).unwrap();
        assert_eq!(json, spec, "{name} via JSON");
        let toml = motornet_effector::EffectorSpec::from_toml(&spec.to_toml()).unwrap();
        assert_eq!(toml, spec, "{name} via TOML");
        assert!(spec.build().is_ok(), "{name} builds");
    }
}
