//! Spec validation: every bad input in a spec (JSON, TOML or built in code) gives an error whose
//! message names the offending field, and the muscle where the field is per muscle, and never a
//! panic. Each case starts from a valid preset spec and changes one thing.

use motornet_effector::fields::FieldValue;
use motornet_effector::{presets, EffectorError, EffectorSpec, GeometrySpec, PathSpec};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn arm() -> EffectorSpec {
    presets::spec("RigidTendonArm26", None).unwrap()
}

fn point_mass() -> EffectorSpec {
    presets::spec("ReluPointMass24", None).unwrap()
}

/// The arm26 preset with its polynomial geometry replaced by straight two-point paths (world
/// point near the shoulder, point on the forearm), to exercise path validation on the arm.
fn arm_with_paths() -> EffectorSpec {
    let mut s = arm();
    let paths = s
        .muscles
        .iter()
        .map(|m| {
            (
                m.name.clone(),
                PathSpec {
                    fixation_body: vec![0.0, 2.0],
                    coordinates: vec![vec![0.0, 0.1], vec![0.05, 0.0]],
                },
            )
        })
        .collect();
    s.geometry = GeometrySpec {
        kind: "paths".into(),
        ..Default::default()
    };
    set_paths(&mut s, &paths);
    s
}

/// The spec's muscle paths (it must have a `paths` geometry).
fn paths_of(s: &EffectorSpec) -> BTreeMap<String, PathSpec> {
    s.geometry.field("paths").unwrap()
}

fn set_paths(s: &mut EffectorSpec, paths: &BTreeMap<String, PathSpec>) {
    s.geometry.set_field("paths", paths);
}

/// Change geometry field `name` (a matrix or vector of numbers) with `f`.
fn edit_field<T: FieldValue>(s: &mut EffectorSpec, name: &str, f: impl FnOnce(&mut T)) {
    let mut v: T = s.geometry.field(name).unwrap();
    f(&mut v);
    s.geometry.set_field(name, &v);
}

/// Build `spec`, which must fail; returns the error's message.
fn build_error(spec: &EffectorSpec) -> String {
    match spec.build() {
        Ok(_) => panic!("a bad spec built: {spec:?}"),
        Err(e) => e.to_string(),
    }
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(
            msg.contains(p),
            "error message {msg:?} does not mention {p:?}"
        );
    }
}

/// Build-fails-and-names check in one line.
fn check(spec: EffectorSpec, parts: &[&str]) {
    let msg = build_error(&spec);
    assert_mentions(&msg, parts);
}

fn json_of(spec: &EffectorSpec) -> Value {
    serde_json::from_str(&spec.to_json()).unwrap()
}

/// Parse `v` as a spec, which must fail; returns the message.
fn parse_error(v: &Value) -> String {
    match EffectorSpec::from_json(&v.to_string()) {
        Ok(_) => panic!("bad JSON parsed: {v}"),
        Err(e) => {
            assert!(matches!(e, EffectorError::Parse(_)), "{e:?}");
            e.to_string()
        }
    }
}

#[test]
fn the_starting_specs_are_valid() {
    // so that every failure below comes from the one change made
    assert!(arm().build().is_ok());
    assert!(point_mass().build().is_ok());
    assert!(arm_with_paths().build().is_ok());
    assert!(presets::spec("Reacher", None).unwrap().build().is_ok());
}

#[test]
fn unknown_types_name_their_section() {
    let mut s = arm();
    s.skeleton.kind = "ThreeDofArm".into();
    check(s, &["skeleton.type", "ThreeDofArm"]);
    let mut s = arm();
    s.muscle.kind = "SpringMuscle".into();
    check(s, &["muscle.type", "SpringMuscle"]);
    let mut s = arm();
    s.geometry.kind = "splines".into();
    check(s, &["geometry.type", "splines"]);
    let mut s = arm();
    s.integration_method = "rk5".into();
    check(s, &["integration_method", "rk5"]);
}

