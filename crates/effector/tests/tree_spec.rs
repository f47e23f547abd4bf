//! A `KinematicTree` written in a spec file: bad bodies are errors naming the field, and the
//! tree's fields on another skeleton are errors, never ignored.

use motornet_effector::{presets, BodyPointSpec, EffectorSpec};

fn arm3d() -> EffectorSpec {
    presets::spec("Arm3D", None).unwrap()
}

fn error(spec: &EffectorSpec) -> String {
    spec.build().unwrap_err().to_string()
}

#[test]
fn bad_bodies_are_errors_naming_the_field() {
    let mut s = arm3d();
    s.skeleton.bodies[1].parent = "nowhere".into();
    let e = error(&s);
    assert!(
        e.contains("skeleton.bodies[1].parent") && e.contains("nowhere"),
        "{e}"
    );

    let mut s = arm3d();
    s.skeleton.bodies[1].name = s.skeleton.bodies[0].name.clone();
    let e = error(&s);
    assert!(
        e.contains("skeleton.bodies[1].name") && e.contains("twice"),
        "{e}"
    );

    let mut s = arm3d();
    s.skeleton.bodies[0].name = "world".into();
    assert!(error(&s).contains("skeleton.bodies[0].name"));

    let mut s = arm3d();
    s.skeleton.bodies[0].joints[0].kind = "ball".into();
    let e = error(&s);
    assert!(e.contains("joints[0].type") && e.contains("ball"), "{e}");

    let mut s = arm3d();
    s.skeleton.endpoint = Some(BodyPointSpec {
        body: "hand".into(),
        pos: [0.0; 3],
    });
    let e = error(&s);
    assert!(
        e.contains("skeleton.endpoint.body") && e.contains("hand"),
        "{e}"
    );

    let mut s = arm3d();
    s.skeleton.bodies.clear();
    assert!(error(&s).contains("skeleton.bodies"));

    // a child listed before its parent
    let mut s = arm3d();
    s.skeleton.bodies.swap(0, 1);
    assert!(error(&s).contains("parents come first"));
}

#[test]
fn tree_fields_on_another_skeleton_are_errors() {
    let tree = arm3d();
    let mut s = presets::spec("RigidTendonArm26", None).unwrap();
    s.skeleton.gravity = Some([0.0, 0.0, -9.81]);
    let e = error(&s);
    assert!(
        e.contains("skeleton.gravity") && e.contains("TwoDofArm"),
        "{e}"
    );
    let mut s = presets::spec("RigidTendonArm26", None).unwrap();
    s.skeleton.bodies = tree.skeleton.bodies.clone();
    assert!(error(&s).contains("skeleton.bodies"));
}

#[test]
fn a_tree_spec_round_trips_through_json_and_toml() {
    let s = arm3d();
    assert_eq!(EffectorSpec::from_json(&s.to_json()).unwrap(), s);
    assert_eq!(EffectorSpec::from_toml(&s.to_toml()).unwrap(), s);
    // an unknown key in a body is refused
    let json = s
        .to_json()
        .replacen("\"mass\":", "\"masss\": 1.0, \"mass\":", 1);
    assert!(EffectorSpec::from_json(&json).is_err());
}
