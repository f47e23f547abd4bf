//! The conformance check every muscle model must pass, as library code: run it on your own
//! [`MuscleModel`] with [`check_muscle_model`].
//!
//! The check draws muscle inputs with a small deterministic generator (no dependency, the same
//! samples on every machine) and, for every muscle of the model, takes one muscle step —
//! [`MuscleModel::derivative`], then [`MuscleModel::integrate`], then
//! [`MuscleModel::proprioception`] of the new state — from a state prepared from those inputs.
//! It checks these properties ([`Property`]):
//!
//! - **structure**: sizes and indices agree (`n_states` within [`MAX_MUSCLE_STATES`], one name
//!   per state, `force_index` and `read_states` inside the state, positive finite
//!   `max_isometric_force` and `proprioception_scale`);
//! - **finite values**: the derivative, the new state and the proprioception are finite;
//! - **non-negative force**: [`MuscleModel::force`] of the new state is `>= 0`;
//! - **activation in range**: the new activation lies in `[min_activation, 1]`;
//! - **f32 agrees with f64**: force, activation and proprioception computed in `f32` agree with
//!   `f64` to `f32` precision (inputs rounded to `f32` first, so both see the same numbers),
//!   allowing for the conditioning of each output: what moving every input by
//!   [`F32_BACKWARD_ULPS`] `f32` ulps moves it by (e.g. a fibre velocity from the small
//!   difference of a large tendon force and passive force);
//! - **dual value**: the value part of a dual-number evaluation equals the `f64` evaluation;
//! - **derivatives**: forward-mode dual-number derivatives ([`Dual64`]) of every output
//!   (derivative, new state, proprioception) with respect to every input equal
//!   Richardson-extrapolated central finite differences, wherever the function is smooth
//!   within the step (a kink or branch switch inside `±h` is skipped and counted);
//! - **read states**: entries outside [`MuscleModel::read_states`] change neither
//!   `derivative` nor `integrate` (exact gradients rely on it);
//! - **all muscles at once**: [`MuscleModel::integrate_all`] over every muscle (each from the
//!   sample's state) gives the values of `integrate` muscle by muscle (to `1e-10` relative)
//!   and, on dual numbers, the same derivatives (to the derivative tolerance);
//! - **step VJP**: where the model takes its own [`MuscleModel::step_vjp`] (a fast path), it
//!   adds what the dual numbers give ([`step_vjp_by_duals`]) for a vector of output gradients
//!   (some of them zero), to `1e-8` of the sum of the terms' magnitudes.
//!
//! # The state a step starts from
//! The inputs of one sample ([`Sample`]) are the musculotendon length and velocity, the
//! activation, the excitation, and one factor per entry of `read_states` other than the
//! activation. The state is [`MuscleModel::initial_state`] at that length and velocity; each
//! of those extra read entries is multiplied by its factor, then one `integrate` with a zero
//! derivative makes the model's other entries consistent with them (for a compliant tendon:
//! the fibre moves away from its equilibrium, and the forces follow); finally the activation is
//! replaced by the sampled one. All of it is model code, so derivatives with respect to every
//! input go through the same functions.
//!
//! ```
//! use motornet_muscle::testing::{check_muscle_model, CheckConfig};
//! use motornet_muscle::{HillParams, RigidTendonHillMuscle};
//!
//! let model = RigidTendonHillMuscle::new(
//!     RigidTendonHillMuscle::DEFAULT_ACTIVATION,
//!     vec![HillParams::new("biceps", 414.0, 0.204, 0.137, 1.4)],
//! )?;
//! let report = check_muscle_model(&model, &CheckConfig { cases: 16, ..CheckConfig::default() })?;
//! assert_eq!(report.steps, 16);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{MuscleModel, MAX_MUSCLE_STATES};
use motornet_scalar::{Dual64, Scalar, SplitMix};
use std::fmt;
use thiserror::Error;

/// Settings of [`check_muscle_model`]. The ranges are `(low, high)`, sampled uniformly.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckConfig {
    /// Number of samples; every muscle of the model is checked at each.
    pub cases: usize,
    /// Seed of the sample generator (the same seed gives the same samples everywhere).
    pub seed: u64,
    /// Musculotendon length range (m).
    pub mt_len: (f64, f64),
    /// Musculotendon velocity range (m/s).
    pub mt_vel: (f64, f64),
    /// Activation range (dimensionless; values outside `[min_activation, 1]` test clipping).
    pub activation: (f64, f64),
    /// Excitation range (dimensionless; values outside `[min_activation, 1]` test clipping).
    pub excitation: (f64, f64),
    /// Range of the factors that move the read state entries other than the activation away
    /// from the initial state (see the module docs).
    pub read_state_factor: (f64, f64),
    /// Range of the value added to the entries outside `read_states` (property
    /// [`Property::ReadStates`]).
    pub junk: (f64, f64),
    /// Integration step of the muscle (s).
    pub dt: f64,
    /// Derivative tolerance: `|dual − fd| <= rtol · max(|dual|, |fd|) + atol · (1 + |value|)`.
    pub derivative_rtol: f64,
    /// See `derivative_rtol`.
    pub derivative_atol: f64,
    /// `f32` tolerance on the force: `|f32 − f64| <= f32_rtol · (F_max + |force|)`; on the
    /// activation `f32_rtol / 10`, on each proprioception entry `10 · f32_rtol · (1 + |p|)`;
    /// each plus the output's conditioning term `F32_BACKWARD_ULPS · ε_f32 · Σ_i |∂y/∂x_i|·|x_i|`
    /// over the inputs `x_i` ([`F32_BACKWARD_ULPS`]).
    pub f32_rtol: f64,
}