#[test]
fn unknown_fields_are_rejected_by_name() {
    let mut v = json_of(&arm());
    v["frobnicate"] = 1.into();
    assert_mentions(&parse_error(&v), &["frobnicate"]);
    let mut v = json_of(&arm());
    v["muscles"][2]["pennation"] = 0.1.into();
    assert_mentions(&parse_error(&v), &["pennation", "muscles[2]"]);
    let mut v = json_of(&arm());
    v["skeleton"]["gravity"] = 9.81.into();
    assert_mentions(&parse_error(&v), &["gravity", "skeleton"]);
}

#[test]
fn wrong_json_types_name_the_field() {
    let mut v = json_of(&arm());
    v["timestep"] = "fast".into();
    assert_mentions(&parse_error(&v), &["timestep"]);
    let mut v = json_of(&arm());
    v["muscles"][1]["max_isometric_force"] = Value::Bool(true);
    assert_mentions(&parse_error(&v), &["muscles[1].max_isometric_force"]);
    let mut v = json_of(&arm());
    v["pos_upper_bound"] = 2.0.into();
    assert_mentions(&parse_error(&v), &["pos_upper_bound"]);
    let mut v = json_of(&arm());
    v.as_object_mut().unwrap().remove("timestep");
    assert_mentions(&parse_error(&v), &["timestep"]);
}

#[test]
fn wrong_vector_lengths_name_the_field() {
    let mut s = arm();
    s.pos_lower_bound = vec![0.0; 3];
    check(s, &["pos_lower_bound", "3"]);
    let mut s = arm();
    s.vel_upper_bound = vec![1000.0];
    check(s, &["vel_upper_bound"]);
    let mut s = arm();
    edit_field(&mut s, "a1", |a1: &mut Vec<Vec<f64>>| {
        a1[1].pop();
    });
    check(s, &["geometry.a1"]);
    let mut s = arm();
    edit_field(&mut s, "a2", |a2: &mut Vec<Vec<f64>>| a2.push(vec![0.0; 6]));
    check(s, &["geometry.a2"]);
    let mut s = arm();
    s.geometry.set_field("a3", &vec![0.0; 3]);
    check(s, &["geometry"]);
    let mut s = presets::spec("Reacher", None).unwrap();
    edit_field(&mut s, "moment_arms", |m: &mut Vec<Vec<f64>>| {
        m.pop();
    });
    check(s, &["geometry.moment_arms"]);
    let mut s = presets::spec("Reacher", None).unwrap();
    edit_field(&mut s, "moment_arms", |m: &mut Vec<Vec<f64>>| {
        m[1].push(1.0)
    });
    check(s, &["geometry.moment_arms"]);
    // a geometry for 5 muscles with 6 muscles listed
    let mut s = arm();
    s.muscles.pop();
    check(s, &["geometry"]);
}

#[test]
fn fixation_bodies_out_of_range_name_the_paths() {
    let mut s = arm_with_paths();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("biceps").unwrap();
    p.fixation_body[1] = 3.0;
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "muscle 4", "body index 3"]);
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("UpperLeft").unwrap();
    p.fixation_body[1] = 2.0;
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "muscle 1", "body index 2"]);
    // a body index must be a non-negative integer
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("UpperLeft").unwrap();
    p.fixation_body[1] = 0.5;
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "UpperLeft", "fixation_body"]);
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("LowerLeft").unwrap();
    p.fixation_body[0] = -1.0;
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "LowerLeft", "fixation_body"]);
}

#[test]
fn fixation_body_errors_name_the_muscle() {
    let mut s = arm_with_paths();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("biceps").unwrap();
    p.fixation_body[1] = 3.0;
    set_paths(&mut s, &paths);
    check(s, &["biceps"]);
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("UpperLeft").unwrap();
    p.coordinates[0] = vec![1.0, 2.0, 3.0];
    set_paths(&mut s, &paths);
    check(s, &["UpperLeft"]);
}

