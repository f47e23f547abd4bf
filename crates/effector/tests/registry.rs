//! The registries of built-in skeletons, muscle models and geometries: names are unique, every
//! registered model builds from a spec that gives only what it requires (its defaults filled in
//! from its declarations) and passes its layer's conformance check, and a field a model does not
//! declare is an error naming the field, the muscle and the model. A model added to a registry
//! is covered here without editing this file.

use motornet_effector::{presets, AnyGeometry, AnySkeleton, EffectorSpec, MuscleSpec};
use motornet_muscle::testing::{check_muscle_model, CheckConfig as MuscleCheck};
use motornet_muscle::{AnyMuscle, MuscleModel, ParamSet};
use motornet_skeleton::testing::{check_skeleton, CheckConfig as SkeletonCheck};
use motornet_skeleton::Skeleton;

fn assert_unique(names: &[&str]) {
    for (i, n) in names.iter().enumerate() {
        assert!(!names[..i].contains(n), "`{n}` is registered twice");
    }
}

#[test]
fn registered_names_are_unique_and_match_the_models() {
    assert_unique(AnySkeleton::NAMES);
    assert_unique(AnyMuscle::NAMES);
    assert_unique(AnyGeometry::NAMES);
    assert_eq!(AnySkeleton::NAMES.len(), AnySkeleton::MODELS.len());
    assert_eq!(AnyGeometry::NAMES.len(), AnyGeometry::MODELS.len());
    for g in AnyGeometry::MODELS {
        let names: Vec<&str> = g.fields.iter().map(|d| d.name).collect();
        assert_unique(&names);
        assert!(!names.contains(&"type"), "{}", g.name);
    }
}

#[test]
fn every_registered_skeleton_builds_from_its_declarations_and_conforms() {
    for info in AnySkeleton::MODELS {
        let names: Vec<&str> = info.params.iter().map(|d| d.name).collect();
        assert_unique(&names);
        assert!(!names.contains(&"type"), "{}", info.name);
        if info.name == "KinematicTree" {
            // described by its bodies, not by parameters: refuses to build from them
            let e = info.build(&ParamSet::examples(info.params)).unwrap_err();
            assert!(e.to_string().contains("skeleton.bodies"), "{e}");
            continue;
        }
        let skeleton = info
            .build(&ParamSet::examples(info.params))
            .unwrap_or_else(|e| panic!("{}: {e}", info.name));
        assert_eq!(skeleton.name(), info.name);
        check_skeleton(&skeleton, &SkeletonCheck::default())
            .unwrap_or_else(|e| panic!("{}: {e}", info.name));
    }
}

/// A `KinematicTree` written in a spec (here imported from an MJCF model) builds and passes the
/// skeleton conformance checks, like the skeletons built from parameters above.
#[test]
fn a_kinematic_tree_from_a_spec_conforms() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/mujoco/arm3d_cylinder.xml");
    let spec = motornet_effector::mjcf::read_mjcf(&path).unwrap();
    assert_eq!(spec.skeleton.kind, "KinematicTree");
    // through TOML and back, as a user's spec file would be
    let spec = EffectorSpec::from_toml(&spec.to_toml()).unwrap();
    let effector = spec.build().unwrap();
    let skeleton = effector.skeleton();
    assert_eq!(skeleton.name(), "KinematicTree");
    assert_eq!((skeleton.dof(), skeleton.space_dim()), (4, 3));
    check_skeleton(skeleton, &SkeletonCheck::default()).unwrap();
}

/// The arm26 preset with muscle model `model` given by its name alone, and each muscle by its
/// name, F_max and the model's required per-muscle parameters at their example values.
fn arm_with_minimal_muscles(model: &str) -> EffectorSpec {
    let info = AnyMuscle::model(model).unwrap();
    let mut spec = presets::spec("RigidTendonArm26", None).unwrap();
    spec.muscle = motornet_effector::MuscleModelSpec {
        kind: model.into(),
        ..Default::default()
    };
    spec.muscles = spec
        .muscles
        .iter()
        .map(|m| MuscleSpec {
            name: m.name.clone(),
            max_isometric_force: m.max_isometric_force,
            params: info
                .muscle_params
                .iter()
                .filter(|d| d.is_required())
                .map(|d| (d.name, d.example))
                .collect(),
        })
        .collect();
    spec
}

