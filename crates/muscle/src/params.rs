//! Per-muscle parameter records, as they appear in effector spec files.

use crate::error::{check_muscle, MuscleError, Rule};
use crate::MuscleParamSet;
use motornet_scalar::params::ParamDecl;

/// Parameters of one muscle of a [`ReluMuscle`](crate::ReluMuscle).
#[derive(Debug, Clone, PartialEq)]
pub struct ReluParams {
    /// Muscle name (used in error messages and outputs).
    pub name: String,
    /// Maximum isometric force F_max (N).
    pub max_isometric_force: f64,
}

/// Parameters of one Hill-type muscle (Kistemaker, Thelen and compliant-tendon models).
#[derive(Debug, Clone, PartialEq)]
pub struct HillParams {
    /// Muscle name (used in error messages and outputs).
    pub name: String,
    /// Maximum isometric force F_max (N).
    pub max_isometric_force: f64,
    /// Tendon (slack) length l0_se (m).
    pub tendon_length: f64,
    /// Optimal fibre length l0_ce (m): where the active force–length curve peaks.
    pub optimal_muscle_length: f64,
    /// Fibre length beyond which passive force develops, as a multiple of the optimal length
    /// (dimensionless). MotorNet's defaults: 1.4 (Kistemaker models), 1.0 (Thelen).
    pub normalized_slack_muscle_length: f64,
}

/// Parameters of one muscle of a [`MujocoHillMuscle`](crate::MujocoHillMuscle).
#[derive(Debug, Clone, PartialEq)]
pub struct MujocoParams {
    /// Muscle name (used in error messages and outputs).
    pub name: String,
    /// Maximum isometric force F_max (N).
    pub max_isometric_force: f64,
    /// Tendon length l0_se (m).
    pub tendon_length: f64,
    /// Optimal fibre length l0_ce (m).
    pub optimal_muscle_length: f64,
    /// Passive force scale (dimensionless; MotorNet default 1.3). As in MotorNet 0.3.0 this
    /// parameter scales the passive curve (`0.25 · value`) rather than shifting it.
    pub normalized_slack_muscle_length: f64,
    /// Lower end of the operating range, in optimal lengths (default 0.5).
    pub lmin: f64,
    /// Upper end of the operating range, in optimal lengths (default 1.6).
    pub lmax: f64,
    /// Shortening velocity at which force drops to zero, as MotorNet normalises it:
    /// musculotendon velocity (m/s) divided by `vmax` (default 1.5).
    pub vmax: f64,
    /// Active force at saturating lengthening velocity, relative to F_max (default 1.2).
    pub fvmax: f64,
}

impl ReluParams {
    /// A muscle with the given name and maximum isometric force (N).
    pub fn new(name: impl Into<String>, max_isometric_force: f64) -> Self {
        Self {
            name: name.into(),
            max_isometric_force,
        }
    }

    pub(crate) fn validate(&self, i: usize) -> Result<(), MuscleError> {
        check_muscle(
            i,
            &self.name,
            "max_isometric_force",
            self.max_isometric_force,
            Rule::Positive,
        )
    }
}

impl HillParams {
    /// A Hill muscle: name, F_max (N), tendon length (m), optimal fibre length (m) and
    /// normalised slack length (dimensionless).
    pub fn new(
        name: impl Into<String>,
        max_isometric_force: f64,
        tendon_length: f64,
        optimal_muscle_length: f64,
        normalized_slack_muscle_length: f64,
    ) -> Self {
        Self {
            name: name.into(),
            max_isometric_force,
            tendon_length,
            optimal_muscle_length,
            normalized_slack_muscle_length,
        }
    }

    /// Build one record per muscle from parameter columns, as MotorNet's `build` takes them.
    /// Every column must have one entry per name.
    pub fn from_columns(
        names: &[&str],
        max_isometric_force: &[f64],
        tendon_length: &[f64],
        optimal_muscle_length: &[f64],
        normalized_slack_muscle_length: &[f64],
    ) -> Result<Vec<Self>, MuscleError> {
        let n = names.len();
        for (parameter, col) in [
            ("max_isometric_force", max_isometric_force),
            ("tendon_length", tendon_length),
            ("optimal_muscle_length", optimal_muscle_length),
            (
                "normalized_slack_muscle_length",
                normalized_slack_muscle_length,
            ),
        ] {
            if col.len() != n {
                return Err(MuscleError::WrongLength {
                    parameter,
                    expected: n,
                    got: col.len(),
                });
            }
        }
        Ok((0..n)
            .map(|i| {
                Self::new(
                    names[i],
                    max_isometric_force[i],
                    tendon_length[i],
                    optimal_muscle_length[i],
                    normalized_slack_muscle_length[i],
                )
            })
            .collect())
    }