impl Default for CheckConfig {
    /// 256 samples over the ranges the built-in models are checked with: lengths 0 to 0.8 m,
    /// velocities ±3 m/s, activation 0 to 1, excitation −0.5 to 1.5, read-state factors 0.05
    /// to 1.95, junk ±10, `dt` 1 ms, derivative tolerances 1e-6 (relative) and 1e-7
    /// (absolute), `f32` tolerance 1e-4.
    fn default() -> Self {
        Self {
            cases: 256,
            seed: 0x6d6f_746f_726e_6574,
            mt_len: (0.0, 0.8),
            mt_vel: (-3.0, 3.0),
            activation: (0.0, 1.0),
            excitation: (-0.5, 1.5),
            read_state_factor: (0.05, 1.95),
            junk: (-10.0, 10.0),
            dt: 0.001,
            derivative_rtol: 1e-6,
            derivative_atol: 1e-7,
            f32_rtol: 1e-4,
        }
    }
}

/// The inputs of one checked muscle step (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Musculotendon length (m).
    pub mt_len: f64,
    /// Musculotendon velocity (m/s).
    pub mt_vel: f64,
    /// Activation the step starts from (dimensionless).
    pub activation: f64,
    /// Excitation (dimensionless).
    pub excitation: f64,
    /// Factor of each state entry: entry `k` of the initial state is multiplied by
    /// `read_state_factor[k]` if `k` is in `read_states` and not 0 (the activation); other
    /// entries are unused.
    pub read_state_factor: [f64; MAX_MUSCLE_STATES],
    /// Added to every entry outside `read_states` by the read-states check.
    pub junk: f64,
}

impl fmt::Display for Sample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mt_len = {} m, mt_vel = {} m/s, activation = {}, excitation = {}, \
             read-state factors = {:?}, junk = {}",
            self.mt_len,
            self.mt_vel,
            self.activation,
            self.excitation,
            self.read_state_factor,
            self.junk
        )
    }
}

impl Sample {
    /// Sample number `case` of the generator seeded with `config.seed`, inside the ranges of
    /// `config`.
    pub fn draw(config: &CheckConfig, case: usize) -> Self {
        let mut rng = SplitMix(config.seed ^ (case as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        let mut u = |r: (f64, f64)| r.0 + (r.1 - r.0) * rng.unit();
        Self {
            mt_len: u(config.mt_len),
            mt_vel: u(config.mt_vel),
            activation: u(config.activation),
            excitation: u(config.excitation),
            read_state_factor: std::array::from_fn(|_| u(config.read_state_factor)),
            junk: u(config.junk),
        }
    }
}

/// A property of [`check_muscle_model`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    /// Sizes and indices of the model agree.
    Structure,
    /// Derivative, new state and proprioception are finite.
    FiniteValues,
    /// The force after a step is `>= 0`.
    NonNegativeForce,
    /// The activation after a step is in `[min_activation, 1]`.
    ActivationInRange,
    /// `f32` and `f64` agree to `f32` precision.
    F32MatchesF64,
    /// The value part of a dual-number evaluation equals the `f64` evaluation.
    DualValueMatchesF64,
    /// Dual-number derivatives equal central finite differences.
    DerivativesMatchFiniteDifferences,
    /// Entries outside `read_states` change neither `derivative` nor `integrate`.
    ReadStates,
    /// `integrate_all` agrees with `integrate` muscle by muscle, in values and derivatives.
    IntegrateAllMatchesIntegrate,
    /// A model's own [`MuscleModel::step_vjp`] (where it takes one) adds what the dual
    /// numbers give ([`step_vjp_by_duals`]).
    StepVjpMatchesDuals,
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Property::Structure => "structure",
            Property::FiniteValues => "finite values",
            Property::NonNegativeForce => "non-negative force",
            Property::ActivationInRange => "activation in [min_activation, 1]",
            Property::F32MatchesF64 => "f32 agrees with f64",
            Property::DualValueMatchesF64 => "dual value equals f64 value",
            Property::DerivativesMatchFiniteDifferences => {
                "dual-number derivatives equal finite differences"
            }
            Property::ReadStates => "read_states lists every state entry read",
            Property::IntegrateAllMatchesIntegrate => {
                "integrate_all agrees with integrate muscle by muscle"
            }
            Property::StepVjpMatchesDuals => "step_vjp agrees with the dual numbers",
        })
    }
}

