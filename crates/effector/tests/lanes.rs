//! Packs of lanes (`Lanes<f32, N>`, `Lanes<f64, N>`) compute exactly what single numbers
//! compute, element by element, for every preset; a batch that does not fill its last pack is
//! handled; a non-finite state is reported with the right batch element.

use motornet_effector::{batch, presets, EffectorError};
use motornet_scalar::Lanes;

/// Also the regression test of a bug met with `Arm3D`: a spatial tendon whose wrap decision
/// differed between the lanes of a pack summed its straight segment in another order than a
/// single number did (last-bit differences in the triceps' moment arms from the second step).
#[test]
fn lanes_give_the_same_trajectories_as_single_numbers_for_every_preset() {
    for name in presets::NAMES {
        let effector = presets::spec(name, None).unwrap().build().unwrap();
        let initial = batch::random_joint_states(&effector, 13, 7); // 13: a partial last pack
        let steps = if name == "CompliantTendonArm26" {
            200
        } else {
            50
        };
        for excitation in [0.0, 0.3, 1.0] {
            let one = batch::run_constant::<f64, _, _, _>(&effector, &initial, excitation, steps)
                .unwrap();
            let four = batch::run_constant::<Lanes<f64, 4>, _, _, _>(
                &effector, &initial, excitation, steps,
            )
            .unwrap();
            assert_eq!(
                one.final_joint, four.final_joint,
                "{name} f64, excitation {excitation}"
            );
            let one = batch::run_constant::<f32, _, _, _>(&effector, &initial, excitation, steps)
                .unwrap();
            let eight = batch::run_constant::<Lanes<f32, 8>, _, _, _>(
                &effector, &initial, excitation, steps,
            )
            .unwrap();
            assert_eq!(
                one.final_joint, eight.final_joint,
                "{name} f32, excitation {excitation}"
            );
            assert_eq!(eight.final_joint.len(), 13);
        }
    }
}

#[test]
fn lanes_match_single_numbers_for_every_registered_muscle_model_on_arm26() {
    // every model in the registry: the rigid-tendon arm26 preset takes all but the compliant
    // tendon, which has a preset of its own
    for &model in motornet_muscle::AnyMuscle::NAMES {
        let effector = presets::spec("RigidTendonArm26", Some(model))
            .or_else(|_| presets::spec("CompliantTendonArm26", Some(model)))
            .unwrap()
            .build()
            .unwrap();
        let initial = batch::random_joint_states(&effector, 9, 3);
        let one = batch::run_constant::<f64, _, _, _>(&effector, &initial, 0.7, 80).unwrap();
        let lanes =
            batch::run_constant::<Lanes<f64, 8>, _, _, _>(&effector, &initial, 0.7, 80).unwrap();
        assert_eq!(one.final_joint, lanes.final_joint, "{model}");
    }
}

#[test]
fn a_non_finite_lane_is_reported_as_its_batch_element() {
    // a point mass so light (1e-40 kg, subnormal in f32) that 1000 N overflows f32
    let mut spec = presets::spec("ReluPointMass24", None).unwrap(); // forces cancel only at the origin
    spec.skeleton.params.insert("mass", 1e-40);
    spec.vel_lower_bound = vec![f64::MIN; 2];
    spec.vel_upper_bound = vec![f64::MAX; 2];
    let effector = spec.build().unwrap();
    let initial = batch::random_joint_states(&effector, 5, 1);
    let err =
        batch::run_constant::<Lanes<f32, 8>, _, _, _>(&effector, &initial, 1.0, 50).unwrap_err();
    match err {
        EffectorError::NonFinite { batch, kind, .. } => {
            assert!(batch < 5, "batch element {batch} out of range");
            assert_eq!(kind, "joint");
        }
        other => panic!("expected a non-finite report, got {other}"),
    }
}
