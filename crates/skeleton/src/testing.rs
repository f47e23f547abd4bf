//! The conformance check every skeleton must pass, as library code: run it on your own
//! [`Skeleton`] with [`check_skeleton`].
//!
//! The check draws joint states, generalized forces, endpoint loads and points on bodies with a
//! small deterministic generator (no dependency, the same samples on every machine) and checks
//! these properties ([`Property`]):
//!
//! - **structure**: `dof` and `space_dim` are at least 1, [`Skeleton::check_body`] accepts the
//!   bodies `0..=n_bodies` and rejects `n_bodies + 1`, [`Skeleton::check_point`] rejects a point
//!   of the wrong dimension;
//! - **finite values**: acceleration, endpoint position and velocity, and a point's position,
//!   Jacobian and velocity are finite (inside the joint bounds, when given);
//! - **dual value** and **derivatives**: dual-number ([`Dual64`]) derivatives of
//!   [`Skeleton::acceleration`] (with respect to `q`, `q̇`, forces and load),
//!   [`Skeleton::joint_to_cartesian`] and [`Skeleton::point_velocity`] (position, Jacobian
//!   and velocity, with respect to `q` and `q̇`) equal Richardson-extrapolated central
//!   finite differences where the function is smooth within the step;
//! - **Jacobian consistent**: the Jacobian [`Skeleton::point_kinematics`] returns is the
//!   derivative of the position it returns, and the endpoint and point velocities are the time
//!   derivatives of their positions along `q + q̇ t`;
//! - **endpoint load**: the load acts through the endpoint Jacobian's transpose
//!   (`acceleration(τ, f) = acceleration(τ + Jᵀ f, no load)`), and an empty load slice is no
//!   load;
//! - **inverse inertia**: `∂q̈/∂τ` (the inverse inertia matrix) is symmetric and positive
//!   definite, as for any mechanical system driven by generalized forces;
//! - **f32 agrees with f64**: acceleration, endpoint and point kinematics agree to `f32`
//!   precision (inputs rounded to `f32` first);
//! - **posed queries**: points asked through [`Skeleton::posed`] (a skeleton's fast path for
//!   many points at one pose) equal [`Skeleton::point_kinematics`] to rounding.
//!
//! ```
//! use motornet_skeleton::testing::{check_skeleton, CheckConfig};
//! use motornet_skeleton::PointMass;
//!
//! let report = check_skeleton(&PointMass::new(3, 2.0)?, &CheckConfig::default())?;
//! assert_eq!(report.cases, 128);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{JointBounds, Skeleton};
use motornet_scalar::{Dual64, Scalar, SplitMix};
use std::fmt;
use thiserror::Error;

/// Settings of [`check_skeleton`]. The ranges are `(low, high)`, sampled uniformly.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckConfig {
    /// Number of samples.
    pub cases: usize,
    /// Seed of the sample generator (the same seed gives the same samples everywhere).
    pub seed: u64,
    /// Joint position range (rad or m).
    pub position: (f64, f64),
    /// Joint velocity range (rad/s or m/s).
    pub velocity: (f64, f64),
    /// Generalized force range (N·m or N).
    pub force: (f64, f64),
    /// Endpoint load range, per axis (N).
    pub endpoint_load: (f64, f64),
    /// Range of the local coordinates of points on bodies, per axis (m).
    pub local: (f64, f64),
    /// Joint bounds: if given, positions and velocities are drawn inside them as well as
    /// inside `position` and `velocity`.
    pub bounds: Option<JointBounds>,
    /// Derivative tolerance: `|dual − fd| <= rtol · max(|dual|, |fd|) + atol · scale`, with
    /// `scale` the largest output magnitude of the function (at least 1).
    pub derivative_rtol: f64,
    /// See `derivative_rtol`.
    pub derivative_atol: f64,
    /// `f32` tolerance: `|f32 − f64| <= f32_rtol · scale` (`scale` as above).
    pub f32_rtol: f64,
}

