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
use crate::fields::{FieldValue, Params, SpecMap, SpecValue};
use crate::geometry::{AnyGeometry, BuiltinGeometry};
use crate::skeleton::AnySkeleton;
use crate::tree_spec::{BodyPointSpec, BodySpec};
use motornet_muscle::{ActivationDynamics, AnyMuscle, MuscleError, MuscleParamSet};
use motornet_scalar::params::{ParamDecl, ParamError, ParamSet};
use motornet_skeleton::{BuiltinSkeleton, JointBounds, KinematicTree};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// An effector built from a spec: run-time choice of skeleton, muscle model and geometry.
pub type DynEffector = Effector<AnySkeleton, AnyMuscle, AnyGeometry>;

/// The skeleton section of a spec: its `type` (one of [`AnySkeleton::NAMES`]) and the
/// parameters that skeleton declares ([`AnySkeleton::model`]`(type).params`; units there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SkeletonSpec {
    /// The skeleton, e.g. `TwoDofArm` or `PointMass`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `KinematicTree` only: its bodies, parents first (see [`BodySpec`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bodies: Vec<BodySpec>,
    /// `KinematicTree` only: gravitational acceleration in the world frame (m/s²); none if
    /// omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gravity: Option<[f64; 3]>,
    /// `KinematicTree` only: the endpoint (fingertip), a point on a body; the last body's
    /// origin if omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<BodyPointSpec>,
    /// The skeleton's parameters by name (e.g. `mass` in kg); omitted ones take the skeleton's
    /// defaults.
    #[serde(flatten)]
    pub params: Params,
}

/// The muscle-model section of a spec: the model (one of [`AnyMuscle::NAMES`]), its activation
/// dynamics, and the model-wide parameters the model declares
/// ([`AnyMuscle::model`]`(type).model_params`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
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
    /// The model's own model-wide parameters by name (e.g. `MujocoHillMuscle`'s
    /// `passive_forces`); omitted ones take the model's defaults.
    #[serde(flatten)]
    pub params: Params,
}

/// One muscle's parameters in a spec: the fields every model has, and the per-muscle
/// parameters the model declares ([`AnyMuscle::model`]`(type).muscle_params`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MuscleSpec {
    /// Muscle name (unique).
    pub name: String,
    /// Maximum isometric force (N).
    pub max_isometric_force: f64,
    /// The model's per-muscle parameters by name (e.g. `tendon_length` in m); omitted ones
    /// take the model's defaults.
    #[serde(flatten)]
    pub params: Params,
}

/// The geometry section of a spec: its `type` (one of [`AnyGeometry::NAMES`]) and the fields
/// that geometry declares ([`AnyGeometry::model`]`(type).fields`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct GeometrySpec {
    /// The geometry, e.g. `paths`, `arm26_polynomial` or `constant_moment_arms`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The geometry's fields by name.
    #[serde(flatten)]
    pub fields: SpecMap<SpecValue>,
}

impl GeometrySpec {
    /// The section that describes `geometry` for the muscles named `muscles` (in spec order).
    pub fn of<G: BuiltinGeometry>(geometry: &G, muscles: &[&str]) -> Self {
        Self {
            kind: G::NAME.into(),
            fields: geometry.to_fields(muscles),
        }
    }

    /// Field `name` read as `T` (e.g. `Vec<Vec<f64>>` for `a1`,
    /// `BTreeMap<String, PathSpec>` for `paths`); errors name the field.
    pub fn field<T: FieldValue>(&self, name: &str) -> Result<T, EffectorError> {
        crate::fields::read_field(&self.fields, name, &self.kind)
    }