#[test]
fn malformed_paths_name_the_muscle() {
    // fewer than two points
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("UpperLeft").unwrap();
    p.fixation_body.pop();
    p.coordinates.pop();
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "UpperLeft", "two points"]);
    // fixation_body and coordinates lengths differ
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("LowerRight").unwrap();
    p.fixation_body.push(1.0);
    set_paths(&mut s, &paths);
    check(
        s,
        &[
            "geometry.paths",
            "LowerRight",
            "fixation_body",
            "coordinates",
        ],
    );
    // coordinates with the wrong dimension
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("UpperLeft").unwrap();
    p.coordinates[0] = vec![-2.0, 2.0, 0.0];
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "muscle 1", "3 local coordinates"]);
    let mut s = arm_with_paths();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("deltoid").unwrap();
    p.coordinates[1] = vec![0.05];
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "muscle 1", "1 local coordinates"]);
    // a non-finite coordinate
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    let p = paths.get_mut("UpperRight").unwrap();
    p.coordinates[0][1] = f64::NAN;
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "muscle 0", "non-finite"]);
    // a path for a muscle that does not exist
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    let p = paths["UpperLeft"].clone();
    paths.insert("Middle".into(), p);
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "Middle"]);
    // a muscle without a path
    let mut s = point_mass();
    let mut paths = paths_of(&s);
    paths.remove("LowerLeft");
    set_paths(&mut s, &paths);
    check(s, &["geometry.paths", "LowerLeft", "muscle 3"]);
    // paths missing entirely
    let mut s = point_mass();
    s.geometry.fields.remove("paths");
    check(s, &["geometry.paths"]);
}

#[test]
fn non_positive_skeleton_parameters_name_the_parameter() {
    for mass in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let mut s = point_mass();
        s.skeleton.params.insert("mass", mass);
        check(s, &["mass"]);
    }
    let mut s = point_mass();
    s.skeleton.params.remove("mass");
    check(s, &["skeleton.mass"]);
    let mut s = point_mass();
    s.skeleton.params.insert("space_dim", 0.0);
    check(s, &["space_dim"]);
    let mut s = point_mass();
    s.skeleton.params.insert("space_dim", 2.5);
    check(s, &["skeleton.space_dim"]);
    let mut s = arm();
    s.skeleton.params.insert("m2", -1.0);
    check(s, &["m2"]);
    let mut s = arm();
    s.skeleton.params.insert("l1", 0.0);
    check(s, &["l1"]);
    let mut s = arm();
    s.skeleton.params.insert("viscosity", -0.5);
    check(s, &["viscosity"]);
}

#[test]
fn bad_time_stepping_names_the_field() {
    for dt in [0.0, -0.01, f64::NAN, f64::INFINITY] {
        let mut s = arm();
        s.timestep = dt;
        check(s, &["timestep"]);
    }
    for n in [1.5, 0.0, -2.0, f64::NAN, 1e12] {
        let mut s = arm();
        s.n_ministeps = n;
        check(s, &["n_ministeps"]);
    }
    for d in [-0.1, f64::NAN, f64::INFINITY] {
        let mut s = arm();
        s.damping = d;
        check(s, &["damping"]);
    }
}

#[test]
fn inverted_bounds_name_the_bound_and_the_joint() {
    let mut s = arm();
    s.pos_lower_bound[1] = 3.0; // above the elbow's upper bound of 155°
    check(s, &["pos_lower", "pos_upper", "joint 1"]);
    let mut s = arm();
    s.vel_lower_bound[0] = 2000.0;
    check(s, &["vel_lower", "vel_upper", "joint 0"]);
    let mut s = point_mass();
    s.pos_upper_bound[0] = -2.0;
    check(s, &["pos_lower", "pos_upper", "joint 0"]);
    // NaN bounds and a lower bound of +inf
    let mut s = arm();
    s.pos_upper_bound[1] = f64::NAN;
    check(s, &["pos_upper", "joint 1"]);
    let mut s = arm();
    s.vel_lower_bound[1] = f64::INFINITY;
    check(s, &["vel_lower", "joint 1"]);
}