impl Default for CheckConfig {
    /// 128 samples: positions ±3.5, velocities ±6, forces ±10, loads ±20 N, points ±0.4 m, no
    /// bounds, derivative tolerances 1e-6 (relative) and 1e-8 (absolute, scaled), `f32`
    /// tolerance 1e-4.
    fn default() -> Self {
        Self {
            cases: 128,
            seed: 0x736b_656c_6574_6f6e,
            position: (-3.5, 3.5),
            velocity: (-6.0, 6.0),
            force: (-10.0, 10.0),
            endpoint_load: (-20.0, 20.0),
            local: (-0.4, 0.4),
            bounds: None,
            derivative_rtol: 1e-6,
            derivative_atol: 1e-8,
            f32_rtol: 1e-4,
        }
    }
}

/// The inputs of one checked sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Joint positions `[dof]`.
    pub q: Vec<f64>,
    /// Joint velocities `[dof]`.
    pub qd: Vec<f64>,
    /// Generalized forces `[dof]`.
    pub tau: Vec<f64>,
    /// Endpoint load `[space_dim]` (N).
    pub endpoint_load: Vec<f64>,
    /// Body of the checked point (`0..=n_bodies`).
    pub body: usize,
    /// The point in the body's frame `[space_dim]` (m).
    pub local: Vec<f64>,
}

impl fmt::Display for Sample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "q = {:?}, qd = {:?}, tau = {:?}, endpoint_load = {:?}, point {:?} on body {}",
            self.q, self.qd, self.tau, self.endpoint_load, self.local, self.body
        )
    }
}

impl Sample {
    /// Sample number `case` of the generator seeded with `config.seed`, for `skeleton`,
    /// inside the ranges (and bounds) of `config`.
    pub fn draw<K: Skeleton>(skeleton: &K, config: &CheckConfig, case: usize) -> Self {
        let (n, d) = (skeleton.dof(), skeleton.space_dim());
        let mut rng = SplitMix(config.seed ^ (case as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        let mut u = |r: (f64, f64)| r.0 + (r.1 - r.0) * rng.unit();
        let within = |r: (f64, f64), lo: Option<f64>, hi: Option<f64>| {
            (r.0.max(lo.unwrap_or(r.0)), r.1.min(hi.unwrap_or(r.1)))
        };
        let b = config.bounds.as_ref();
        let q = (0..n)
            .map(|j| {
                u(within(
                    config.position,
                    b.map(|b| b.pos_lower[j]),
                    b.map(|b| b.pos_upper[j]),
                ))
            })
            .collect();
        let qd = (0..n)
            .map(|j| {
                u(within(
                    config.velocity,
                    b.map(|b| b.vel_lower[j]),
                    b.map(|b| b.vel_upper[j]),
                ))
            })
            .collect();
        let tau = (0..n).map(|_| u(config.force)).collect();
        let endpoint_load = (0..d).map(|_| u(config.endpoint_load)).collect();
        let body =
            ((u((0.0, 1.0)) * (skeleton.n_bodies() + 1) as f64) as usize).min(skeleton.n_bodies());
        let local = (0..d).map(|_| u(config.local)).collect();
        Self {
            q,
            qd,
            tau,
            endpoint_load,
            body,
            local,
        }
    }
}

/// A property of [`check_skeleton`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Property {
    /// Sizes and body and point validation agree.
    Structure,
    /// Outputs are finite.
    FiniteValues,
    /// The value part of a dual-number evaluation equals the `f64` evaluation.
    DualValueMatchesF64,
    /// Dual-number derivatives equal central finite differences.
    DerivativesMatchFiniteDifferences,
    /// Returned Jacobians and velocities are the derivatives of the returned positions.
    JacobianConsistent,
    /// The endpoint load acts through the endpoint Jacobian's transpose.
    EndpointLoad,
    /// `∂q̈/∂τ` is symmetric and positive definite.
    InverseInertia,
    /// `f32` and `f64` agree to `f32` precision.
    F32MatchesF64,
    /// Point queries through [`Skeleton::posed`] equal [`Skeleton::point_kinematics`].
    PosedMatchesPointKinematics,
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Property::Structure => "structure",
            Property::FiniteValues => "finite values",
            Property::DualValueMatchesF64 => "dual value equals f64 value",
            Property::DerivativesMatchFiniteDifferences => {
                "dual-number derivatives equal finite differences"
            }
            Property::JacobianConsistent => "Jacobians and velocities are derivatives of positions",
            Property::EndpointLoad => "endpoint load acts through the endpoint Jacobian transpose",
            Property::InverseInertia => "d qdd / d tau is symmetric positive definite",
            Property::F32MatchesF64 => "f32 agrees with f64",
            Property::PosedMatchesPointKinematics => "posed point queries equal point_kinematics",
        })
    }
}