    /// Set field `name` to `value`.
    pub fn set_field<T: FieldValue>(&mut self, name: &str, value: &T) {
        self.fields.insert(name, value.to_value());
    }
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

/// `name (expected one of a, b, c)` for an unknown `type`.
fn unknown_type(section: &str, what: &str, name: &str, names: &[&str]) -> EffectorError {
    EffectorError::invalid(
        &format!("{section}.type"),
        &format!(
            "unknown {what} '{name}' (expected one of {})",
            names.join(", ")
        ),
    )
}

/// The error for a muscle model name that is not one of [`AnyMuscle::NAMES`].
pub(crate) fn unknown_muscle_model(name: &str) -> EffectorError {
    unknown_type("muscle", "muscle model", name, AnyMuscle::NAMES)
}

/// Why field `name` is not accepted where `model` takes `fields`; `others` are the models of
/// the same kind that do take it.
fn unknown_field_reason(name: &str, model: &str, fields: &[&str], others: &[&str]) -> String {
    let mut reason = format!(
        "unknown field `{name}` for {model}, which takes {}",
        fields.join(", ")
    );
    if !others.is_empty() {
        reason += &format!(" (`{name}` belongs to {})", others.join(", "));
    }
    reason
}

/// Why a set of parameters does not fit `model`'s declarations.
fn param_reason(
    e: &ParamError,
    model: &str,
    fixed: &[&str],
    decls: &[ParamDecl],
    others: &[&str],
) -> String {
    match e {
        ParamError::Unknown { name } => {
            let fields: Vec<&str> = fixed
                .iter()
                .copied()
                .chain(decls.iter().map(|d| d.name))
                .collect();
            unknown_field_reason(name, model, &fields, others)
        }
        ParamError::Missing { .. } => format!("is required by {model}"),
        ParamError::Duplicate { .. } => "is given twice".into(),
        ParamError::NotInteger { value, .. } => {
            format!("must be an integer >= 0, got {value:?}")
        }
    }
}

fn resolve(decls: &'static [ParamDecl], given: &Params) -> Result<ParamSet, ParamError> {
    ParamSet::resolve(decls, given.iter().map(|(k, v)| (k, *v)))
}

/// The fields every muscle-model section has, besides the model's own.
const MUSCLE_MODEL_FIELDS: [&str; 4] = [
    "type",
    "min_activation",
    "tau_activation",
    "tau_deactivation",
];
/// The fields every muscle has, besides the model's own.
const MUSCLE_FIELDS: [&str; 2] = ["name", "max_isometric_force"];

fn one() -> f64 {
    1.0
}
fn euler() -> String {
    "euler".into()
}

fn integer(v: f64, field: &str, min: usize) -> Result<usize, EffectorError> {
    if v.is_finite() && v.fract() == 0.0 && v >= min as f64 && v <= 1e9 {
        Ok(v as usize)
    } else {
        Err(EffectorError::invalid(
            field,
            &format!("must be an integer >= {min}, got {v:?}"),
        ))
    }
}

/// A field-name error found while parsing, as a parse error naming where it is.
fn as_parse_error(e: EffectorError) -> EffectorError {
    EffectorError::Parse(match e {
        EffectorError::Invalid { field, reason } => format!("at `{field}`: {reason}"),
        EffectorError::InvalidMuscle {
            index,
            muscle,
            field,
            reason,
        } => format!("at `muscles[{index}].{field}` (muscle '{muscle}'): {reason}"),
        other => other.to_string(),
    })
}

/// Only whitespace may follow a JSON document (issue 14: trailing data was accepted).
fn end_of_json(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'_>>,
) -> Result<(), EffectorError> {
    de.end()
        .map_err(|e| EffectorError::Parse(format!("after the document: {e}")))
}

impl EffectorSpec {
    /// Parse JSON text (one document; anything but whitespace after it is an error).
    pub fn from_json(text: &str) -> Result<Self, EffectorError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let spec: Self = serde_path_to_error::deserialize(&mut *de)
            .map_err(|e| EffectorError::Parse(format!("at `{}`: {}", e.path(), e.inner())))?;
        end_of_json(de)?;
        spec.check_field_names().map_err(as_parse_error)?;
        Ok(spec)
    }

    /// Parse TOML text.
    pub fn from_toml(text: &str) -> Result<Self, EffectorError> {
        let de = toml::Deserializer::parse(text)
            .map_err(|e| EffectorError::Parse(crate::clip_lines(&e.to_string(), 160)))?;
        let spec: Self = serde_path_to_error::deserialize(de).map_err(|e| {
            EffectorError::Parse(crate::clip_lines(
                &format!("at `{}`: {}", e.path(), e.inner()),
                160,
            ))
        })?;
        spec.check_field_names().map_err(as_parse_error)?;
        Ok(spec)
    }

