//! `simulate_json` (what `motornet simulate -o` runs): the trajectory's JSON written as it is
//! computed, byte for byte what serialising `simulate`'s result gives, with its scratch files
//! removed whatever happens.

use motornet_effector::{simulate, simulate_json, Scenario, StreamError};
use std::path::{Path, PathBuf};

fn parity_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/parity")
}

/// A fresh empty directory for scratch files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("motornet-stream-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

/// Issue 14: `simulate FILE -o OUT` held the whole trajectory, and then its whole JSON text, in
/// memory (a 72 MB scenario aborted at 7.5 GB). The streamed output is the same bytes.
#[test]
fn streamed_json_equals_the_serialised_trajectory_for_every_fixture() {
    let dir = scratch("fixtures");
    let mut n = 0;
    for entry in std::fs::read_dir(parity_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let scenario = Scenario::from_path(&path).unwrap();
        let effector = scenario.effector.build().unwrap();
        let want =
            serde_json::to_vec(&simulate::<f64, _, _, _>(&effector, &scenario).unwrap()).unwrap();
        let mut got = vec![];
        simulate_json::<f64, _, _, _>(&effector, &scenario, &dir, &mut got).unwrap();
        assert!(got == want, "{}: streamed JSON differs", path.display());
        let want32 =
            serde_json::to_vec(&simulate::<f32, _, _, _>(&effector, &scenario).unwrap()).unwrap();
        let mut got32 = vec![];
        simulate_json::<f32, _, _, _>(&effector, &scenario, &dir, &mut got32).unwrap();
        assert!(
            got32 == want32,
            "{}: streamed f32 JSON differs",
            path.display()
        );
        assert!(is_empty(&dir), "scratch files left behind");
        n += 1;
    }
    assert!(n >= 9);
    std::fs::remove_dir_all(&dir).ok();
}

/// A diverging simulation is an error naming the step and element, and a scenario that does
/// not fit the effector one naming the input; neither leaves scratch files behind.
#[test]
fn streaming_errors_name_the_cause_and_leave_no_scratch_files() {
    let dir = scratch("errors");
    let path = parity_dir().join("relu_pointmass24_euler.json");
    let scenario = Scenario::from_path(&path).unwrap();
    let effector = scenario.effector.build().unwrap();
    let mut bad = scenario.clone();
    bad.excitation[0][0].pop();
    let err = simulate_json::<f64, _, _, _>(&effector, &bad, &dir, &mut vec![]).unwrap_err();
    assert!(matches!(err, StreamError::Effector(_)), "{err}");
    assert!(err.to_string().contains("excitation[0][0]"), "{err}");
    assert!(is_empty(&dir));
    // a finite but huge load on element 1 from input step 3 on (the arm without velocity
    // bounds overflows): named as `simulate` names it, state 4 of element 1
    let mut spec = motornet_effector::presets::spec("RigidTendonArm26", None).unwrap();
    spec.vel_lower_bound = vec![f64::NEG_INFINITY; 2];
    spec.vel_upper_bound = vec![f64::INFINITY; 2];
    let arm = spec.build().unwrap();
    let j0 = vec![0.8, 1.2, 0.0, 0.0];
    let mut load = vec![vec![vec![0.0, 0.0]; 2]; 6];
    for l in load.iter_mut().skip(3) {
        l[1] = vec![1e308, 1e308];
    }
    let diverging = Scenario {
        name: None,
        effector: spec,
        initial_joint_state: vec![j0.clone(), j0],
        excitation: vec![vec![vec![0.0; 6]; 2]; 6],
        endpoint_load: Some(load),
        joint_load: None,
    };
    let want = simulate::<f64, _, _, _>(&arm, &diverging).unwrap_err();
    let err = simulate_json::<f64, _, _, _>(&arm, &diverging, &dir, &mut vec![]).unwrap_err();
    assert_eq!(err.to_string(), want.to_string());
    assert!(is_empty(&dir));
    // an unwritable scratch directory is an I/O error, not a panic
    let missing = dir.join("missing");
    let err = simulate_json::<f64, _, _, _>(&effector, &bad, &missing, &mut vec![]).unwrap_err();
    assert!(
        matches!(err, StreamError::Effector(_)),
        "inputs are checked first: {err}"
    );
    let err = simulate_json::<f64, _, _, _>(
        &effector,
        &Scenario::from_path(&path).unwrap(),
        &missing,
        &mut vec![],
    )
    .unwrap_err();
    assert!(matches!(err, StreamError::Io(_)), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