#[test]
fn every_registered_muscle_model_builds_from_a_spec_with_defaults_and_conforms() {
    for info in AnyMuscle::MODELS {
        let spec = arm_with_minimal_muscles(info.name);
        let effector = spec
            .build()
            .unwrap_or_else(|e| panic!("{}: {e}", info.name));
        let muscle = effector.muscle();
        assert_eq!(muscle.name(), info.name);
        // the defaults came from the declarations
        assert_eq!(muscle.activation(), &info.default_activation);
        assert_eq!(
            muscle,
            &info
                .build_example(&[
                    ("pectoralis", 838.0),
                    ("deltoid", 1207.0),
                    ("brachioradialis", 1422.0),
                    ("tricepslat", 1549.0),
                    ("biceps", 414.0),
                    ("tricepslong", 603.0),
                ])
                .unwrap(),
            "{}",
            info.name
        );
        check_muscle_model(muscle, &MuscleCheck::default())
            .unwrap_or_else(|e| panic!("{}: {e}", info.name));
        // the section the presets write for it lists every default, and builds the same model
        let mut full = spec.clone();
        full.muscle = presets::muscle_model_spec(info.name).unwrap();
        assert_eq!(full.muscle.params.len(), info.model_params.len());
        assert_eq!(full.build().unwrap().muscle(), muscle);
    }
}

#[test]
fn every_registered_geometry_is_used_by_a_preset_and_reads_back_what_it_writes() {
    let specs: Vec<EffectorSpec> = presets::NAMES
        .iter()
        .map(|p| presets::spec(p, None).unwrap())
        .collect();
    for info in AnyGeometry::MODELS {
        // no preset has a 3-D skeleton; tests/spatial_tendons.rs checks the same for it
        // (`effector_spec_with_spatial_tendons_builds_and_reads_back`)
        if info.name == "spatial_tendons" {
            continue;
        }
        let spec = specs
            .iter()
            .find(|s| s.geometry.kind == info.name)
            .unwrap_or_else(|| panic!("no preset uses geometry {}", info.name));
        let names: Vec<&str> = spec.muscles.iter().map(|m| m.name.as_str()).collect();
        let built = info.build(&spec.geometry.fields, &names).unwrap();
        assert_eq!(spec.build().unwrap().geometry(), &built);
        // every declared field is in the written section, and nothing else
        let written: Vec<&str> = spec.geometry.fields.names().collect();
        let declared: Vec<&str> = info.fields.iter().map(|d| d.name).collect();
        assert_eq!(written, declared, "{}", info.name);
    }
}

fn parse_error(v: &serde_json::Value) -> String {
    EffectorSpec::from_json(&v.to_string())
        .expect_err("must not parse")
        .to_string()
}

fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "{msg:?} does not mention {p:?}");
    }
}

#[test]
fn fields_a_model_does_not_declare_are_errors_naming_field_muscle_and_model() {
    let arm: serde_json::Value =
        serde_json::from_str(&presets::spec("RigidTendonArm26", None).unwrap().to_json()).unwrap();
    // per muscle: a field of another model, and one of no model
    let mut v = arm.clone();
    v["muscles"][2]["lmax"] = 1.6.into();
    assert_mentions(
        &parse_error(&v),
        &[
            "muscles[2].lmax",
            "brachioradialis",
            "RigidTendonHillMuscle",
            "MujocoHillMuscle",
        ],
    );
    let mut v = arm.clone();
    v["muscles"][0]["pennation"] = 0.1.into();
    assert_mentions(
        &parse_error(&v),
        &["muscles[0].pennation", "pectoralis", "tendon_length"],
    );
    // model-wide, skeleton, geometry
    let mut v = arm.clone();
    v["muscle"]["passive_forces"] = 1.0.into();
    assert_mentions(
        &parse_error(&v),
        &["muscle.passive_forces", "RigidTendonHillMuscle"],
    );
    let mut v = arm.clone();
    v["skeleton"]["mass"] = 1.0.into();
    assert_mentions(
        &parse_error(&v),
        &["skeleton.mass", "TwoDofArm", "PointMass"],
    );
    let mut v = arm.clone();
    v["geometry"]["moment_arms"] = serde_json::json!([[1.0]]);
    assert_mentions(
        &parse_error(&v),
        &[
            "geometry.moment_arms",
            "arm26_polynomial",
            "constant_moment_arms",
        ],
    );
    // the same checks when the spec is built in code
    let mut s = presets::spec("RigidTendonArm26", None).unwrap();
    s.skeleton.params.insert("gravity", 9.81);
    assert_mentions(
        &s.build().unwrap_err().to_string(),
        &["skeleton.gravity", "TwoDofArm"],
    );
    // a field the preset's other models have is fine on the model that declares it
    let mut v = arm.clone();
    v["muscle"]["type"] = "MujocoHillMuscle".into();
    v["muscles"][2]["lmax"] = 1.6.into();
    assert!(EffectorSpec::from_json(&v.to_string())
        .unwrap()
        .build()
        .is_ok());
}

