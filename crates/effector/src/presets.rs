//! MotorNet's preset effectors, as complete [`EffectorSpec`]s (every default written out), so
//! that users can build them directly or write them to a file and start from there.
//!
//! | preset | skeleton | muscles | geometry | default muscle model |
//! |---|---|---|---|---|
//! | `ReluPointMass24` | 2-D point mass, 1 kg | 4, 500 N | straight paths to the corners | `ReluMuscle` (fixed) |
//! | `RigidTendonArm26` | arm26 two-joint arm | 6 | arm26 polynomial | `RigidTendonHillMuscle` (any rigid-tendon model) |
//! | `CompliantTendonArm26` | arm26 two-joint arm | 6 | arm26 polynomial | `CompliantTendonHillMuscle` (fixed), dt 0.2 ms, RK4 |
//! | `Reacher` | arm26 two-joint arm | 4, 1000 N | constant moment arms | `ReluMuscle` |
//! | `FreePointMass24` | 2-D point mass, 1 kg | 4, 1000 N | constant moment arms | `ReluMuscle` |
//!
//! ```
//! use motornet_effector::presets;
//! let spec = presets::spec("RigidTendonArm26", Some("MujocoHillMuscle")).unwrap();
//! assert_eq!(spec.muscles.len(), 6);
//! let effector = spec.build().unwrap();
//! assert_eq!(effector.dof(), 2);
//! ```

use crate::error::EffectorError;
use crate::geometry::{Arm26Polynomial, ConstantMomentArms};
use crate::spec::{
    EffectorSpec, GeometrySpec, MuscleModelSpec, MuscleSpec, PathSpec, SkeletonSpec,
};
use motornet_muscle::*;
use motornet_skeleton::TwoDofArmParams;

/// The preset names.
pub const NAMES: [&str; 5] = [
    "ReluPointMass24",
    "RigidTendonArm26",
    "CompliantTendonArm26",
    "Reacher",
    "FreePointMass24",
];

/// MotorNet keeps bounds in float32; the presets use the same rounded values so that a preset
/// and a spec written by MotorNet build identical effectors.
fn f32_round(x: f64) -> f64 {
    x as f32 as f64
}

fn deg(x: f64) -> f64 {
    f32_round(x.to_radians())
}

fn arm26_skeleton() -> SkeletonSpec {
    let p = TwoDofArmParams::arm26();
    SkeletonSpec {
        kind: "TwoDofArm".into(),
        m1: Some(p.m1),
        m2: Some(p.m2),
        l1g: Some(p.l1g),
        l2g: Some(p.l2g),
        i1: Some(p.i1),
        i2: Some(p.i2),
        l1: Some(p.l1),
        l2: Some(p.l2),
        viscosity: Some(p.viscosity),
        ..Default::default()
    }
}

fn point_mass(mass: f64) -> SkeletonSpec {
    SkeletonSpec {
        kind: "PointMass".into(),
        space_dim: Some(2.0),
        mass: Some(mass),
        ..Default::default()
    }
}

/// The muscle-model section with every default of `model` written out.
pub fn muscle_model_spec(model: &str) -> Result<MuscleModelSpec, EffectorError> {
    let act = AnyMuscle::default_activation(model)
        .ok_or_else(|| crate::spec::unknown_muscle_model(model))?;
    Ok(MuscleModelSpec {
        kind: model.into(),
        min_activation: Some(act.min_activation),
        tau_activation: Some(act.tau_activation),
        tau_deactivation: Some(act.tau_deactivation),
        passive_forces: (model == "MujocoHillMuscle")
            .then_some(MujocoHillMuscle::DEFAULT_PASSIVE_FORCES),
    })
}

/// Per-muscle entries with the model's defaults for whatever the preset does not set.
fn muscles(
    model: &str,
    names: &[&str],
    f_max: &[f64],
    tendon: Option<&[f64]>,
    optimal: Option<&[f64]>,
) -> Vec<MuscleSpec> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut m = MuscleSpec {
                name: name.to_string(),
                max_isometric_force: f_max[i],
                ..Default::default()
            };
            if let Some(slack) = AnyMuscle::default_normalized_slack_muscle_length(model) {
                m.tendon_length = tendon.map(|t| t[i]);
                m.optimal_muscle_length = optimal.map(|o| o[i]);
                m.normalized_slack_muscle_length = Some(slack);
            }
            if model == "MujocoHillMuscle" {
                let d = MujocoParams::new("", 1.0, 1.0, 1.0);
                (m.lmin, m.lmax, m.vmax, m.fvmax) =
                    (Some(d.lmin), Some(d.lmax), Some(d.vmax), Some(d.fvmax));
            }
            m
        })
        .collect()
}

const ARM26_NAMES: [&str; 6] = [
    "pectoralis",
    "deltoid",
    "brachioradialis",
    "tricepslat",
    "biceps",
    "tricepslong",
];
const ARM26_F_MAX: [f64; 6] = [838.0, 1207.0, 1422.0, 1549.0, 414.0, 603.0];
const ARM26_OPTIMAL: [f64; 6] = [0.134, 0.14, 0.092, 0.093, 0.137, 0.127];

fn arm26_geometry(p: Arm26Polynomial) -> GeometrySpec {
    GeometrySpec {
        kind: "arm26_polynomial".into(),
        a0: Some(p.a0),
        a1: Some(p.a1),
        a2: Some(p.a2),
        a3: Some(p.a3),
        ..Default::default()
    }
}