    pub(crate) fn validate(&self, i: usize) -> Result<(), MuscleError> {
        let n = &self.name;
        check_muscle(
            i,
            n,
            "max_isometric_force",
            self.max_isometric_force,
            Rule::Positive,
        )?;
        check_muscle(i, n, "tendon_length", self.tendon_length, Rule::Positive)?;
        check_muscle(
            i,
            n,
            "optimal_muscle_length",
            self.optimal_muscle_length,
            Rule::Positive,
        )?;
        check_muscle(
            i,
            n,
            "normalized_slack_muscle_length",
            self.normalized_slack_muscle_length,
            Rule::Positive,
        )
    }
}

impl MujocoParams {
    /// MotorNet's default `lmin` (optimal lengths).
    pub const DEFAULT_LMIN: f64 = 0.5;
    /// MotorNet's default `lmax` (optimal lengths).
    pub const DEFAULT_LMAX: f64 = 1.6;
    /// MotorNet's default `vmax` (m/s).
    pub const DEFAULT_VMAX: f64 = 1.5;
    /// MotorNet's default `fvmax` (F_max).
    pub const DEFAULT_FVMAX: f64 = 1.2;

    /// A MuJoCo-style muscle with MotorNet's defaults for the curve shape
    /// (`normalized_slack_muscle_length` 1.3, `lmin` 0.5, `lmax` 1.6, `vmax` 1.5, `fvmax` 1.2).
    pub fn new(
        name: impl Into<String>,
        max_isometric_force: f64,
        tendon_length: f64,
        optimal_muscle_length: f64,
    ) -> Self {
        Self {
            name: name.into(),
            max_isometric_force,
            tendon_length,
            optimal_muscle_length,
            normalized_slack_muscle_length:
                crate::MujocoHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH,
            lmin: Self::DEFAULT_LMIN,
            lmax: Self::DEFAULT_LMAX,
            vmax: Self::DEFAULT_VMAX,
            fvmax: Self::DEFAULT_FVMAX,
        }
    }

    pub(crate) fn validate(&self, i: usize) -> Result<(), MuscleError> {
        let n = &self.name;
        check_muscle(
            i,
            n,
            "max_isometric_force",
            self.max_isometric_force,
            Rule::Positive,
        )?;
        check_muscle(i, n, "tendon_length", self.tendon_length, Rule::Positive)?;
        check_muscle(
            i,
            n,
            "optimal_muscle_length",
            self.optimal_muscle_length,
            Rule::Positive,
        )?;
        check_muscle(
            i,
            n,
            "normalized_slack_muscle_length",
            self.normalized_slack_muscle_length,
            Rule::NonNegative,
        )?;
        // The two skewed bumps need lmin < mid < lmax with mids 1 and (lmin + 0.95)/2.
        check_muscle(i, n, "lmin", self.lmin, Rule::Between(0.0, 0.95))?;
        check_muscle(i, n, "lmax", self.lmax, Rule::Between(1.0, f64::INFINITY))?;
        check_muscle(i, n, "vmax", self.vmax, Rule::Positive)?;
        // The lengthening branch divides by fvmax − 1.
        check_muscle(i, n, "fvmax", self.fvmax, Rule::Between(1.0, f64::INFINITY))
    }
}

/// The per-muscle parameters of the Hill models (Kistemaker, Thelen, compliant tendon), with
/// the model's default `normalized_slack_muscle_length`.
pub(crate) const fn hill_muscle_params(default_slack: f64) -> [ParamDecl; 3] {
    [
        ParamDecl::required(
            "tendon_length",
            "m",
            0.204,
            "tendon slack length l0_se, > 0",
        ),
        ParamDecl::required(
            "optimal_muscle_length",
            "m",
            0.137,
            "optimal fibre length l0_ce, > 0",
        ),
        ParamDecl::optional(
            "normalized_slack_muscle_length",
            "optimal lengths",
            default_slack,
            "fibre length where passive force starts, > 0",
        ),
    ]
}

impl ReluParams {
    /// The record of one spec entry.
    pub(crate) fn from_param_set(m: &MuscleParamSet) -> Self {
        Self::new(m.name.clone(), m.max_isometric_force)
    }
}

impl HillParams {
    /// The record of one spec entry (declared by [`hill_muscle_params`]).
    pub(crate) fn from_param_set(m: &MuscleParamSet) -> Self {
        let p = &m.params;
        Self::new(
            m.name.clone(),
            m.max_isometric_force,
            p.get("tendon_length"),
            p.get("optimal_muscle_length"),
            p.get("normalized_slack_muscle_length"),
        )
    }
}
