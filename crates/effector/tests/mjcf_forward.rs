//! MJCF models built into effectors compute what MuJoCo 4.0.1's `mj_forward` computes: the three
//! models of `../shared/mujoco` (tree dynamics, tendon paths with wrapping, muscle forces and
//! activation rates, site positions), compared by the reference data's rule (≤ 1e-6).

use motornet_effector::mjcf::fixture::{compare, ForwardFixture};
use motornet_effector::mjcf::{forward, ForwardModel};
use std::path::PathBuf;

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../../shared/mujoco/{name}"))
}

/// A fixture of this crate's tests/data/mujoco (made by its make_fixture.py with MuJoCo 4.0.1).
fn ours(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/mujoco/{name}"))
}

fn check(name: &str) {
    check_file(&shared(&format!("{name}.json")));
}

fn check_file(path: &std::path::Path) {
    let name = path.display();
    let fixture = ForwardFixture::read(path).unwrap();
    let model = motornet_mjcf::parse_file(&path.parent().unwrap().join(&fixture.model)).unwrap();
    let fm = ForwardModel::new(model).unwrap();
    let got: Vec<_> = fixture
        .states
        .iter()
        .map(|s| forward(&fm, s).unwrap())
        .collect();
    let c = compare(&fixture.expected, &got);
    eprintln!(
        "{name}: max_rel_err={:.2e} worst={}",
        c.max_rel_err, c.worst
    );
    for (q, e) in &c.per_quantity {
        eprintln!("  {q:>18}: {e:.2e}");
    }
    assert!(c.max_rel_err <= 1e-6, "{name}: {c:?}");
    // every quantity of the fixture was compared
    assert_eq!(c.per_quantity.len(), 13, "{:?}", c.per_quantity.keys());
}

#[test]
fn arm3d_cylinder_matches_mujoco() {
    check("arm3d_cylinder");
}

#[test]
fn planar3_gravity_matches_mujoco() {
    check("planar3_gravity");
}

#[test]
fn slider_sphere_matches_mujoco() {
    check("slider_sphere");
}

/// A model unlike the shared ones (degrees, Euler angles, default classes, a branching tree,
/// box, ellipsoid, sphere and cylinder geoms, an explicit inertial, slide and hinge joints on
/// one body, tilted gravity, a tendon without a muscle): the importer is general.
#[test]
fn a_new_model_in_the_subset_matches_mujoco() {
    check_file(&ours("tree_mix.json"));
}

/// A model with more joints (12) than the per-step code's small stack buffers (8): the
/// large-buffer path computes the same forward quantities as MuJoCo, and its exact gradients
/// agree with forward-mode derivatives and finite differences.
#[test]
fn a_twelve_joint_chain_matches_mujoco_and_its_gradients_check() {
    check_file(&ours("chain12.json"));
    let spec = motornet_effector::EffectorSpec::from_path(&ours("chain12.xml")).unwrap();
    let effector = spec.build().unwrap();
    assert_eq!(effector.dof(), 12);
    let check = motornet_effector::check_gradients(&effector, 2, 5, 3).unwrap();
    assert!(
        check.max_rel_grad_ok() && check.compared > 0 && check.skipped * 10 <= check.compared,
        "{check:?}"
    );
}

/// The `Arm3D` preset's model.
#[test]
fn the_arm3d_preset_matches_mujoco() {
    check_file(&ours("arm3d.json"));
    // and the preset is that model
    let preset = motornet_effector::presets::spec("Arm3D", None).unwrap();
    let file = motornet_effector::mjcf::read_mjcf(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/arm3d.xml"),
    )
    .unwrap();
    assert_eq!(preset.skeleton, file.skeleton);
    assert_eq!(preset.muscles, file.muscles);
    assert_eq!(preset.geometry, file.geometry);
}
