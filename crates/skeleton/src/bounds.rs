//! Joint position and velocity limits, and MotorNet's clipped joint-state update.

use motornet_scalar::{select, Scalar};

use crate::error::SkeletonError;

/// Per-joint position and velocity limits of a skeleton, one entry per degree of freedom.
///
/// Positions are in rad (arm) or m (point mass); velocities in rad/s or m/s.
///
/// # Infinite bounds
/// A bound may be infinite on its open side: a lower bound may be `−∞` and an upper bound `+∞`
/// ("no limit"). NaN, a lower bound of `+∞` and an upper bound of `−∞` are rejected by
/// [`JointBounds::new`]. [`JointBounds::unbounded`] uses `±∞` positions and MotorNet's `±1000`
/// velocities, and satisfies the same rules (it is built through [`JointBounds::new`]).
/// In `f32` a finite bound beyond `f32::MAX` rounds to `±∞`, which behaves the same way.
///
/// The fields are public for reading; build values with [`JointBounds::new`] so they are
/// validated (the update itself never panics on unvalidated values, but its result is then
/// meaningless).
#[derive(Debug, Clone, PartialEq)]
pub struct JointBounds {
    /// Lower position bound per joint (rad or m).
    pub pos_lower: Vec<f64>,
    /// Upper position bound per joint (rad or m).
    pub pos_upper: Vec<f64>,
    /// Lower velocity bound per joint (rad/s or m/s).
    pub vel_lower: Vec<f64>,
    /// Upper velocity bound per joint (rad/s or m/s).
    pub vel_upper: Vec<f64>,
}

fn check_len(bound: &'static str, v: &[f64], dof: usize) -> Result<(), SkeletonError> {
    if v.len() == dof {
        Ok(())
    } else {
        Err(SkeletonError::BoundLength {
            bound,
            len: v.len(),
            dof,
        })
    }
}

fn check_values(bound: &'static str, v: &[f64], is_lower: bool) -> Result<(), SkeletonError> {
    for (joint, &value) in v.iter().enumerate() {
        let ok = value.is_finite()
            || (is_lower && value == f64::NEG_INFINITY)
            || (!is_lower && value == f64::INFINITY);
        if !ok {
            return Err(SkeletonError::InvalidBound {
                bound,
                joint,
                value,
            });
        }
    }
    Ok(())
}

fn check_order(
    lower_name: &'static str,
    upper_name: &'static str,
    lo: &[f64],
    hi: &[f64],
) -> Result<(), SkeletonError> {
    for (joint, (&lower, &upper)) in lo.iter().zip(hi).enumerate() {
        if lower > upper {
            return Err(SkeletonError::BoundOrder {
                lower_name,
                upper_name,
                joint,
                lower,
                upper,
            });
        }
    }
    Ok(())
}

impl JointBounds {
    /// Bounds for a skeleton with `dof` joints; each vector has one entry per joint.
    ///
    /// # Errors
    /// - [`SkeletonError::BoundLength`] if a vector does not have `dof` entries,
    /// - [`SkeletonError::InvalidBound`] for a NaN entry, a lower bound of `+∞` or an upper bound
    ///   of `−∞`,
    /// - [`SkeletonError::BoundOrder`] if a lower bound exceeds its upper bound.
    ///
    /// Each error names the bound (`pos_lower`, …) and, where relevant, the joint.
    pub fn new(
        dof: usize,
        pos_lower: Vec<f64>,
        pos_upper: Vec<f64>,
        vel_lower: Vec<f64>,
        vel_upper: Vec<f64>,
    ) -> Result<Self, SkeletonError> {
        check_len("pos_lower", &pos_lower, dof)?;
        check_len("pos_upper", &pos_upper, dof)?;
        check_len("vel_lower", &vel_lower, dof)?;
        check_len("vel_upper", &vel_upper, dof)?;
        check_values("pos_lower", &pos_lower, true)?;
        check_values("pos_upper", &pos_upper, false)?;
        check_values("vel_lower", &vel_lower, true)?;
        check_values("vel_upper", &vel_upper, false)?;
        check_order("pos_lower", "pos_upper", &pos_lower, &pos_upper)?;
        check_order("vel_lower", "vel_upper", &vel_lower, &vel_upper)?;
        Ok(Self {
            pos_lower,
            pos_upper,
            vel_lower,
            vel_upper,
        })
    }