    /// Read a spec file; `.toml` files are TOML, `.xml` files MuJoCo models (MJCF, imported by
    /// [`crate::mjcf::read_mjcf`]), anything else JSON.
    pub fn from_path(path: &Path) -> Result<Self, EffectorError> {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
        {
            return crate::mjcf::read_mjcf(path);
        }
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

    /// Check that every model-specific field is one the section's model declares (sections of
    /// an unknown `type` are left to [`EffectorSpec::build`], which names the type). Errors name
    /// the field, the muscle where it is per muscle, and the model.
    pub fn check_field_names(&self) -> Result<(), EffectorError> {
        if let Some(info) = AnySkeleton::model(&self.skeleton.kind) {
            for name in self.skeleton.params.names() {
                if !info.params.iter().any(|d| d.name == name) {
                    let others: Vec<&str> = AnySkeleton::MODELS
                        .iter()
                        .filter(|k| k.params.iter().any(|d| d.name == name))
                        .map(|k| k.name)
                        .collect();
                    let e = ParamError::Unknown { name: name.into() };
                    return Err(EffectorError::invalid(
                        &format!("skeleton.{name}"),
                        &param_reason(&e, info.name, &["type"], info.params, &others),
                    ));
                }
            }
        }
        if let Some(info) = AnyMuscle::model(&self.muscle.kind) {
            let others = |name: &str, per_muscle: bool| -> Vec<&'static str> {
                AnyMuscle::MODELS
                    .iter()
                    .filter(|m| {
                        let decls = if per_muscle {
                            m.muscle_params
                        } else {
                            m.model_params
                        };
                        decls.iter().any(|d| d.name == name)
                    })
                    .map(|m| m.name)
                    .collect()
            };
            for name in self.muscle.params.names() {
                if !info.model_params.iter().any(|d| d.name == name) {
                    let e = ParamError::Unknown { name: name.into() };
                    return Err(EffectorError::invalid(
                        &format!("muscle.{name}"),
                        &param_reason(
                            &e,
                            info.name,
                            &MUSCLE_MODEL_FIELDS,
                            info.model_params,
                            &others(name, false),
                        ),
                    ));
                }
            }
            for (i, m) in self.muscles.iter().enumerate() {
                for name in m.params.names() {
                    if !info.muscle_params.iter().any(|d| d.name == name) {
                        let e = ParamError::Unknown { name: name.into() };
                        return Err(EffectorError::InvalidMuscle {
                            index: i,
                            muscle: m.name.clone(),
                            field: name.into(),
                            reason: param_reason(
                                &e,
                                info.name,
                                &MUSCLE_FIELDS,
                                info.muscle_params,
                                &others(name, true),
                            ),
                        });
                    }
                }
            }
        }
        if let Some(info) = AnyGeometry::model(&self.geometry.kind) {
            for name in self.geometry.fields.names() {
                if !info.fields.iter().any(|d| d.name == name) {
                    let fields: Vec<&str> = std::iter::once("type")
                        .chain(info.fields.iter().map(|d| d.name))
                        .collect();
                    let others: Vec<&str> = AnyGeometry::MODELS
                        .iter()
                        .filter(|g| g.fields.iter().any(|d| d.name == name))
                        .map(|g| g.name)
                        .collect();
                    return Err(EffectorError::invalid(
                        &format!("geometry.{name}"),
                        &unknown_field_reason(name, info.name, &fields, &others),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Validate and build the effector.
    pub fn build(&self) -> Result<DynEffector, EffectorError> {
        self.check_field_names()?;
        let skeleton = self.build_skeleton()?;
        let dof = motornet_skeleton::Skeleton::dof(&skeleton);
        let muscle = self.build_muscle()?;
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
        if s.kind == <KinematicTree as BuiltinSkeleton>::NAME {
            return crate::tree_spec::build(&s.bodies, s.gravity, s.endpoint.as_ref())
                .map(AnySkeleton::from);
        }
        for (field, present) in [
            ("bodies", !s.bodies.is_empty()),
            ("gravity", s.gravity.is_some()),
            ("endpoint", s.endpoint.is_some()),
        ] {
            if present {
                return Err(EffectorError::invalid(
                    &format!("skeleton.{field}"),
                    &format!(
                        "only a KinematicTree skeleton has `{field}`; this one is a {}",
                        s.kind
                    ),
                ));
            }
        }
        let info = AnySkeleton::model(&s.kind)
            .ok_or_else(|| unknown_type("skeleton", "skeleton", &s.kind, AnySkeleton::NAMES))?;
        let params = resolve(info.params, &s.params).map_err(|e| {
            EffectorError::invalid(
                &format!("skeleton.{}", e.name()),
                &param_reason(&e, info.name, &["type"], info.params, &[]),
            )
        })?;
        info.build(&params).map_err(skeleton_error)
    }

    fn build_muscle(&self) -> Result<AnyMuscle, EffectorError> {
        let ms = &self.muscle;
        let info = AnyMuscle::model(&ms.kind).ok_or_else(|| unknown_muscle_model(&ms.kind))?;
        let d = info.default_activation;
        let act = ActivationDynamics {
            min_activation: ms.min_activation.unwrap_or(d.min_activation),
            tau_activation: ms.tau_activation.unwrap_or(d.tau_activation),
            tau_deactivation: ms.tau_deactivation.unwrap_or(d.tau_deactivation),
        };
        if self.muscles.is_empty() {
            return Err(EffectorError::invalid(
                "muscles",
                "needs at least one muscle",
            ));
        }
        for (i, m) in self.muscles.iter().enumerate() {
            if self.muscles[..i].iter().any(|o| o.name == m.name) {
                return Err(EffectorError::InvalidMuscle {
                    index: i,
                    muscle: m.name.clone(),
                    field: "name".into(),
                    reason: "duplicate muscle name".into(),
                });
            }
        }
        let model = resolve(info.model_params, &ms.params).map_err(|e| {
            EffectorError::invalid(
                &format!("muscle.{}", e.name()),
                &param_reason(&e, info.name, &MUSCLE_MODEL_FIELDS, info.model_params, &[]),
            )
        })?;
        let muscles = self
            .muscles
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let params = resolve(info.muscle_params, &m.params).map_err(|e| {
                    EffectorError::InvalidMuscle {
                        index: i,
                        muscle: m.name.clone(),
                        field: e.name().into(),
                        reason: param_reason(
                            &e,
                            info.name,
                            &MUSCLE_FIELDS,
                            info.muscle_params,
                            &[],
                        ),
                    }
                })?;
                Ok(MuscleParamSet {
                    name: m.name.clone(),
                    max_isometric_force: m.max_isometric_force,
                    params,
                })
            })
            .collect::<Result<Vec<_>, EffectorError>>()?;
        info.build(act, &model, &muscles).map_err(muscle_error)
    }

    fn build_geometry(&self) -> Result<AnyGeometry, EffectorError> {
        let g = &self.geometry;
        let info = AnyGeometry::model(&g.kind)
            .ok_or_else(|| unknown_type("geometry", "geometry", &g.kind, AnyGeometry::NAMES))?;
        for d in info.fields {
            if d.required && g.fields.get(d.name).is_none() {
                return Err(EffectorError::invalid(
                    &format!("geometry.{}", d.name),
                    &format!("is required for geometry type '{}'", g.kind),
                ));
            }
        }
        let names: Vec<&str> = self.muscles.iter().map(|m| m.name.as_str()).collect();
        info.build(&g.fields, &names)
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
        let scenario: Self = serde_path_to_error::deserialize(&mut *de)
            .map_err(|e| EffectorError::Parse(format!("at `{}`: {}", e.path(), e.inner())))?;
        end_of_json(de)?;
        scenario
            .effector
            .check_field_names()
            .map_err(|e| match as_parse_error(e) {
                EffectorError::Parse(m) => {
                    EffectorError::Parse(m.replacen("at `", "at `effector.", 1))
                }
                other => other,
            })?;
        Ok(scenario)
    }
}