/// A property that failed at one sample, for one muscle.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// What failed.
    pub property: Property,
    /// [`MuscleModel::name`].
    pub model: String,
    /// Index of the muscle.
    pub muscle: usize,
    /// [`MuscleModel::muscle_name`] of it.
    pub muscle_name: String,
    /// The inputs.
    pub sample: Sample,
    /// Which output (and input), and the numbers.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} muscle {} ('{}') fails `{}`: {} at {}",
            self.model, self.muscle, self.muscle_name, self.property, self.detail, self.sample
        )
    }
}

/// Why a model fails the conformance check.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConformanceError {
    /// The model's sizes or indices disagree (property [`Property::Structure`]).
    #[error("{model} fails `structure`: {reason}")]
    Structure {
        /// [`MuscleModel::name`].
        model: String,
        /// What is wrong, with the numbers.
        reason: String,
    },
    /// A [`CheckConfig`] field is invalid.
    #[error("check configuration: `{field}` {reason}")]
    Config {
        /// The field, as spelled in [`CheckConfig`].
        field: &'static str,
        /// What it must satisfy, and the value given.
        reason: String,
    },
    /// A property failed at a sample.
    #[error("{0}")]
    Violation(Box<Violation>),
}

impl ConformanceError {
    /// The property that failed (`None` for a configuration error).
    pub fn property(&self) -> Option<Property> {
        match self {
            ConformanceError::Structure { .. } => Some(Property::Structure),
            ConformanceError::Config { .. } => None,
            ConformanceError::Violation(v) => Some(v.property),
        }
    }
}

/// What [`check_muscle_model`] (or [`check_sample`]) checked, and how close it came to the
/// tolerances.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConformanceReport {
    /// Muscle steps checked (samples × muscles).
    pub steps: usize,
    /// Derivatives compared with finite differences.
    pub derivatives_compared: usize,
    /// Derivatives skipped because the function is not smooth within the finite-difference
    /// step there.
    pub derivatives_skipped: usize,
    /// The largest `|dual − fd| / tolerance` seen (below 1 when the check passes).
    pub worst_derivative_ratio: f64,
    /// The largest `|f32 − f64| / tolerance` seen over force, activation and proprioception.
    pub worst_f32_ratio: f64,
}

impl ConformanceReport {
    fn merge(&mut self, other: &ConformanceReport) {
        self.steps += other.steps;
        self.derivatives_compared += other.derivatives_compared;
        self.derivatives_skipped += other.derivatives_skipped;
        self.worst_derivative_ratio = self
            .worst_derivative_ratio
            .max(other.worst_derivative_ratio);
        self.worst_f32_ratio = self.worst_f32_ratio.max(other.worst_f32_ratio);
    }
}

/// Run the conformance check on `model`: `config.cases` samples ([`Sample::draw`]), every
/// muscle at each. Returns what was checked, or the first property that failed, naming the
/// model, the muscle, the inputs and the numbers.
pub fn check_muscle_model<M: MuscleModel>(
    model: &M,
    config: &CheckConfig,
) -> Result<ConformanceReport, ConformanceError> {
    check_config(config)?;
    check_structure(model)?;
    let mut report = ConformanceReport::default();
    for case in 0..config.cases {
        report.merge(&check_sample(model, &Sample::draw(config, case), config)?);
    }
    Ok(report)
}

/// The conformance check at one sample, for every muscle of `model` (for property-testing
/// frameworks that draw their own samples; `config`'s ranges and `cases` are not used).
pub fn check_sample<M: MuscleModel>(
    model: &M,
    sample: &Sample,
    config: &CheckConfig,
) -> Result<ConformanceReport, ConformanceError> {
    check_structure(model)?;
    let mut report = ConformanceReport::default();
    for m in 0..model.n_muscles() {
        let fail = |property, detail| violation(model, m, sample, property, detail);
        check_values(model, m, sample, config).map_err(|(p, d)| fail(p, d))?;
        check_f32(model, m, sample, config, &mut report).map_err(|(p, d)| fail(p, d))?;
        check_derivatives(model, m, sample, config, &mut report).map_err(|(p, d)| fail(p, d))?;
        check_read_states(model, m, sample, config).map_err(|(p, d)| fail(p, d))?;
        report.steps += 1;
    }
    check_integrate_all(model, sample, config)
        .map_err(|(m, (property, detail))| violation(model, m, sample, property, detail))?;
    check_step_vjp(model, sample, config)
        .map_err(|(m, (property, detail))| violation(model, m, sample, property, detail))?;
    Ok(report)
}

/// The error of `property` failing for muscle `m` of `model` at `sample`.
fn violation<M: MuscleModel>(
    model: &M,
    m: usize,
    sample: &Sample,
    property: Property,
    detail: String,
) -> ConformanceError {
    ConformanceError::Violation(Box::new(Violation {
        property,
        model: model.name().to_string(),
        muscle: m,
        muscle_name: model.muscle_name(m).to_string(),
        sample: *sample,
        detail,
    }))
}

type Failure = (Property, String);