    /// No position limits (`±∞`) and MotorNet's default velocity limits `±1000` (rad/s or m/s)
    /// for `dof` joints.
    pub fn unbounded(dof: usize) -> Self {
        Self::new(
            dof,
            vec![f64::NEG_INFINITY; dof],
            vec![f64::INFINITY; dof],
            vec![-1000.0; dof],
            vec![1000.0; dof],
        )
        .expect("unbounded joint limits are valid")
    }

    /// Number of joints these bounds are for.
    pub fn dof(&self) -> usize {
        self.pos_lower.len()
    }

    /// Whether every joint position `q[dof]` and velocity `qd[dof]` lies within its bounds
    /// (inclusive; compared by real part). NaN is never contained.
    pub fn contains<S: Scalar>(&self, q: &[S], qd: &[S]) -> bool {
        debug_assert_eq!(q.len(), self.dof());
        debug_assert_eq!(qd.len(), self.dof());
        let inside = |x: f64, lo: f64, hi: f64| x >= lo && x <= hi;
        (0..self.dof()).all(|i| {
            (0..S::LANES).all(|l| inside(q[i].lane(l), self.pos_lower[i], self.pos_upper[i]))
                && (0..S::LANES)
                    .all(|l| inside(qd[i].lane(l), self.vel_lower[i], self.vel_upper[i]))
        })
    }

    /// MotorNet's explicit Euler joint update with clipping, over `dt` seconds.
    ///
    /// From positions `q[dof]`, velocities `qd[dof]` and accelerations `qdd[dof]`, writes
    /// `q_new[dof]` and `qd_new[dof]`: per joint,
    /// 1. `v = qd + qdd · dt`, `p = q + qd · dt` (the position uses the *old* velocity),
    /// 2. `v = clamp(v, vel_lower, vel_upper)`,
    /// 3. `v = 0` where `v < 0` and `p <= pos_lower`, and where `v > 0` and `p >= pos_upper`
    ///    (a joint at or past a limit cannot keep moving outward),
    /// 4. `p = clamp(p, pos_lower, pos_upper)`.
    ///
    /// `clamp(x, lo, hi) = min(max(x, lo), hi)` as in [`Scalar::clamp`]: the result carries the
    /// derivative of the selected branch (zero when clipped to a bound; the zeroed velocity has
    /// zero derivative). Bounds are rounded to `S` before comparing, as MotorNet compares in the
    /// tensor's precision.
    pub fn integrate<S: Scalar>(
        &self,
        dt: f64,
        q: &[S],
        qd: &[S],
        qdd: &[S],
        q_new: &mut [S],
        qd_new: &mut [S],
    ) {
        let n = self.dof();
        debug_assert_eq!(q.len(), n);
        debug_assert_eq!(qd.len(), n);
        debug_assert_eq!(qdd.len(), n);
        debug_assert_eq!(q_new.len(), n);
        debug_assert_eq!(qd_new.len(), n);
        let dt = S::c(dt);
        for i in 0..n {
            let p_lo = S::c(self.pos_lower[i]);
            let p_hi = S::c(self.pos_upper[i]);
            let v = qd[i] + qdd[i] * dt;
            let p = q[i] + qd[i] * dt;
            let v = v.clamp(S::c(self.vel_lower[i]), S::c(self.vel_upper[i]));
            let v = select(v.lt(S::zero()) & p.le(p_lo), S::zero(), v);
            let v = select(v.gt(S::zero()) & p.ge(p_hi), S::zero(), v);
            qd_new[i] = v;
            q_new[i] = p.clamp(p_lo, p_hi);
        }
    }
}