#[test]
fn wrongly_typed_model_fields_are_parse_errors_naming_the_field() {
    let arm: serde_json::Value =
        serde_json::from_str(&presets::spec("RigidTendonArm26", None).unwrap().to_json()).unwrap();
    let mut v = arm.clone();
    v["skeleton"]["m1"] = "heavy".into();
    assert_mentions(&parse_error(&v), &["skeleton", "m1"]);
    let mut v = arm.clone();
    v["muscles"][3]["tendon_length"] = serde_json::json!([0.1]);
    assert_mentions(&parse_error(&v), &["muscles[3]", "tendon_length"]);
    let mut v = arm.clone();
    v["geometry"]["a0"] = "none".into();
    assert_mentions(&parse_error(&v), &["geometry", "a0"]);
    // a value of the right JSON type but the wrong shape: a build error naming the field
    let mut v = arm;
    v["geometry"]["a0"] = serde_json::json!([[0.1]]);
    let spec = EffectorSpec::from_json(&v.to_string()).unwrap();
    assert_mentions(
        &spec.build().unwrap_err().to_string(),
        &["geometry.a0", "[0]"],
    );
}

#[test]
fn required_fields_and_whole_numbers_are_checked_against_the_declarations() {
    let mut s = presets::spec("ReluPointMass24", None).unwrap();
    s.skeleton.params.remove("space_dim");
    assert_mentions(
        &s.build().unwrap_err().to_string(),
        &["skeleton.space_dim", "PointMass"],
    );
    let mut s = presets::spec("ReluPointMass24", None).unwrap();
    s.skeleton.params.insert("space_dim", 2.5);
    assert_mentions(
        &s.build().unwrap_err().to_string(),
        &["skeleton.space_dim", "integer"],
    );
    let mut s = presets::spec("RigidTendonArm26", Some("MujocoHillMuscle")).unwrap();
    s.muscles[1].params.remove("tendon_length");
    assert_mentions(
        &s.build().unwrap_err().to_string(),
        &["tendon_length", "deltoid", "muscle 1", "MujocoHillMuscle"],
    );
    // optional ones may be left out: the model's default
    let mut s = presets::spec("RigidTendonArm26", Some("MujocoHillMuscle")).unwrap();
    let full = s.build().unwrap();
    for m in &mut s.muscles {
        m.params.remove("lmax");
    }
    s.muscle.params.remove("passive_forces");
    assert_eq!(s.build().unwrap(), full);
}

#[test]
fn unknown_types_list_the_registered_names() {
    let mut s = presets::spec("RigidTendonArm26", None).unwrap();
    s.muscle.kind = "SpringMuscle".into();
    assert_mentions(&s.build().unwrap_err().to_string(), AnyMuscle::NAMES);
    let mut s = presets::spec("RigidTendonArm26", None).unwrap();
    s.skeleton.kind = "Hexapod".into();
    assert_mentions(&s.build().unwrap_err().to_string(), AnySkeleton::NAMES);
    let mut s = presets::spec("RigidTendonArm26", None).unwrap();
    s.geometry.kind = "splines".into();
    assert_mentions(&s.build().unwrap_err().to_string(), AnyGeometry::NAMES);
}