/// A property that failed at one sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// What failed.
    pub property: Property,
    /// [`Skeleton::name`].
    pub skeleton: String,
    /// The inputs.
    pub sample: Sample,
    /// Which output (and input), and the numbers.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} fails `{}`: {} at {}",
            self.skeleton, self.property, self.detail, self.sample
        )
    }
}

/// Why a skeleton fails the conformance check.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConformanceError {
    /// Sizes or validation disagree (property [`Property::Structure`]).
    #[error("{skeleton} fails `structure`: {reason}")]
    Structure {
        /// [`Skeleton::name`].
        skeleton: String,
        /// What is wrong.
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

/// What [`check_skeleton`] (or [`check_sample`]) checked, and how close it came to the
/// tolerances.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConformanceReport {
    /// Samples checked.
    pub cases: usize,
    /// Derivatives compared with finite differences.
    pub derivatives_compared: usize,
    /// Derivatives skipped because the function is not smooth within the finite-difference
    /// step there.
    pub derivatives_skipped: usize,
    /// The largest `|dual − fd| / tolerance` seen (below 1 when the check passes).
    pub worst_derivative_ratio: f64,
    /// The largest `|f32 − f64| / tolerance` seen.
    pub worst_f32_ratio: f64,
}

impl ConformanceReport {
    fn merge(&mut self, o: &ConformanceReport) {
        self.cases += o.cases;
        self.derivatives_compared += o.derivatives_compared;
        self.derivatives_skipped += o.derivatives_skipped;
        self.worst_derivative_ratio = self.worst_derivative_ratio.max(o.worst_derivative_ratio);
        self.worst_f32_ratio = self.worst_f32_ratio.max(o.worst_f32_ratio);
    }
}

/// Run the conformance check on `skeleton`: `config.cases` samples ([`Sample::draw`]).
/// Returns what was checked, or the first property that failed, naming the skeleton, the
/// inputs and the numbers.
pub fn check_skeleton<K: Skeleton>(
    skeleton: &K,
    config: &CheckConfig,
) -> Result<ConformanceReport, ConformanceError> {
    check_config(skeleton, config)?;
    check_structure(skeleton)?;
    let mut report = ConformanceReport::default();
    for case in 0..config.cases {
        let sample = Sample::draw(skeleton, config, case);
        report.merge(&check_sample(skeleton, &sample, config)?);
    }
    Ok(report)
}

/// The conformance check at one sample (for property-testing frameworks that draw their own
/// samples; `config`'s ranges, bounds and `cases` are not used). The sample's slices must
/// have the skeleton's sizes and its body must exist (else a [`Property::Structure`] error).
pub fn check_sample<K: Skeleton>(
    skeleton: &K,
    sample: &Sample,
    config: &CheckConfig,
) -> Result<ConformanceReport, ConformanceError> {
    check_structure(skeleton)?;
    let (n, d) = (skeleton.dof(), skeleton.space_dim());
    let s = sample;
    if s.q.len() != n
        || s.qd.len() != n
        || s.tau.len() != n
        || s.endpoint_load.len() != d
        || s.local.len() != d
        || s.body > skeleton.n_bodies()
    {
        return Err(ConformanceError::Structure {
            skeleton: skeleton.name().into(),
            reason: format!(
                "the sample does not fit dof = {n}, space_dim = {d}, n_bodies = {}: {s}",
                skeleton.n_bodies()
            ),
        });
    }
    let fail = |(property, detail): Failure| {
        ConformanceError::Violation(Box::new(Violation {
            property,
            skeleton: skeleton.name().into(),
            sample: sample.clone(),
            detail,
        }))
    };
    let mut report = ConformanceReport {
        cases: 1,
        ..ConformanceReport::default()
    };
    let funcs: [&dyn Checked<K>; 3] = [&Accel, &Cartesian, &PointVel];
    for f in funcs {
        let x = f.inputs(s);
        let y = f.eval_f64(skeleton, s, &x);
        if let Some((k, v)) = y.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            let out = f.output_name(skeleton, k);
            return Err(fail((Property::FiniteValues, format!("{out} = {v}"))));
        }
    }
    for f in funcs {
        check_derivatives(skeleton, f, s, config, &mut report).map_err(fail)?;
    }
    check_jacobians(skeleton, s).map_err(fail)?;
    check_posed(skeleton, s).map_err(fail)?;
    check_endpoint_load(skeleton, s).map_err(fail)?;
    check_inverse_inertia(skeleton, s).map_err(fail)?;
    check_f32(skeleton, s, config, &mut report).map_err(fail)?;
    Ok(report)
}

