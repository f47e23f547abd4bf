//! Effector spec files (JSON or TOML) and scenarios: the format of MotorNet parity fixtures.
//!
//! ```json
//! {
//!   "preset": "RigidTendonArm26",            // or null
//!   "skeleton": {"type": "TwoDofArm", "m1": 1.82, "m2": 1.43, "l1g": 0.135, "l2g": 0.165,
//!                "i1": 0.051, "i2": 0.057, "l1": 0.309, "l2": 0.333, "viscosity": 0.0},
//!            // | {"type": "PointMass", "space_dim": 2, "mass": 1.0}
//!   "muscle": {"type": "RigidTendonHillMuscle", "min_activation": 0.001,
//!              "tau_activation": 0.015, "tau_deactivation": 0.05},
//!   "muscles": [{"name": "pectoralis", "max_isometric_force": 838, "tendon_length": 0.039,
//!                "optimal_muscle_length": 0.134, "normalized_slack_muscle_length": 1.4}, ...],
//!   "geometry": {"type": "arm26_polynomial", "a0": [...], "a1": [[...]], "a2": [[...]], "a3": [...]},
//!            // | {"type": "paths", "paths": {"name": {"fixation_body": [0, 1],
//!            //                                         "coordinates": [[x, y], [x, y]]}}}
//!            // | {"type": "constant_moment_arms", "moment_arms": [[...], [...]]}
//!   "timestep": 0.01, "n_ministeps": 1, "integration_method": "euler", "damping": 0.0,
//!   "pos_lower_bound": [0, 0], "pos_upper_bound": [2.356, 2.705],
//!   "vel_lower_bound": [-1000, -1000], "vel_upper_bound": [1000, 1000]
//! }
//! ```
//! Omitted muscle-model parameters take MotorNet's defaults for that model. Units: m, kg, kg·m²,
//! s, N, rad.

use crate::effector::{Effector, EffectorOptions, Integration};
use crate::error::EffectorError;
use crate::geometry::{AnyGeometry, Arm26Polynomial, ConstantMomentArms, MusclePaths, PathPoint};
use crate::skeleton::AnySkeleton;
use motornet_muscle::*;
use motornet_skeleton::{JointBounds, PointMass, TwoDofArm, TwoDofArmParams};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// An effector built from a spec: run-time choice of skeleton, muscle model and geometry.
pub type DynEffector = Effector<AnySkeleton, AnyMuscle, AnyGeometry>;

/// The skeleton section of a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SkeletonSpec {
    /// `TwoDofArm` or `PointMass`.
    #[serde(rename = "type")]
    pub kind: String,
    /// PointMass: number of space dimensions (integer ≥ 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space_dim: Option<f64>,
    /// PointMass: mass (kg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass: Option<f64>,
    /// TwoDofArm: upper-arm mass (kg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m1: Option<f64>,
    /// TwoDofArm: forearm mass (kg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m2: Option<f64>,
    /// TwoDofArm: shoulder to upper-arm centre of mass (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1g: Option<f64>,
    /// TwoDofArm: elbow to forearm centre of mass (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2g: Option<f64>,
    /// TwoDofArm: upper-arm inertia about its centre of mass (kg·m²).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i1: Option<f64>,
    /// TwoDofArm: forearm inertia about its centre of mass (kg·m²).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i2: Option<f64>,
    /// TwoDofArm: upper-arm length (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1: Option<f64>,
    /// TwoDofArm: forearm length (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2: Option<f64>,
    /// TwoDofArm: joint viscosity (N·m·s/rad).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viscosity: Option<f64>,
}

/// The muscle-model section of a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MuscleModelSpec {
    /// One of the model names in [`AnyMuscle::NAMES`].
    #[serde(rename = "type")]
    pub kind: String,
    /// Lowest activation, in `[0, 1)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_activation: Option<f64>,
    /// Activation time constant (s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau_activation: Option<f64>,
    /// Deactivation time constant (s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau_deactivation: Option<f64>,
    /// MujocoHillMuscle: passive force gain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passive_forces: Option<f64>,
}

/// One muscle's parameters in a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MuscleSpec {
    /// Muscle name (unique).
    pub name: String,
    /// Maximum isometric force (N).
    pub max_isometric_force: f64,
    /// Tendon length (m); Hill models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tendon_length: Option<f64>,
    /// Optimal fibre length (m); Hill models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimal_muscle_length: Option<f64>,
    /// Normalised slack length; Hill models (default per model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalized_slack_muscle_length: Option<f64>,
    /// MujocoHillMuscle: lower operating length (optimal lengths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lmin: Option<f64>,
    /// MujocoHillMuscle: upper operating length (optimal lengths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lmax: Option<f64>,
    /// MujocoHillMuscle: velocity normaliser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmax: Option<f64>,
    /// MujocoHillMuscle: lengthening force plateau.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fvmax: Option<f64>,
}