fn constant(c: ConstantMomentArms) -> GeometrySpec {
    GeometrySpec {
        kind: "constant_moment_arms".into(),
        moment_arms: Some(c.moment_arms),
        ..Default::default()
    }
}

fn base(
    preset: &str,
    skeleton: SkeletonSpec,
    muscle: MuscleModelSpec,
    muscles: Vec<MuscleSpec>,
    geometry: GeometrySpec,
    pos: ([f64; 2], [f64; 2]),
) -> EffectorSpec {
    EffectorSpec {
        preset: Some(preset.into()),
        skeleton,
        muscle,
        muscles,
        geometry,
        timestep: 0.01,
        n_ministeps: 1.0,
        integration_method: "euler".into(),
        damping: 0.0,
        pos_lower_bound: pos.0.to_vec(),
        pos_upper_bound: pos.1.to_vec(),
        vel_lower_bound: vec![-1000.0; 2],
        vel_upper_bound: vec![1000.0; 2],
    }
}

/// The spec of preset `name`, with muscle model `muscle` where the preset allows a choice
/// (`None` = the preset's default).
pub fn spec(name: &str, muscle: Option<&str>) -> Result<EffectorSpec, EffectorError> {
    let fixed = |only: &str| -> Result<(), EffectorError> {
        match muscle {
            Some(m) if m != only => Err(EffectorError::invalid(
                "muscle.type",
                &format!("preset {name} uses {only}; got {m}"),
            )),
            _ => Ok(()),
        }
    };
    let arm_bounds = ([0.0, 0.0], [deg(135.0), deg(155.0)]);
    match name {
        "ReluPointMass24" => {
            fixed("ReluMuscle")?;
            let corners = [
                ("UpperRight", [2.0, 2.0]),
                ("UpperLeft", [-2.0, 2.0]),
                ("LowerRight", [2.0, -2.0]),
                ("LowerLeft", [-2.0, -2.0]),
            ];
            let names: Vec<&str> = corners.iter().map(|c| c.0).collect();
            let paths = corners
                .iter()
                .map(|(n, c)| {
                    (
                        n.to_string(),
                        PathSpec {
                            fixation_body: vec![0.0, 1.0],
                            coordinates: vec![c.to_vec(), vec![0.0, 0.0]],
                        },
                    )
                })
                .collect();
            let geometry = GeometrySpec {
                kind: "paths".into(),
                paths: Some(paths),
                ..Default::default()
            };
            Ok(base(
                name,
                point_mass(1.0),
                muscle_model_spec("ReluMuscle")?,
                muscles("ReluMuscle", &names, &[500.0; 4], None, None),
                geometry,
                ([-1.0, -1.0], [1.0, 1.0]),
            ))
        }
        "RigidTendonArm26" => {
            let model = muscle.unwrap_or("RigidTendonHillMuscle");
            if model == "CompliantTendonHillMuscle" {
                return Err(EffectorError::invalid(
                    "muscle.type",
                    "RigidTendonArm26 takes a rigid-tendon model; use the CompliantTendonArm26 preset",
                ));
            }
            let tendon = [0.039, 0.066, 0.172, 0.187, 0.204, 0.217];
            Ok(base(
                name,
                arm26_skeleton(),
                muscle_model_spec(model)?,
                muscles(
                    model,
                    &ARM26_NAMES,
                    &ARM26_F_MAX,
                    Some(&tendon),
                    Some(&ARM26_OPTIMAL),
                ),
                arm26_geometry(Arm26Polynomial::motornet_rigid()),
                arm_bounds,
            ))
        }
        "CompliantTendonArm26" => {
            fixed("CompliantTendonHillMuscle")?;
            let model = "CompliantTendonHillMuscle";
            let tendon = [0.07, 0.07, 0.172, 0.187, 0.204, 0.217];
            let mut s = base(
                name,
                arm26_skeleton(),
                muscle_model_spec(model)?,
                muscles(
                    model,
                    &ARM26_NAMES,
                    &ARM26_F_MAX,
                    Some(&tendon),
                    Some(&ARM26_OPTIMAL),
                ),
                arm26_geometry(Arm26Polynomial::motornet_compliant()),
                arm_bounds,
            );
            s.timestep = 0.0002;
            s.integration_method = "rk4".into();
            Ok(s)
        }
        "Reacher" | "FreePointMass24" => {
            let model = muscle.unwrap_or("ReluMuscle");
            if model != "ReluMuscle" {
                return Err(EffectorError::invalid(
                    "muscle.type",
                    &format!(
                        "{name} has constant moment arms and zero musculotendon length, so only ReluMuscle \
                         is meaningful; write the spec out (`motornet spec`) and edit it to use another model"
                    ),
                ));
            }
            let (skeleton, names, geometry, bounds) = if name == "Reacher" {
                (
                    arm26_skeleton(),
                    ["sf", "se", "ef", "ee"],
                    ConstantMomentArms::reacher(),
                    arm_bounds,
                )
            } else {
                (
                    point_mass(1.0),
                    ["r", "u", "l", "d"],
                    ConstantMomentArms::free_point_mass24(),
                    ([f32_round(-0.6); 2], [f32_round(0.6); 2]),
                )
            };
            Ok(base(
                name,
                skeleton,
                muscle_model_spec(model)?,
                muscles(model, &names, &[1000.0; 4], None, None),
                constant(geometry),
                bounds,
            ))
        }
        other => Err(EffectorError::invalid(
            "preset",
            &format!(
                "unknown preset '{other}' (expected one of {})",
                NAMES.join(", ")
            ),
        )),
    }
}