type Failure = (Property, String);

fn check_config<K: Skeleton>(skeleton: &K, c: &CheckConfig) -> Result<(), ConformanceError> {
    let bad = |field, reason: String| Err(ConformanceError::Config { field, reason });
    for (field, r) in [
        ("position", c.position),
        ("velocity", c.velocity),
        ("force", c.force),
        ("endpoint_load", c.endpoint_load),
        ("local", c.local),
    ] {
        if !(r.0.is_finite() && r.1.is_finite() && r.0 <= r.1) {
            return bad(
                field,
                format!("must be a finite range (low <= high), got {r:?}"),
            );
        }
    }
    for (field, v) in [
        ("derivative_rtol", c.derivative_rtol),
        ("derivative_atol", c.derivative_atol),
        ("f32_rtol", c.f32_rtol),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return bad(field, format!("must be finite and > 0, got {v}"));
        }
    }
    if let Some(b) = &c.bounds {
        let n = skeleton.dof();
        if [&b.pos_lower, &b.pos_upper, &b.vel_lower, &b.vel_upper]
            .iter()
            .any(|v| v.len() != n)
        {
            return bad("bounds", format!("must have dof = {n} entries per bound"));
        }
        for j in 0..n {
            let p = (
                c.position.0.max(b.pos_lower[j]),
                c.position.1.min(b.pos_upper[j]),
            );
            let v = (
                c.velocity.0.max(b.vel_lower[j]),
                c.velocity.1.min(b.vel_upper[j]),
            );
            if p.0 > p.1 || v.0 > v.1 {
                return bad(
                    "bounds",
                    format!("joint {j}: the bounds leave no position or velocity in range"),
                );
            }
        }
    }
    Ok(())
}

/// Property [`Property::Structure`].
pub fn check_structure<K: Skeleton>(skeleton: &K) -> Result<(), ConformanceError> {
    let fail = |reason: String| {
        Err(ConformanceError::Structure {
            skeleton: skeleton.name().into(),
            reason,
        })
    };
    let (n, d, b) = (skeleton.dof(), skeleton.space_dim(), skeleton.n_bodies());
    if n == 0 || d == 0 {
        return fail(format!("dof = {n} and space_dim = {d} must be at least 1"));
    }
    if let Some(body) = (0..=b).find(|&body| skeleton.check_body(body).is_err()) {
        return fail(format!("check_body rejects body {body} of 0..={b}"));
    }
    if skeleton.check_body(b + 1).is_ok() {
        return fail(format!(
            "check_body accepts body {} beyond n_bodies = {b}",
            b + 1
        ));
    }
    if skeleton.check_point(0, &vec![0.0; d + 1]).is_ok() {
        return fail(format!(
            "check_point accepts a point of {} coordinates (space_dim = {d})",
            d + 1
        ));
    }
    Ok(())
}

/// A skeleton function checked against finite differences: inputs packed into one vector.
trait Checked<K: Skeleton> {
    /// The input vector of a sample.
    fn inputs(&self, s: &Sample) -> Vec<f64>;
    fn input_name(&self, k: &K, i: usize) -> String;
    fn output_name(&self, k: &K, i: usize) -> String;
    fn eval_f64(&self, k: &K, s: &Sample, x: &[f64]) -> Vec<f64>;
    fn eval_dual(&self, k: &K, s: &Sample, x: &[Dual64]) -> Vec<Dual64>;
    fn eval_f32(&self, k: &K, s: &Sample, x: &[f32]) -> Vec<f32>;
}

fn joint_name(n: usize, i: usize, names: &[&str]) -> String {
    format!("{}[{}]", names[i / n], i % n)
}