/// One muscle path in a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathSpec {
    /// Body of each point (0 world, 1 first body, 2 forearm); integers.
    pub fixation_body: Vec<f64>,
    /// Coordinates of each point in its body's frame (m), `[points][space_dim]`.
    pub coordinates: Vec<Vec<f64>>,
}

/// The geometry section of a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GeometrySpec {
    /// `paths`, `arm26_polynomial` or `constant_moment_arms`.
    #[serde(rename = "type")]
    pub kind: String,
    /// paths: one path per muscle, keyed by muscle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<BTreeMap<String, PathSpec>>,
    /// arm26_polynomial: `[M]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a0: Option<Vec<f64>>,
    /// arm26_polynomial: `[dof][M]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a1: Option<Vec<Vec<f64>>>,
    /// arm26_polynomial: `[dof][M]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a2: Option<Vec<Vec<f64>>>,
    /// arm26_polynomial: `[dof]` (rad).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub a3: Option<Vec<f64>>,
    /// constant_moment_arms: `[dof][M]` (m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moment_arms: Option<Vec<Vec<f64>>>,
}

/// A complete effector spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EffectorSpec {
    /// The MotorNet preset this spec equals, if any (informational).
    #[serde(default)]
    pub preset: Option<String>,
    /// Skeleton.
    pub skeleton: SkeletonSpec,
    /// Muscle model (applied to every muscle).
    pub muscle: MuscleModelSpec,
    /// Per-muscle parameters, in order.
    pub muscles: Vec<MuscleSpec>,
    /// Muscle geometry.
    pub geometry: GeometrySpec,
    /// Step duration (s).
    pub timestep: f64,
    /// Ministeps per step (integer ≥ 1).
    #[serde(default = "one")]
    pub n_ministeps: f64,
    /// `euler`, `rk4` (MotorNet's chained RK4) or `rk4_classic`.
    #[serde(default = "euler")]
    pub integration_method: String,
    /// Joint damping.
    #[serde(default)]
    pub damping: f64,
    /// Lower joint position limits `[dof]` (rad or m).
    pub pos_lower_bound: Vec<f64>,
    /// Upper joint position limits `[dof]`.
    pub pos_upper_bound: Vec<f64>,
    /// Lower joint velocity limits `[dof]`.
    pub vel_lower_bound: Vec<f64>,
    /// Upper joint velocity limits `[dof]`.
    pub vel_upper_bound: Vec<f64>,
}

/// A skeleton or joint-bound error, with the field named as spec files spell it.
fn skeleton_error(e: motornet_skeleton::SkeletonError) -> EffectorError {
    use motornet_skeleton::SkeletonError as E;
    let field = match &e {
        E::InvalidParameter { parameter, .. } | E::InvalidDimension { parameter, .. } => {
            format!("skeleton.{parameter}")
        }
        E::BoundLength { bound, .. } | E::InvalidBound { bound, .. } => format!("{bound}_bound"),
        E::BoundOrder {
            lower_name,
            upper_name,
            ..
        } => format!("{lower_name}_bound/{upper_name}_bound"),
        _ => "skeleton".into(),
    };
    EffectorError::Invalid {
        field,
        reason: e.to_string(),
    }
}

/// A model-wide muscle error, with the field named as spec files spell it (per-muscle errors
/// already name the muscle and the field).
fn muscle_error(e: MuscleError) -> EffectorError {
    match &e {
        MuscleError::InvalidParameter { parameter, .. } => EffectorError::Invalid {
            field: format!("muscle.{parameter}"),
            reason: e.to_string(),
        },
        _ => EffectorError::Muscle(e),
    }
}

/// The error for a muscle model name that is not one of [`AnyMuscle::NAMES`].
pub(crate) fn unknown_muscle_model(name: &str) -> EffectorError {
    EffectorError::invalid(
        "muscle.type",
        &format!(
            "unknown muscle model '{name}' (expected one of {})",
            AnyMuscle::NAMES.join(", ")
        ),
    )
}

fn one() -> f64 {
    1.0
}
fn euler() -> String {
    "euler".into()
}

fn need(v: Option<f64>, field: &str) -> Result<f64, EffectorError> {
    v.ok_or_else(|| EffectorError::invalid(field, "is required for this type"))
}

