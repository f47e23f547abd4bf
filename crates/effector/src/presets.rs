//! MotorNet's preset effectors, as complete [`EffectorSpec`]s (every default written out), so
//! that users can build them directly or write them to a file and start from there.
//!
//! | preset | skeleton | muscles | geometry | default muscle model |
//! |---|---|---|---|---|
//! | `ReluPointMass24` | 2-D point mass, 1 kg | 4, 500 N | straight paths to the corners | `ReluMuscle` (fixed) |
//! | `RigidTendonArm26` | arm26 two-joint arm | 6 | arm26 polynomial | `RigidTendonHillMuscle` (any rigid-tendon model) |
//! | `CompliantTendonArm26` | arm26 two-joint arm | 6 | arm26 polynomial | `CompliantTendonHillMuscle` (fixed) with `implicit_fibre = 1`, dt 10 ms, Euler (MotorNet's: explicit, 0.2 ms, RK4) |
//! | `Reacher` | arm26 two-joint arm | 4, 1000 N | constant moment arms | `ReluMuscle` |
//! | `FreePointMass24` | 2-D point mass, 1 kg | 4, 1000 N | constant moment arms | `ReluMuscle` |
//! | `Arm3D` | 3-D arm: shoulder (flexion, abduction, rotation) and elbow, under gravity | 11, 260–1378 N | spatial tendons, the triceps wrapping around the elbow | `MujocoMuscle` (fixed) |
//!
//! `Arm3D` is defined as a MuJoCo model, [`ARM3D_MJCF`] (`crates/effector/data/arm3d.xml`, with
//! its sources: segment parameters from Winter (2009), muscle forces from Holzbaur et al.
//! (2005)), imported like any MJCF file ([`crate::mjcf`]).
//!
//! ```
//! use motornet_effector::presets;
//! let spec = presets::spec("RigidTendonArm26", Some("MujocoHillMuscle")).unwrap();
//! assert_eq!(spec.muscles.len(), 6);
//! let effector = spec.build().unwrap();
//! assert_eq!(effector.dof(), 2);
//! ```

use crate::error::EffectorError;
use crate::fields::Params;
use crate::geometry::{Arm26Polynomial, ConstantMomentArms, MusclePaths, PathPoint};
use crate::spec::{EffectorSpec, GeometrySpec, MuscleModelSpec, MuscleSpec, SkeletonSpec};
use motornet_muscle::AnyMuscle;
use motornet_skeleton::TwoDofArmParams;

/// The preset names.
pub const NAMES: [&str; 6] = [
    "ReluPointMass24",
    "RigidTendonArm26",
    "CompliantTendonArm26",
    "Reacher",
    "FreePointMass24",
    "Arm3D",
];

/// The MJCF model of the `Arm3D` preset (its header comment gives the sources).
pub const ARM3D_MJCF: &str = include_str!("../data/arm3d.xml");

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
        params: Params::from_iter([
            ("m1", p.m1),
            ("m2", p.m2),
            ("l1g", p.l1g),
            ("l2g", p.l2g),
            ("i1", p.i1),
            ("i2", p.i2),
            ("l1", p.l1),
            ("l2", p.l2),
            ("viscosity", p.viscosity),
        ]),
        ..SkeletonSpec::default()
    }
}

fn point_mass(mass: f64) -> SkeletonSpec {
    SkeletonSpec {
        kind: "PointMass".into(),
        params: Params::from_iter([("space_dim", 2.0), ("mass", mass)]),
        ..SkeletonSpec::default()
    }
}

/// The muscle-model section with every default of `model` written out (its activation dynamics
/// and each model-wide parameter the model declares, from the registry).
pub fn muscle_model_spec(model: &str) -> Result<MuscleModelSpec, EffectorError> {
    let info = AnyMuscle::model(model).ok_or_else(|| crate::spec::unknown_muscle_model(model))?;
    let act = info.default_activation;
    Ok(MuscleModelSpec {
        kind: model.into(),
        min_activation: Some(act.min_activation),
        tau_activation: Some(act.tau_activation),
        tau_deactivation: Some(act.tau_deactivation),
        params: info
            .model_params
            .iter()
            .filter_map(|d| d.default.map(|v| (d.name, v)))
            .collect(),
    })
}