/// `[q, qd, tau, endpoint_load] → qdd`.
struct Accel;
fn accel<S: Scalar, K: Skeleton>(k: &K, x: &[S]) -> Vec<S> {
    let n = k.dof();
    let mut out = vec![S::zero(); n];
    k.acceleration(
        &x[..n],
        &x[n..2 * n],
        &x[2 * n..3 * n],
        &x[3 * n..],
        &mut out,
    );
    out
}
impl<K: Skeleton> Checked<K> for Accel {
    fn inputs(&self, s: &Sample) -> Vec<f64> {
        [&s.q[..], &s.qd, &s.tau, &s.endpoint_load].concat()
    }
    fn input_name(&self, k: &K, i: usize) -> String {
        let n = k.dof();
        if i < 3 * n {
            joint_name(n, i, &["q", "qd", "tau"])
        } else {
            format!("endpoint_load[{}]", i - 3 * n)
        }
    }
    fn output_name(&self, _k: &K, i: usize) -> String {
        format!("acceleration qdd[{i}]")
    }
    fn eval_f64(&self, k: &K, _s: &Sample, x: &[f64]) -> Vec<f64> {
        accel(k, x)
    }
    fn eval_dual(&self, k: &K, _s: &Sample, x: &[Dual64]) -> Vec<Dual64> {
        accel(k, x)
    }
    fn eval_f32(&self, k: &K, _s: &Sample, x: &[f32]) -> Vec<f32> {
        accel(k, x)
    }
}

/// `[q, qd] → [pos, vel]` of the endpoint.
struct Cartesian;
fn cartesian<S: Scalar, K: Skeleton>(k: &K, x: &[S]) -> Vec<S> {
    let (n, d) = (k.dof(), k.space_dim());
    let mut out = vec![S::zero(); 2 * d];
    let (pos, vel) = out.split_at_mut(d);
    k.joint_to_cartesian(&x[..n], &x[n..], pos, vel);
    out
}
impl<K: Skeleton> Checked<K> for Cartesian {
    fn inputs(&self, s: &Sample) -> Vec<f64> {
        [&s.q[..], &s.qd].concat()
    }
    fn input_name(&self, k: &K, i: usize) -> String {
        joint_name(k.dof(), i, &["q", "qd"])
    }
    fn output_name(&self, k: &K, i: usize) -> String {
        let d = k.space_dim();
        format!("joint_to_cartesian {}[{}]", ["pos", "vel"][i / d], i % d)
    }
    fn eval_f64(&self, k: &K, _s: &Sample, x: &[f64]) -> Vec<f64> {
        cartesian(k, x)
    }
    fn eval_dual(&self, k: &K, _s: &Sample, x: &[Dual64]) -> Vec<Dual64> {
        cartesian(k, x)
    }
    fn eval_f32(&self, k: &K, _s: &Sample, x: &[f32]) -> Vec<f32> {
        cartesian(k, x)
    }
}

/// `[q, qd] → [pos, dpos_dq, vel]` of the sample's point ([`Skeleton::point_velocity`]).
struct PointVel;
fn point_vel<S: Scalar, K: Skeleton>(k: &K, s: &Sample, x: &[S]) -> Vec<S> {
    let (n, d) = (k.dof(), k.space_dim());
    let mut out = vec![S::zero(); 2 * d + d * n];
    let (pos, rest) = out.split_at_mut(d);
    let (jac, vel) = rest.split_at_mut(d * n);
    k.point_velocity(s.body, &s.local, &x[..n], &x[n..], pos, jac, vel);
    out
}
impl<K: Skeleton> Checked<K> for PointVel {
    fn inputs(&self, s: &Sample) -> Vec<f64> {
        [&s.q[..], &s.qd].concat()
    }
    fn input_name(&self, k: &K, i: usize) -> String {
        joint_name(k.dof(), i, &["q", "qd"])
    }
    fn output_name(&self, k: &K, i: usize) -> String {
        let (n, d) = (k.dof(), k.space_dim());
        if i < d {
            format!("point pos[{i}]")
        } else if i < d + d * n {
            let j = i - d;
            format!("point dpos_dq[{}][{}]", j / n, j % n)
        } else {
            format!("point vel[{}]", i - d - d * n)
        }
    }
    fn eval_f64(&self, k: &K, s: &Sample, x: &[f64]) -> Vec<f64> {
        point_vel(k, s, x)
    }
    fn eval_dual(&self, k: &K, s: &Sample, x: &[Dual64]) -> Vec<Dual64> {
        point_vel(k, s, x)
    }
    fn eval_f32(&self, k: &K, s: &Sample, x: &[f32]) -> Vec<f32> {
        point_vel(k, s, x)
    }
}