fn check_config(c: &CheckConfig) -> Result<(), ConformanceError> {
    let bad = |field, reason: String| Err(ConformanceError::Config { field, reason });
    for (field, r) in [
        ("mt_len", c.mt_len),
        ("mt_vel", c.mt_vel),
        ("activation", c.activation),
        ("excitation", c.excitation),
        ("read_state_factor", c.read_state_factor),
        ("junk", c.junk),
    ] {
        if !(r.0.is_finite() && r.1.is_finite() && r.0 <= r.1) {
            return bad(
                field,
                format!("must be a finite range (low <= high), got {r:?}"),
            );
        }
    }
    for (field, v) in [
        ("dt", c.dt),
        ("derivative_rtol", c.derivative_rtol),
        ("derivative_atol", c.derivative_atol),
        ("f32_rtol", c.f32_rtol),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return bad(field, format!("must be finite and > 0, got {v}"));
        }
    }
    Ok(())
}

/// Property [`Property::Structure`].
pub fn check_structure<M: MuscleModel>(model: &M) -> Result<(), ConformanceError> {
    let fail = |reason: String| {
        Err(ConformanceError::Structure {
            model: model.name().to_string(),
            reason,
        })
    };
    let (ns, nd) = (model.n_states(), model.n_derivatives());
    if !(2..=MAX_MUSCLE_STATES).contains(&ns) {
        return fail(format!(
            "n_states = {ns}, must be 2 (activation and force) to MAX_MUSCLE_STATES = {MAX_MUSCLE_STATES}"
        ));
    }
    if model.state_names().len() != ns {
        return fail(format!(
            "{} state names for n_states = {ns}",
            model.state_names().len()
        ));
    }
    if nd == 0 || nd > MAX_MUSCLE_STATES {
        return fail(format!(
            "n_derivatives = {nd}, must be 1 to MAX_MUSCLE_STATES = {MAX_MUSCLE_STATES}"
        ));
    }
    if model.force_index() >= ns {
        return fail(format!(
            "force_index = {} is outside the state (n_states = {ns})",
            model.force_index()
        ));
    }
    let read = model.read_states();
    for (i, &k) in read.iter().enumerate() {
        if k >= ns || read[..i].contains(&k) {
            return fail(format!(
                "read_states = {read:?} must list distinct entries below n_states = {ns}"
            ));
        }
    }
    if model.n_muscles() == 0 {
        return fail("n_muscles = 0".into());
    }
    for m in 0..model.n_muscles() {
        let f = model.max_isometric_force(m);
        let (l0, v0) = model.proprioception_scale(m);
        if !(f.is_finite() && f > 0.0 && l0.is_finite() && l0 > 0.0 && v0.is_finite() && v0 > 0.0) {
            return fail(format!(
                "muscle {m} ('{}'): max_isometric_force = {f} and proprioception_scale = \
                 ({l0}, {v0}) must be finite and > 0",
                model.muscle_name(m)
            ));
        }
    }
    Ok(())
}

/// The read state entries that a sample's factors move: `read_states` without the activation.
fn moved_entries<M: MuscleModel>(model: &M) -> Vec<usize> {
    model
        .read_states()
        .iter()
        .copied()
        .filter(|&k| k != 0)
        .collect()
}

/// The inputs as one vector: `[mt_len, mt_vel, activation, excitation, factor of each moved
/// entry]`.
fn input_vector<M: MuscleModel>(model: &M, s: &Sample) -> Vec<f64> {
    let mut x = vec![s.mt_len, s.mt_vel, s.activation, s.excitation];
    x.extend(moved_entries(model).iter().map(|&k| s.read_state_factor[k]));
    x
}

fn input_name<M: MuscleModel>(model: &M, i: usize) -> String {
    match i {
        0 => "mt_len".into(),
        1 => "mt_vel".into(),
        2 => "activation".into(),
        3 => "excitation".into(),
        _ => {
            let k = moved_entries(model)[i - 4];
            format!("factor of state[{k}] '{}'", model.state_names()[k])
        }
    }
}

/// Names the outputs of [`outputs`]: derivative, new state, proprioception.
fn output_name<M: MuscleModel>(model: &M, k: usize) -> String {
    let (nd, ns) = (model.n_derivatives(), model.n_states());
    if k < nd {
        format!("derivative[{k}]")
    } else if k < nd + ns {
        format!("state[{}] '{}'", k - nd, model.state_names()[k - nd])
    } else {
        ["proprioception[0] (length)", "proprioception[1] (velocity)"][k - nd - ns].into()
    }
}

/// The state a sample's step starts from (see the module docs), from the input vector `x`.
fn prepared_state<S: Scalar, M: MuscleModel>(model: &M, m: usize, dt: f64, x: &[S]) -> Vec<S> {
    let (ns, nd) = (model.n_states(), model.n_derivatives());
    let mut state = vec![S::zero(); ns];
    model.initial_state(m, x[0], x[1], dt, &mut state);
    let moved = moved_entries(model);
    if !moved.is_empty() {
        let mut p = state.clone();
        for (j, &k) in moved.iter().enumerate() {
            p[k] *= x[4 + j];
        }
        let zero = vec![S::zero(); nd];
        model.integrate(m, dt, &zero, &p, x[0], x[1], &mut state);
    }
    state[0] = x[2];
    state
}