#[test]
fn skeleton_and_bound_errors_use_spec_file_field_names() {
    let mut s = arm();
    s.skeleton.params.insert("m2", -1.0);
    check(s, &["skeleton.m2"]);
    let mut s = arm();
    s.pos_lower_bound[1] = 3.0;
    check(s, &["pos_lower_bound", "pos_upper_bound"]);
}

#[test]
fn muscle_parameters_name_the_muscle() {
    // missing tendon length for a Hill model
    let mut s = arm();
    s.muscles[3].params.remove("tendon_length");
    check(s, &["tendon_length", "tricepslat", "muscle 3"]);
    let mut s = presets::spec("RigidTendonArm26", Some("MujocoHillMuscle")).unwrap();
    s.muscles[5].params.remove("optimal_muscle_length");
    check(s, &["optimal_muscle_length", "tricepslong"]);
    // non-positive max_isometric_force
    for f in [0.0, -414.0, f64::NAN] {
        let mut s = arm();
        s.muscles[4].max_isometric_force = f;
        check(s, &["max_isometric_force", "biceps"]);
    }
    let mut s = point_mass();
    s.muscles[1].max_isometric_force = -5.0;
    check(s, &["max_isometric_force", "UpperLeft"]);
    let mut s = arm();
    s.muscles[0].params.insert("optimal_muscle_length", 0.0);
    check(s, &["optimal_muscle_length", "pectoralis"]);
    let mut s = presets::spec("RigidTendonArm26", Some("MujocoHillMuscle")).unwrap();
    s.muscles[2].params.insert("fvmax", 1.0);
    check(s, &["fvmax", "brachioradialis"]);
    // duplicate names
    let mut s = arm();
    s.muscles[4].name = "deltoid".into();
    check(s, &["name", "deltoid", "duplicate"]);
    // no muscles at all
    let mut s = arm();
    s.muscles.clear();
    check(s, &["muscles"]);
}

#[test]
fn bad_activation_dynamics_name_the_parameter() {
    for a in [1.0, 1.5, -0.1, f64::NAN] {
        let mut s = arm();
        s.muscle.min_activation = Some(a);
        check(s, &["min_activation"]);
    }
    let mut s = point_mass();
    s.muscle.tau_activation = Some(0.0);
    check(s, &["tau_activation"]);
    let mut s = point_mass();
    s.muscle.tau_deactivation = Some(-0.05);
    check(s, &["tau_deactivation"]);
}