fn integer(v: f64, field: &str, min: usize) -> Result<usize, EffectorError> {
    if v.is_finite() && v.fract() == 0.0 && v >= min as f64 && v <= 1e9 {
        Ok(v as usize)
    } else {
        Err(EffectorError::invalid(
            field,
            &format!("must be an integer >= {min}, got {v}"),
        ))
    }
}

impl EffectorSpec {
    /// Parse JSON text.
    pub fn from_json(text: &str) -> Result<Self, EffectorError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de)
            .map_err(|e| EffectorError::Parse(format!("at `{}`: {}", e.path(), e.inner())))
    }

    /// Parse TOML text.
    pub fn from_toml(text: &str) -> Result<Self, EffectorError> {
        let de =
            toml::Deserializer::parse(text).map_err(|e| EffectorError::Parse(e.to_string()))?;
        serde_path_to_error::deserialize(de)
            .map_err(|e| EffectorError::Parse(format!("at `{}`: {}", e.path(), e.inner())))
    }

    /// Read a spec file; `.toml` files are TOML, anything else JSON.
    pub fn from_path(path: &Path) -> Result<Self, EffectorError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| EffectorError::Parse(format!("cannot read {}: {e}", path.display())))?;
        let r = if path.extension().is_some_and(|e| e == "toml") {
            Self::from_toml(&text)
        } else {
            Self::from_json(&text)
        };
        r.map_err(|e| EffectorError::Parse(format!("{}: {e}", path.display())))
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a spec always serializes")
    }

    /// TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a spec always serializes")
    }

    /// Validate and build the effector.
    pub fn build(&self) -> Result<DynEffector, EffectorError> {
        let skeleton = self.build_skeleton()?;
        let dof = motornet_skeleton::Skeleton::dof(&skeleton);
        let muscle = self.build_muscle().map_err(|e| match e {
            EffectorError::Muscle(m) => muscle_error(m),
            other => other,
        })?;
        let geometry = self.build_geometry()?;
        let bounds = self.build_bounds(dof)?;
        let options = EffectorOptions {
            timestep: self.timestep,
            n_ministeps: integer(self.n_ministeps, "n_ministeps", 1)?,
            integration: Integration::parse(&self.integration_method)?,
            damping: self.damping,
            bounds,
        };
        Effector::new(skeleton, muscle, geometry, options)
    }

    fn build_skeleton(&self) -> Result<AnySkeleton, EffectorError> {
        let s = &self.skeleton;
        match s.kind.as_str() {
            "PointMass" => {
                let dim = integer(
                    need(s.space_dim, "skeleton.space_dim")?,
                    "skeleton.space_dim",
                    1,
                )?;
                Ok(AnySkeleton::PointMass(PointMass::new(
                    dim,
                    need(s.mass, "skeleton.mass")?,
                )?))
            }
            "TwoDofArm" => {
                let d = TwoDofArmParams::default();
                let p = TwoDofArmParams {
                    m1: s.m1.unwrap_or(d.m1),
                    m2: s.m2.unwrap_or(d.m2),
                    l1g: s.l1g.unwrap_or(d.l1g),
                    l2g: s.l2g.unwrap_or(d.l2g),
                    i1: s.i1.unwrap_or(d.i1),
                    i2: s.i2.unwrap_or(d.i2),
                    l1: s.l1.unwrap_or(d.l1),
                    l2: s.l2.unwrap_or(d.l2),
                    viscosity: s.viscosity.unwrap_or(d.viscosity),
                };
                Ok(AnySkeleton::TwoDofArm(
                    TwoDofArm::new(p).map_err(skeleton_error)?,
                ))
            }
            other => Err(EffectorError::invalid(
                "skeleton.type",
                &format!("unknown skeleton '{other}' (expected TwoDofArm or PointMass)"),
            )),
        }
    }

    fn build_muscle(&self) -> Result<AnyMuscle, EffectorError> {
        let ms = &self.muscle;
        let default_act = AnyMuscle::default_activation(&ms.kind)
            .ok_or_else(|| unknown_muscle_model(&ms.kind))?;
        let act = ActivationDynamics {
            min_activation: ms.min_activation.unwrap_or(default_act.min_activation),
            tau_activation: ms.tau_activation.unwrap_or(default_act.tau_activation),
            tau_deactivation: ms.tau_deactivation.unwrap_or(default_act.tau_deactivation),
        };
        if self.muscles.is_empty() {
            return Err(EffectorError::invalid(
                "muscles",
                "needs at least one muscle",
            ));
        }
        if ms.kind != "MujocoHillMuscle" {
            if ms.passive_forces.is_some() {
                return Err(EffectorError::invalid(
                    "muscle.passive_forces",
                    &format!("only MujocoHillMuscle has this parameter, not {}", ms.kind),
                ));
            }
            for (i, m) in self.muscles.iter().enumerate() {
                let extra = [
                    ("lmin", m.lmin),
                    ("lmax", m.lmax),
                    ("vmax", m.vmax),
                    ("fvmax", m.fvmax),
                ];
                if let Some((field, _)) = extra.iter().find(|(_, v)| v.is_some()) {
                    return Err(EffectorError::InvalidMuscle {
                        index: i,
                        muscle: m.name.clone(),
                        field,
                        reason: format!(
                            "only MujocoHillMuscle has this parameter, not {}",
                            ms.kind
                        ),
                    });
                }
            }
        }
        for (i, m) in self.muscles.iter().enumerate() {
            if self.muscles[..i].iter().any(|o| o.name == m.name) {
                return Err(EffectorError::InvalidMuscle {
                    index: i,
                    muscle: m.name.clone(),
                    field: "name",
                    reason: "duplicate muscle name".into(),
                });
            }
        }
        let field = |i: usize, v: Option<f64>, f: &'static str| {
            v.ok_or_else(|| EffectorError::InvalidMuscle {
                index: i,
                muscle: self.muscles[i].name.clone(),
                field: f,
                reason: format!("is required by {}", ms.kind),
            })
        };
        // the Hill models' default (the ReLU model has no slack length and never uses it)
        let slack = AnyMuscle::default_normalized_slack_muscle_length(&ms.kind).unwrap_or(1.0);
        let hill = || -> Result<Vec<HillParams>, EffectorError> {
            self.muscles
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    Ok(HillParams::new(
                        m.name.clone(),
                        m.max_isometric_force,
                        field(i, m.tendon_length, "tendon_length")?,
                        field(i, m.optimal_muscle_length, "optimal_muscle_length")?,
                        m.normalized_slack_muscle_length.unwrap_or(slack),
                    ))
                })
                .collect()
        };
        Ok(match ms.kind.as_str() {
            "ReluMuscle" => ReluMuscle::new(
                act,
                self.muscles
                    .iter()
                    .map(|m| ReluParams::new(m.name.clone(), m.max_isometric_force))
                    .collect(),
            )?
            .into(),
            "RigidTendonHillMuscle" => RigidTendonHillMuscle::new(act, hill()?)?.into(),
            "RigidTendonHillMuscleThelen" => RigidTendonHillMuscleThelen::new(act, hill()?)?.into(),
            "CompliantTendonHillMuscle" => CompliantTendonHillMuscle::new(act, hill()?)?.into(),
            "MujocoHillMuscle" => {
                let params = self
                    .muscles
                    .iter()
                    .enumerate()
                    .map(|(i, m)| {
                        let d = MujocoParams::new(
                            m.name.clone(),
                            m.max_isometric_force,
                            field(i, m.tendon_length, "tendon_length")?,
                            field(i, m.optimal_muscle_length, "optimal_muscle_length")?,
                        );
                        Ok(MujocoParams {
                            normalized_slack_muscle_length: m
                                .normalized_slack_muscle_length
                                .unwrap_or(d.normalized_slack_muscle_length),
                            lmin: m.lmin.unwrap_or(d.lmin),
                            lmax: m.lmax.unwrap_or(d.lmax),
                            vmax: m.vmax.unwrap_or(d.vmax),
                            fvmax: m.fvmax.unwrap_or(d.fvmax),
                            ..d
                        })
                    })
                    .collect::<Result<Vec<_>, EffectorError>>()?;
                MujocoHillMuscle::new(
                    act,
                    ms.passive_forces
                        .unwrap_or(MujocoHillMuscle::DEFAULT_PASSIVE_FORCES),
                    params,
                )?
                .into()
            }
            other => {
                return Err(EffectorError::invalid(
                    "muscle.type",
                    &format!("no builder for muscle model '{other}'"),
                ))
            }
        })
    }

    fn build_geometry(&self) -> Result<AnyGeometry, EffectorError> {
        let g = &self.geometry;
        let missing = |f: &str| {
            EffectorError::invalid(f, &format!("is required for geometry type '{}'", g.kind))
        };
        match g.kind.as_str() {
            "paths" => {
                let paths = g.paths.as_ref().ok_or_else(|| missing("geometry.paths"))?;
                for name in paths.keys() {
                    if !self.muscles.iter().any(|m| &m.name == name) {
                        return Err(EffectorError::invalid(
                            "geometry.paths",
                            &format!("has a path for '{name}', which is not in `muscles`"),
                        ));
                    }
                }
                let mut out = Vec::with_capacity(self.muscles.len());
                for (i, m) in self.muscles.iter().enumerate() {
                    let bad = |reason: String| EffectorError::InvalidMuscle {
                        index: i,
                        muscle: m.name.clone(),
                        field: "geometry.paths",
                        reason,
                    };
                    let p = paths.get(&m.name).ok_or_else(|| bad("no path given for this muscle".into()))?;
                    if p.fixation_body.len() != p.coordinates.len() {
                        return Err(bad(format!(
                            "fixation_body has {} points but coordinates has {}",
                            p.fixation_body.len(),
                            p.coordinates.len()
                        )));
                    }
                    if p.fixation_body.len() < 2 {
                        return Err(bad(format!("a path needs at least two points, got {}", p.fixation_body.len())));
                    }
                    let mut pts = Vec::with_capacity(p.coordinates.len());
                    for (k, (&b, c)) in p.fixation_body.iter().zip(&p.coordinates).enumerate() {
                        if !(b.is_finite() && b.fract() == 0.0 && b >= 0.0) {
                            return Err(bad(format!("fixation_body[{k}] = {b} is not a body index")));
                        }
                        pts.push(PathPoint { body: b as usize, coordinates: c.clone() });
                    }
                    out.push(pts);
                }
                Ok(AnyGeometry::Paths(MusclePaths::new(out)?))
            }
            "arm26_polynomial" => Ok(AnyGeometry::Arm26Polynomial(Arm26Polynomial {
                a0: g.a0.clone().ok_or_else(|| missing("geometry.a0"))?,
                a1: g.a1.clone().ok_or_else(|| missing("geometry.a1"))?,
                a2: g.a2.clone().ok_or_else(|| missing("geometry.a2"))?,
                a3: g.a3.clone().ok_or_else(|| missing("geometry.a3"))?,
            })),
            "constant_moment_arms" => Ok(AnyGeometry::ConstantMomentArms(ConstantMomentArms {
                moment_arms: g.moment_arms.clone().ok_or_else(|| missing("geometry.moment_arms"))?,
            })),
            other => Err(EffectorError::invalid(
                "geometry.type",
                &format!("unknown geometry '{other}' (expected paths, arm26_polynomial or constant_moment_arms)"),
            )),
        }
    }

    fn build_bounds(&self, dof: usize) -> Result<JointBounds, EffectorError> {
        for (name, v) in [
            ("pos_lower_bound", &self.pos_lower_bound),
            ("pos_upper_bound", &self.pos_upper_bound),
            ("vel_lower_bound", &self.vel_lower_bound),
            ("vel_upper_bound", &self.vel_upper_bound),
        ] {
            if v.len() != dof {
                return Err(EffectorError::invalid(
                    name,
                    &format!("has {} entries but the skeleton has {dof} joints", v.len()),
                ));
            }
        }
        JointBounds::new(
            dof,
            self.pos_lower_bound.clone(),
            self.pos_upper_bound.clone(),
            self.vel_lower_bound.clone(),
            self.vel_upper_bound.clone(),
        )
        .map_err(skeleton_error)
    }
}