/// One step from the prepared state: `[derivative (n_derivatives), new state (n_states),
/// proprioception of the new state (2)]`.
fn outputs<S: Scalar, M: MuscleModel>(model: &M, m: usize, dt: f64, x: &[S]) -> Vec<S> {
    let state = prepared_state(model, m, dt, x);
    let mut out = vec![S::zero(); model.n_derivatives()];
    model.derivative(m, x[3], &state, &mut out);
    let mut new = vec![S::zero(); model.n_states()];
    model.integrate(m, dt, &out, &state, x[0], x[1], &mut new);
    let p = model.proprioception(m, &new, x[0], x[1]);
    out.extend_from_slice(&new);
    out.extend_from_slice(&p);
    out
}

fn check_values<M: MuscleModel>(
    model: &M,
    m: usize,
    s: &Sample,
    c: &CheckConfig,
) -> Result<(), Failure> {
    let y = outputs::<f64, M>(model, m, c.dt, &input_vector(model, s));
    if let Some((k, v)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err((
            Property::FiniteValues,
            format!("{} = {v}", output_name(model, k)),
        ));
    }
    let nd = model.n_derivatives();
    let new = &y[nd..nd + model.n_states()];
    let force = model.force(new);
    if force.is_nan() || force < 0.0 {
        return Err((
            Property::NonNegativeForce,
            format!("force after the step = {force} N"),
        ));
    }
    let (a, lo) = (new[0], model.activation().min_activation);
    if !(lo..=1.0).contains(&a) {
        return Err((
            Property::ActivationInRange,
            format!("activation after the step = {a}, min_activation = {lo}"),
        ));
    }
    Ok(())
}

/// How far (in `f32` ulps of each input, relative) the `f32` check lets the inputs move when it
/// allows for an output's conditioning ([`CheckConfig::f32_rtol`]): a computation in `f32`
/// whose rounding errors amount to moving its inputs by a few ulps (backward stable) passes,
/// while an error of a constant or a formula in `f32` (of order 1e-4 or more, whatever the
/// conditioning) does not.
pub const F32_BACKWARD_ULPS: f64 = 16.0;

/// `x` as dual numbers differentiating along input `i`.
fn seeded(x: &[f64], i: usize) -> Vec<Dual64> {
    (x.iter().enumerate())
        .map(|(j, &v)| Dual64::new(v, if i == j { 1.0 } else { 0.0 }))
        .collect()
}

/// `F32_BACKWARD_ULPS · ε_f32 · Σ_i |∂y_k/∂x_i|·|x_i|` for each output `y_k` of [`outputs`]
/// and, last, for the force after the step, at the `f64` inputs `x` (by [`Dual64`], one input
/// at a time; a non-finite derivative counts as 0).
fn f32_conditioning<M: MuscleModel>(model: &M, m: usize, dt: f64, x: &[f64]) -> Vec<f64> {
    let (nd, ns) = (model.n_derivatives(), model.n_states());
    let mut cond = vec![0.0; nd + ns + 3];
    for i in 0..x.len() {
        let mut y = outputs::<Dual64, M>(model, m, dt, &seeded(x, i));
        y.push(model.force(&y[nd..nd + ns]));
        for (c, yk) in cond.iter_mut().zip(&y) {
            let d = (yk.eps * x[i]).abs();
            if d.is_finite() {
                *c += d;
            }
        }
    }
    let eps = f32::EPSILON as f64;
    cond.iter().map(|c| F32_BACKWARD_ULPS * eps * c).collect()
}

fn check_f32<M: MuscleModel>(
    model: &M,
    m: usize,
    s: &Sample,
    c: &CheckConfig,
    report: &mut ConformanceReport,
) -> Result<(), Failure> {
    let x32: Vec<f32> = input_vector(model, s).iter().map(|&v| v as f32).collect();
    let x64: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
    let y32 = outputs::<f32, M>(model, m, c.dt, &x32);
    let y64 = outputs::<f64, M>(model, m, c.dt, &x64);
    let (nd, ns) = (model.n_derivatives(), model.n_states());
    let force64 = model.force(&y64[nd..nd + ns]);
    let force32 = model.force(&y32[nd..nd + ns]) as f64;
    let f_max = model.max_isometric_force(m);
    let cond = f32_conditioning(model, m, c.dt, &x64);
    let mut compare = |what: String, a: f64, b: f64, tol: f64| {
        let ratio = (a - b).abs() / tol;
        report.worst_f32_ratio = report.worst_f32_ratio.max(ratio);
        if ratio.is_nan() || ratio > 1.0 {
            return Err((
                Property::F32MatchesF64,
                format!("{what}: f32 {a} vs f64 {b} (tolerance {tol}; inputs rounded to f32)"),
            ));
        }
        Ok(())
    };
    compare(
        "force".into(),
        force32,
        force64,
        c.f32_rtol * (f_max + force64.abs()) + cond[nd + ns + 2],
    )?;
    compare(
        output_name(model, nd),
        y32[nd] as f64,
        y64[nd],
        c.f32_rtol / 10.0 + cond[nd],
    )?;
    for k in nd + ns..nd + ns + 2 {
        compare(
            output_name(model, k),
            y32[k] as f64,
            y64[k],
            10.0 * c.f32_rtol * (1.0 + y64[k].abs()) + cond[k],
        )?;
    }
    Ok(())
}