#[test]
fn toml_specs_are_validated_like_json() {
    let toml = arm().to_toml();
    assert_eq!(EffectorSpec::from_toml(&toml).unwrap(), arm());
    // a value of the wrong type: a parse error naming the field
    let bad = toml.replacen("timestep = 0.01", "timestep = \"fast\"", 1);
    assert_ne!(bad, toml);
    let err = EffectorSpec::from_toml(&bad).unwrap_err();
    assert!(matches!(err, EffectorError::Parse(_)), "{err:?}");
    assert_mentions(&err.to_string(), &["timestep"]);
    // a well-typed but invalid value: a build error naming the field
    let bad = toml.replacen("damping = 0.0", "damping = -3.0", 1);
    assert_ne!(bad, toml);
    let spec = EffectorSpec::from_toml(&bad).unwrap();
    assert_mentions(&build_error(&spec), &["damping"]);
    // a per-muscle value, in the [[muscles]] tables
    let bad = toml.replacen(
        "max_isometric_force = 1207.0",
        "max_isometric_force = -1.0",
        1,
    );
    assert_ne!(bad, toml);
    let spec = EffectorSpec::from_toml(&bad).unwrap();
    assert_mentions(&build_error(&spec), &["max_isometric_force", "deltoid"]);
    // an unknown key
    let bad = toml.replacen("damping = 0.0", "damping = 0.0\nfriction = 1.0", 1);
    assert_mentions(
        &EffectorSpec::from_toml(&bad).unwrap_err().to_string(),
        &["friction"],
    );
    // not TOML at all
    assert!(matches!(
        EffectorSpec::from_toml("timestep = = 1"),
        Err(EffectorError::Parse(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Random mutations never panic.
// ---------------------------------------------------------------------------------------------

/// Paths (keys and indices) of every number in `v`.
fn number_paths(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Number(_) => out.push(path.clone()),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(i.into());
                number_paths(x, path, out);
                path.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                path.push(k.clone().into());
                number_paths(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match k {
        Value::String(s) => &mut v[s.as_str()],
        Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

/// How a random f64 is written into the JSON text: finite numbers as JSON numbers; NaN and
/// infinities, which JSON cannot hold, as the nearest things a user might write.
fn json_text(x: f64, variant: u8) -> String {
    if x.is_finite() {
        serde_json::to_string(&x).unwrap()
    } else if x.is_nan() {
        ["null", "\"NaN\"", "NaN"][variant as usize % 3].to_string()
    } else if x > 0.0 {
        ["1e999", "1.8e308", "\"inf\""][variant as usize % 3].to_string()
    } else {
        ["-1e999", "-1.8e308", "\"-inf\""][variant as usize % 3].to_string()
    }
}

/// Whether a spec with the number at `path` replaced by `x` must be rejected: fields that must
/// be finite and > 0 (or >= 0, or in [0, 1)).
fn must_reject(path: &[Value], x: f64) -> bool {
    let keys: Vec<&str> = path.iter().filter_map(Value::as_str).collect();
    let last = *keys.last().unwrap();
    let positive = [
        "m1",
        "m2",
        "l1g",
        "l2g",
        "i1",
        "i2",
        "l1",
        "l2",
        "timestep",
        "tau_activation",
        "tau_deactivation",
        "max_isometric_force",
        "tendon_length",
        "optimal_muscle_length",
        "normalized_slack_muscle_length",
    ];
    let finite = x.is_finite();
    if positive.contains(&last) {
        return !(finite && x > 0.0);
    }
    match last {
        "viscosity" | "damping" => !(finite && x >= 0.0),
        "min_activation" => !(finite && (0.0..1.0).contains(&x)),
        "n_ministeps" => !(finite && (1.0..=1e9).contains(&x) && x.fract() == 0.0),
        "a0" | "a1" | "a2" | "a3" => !finite,
        _ => false,
    }
}

fn special_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        -10.0..10.0f64,
        Just(0.0),
        Just(-0.0),
        Just(-1.0),
        Just(1.0),
        Just(2.0),
        Just(1e308),
        Just(-1e308),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(1e9),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_numeric_mutations_of_the_arm26_spec_never_panic(
        picks in proptest::collection::vec((any::<prop::sample::Index>(), special_f64(), 0u8..3), 1..4)
    ) {
        let base = json_of(&arm());
        let mut paths = vec![];
        number_paths(&base, &mut vec![], &mut paths);
        prop_assert!(paths.len() > 50);
        let mut v = base.clone();
        let mut expect_err = false;
        let mut texts = vec![];
        let mut used = vec![];
        for (k, (idx, x, variant)) in picks.iter().enumerate() {
            let i = idx.index(paths.len());
            if used.contains(&i) {
                // mutate each number at most once, so that the expectation is about the final text
                texts.push(String::new());
                continue;
            }
            used.push(i);
            let path = &paths[i];
            *at(&mut v, path) = Value::String(format!("@@{k}@@"));
            let text = json_text(*x, *variant);
            // must_reject only where the text really is a (finite) JSON number
            if x.is_finite() {
                expect_err |= must_reject(path, *x);
            }
            texts.push(text);
        }
        let mut json = v.to_string();
        for (k, t) in texts.iter().enumerate() {
            json = json.replace(&format!("\"@@{k}@@\""), t);
        }
        match EffectorSpec::from_json(&json) {
            Err(e) => prop_assert!(matches!(e, EffectorError::Parse(_)), "{e:?}"),
            Ok(spec) => {
                let built = spec.build();
                if expect_err {
                    prop_assert!(built.is_err(), "accepted an invalid spec: {json}");
                }
                if let Ok(eff) = built {
                    // a few steps from a clipped mid-range state do not panic either
                    if eff.options().n_ministeps <= 4 {
                        let b = &eff.options().bounds;
                        let mut joint: Vec<f64> = vec![0.8, 1.2, 0.0, 0.0];
                        for j in 0..2 {
                            joint[j] = joint[j].clamp(b.pos_lower[j], b.pos_upper[j]);
                            joint[2 + j] = 0.0f64.clamp(b.vel_lower[j], b.vel_upper[j]);
                        }
                        let mut state = eff.zero_state::<f64>();
                        let mut ws = eff.workspace::<f64>();
                        eff.reset(&joint, &mut state);
                        for _ in 0..3 {
                            eff.step(&mut state, &[0.5; 6], &[], &[], &mut ws);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn mujoco_only_parameters_are_rejected_on_other_models() {
    let mut s = arm();
    s.muscles[2].params.insert("lmax", 1.6);
    check(s, &["lmax", "brachioradialis", "MujocoHillMuscle"]);
    let mut s = arm();
    s.muscle.params.insert("passive_forces", 1.0);
    check(s, &["muscle.passive_forces"]);
}

/// Issue 14: trailing data after a JSON document was accepted (a spec, a scenario).
#[test]
fn trailing_data_after_a_json_document_is_an_error() {
    let json = motornet_effector::presets::spec("RigidTendonArm26", None)
        .unwrap()
        .to_json();
    assert!(EffectorSpec::from_json(&format!("{json}\n  \n")).is_ok());
    for tail in ["x", "{}", "]", "\n,"] {
        let e = EffectorSpec::from_json(&format!("{json}{tail}"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("after the document") && e.contains("trailing"),
            "{tail:?}: {e}"
        );
    }
    let scenario = format!(
        r#"{{"effector": {json}, "initial_joint_state": [[0.5, 0.5, 0, 0]], "excitation": [[[0,0,0,0,0,0]]]}}"#
    );
    assert!(motornet_effector::Scenario::from_json(&scenario).is_ok());
    let e = motornet_effector::Scenario::from_json(&format!("{scenario} trailing"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("after the document"), "{e}");
}

/// Issue 14: `geometry.a3` of the wrong length was reported as a wrong `geometry.a1`.
#[test]
fn an_a3_of_the_wrong_length_is_reported_as_a3() {
    let mut s = arm();
    s.geometry.set_field("a3", &vec![0.1, 0.2, 0.3]);
    let e = s.build().unwrap_err().to_string();
    assert!(e.contains("geometry.a3") && e.contains("2 joints"), "{e}");
    assert!(!e.contains("a1"), "{e}");
}

/// Issue 14: `n_ministeps` 1e9 was accepted and every step ran for ever.
#[test]
fn too_many_ministeps_is_an_error_naming_the_limit() {
    let mut s = arm();
    s.n_ministeps = 1e9;
    let e = s.build().unwrap_err().to_string();
    assert!(e.contains("n_ministeps") && e.contains("10000"), "{e}");
    s.n_ministeps = 10_001.0;
    assert!(s.build().is_err());
    // a fine reference (the integration tests use 2000) is fine
    s.n_ministeps = 10_000.0;
    s.build().unwrap();
}

/// Issue 14 (found by the audit program): `n_ministeps` 1e300 was refused with the number
/// written out in 301 digits.
#[test]
fn a_huge_ministep_count_is_refused_in_a_short_message() {
    let mut s = arm();
    s.n_ministeps = 1e300;
    let e = s.build().unwrap_err().to_string();
    assert!(
        e.contains("n_ministeps") && e.contains("1e300") && e.len() < 120,
        "{e}"
    );
}