/// Per-muscle entries for `model`: each per-muscle parameter the model declares (in declaration
/// order) takes the preset's value where `given` has one (a column, one value per muscle), else
/// the model's default. A parameter the model requires that the preset does not give is an
/// error naming it.
fn muscles(
    model: &str,
    names: &[&str],
    f_max: &[f64],
    given: &[(&str, &[f64])],
) -> Result<Vec<MuscleSpec>, EffectorError> {
    let info = AnyMuscle::model(model).ok_or_else(|| crate::spec::unknown_muscle_model(model))?;
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let params = info
                .muscle_params
                .iter()
                .map(|d| {
                    let v = given
                        .iter()
                        .find(|(n, _)| *n == d.name)
                        .map(|(_, col)| col[i])
                        .or(d.default)
                        .ok_or_else(|| {
                            EffectorError::invalid(
                                "muscle.type",
                                &format!(
                                    "{model} requires `{}`, which this preset does not give",
                                    d.name
                                ),
                            )
                        })?;
                    Ok((d.name, v))
                })
                .collect::<Result<Params, EffectorError>>()?;
            Ok(MuscleSpec {
                name: name.to_string(),
                max_isometric_force: f_max[i],
                params,
            })
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
    GeometrySpec::of(&p, &ARM26_NAMES)
}

fn constant(c: ConstantMomentArms, names: &[&str]) -> GeometrySpec {
    GeometrySpec::of(&c, names)
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
                .map(|(_, c)| {
                    vec![
                        PathPoint {
                            body: 0,
                            coordinates: c.to_vec(),
                        },
                        PathPoint {
                            body: 1,
                            coordinates: vec![0.0, 0.0],
                        },
                    ]
                })
                .collect();
            let geometry = GeometrySpec::of(&MusclePaths::new(paths)?, &names);
            Ok(base(
                name,
                point_mass(1.0),
                muscle_model_spec("ReluMuscle")?,
                muscles("ReluMuscle", &names, &[500.0; 4], &[])?,
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
            // MujocoMuscle: its normalised length is the fibre length over the optimal length,
            // (l_mt − tendon)/optimal, as for the Hill models, with `range` = (lmin, lmax) =
            // (0.5, 1.6) and `lengthrange` the musculotendon lengths there (a range wide enough
            // that lower < upper survives changing either by 10 %)
            let (r_lower, r_upper) = ([0.5; 6], [1.6; 6]);
            let lengthrange =
                |r: f64| -> [f64; 6] { std::array::from_fn(|i| tendon[i] + r * ARM26_OPTIMAL[i]) };
            let (lr_lower, lr_upper) = (lengthrange(r_lower[0]), lengthrange(r_upper[0]));
            Ok(base(
                name,
                arm26_skeleton(),
                muscle_model_spec(model)?,
                muscles(
                    model,
                    &ARM26_NAMES,
                    &ARM26_F_MAX,
                    &[
                        ("tendon_length", &tendon),
                        ("optimal_muscle_length", &ARM26_OPTIMAL),
                        ("lengthrange_lower", &lr_lower),
                        ("lengthrange_upper", &lr_upper),
                        ("range_lower", &r_lower),
                        ("range_upper", &r_upper),
                    ],
                )?,
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
                    &[
                        ("tendon_length", &tendon),
                        ("optimal_muscle_length", &ARM26_OPTIMAL),
                    ],
                )?,
                arm26_geometry(Arm26Polynomial::motornet_compliant()),
                arm_bounds,
            );
            // MotorNet's preset integrates explicitly at 0.2 ms with RK4; this one takes 10 ms
            // Euler steps with the implicit fibre update (`implicit_fibre = 1`), accurate to
            // 0.4 % of F_max against the explicit model at 10 µs (docs/training.md)
            s.timestep = 0.01;
            s.integration_method = "euler".into();
            s.muscle.params.insert("implicit_fibre", 1.0);
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
                muscles(model, &names, &[1000.0; 4], &[])?,
                constant(geometry, &names),
                bounds,
            ))
        }
        "Arm3D" => {
            fixed("MujocoMuscle")?;
            let model = motornet_mjcf::parse_str(ARM3D_MJCF, "arm3d.xml")
                .map_err(|e| EffectorError::Parse(e.to_string()))?;
            let mut s = crate::mjcf::spec_from_mjcf(&model)?;
            s.preset = Some(name.into());
            Ok(s)
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