fn check_derivatives<M: MuscleModel>(
    model: &M,
    m: usize,
    s: &Sample,
    c: &CheckConfig,
    report: &mut ConformanceReport,
) -> Result<(), Failure> {
    let base = input_vector(model, s);
    let value = outputs::<f64, M>(model, m, c.dt, &base);
    let at = |i: usize, delta: f64| {
        let mut p = base.clone();
        p[i] += delta;
        outputs::<f64, M>(model, m, c.dt, &p)
    };
    for i in 0..base.len() {
        let dual = outputs::<Dual64, M>(model, m, c.dt, &seeded(&base, i));
        // Richardson-extrapolated central differences (truncation O(h⁴)) with a step large
        // enough that rounding stays far below the tolerance
        let h = 1e-4 * base[i].abs().max(0.1);
        let (plus, minus) = (at(i, h), at(i, -h));
        let (plus2, minus2) = (at(i, h / 2.0), at(i, -h / 2.0));
        for k in 0..value.len() {
            let what = || format!("d {} / d {}", output_name(model, k), input_name(model, i));
            let re = dual[k].re;
            // (the dual numbers' real parts take the f64 code's path, but rounding can differ
            // through the compliant tendon's fibre solve: 1.6e-12 relative was seen at
            // mt_len 0.6479 m, activation 0.312, so the bound is 1e-10, far below any bug)
            if re.is_nan() || (re - value[k]).abs() > 1e-10 * (1.0 + value[k].abs()) {
                return Err((
                    Property::DualValueMatchesF64,
                    format!(
                        "{}: dual value {re} vs f64 {} (seeding {})",
                        output_name(model, k),
                        value[k],
                        input_name(model, i)
                    ),
                ));
            }
            let fwd = (plus[k] - value[k]) / h;
            let bwd = (value[k] - minus[k]) / h;
            let c1 = (plus[k] - minus[k]) / (2.0 * h);
            let c2 = (plus2[k] - minus2[k]) / h;
            let central = (4.0 * c2 - c1) / 3.0;
            // a kink or a branch switch within ±h: finite differences are not a reference
            // there; nor where a jump of the second derivative (a C¹ spline's knot) within ±h
            // shows as central differences that still change with h
            let smooth = (fwd - bwd).abs() <= 1e-2 * (fwd.abs() + bwd.abs()) + 1e-6
                && (c1 - c2).abs() <= 1e-7 * (c1.abs() + c2.abs()) + 1e-9;
            if !smooth || !central.is_finite() {
                report.derivatives_skipped += 1;
                continue;
            }
            report.derivatives_compared += 1;
            let d = dual[k].eps;
            let tol = c.derivative_rtol * d.abs().max(central.abs())
                + c.derivative_atol * (1.0 + value[k].abs());
            let ratio = (d - central).abs() / tol;
            report.worst_derivative_ratio = report.worst_derivative_ratio.max(ratio);
            if ratio.is_nan() || ratio > 1.0 {
                return Err((
                    Property::DerivativesMatchFiniteDifferences,
                    format!(
                        "{}: dual {d} vs finite difference {central} (tolerance {tol})",
                        what()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Every muscle's new state from the sample's state (seeded dual numbers `x`), by
/// `integrate_all` (`all = true`) or by `integrate` muscle by muscle: `[M × n_states]`.
fn new_states<S: Scalar, M: MuscleModel>(model: &M, dt: f64, x: &[S], all: bool) -> Vec<S> {
    let (n_m, ns, nd) = (model.n_muscles(), model.n_states(), model.n_derivatives());
    let (mut state, mut der) = (Vec::new(), vec![S::zero(); n_m * nd]);
    for m in 0..n_m {
        state.extend(prepared_state(model, m, dt, x));
        let st = &state[m * ns..(m + 1) * ns];
        model.derivative(m, x[3], st, &mut der[m * nd..(m + 1) * nd]);
    }
    let (len, vel) = (vec![x[0]; n_m], vec![x[1]; n_m]);
    let mut new = vec![S::zero(); n_m * ns];
    if all {
        model.integrate_all(dt, &der, &state, &len, &vel, &mut new);
    } else {
        crate::integrate_each(model, dt, &der, &state, &len, &vel, &mut new);
    }
    new
}

/// [`Property::IntegrateAllMatchesIntegrate`]; the failure names the muscle.
fn check_integrate_all<M: MuscleModel>(
    model: &M,
    s: &Sample,
    c: &CheckConfig,
) -> Result<(), (usize, Failure)> {
    let ns = model.n_states();
    let x = input_vector(model, s);
    let (each, all) = (
        new_states(model, c.dt, &x, false),
        new_states(model, c.dt, &x, true),
    );
    let state_name = |k: usize| output_name(model, model.n_derivatives() + k % ns);
    for (k, (a, b)) in all.iter().zip(&each).enumerate() {
        if a.is_nan() || (a - b).abs() > 1e-10 * (1.0 + b.abs()) {
            let detail = format!("{}: integrate_all {a} vs integrate {b}", state_name(k));
            return Err((k / ns, (Property::IntegrateAllMatchesIntegrate, detail)));
        }
    }
    for i in 0..x.len() {
        let seeded = seeded(&x, i);
        let (each, all) = (
            new_states(model, c.dt, &seeded, false),
            new_states(model, c.dt, &seeded, true),
        );
        for (k, (a, b)) in all.iter().zip(&each).enumerate() {
            let (da, db) = (a.eps, b.eps);
            let tol =
                c.derivative_rtol * da.abs().max(db.abs()) + c.derivative_atol * (1.0 + b.re.abs());
            if da.is_nan() || (da - db).abs() > tol {
                let detail = format!(
                    "d {} / d {}: integrate_all {da} vs integrate {db} (tolerance {tol})",
                    state_name(k),
                    input_name(model, i)
                );
                return Err((k / ns, (Property::IntegrateAllMatchesIntegrate, detail)));
            }
        }
    }
    Ok(())
}

fn check_read_states<M: MuscleModel>(
    model: &M,
    m: usize,
    s: &Sample,
    c: &CheckConfig,
) -> Result<(), Failure> {
    let state = prepared_state::<f64, M>(model, m, c.dt, &input_vector(model, s));
    let read = model.read_states();
    let mut other = state.clone();
    for (k, v) in other.iter_mut().enumerate() {
        if !read.contains(&k) {
            *v += s.junk;
        }
    }
    let run = |st: &[f64]| {
        let mut d = vec![0.0; model.n_derivatives()];
        model.derivative(m, s.excitation, st, &mut d);
        let mut out = vec![0.0; model.n_states()];
        model.integrate(m, c.dt, &d, st, s.mt_len, s.mt_vel, &mut out);
        (d, out)
    };
    let ((d0, n0), (d1, n1)) = (run(&state), run(&other));
    let differs = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .position(|(x, y)| x.to_bits() != y.to_bits())
    };
    if let Some(k) = differs(&d0, &d1) {
        return Err((
            Property::ReadStates,
            format!(
                "adding {} to the entries outside read_states = {read:?} changes derivative[{k}] \
                 from {} to {}",
                s.junk, d0[k], d1[k]
            ),
        ));
    }
    if let Some(k) = differs(&n0, &n1) {
        return Err((
            Property::ReadStates,
            format!(
                "adding {} to the entries outside read_states = {read:?} changes integrate's \
                 state[{k}] '{}' from {} to {}",
                s.junk,
                model.state_names()[k],
                n0[k],
                n1[k]
            ),
        ));
    }
    Ok(())
}

/// The gradients [`MuscleModel::step_vjp`] adds, computed on dual numbers: what the effector
/// computes for every model without a fast path, and what a fast path must equal. Input by
/// input ([`Dual64`], one pass each), `g_new_stateᵀ · ∂new_state/∂input` of `new_state =
/// integrate_all_replay(dt, derivative(excitation, state), state, mt_len, mt_vel, record)`,
/// where outputs with a zero gradient add nothing. Returns the gradients of the excitations
/// `[M]`, states `[M × n_states]` (zero outside [`MuscleModel::read_states`]),
/// musculotendon lengths `[M]` and velocities `[M]`. Slow (one pass per input); for tests.
///
/// # Panics
/// If a slice's length does not match the model (`M` muscles, `n_states` each).
pub fn step_vjp_by_duals<M: MuscleModel>(
    model: &M,
    dt: f64,
    inputs: crate::StepInputs<'_>,
    record: &[f64],
    g_new_state: &[f64],
) -> [Vec<f64>; 4] {
    vjp_by_duals(model, dt, inputs, record, g_new_state).0
}

/// [`step_vjp_by_duals`], and with it the sums of the terms' magnitudes (`Σ |g · ∂y/∂x|`,
/// the scale of each gradient's rounding).
fn vjp_by_duals<M: MuscleModel>(
    model: &M,
    dt: f64,
    inputs: crate::StepInputs<'_>,
    record: &[f64],
    g_new_state: &[f64],
) -> ([Vec<f64>; 4], [Vec<f64>; 4]) {
    let (n_m, ns, nd) = (model.n_muscles(), model.n_states(), model.n_derivatives());
    for (what, len, want) in [
        ("excitation", inputs.excitation.len(), n_m),
        ("state", inputs.state.len(), n_m * ns),
        ("mt_len", inputs.mt_len.len(), n_m),
        ("mt_vel", inputs.mt_vel.len(), n_m),
        ("g_new_state", g_new_state.len(), n_m * ns),
    ] {
        assert_eq!(
            len, want,
            "step_vjp_by_duals: {what} has {len} entries, the model needs {want}"
        );
    }
    let zeros = || {
        [
            vec![0.0; n_m],
            vec![0.0; n_m * ns],
            vec![0.0; n_m],
            vec![0.0; n_m],
        ]
    };
    let (mut grads, mut scale) = (zeros(), zeros());
    let c = |v: &[f64]| v.iter().map(|&x| Dual64::from(x)).collect::<Vec<_>>();
    let mut seeds: Vec<(usize, usize)> = Vec::new();
    for m in 0..n_m {
        seeds.push((0, m));
        seeds.extend(model.read_states().iter().map(|&r| (1, m * ns + r)));
        seeds.push((2, m));
        seeds.push((3, m));
    }
    for (which, at) in seeds {
        let mut x = [
            c(inputs.excitation),
            c(inputs.state),
            c(inputs.mt_len),
            c(inputs.mt_vel),
        ];
        x[which][at] = Dual64::new(x[which][at].re, 1.0);
        let mut der = vec![Dual64::from(0.0); n_m * nd];
        for m in 0..n_m {
            let st = &x[1][m * ns..(m + 1) * ns];
            model.derivative(m, x[0][m], st, &mut der[m * nd..(m + 1) * nd]);
        }
        let mut new = vec![Dual64::from(0.0); n_m * ns];
        model.integrate_all_replay(dt, &der, &x[1], &x[2], &x[3], &mut new, record);
        for (y, &g) in new.iter().zip(g_new_state).filter(|(_, &g)| g != 0.0) {
            grads[which][at] += g * y.eps;
            scale[which][at] += (g * y.eps).abs();
        }
    }
    (grads, scale)
}

/// [`Property::StepVjpMatchesDuals`]: every muscle from the sample's state, a record from
/// [`MuscleModel::integrate_all_record`], and output gradients of both signs, some zero; a
/// model that takes no fast path there passes. The failure names the muscle.
fn check_step_vjp<M: MuscleModel>(
    model: &M,
    s: &Sample,
    c: &CheckConfig,
) -> Result<(), (usize, Failure)> {
    let (n_m, ns, nd) = (model.n_muscles(), model.n_states(), model.n_derivatives());
    let x = input_vector(model, s);
    let mut state = Vec::new();
    let mut der = vec![0.0; n_m * nd];
    for m in 0..n_m {
        state.extend(prepared_state::<f64, M>(model, m, c.dt, &x));
        let st = &state[m * ns..(m + 1) * ns];
        model.derivative(m, x[3], st, &mut der[m * nd..(m + 1) * nd]);
    }
    let excitation = vec![x[3]; n_m];
    let (len, vel) = (vec![x[0]; n_m], vec![x[1]; n_m]);
    let (mut new, mut record) = (vec![0.0; n_m * ns], Vec::new());
    model.integrate_all_record(c.dt, &der, &state, &len, &vel, &mut new, &mut record);
    // every third output gradient zero, the others of both signs and unlike sizes
    let g: Vec<f64> = (0..n_m * ns)
        .map(|k| match k % 3 {
            0 => 0.0,
            1 => 0.5 + 0.1 * k as f64,
            _ => -1.0 / (1.0 + k as f64),
        })
        .collect();
    let inputs = crate::StepInputs {
        excitation: &excitation,
        state: &state,
        mt_len: &len,
        mt_vel: &vel,
    };
    let mut fast = [
        vec![0.0; n_m],
        vec![0.0; n_m * ns],
        vec![0.0; n_m],
        vec![0.0; n_m],
    ];
    let [fe, fs, fl, fv] = &mut fast;
    let grads = crate::StepGradients {
        excitation: fe,
        state: fs,
        mt_len: fl,
        mt_vel: fv,
    };
    if !model.step_vjp(c.dt, inputs, &record, &g, grads) {
        if fast.iter().flatten().any(|&v| v != 0.0) {
            let detail = "step_vjp returned false but added gradients".to_string();
            return Err((0, (Property::StepVjpMatchesDuals, detail)));
        }
        return Ok(());
    }
    let (duals, scale) = vjp_by_duals(model, c.dt, inputs, &record, &g);
    let names = ["excitation", "state", "mt_len", "mt_vel"];
    for (i, ((f, d), sc)) in fast.iter().zip(&duals).zip(&scale).enumerate() {
        for (j, ((&f, &d), &sc)) in f.iter().zip(d).zip(sc).enumerate() {
            let tol = 1e-8 * sc + 1e-12;
            if f.is_nan() != d.is_nan() || (f - d).abs() > tol {
                let (m, what) = if i == 1 {
                    (
                        j / ns,
                        format!("state[{}] '{}'", j % ns, model.state_names()[j % ns]),
                    )
                } else {
                    (j, names[i].to_string())
                };
                let detail =
                    format!("dL / d {what}: step_vjp {f} vs dual numbers {d} (tolerance {tol})");
                return Err((m, (Property::StepVjpMatchesDuals, detail)));
            }
        }
    }
    Ok(())
}