fn scale_of(y: &[f64]) -> f64 {
    y.iter().fold(1.0f64, |a, v| a.max(v.abs()))
}

fn seeded(x: &[f64], i: usize) -> Vec<Dual64> {
    x.iter()
        .enumerate()
        .map(|(j, &v)| Dual64::new(v, if i == j { 1.0 } else { 0.0 }))
        .collect()
}

fn check_derivatives<K: Skeleton>(
    k: &K,
    f: &dyn Checked<K>,
    s: &Sample,
    c: &CheckConfig,
    report: &mut ConformanceReport,
) -> Result<(), Failure> {
    let base = f.inputs(s);
    let value = f.eval_f64(k, s, &base);
    let scale = scale_of(&value);
    let at = |i: usize, delta: f64| {
        let mut p = base.clone();
        p[i] += delta;
        f.eval_f64(k, s, &p)
    };
    for i in 0..base.len() {
        let dual = f.eval_dual(k, s, &seeded(&base, i));
        let h = 1e-4 * base[i].abs().max(0.1);
        let (plus, minus) = (at(i, h), at(i, -h));
        let (plus2, minus2) = (at(i, h / 2.0), at(i, -h / 2.0));
        for o in 0..value.len() {
            let re = dual[o].re;
            if re.is_nan() || (re - value[o]).abs() > 1e-12 * scale {
                return Err((
                    Property::DualValueMatchesF64,
                    format!(
                        "{}: dual value {re} vs f64 {} (seeding {})",
                        f.output_name(k, o),
                        value[o],
                        f.input_name(k, i)
                    ),
                ));
            }
            let fwd = (plus[o] - value[o]) / h;
            let bwd = (value[o] - minus[o]) / h;
            let c1 = (plus[o] - minus[o]) / (2.0 * h);
            let c2 = (plus2[o] - minus2[o]) / h;
            let central = (4.0 * c2 - c1) / 3.0;
            // a kink or a branch switch within ±h: finite differences are no reference there
            let smooth = (fwd - bwd).abs() <= 1e-2 * (fwd.abs() + bwd.abs()) + 1e-6 * scale;
            if !smooth || !central.is_finite() {
                report.derivatives_skipped += 1;
                continue;
            }
            report.derivatives_compared += 1;
            let d = dual[o].eps;
            let tol = c.derivative_rtol * d.abs().max(central.abs()) + c.derivative_atol * scale;
            let ratio = (d - central).abs() / tol;
            report.worst_derivative_ratio = report.worst_derivative_ratio.max(ratio);
            if ratio.is_nan() || ratio > 1.0 {
                return Err((
                    Property::DerivativesMatchFiniteDifferences,
                    format!(
                        "d {} / d {}: dual {d} vs finite difference {central} (tolerance {tol})",
                        f.output_name(k, o),
                        f.input_name(k, i)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Central difference of `g` along `t` (Richardson-extrapolated).
fn richardson(g: impl Fn(f64) -> Vec<f64>, h: f64) -> Vec<f64> {
    let (p, m, p2, m2) = (g(h), g(-h), g(h / 2.0), g(-h / 2.0));
    (0..p.len())
        .map(|i| {
            let c1 = (p[i] - m[i]) / (2.0 * h);
            let c2 = (p2[i] - m2[i]) / h;
            (4.0 * c2 - c1) / 3.0
        })
        .collect()
}

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()) + 1e-8 * scale
}

/// Property [`Property::PosedMatchesPointKinematics`]: the sample's point, the same point on
/// every other body and the origin of every body, asked in one [`Skeleton::posed`] call, equal
/// separate [`Skeleton::point_kinematics`] calls to rounding (1e-12 of their scale).
fn check_posed<K: Skeleton>(k: &K, s: &Sample) -> Result<(), Failure> {
    let (n, d) = (k.dof(), k.space_dim());
    let origin = vec![0.0; d];
    let mut points: Vec<(usize, &[f64])> = vec![(s.body, &s.local[..])];
    for b in 0..=k.n_bodies() {
        points.push((b, &s.local[..]));
        points.push((b, &origin[..]));
    }
    let single: Vec<(Vec<f64>, Vec<f64>)> = points
        .iter()
        .map(|&(b, l)| {
            let (mut pos, mut jac) = (vec![0.0; d], vec![0.0; d * n]);
            k.point_kinematics(b, l, &s.q, &mut pos, &mut jac);
            (pos, jac)
        })
        .collect();
    let posed: Vec<(Vec<f64>, Vec<f64>)> = k.posed(&s.q, |p| {
        points
            .iter()
            .map(|&(b, l)| {
                // NaN first: a query that writes nothing fails the comparison
                let (mut pos, mut jac) = (vec![f64::NAN; d], vec![f64::NAN; d * n]);
                p.point_kinematics(b, l, &mut pos, &mut jac);
                (pos, jac)
            })
            .collect()
    });
    for (((b, l), (p1, j1)), (p2, j2)) in points.iter().zip(&single).zip(&posed) {
        let scale = scale_of(p1).max(scale_of(j1));
        let bad = p1
            .iter()
            .chain(j1)
            .zip(p2.iter().chain(j2))
            .any(|(x, y)| (x - y).abs() > 1e-12 * scale || x.is_nan() != y.is_nan());
        if bad {
            return Err((
                Property::PosedMatchesPointKinematics,
                format!(
                    "point {l:?} on body {b}: posed gives pos {p2:?}, dpos_dq {j2:?}; \
                     point_kinematics gives pos {p1:?}, dpos_dq {j1:?}"
                ),
            ));
        }
    }
    Ok(())
}

fn check_jacobians<K: Skeleton>(k: &K, s: &Sample) -> Result<(), Failure> {
    let (n, d) = (k.dof(), k.space_dim());
    let fail = |detail| Err((Property::JacobianConsistent, detail));
    // the Jacobian point_kinematics returns is d pos / d q of the position it returns
    let point = |q: &[f64]| {
        let (mut pos, mut jac) = (vec![0.0; d], vec![0.0; d * n]);
        k.point_kinematics(s.body, &s.local, q, &mut pos, &mut jac);
        (pos, jac)
    };
    let (pos, jac) = point(&s.q);
    let scale = scale_of(&pos).max(scale_of(&jac));
    for j in 0..n {
        let fd = richardson(
            |t| {
                let mut q = s.q.clone();
                q[j] += t;
                point(&q).0
            },
            1e-4 * s.q[j].abs().max(0.1),
        );
        for i in 0..d {
            if !close(jac[i * n + j], fd[i], scale) {
                return fail(format!(
                    "point_kinematics dpos_dq[{i}][{j}] = {} vs finite difference of pos {}",
                    jac[i * n + j],
                    fd[i]
                ));
            }
        }
    }
    // endpoint and point velocities are d pos / dt along q + qd t
    let along = |t: f64| -> Vec<f64> { s.q.iter().zip(&s.qd).map(|(q, v)| q + v * t).collect() };
    let h = 1e-4 / scale_of(&s.qd);
    let y = cartesian::<f64, K>(k, &[&s.q[..], &s.qd].concat());
    let fd = richardson(
        |t| cartesian::<f64, K>(k, &[&along(t)[..], &s.qd].concat())[..d].to_vec(),
        h,
    );
    let vscale = scale_of(&y);
    for i in 0..d {
        if !close(y[d + i], fd[i], vscale) {
            return fail(format!(
                "joint_to_cartesian vel[{i}] = {} vs d pos[{i}] / dt along q + qd t = {}",
                y[d + i],
                fd[i]
            ));
        }
    }
    let y = point_vel::<f64, K>(k, s, &[&s.q[..], &s.qd].concat());
    let fd = richardson(|t| point(&along(t)).0, h);
    let vel = &y[d + d * n..];
    let vscale = scale_of(vel).max(scale_of(&pos));
    for i in 0..d {
        if !close(vel[i], fd[i], vscale) {
            return fail(format!(
                "point_velocity vel[{i}] = {} vs d pos[{i}] / dt along q + qd t = {}",
                vel[i], fd[i]
            ));
        }
    }
    Ok(())
}

fn check_endpoint_load<K: Skeleton>(k: &K, s: &Sample) -> Result<(), Failure> {
    let (n, d) = (k.dof(), k.space_dim());
    let fail = |detail| Err((Property::EndpointLoad, detail));
    // the endpoint Jacobian, from dual numbers through joint_to_cartesian
    let mut jt_f = vec![0.0; n];
    for (j, g) in jt_f.iter_mut().enumerate() {
        let x = seeded(&[&s.q[..], &s.qd].concat(), j);
        let y = cartesian::<Dual64, K>(k, &x);
        *g = (0..d).map(|i| y[i].eps * s.endpoint_load[i]).sum();
    }
    let run = |tau: &[f64], load: &[f64]| {
        let mut out = vec![0.0; n];
        k.acceleration(&s.q, &s.qd, tau, load, &mut out);
        out
    };
    let with_load = run(&s.tau, &s.endpoint_load);
    let tau_plus: Vec<f64> = s.tau.iter().zip(&jt_f).map(|(a, b)| a + b).collect();
    let as_force = run(&tau_plus, &vec![0.0; d]);
    let scale = scale_of(&with_load);
    for j in 0..n {
        if (with_load[j] - as_force[j]).abs() > 1e-9 * scale {
            return fail(format!(
                "qdd[{j}] = {} with the load, {} with tau + J^T load = {:?} and no load",
                with_load[j], as_force[j], tau_plus
            ));
        }
    }
    let (empty, zero) = (run(&s.tau, &[]), run(&s.tau, &vec![0.0; d]));
    for j in 0..n {
        if (empty[j] - zero[j]).abs() > 1e-12 * scale_of(&zero) {
            return fail(format!(
                "qdd[{j}] = {} with an empty load slice, {} with a zero load",
                empty[j], zero[j]
            ));
        }
    }
    Ok(())
}

fn check_inverse_inertia<K: Skeleton>(k: &K, s: &Sample) -> Result<(), Failure> {
    let n = k.dof();
    let x = <Accel as Checked<K>>::inputs(&Accel, s);
    // column j of d qdd / d tau
    let cols: Vec<Vec<f64>> = (0..n)
        .map(|j| {
            accel::<Dual64, K>(k, &seeded(&x, 2 * n + j))
                .iter()
                .map(|v| v.eps)
                .collect()
        })
        .collect();
    let a = |i: usize, j: usize| cols[j][i];
    let scale = (0..n).map(|i| a(i, i).abs()).fold(0.0, f64::max);
    for i in 0..n {
        for j in 0..i {
            if (a(i, j) - a(j, i)).abs() > 1e-9 * scale {
                return Err((
                    Property::InverseInertia,
                    format!(
                        "d qdd[{i}] / d tau[{j}] = {} but d qdd[{j}] / d tau[{i}] = {}",
                        a(i, j),
                        a(j, i)
                    ),
                ));
            }
        }
    }
    // Cholesky: every pivot positive
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = 0.5 * (a(i, j) + a(j, i));
            for p in 0..j {
                sum -= l[i * n + p] * l[j * n + p];
            }
            if i == j {
                if sum.is_nan() || sum <= 1e-12 * scale {
                    return Err((
                        Property::InverseInertia,
                        format!(
                            "d qdd / d tau = {cols:?} (by columns) is not positive definite \
                             (pivot {i} = {sum})"
                        ),
                    ));
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    Ok(())
}

fn check_f32<K: Skeleton>(
    k: &K,
    s: &Sample,
    c: &CheckConfig,
    report: &mut ConformanceReport,
) -> Result<(), Failure> {
    let funcs: [&dyn Checked<K>; 3] = [&Accel, &Cartesian, &PointVel];
    for f in funcs {
        let x32: Vec<f32> = f.inputs(s).iter().map(|&v| v as f32).collect();
        let x64: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
        let (y32, y64) = (f.eval_f32(k, s, &x32), f.eval_f64(k, s, &x64));
        let tol = c.f32_rtol * scale_of(&y64);
        for (o, (a, b)) in y32.iter().zip(&y64).enumerate() {
            let ratio = (*a as f64 - b).abs() / tol;
            report.worst_f32_ratio = report.worst_f32_ratio.max(ratio);
            if ratio.is_nan() || ratio > 1.0 {
                return Err((
                    Property::F32MatchesF64,
                    format!(
                        "{}: f32 {a} vs f64 {b} (tolerance {tol}; inputs rounded to f32)",
                        f.output_name(k, o)
                    ),
                ));
            }
        }
    }
    Ok(())
}
