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

fn check_fixture(name: &str, traj: &Trajectory, fixture: &Value) -> Vec<String> {
    let expected: Trajectory = serde_json::from_value(fixture["expected"].clone()).unwrap();
    assert_eq!(
        traj.state_names, expected.state_names,
        "{name}: state names"
    );
    traj.compare(&expected)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .into_iter()
        .filter(|w| w.relative_error > 1e-6)
        .map(|w| {
            format!(
                "{name}: key '{}', component {}, step {}, batch element {}: got {} expected {} (relative error {:e})",
                w.key, w.component, w.step, w.batch, w.got, w.expected, w.relative_error
            )
        })
        .collect()
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
        // nor do they know the implicit fibre update of this crate's CompliantTendonArm26: the
        // fixture is MotorNet's explicit one (`implicit_fibre` = 0, its default)
        if from_preset.muscle.params.remove("implicit_fibre").is_some() {
            assert!(spec.muscle.params.get("implicit_fibre").is_none());
        }
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