/// An open-loop simulation: an effector, initial joint states and per-step inputs (the parity
/// fixture format; an `expected` block, if present, is ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Optional name.
    #[serde(default)]
    pub name: Option<String>,
    /// The effector.
    pub effector: EffectorSpec,
    /// `[B][2·dof]` (or `[B][dof]`, velocities zero): positions then velocities.
    pub initial_joint_state: Vec<Vec<f64>>,
    /// `[T][B][M]` excitations.
    pub excitation: Vec<Vec<Vec<f64>>>,
    /// `[T][B][space_dim]` endpoint loads (N); absent = zero.
    #[serde(default)]
    pub endpoint_load: Option<Vec<Vec<Vec<f64>>>>,
    /// `[T][B][dof]` joint loads; absent = zero.
    #[serde(default)]
    pub joint_load: Option<Vec<Vec<Vec<f64>>>>,
}

impl Scenario {
    /// Read a scenario (JSON).
    pub fn from_path(path: &Path) -> Result<Self, EffectorError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| EffectorError::Parse(format!("cannot read {}: {e}", path.display())))?;
        Self::from_json(&text).map_err(|e| EffectorError::Parse(format!("{}: {e}", path.display())))
    }

    /// Parse a scenario from JSON text.
    pub fn from_json(text: &str) -> Result<Self, EffectorError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de)
            .map_err(|e| EffectorError::Parse(format!("at `{}`: {}", e.path(), e.inner())))
    }
}
