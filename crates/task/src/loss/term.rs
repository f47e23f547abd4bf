//! Loss terms written once over the scalar, with automatic gradients.
//!
//! Implement [`LossTerm`]: one method that computes the loss of an episode from an
//! [`EpisodeValues`] of any [`Scalar`]. Wrap it in [`Auto`] and it is a [`Loss`]: its value is
//! computed in `f64`, and its gradient with respect to every field it reads by reverse-mode
//! automatic differentiation ([`Rev`]: one recording and one backward sweep per episode). No
//! derivative is written by hand.
//!
//! ```
//! use motornet_scalar::Scalar;
//! use motornet_task::loss::{Auto, EpisodeValues, Fields, LossSum, LossTerm};
//!
//! /// Mean over the states of Σ_j q_j², the joint angles squared (rad²).
//! struct JointAngles;
//!
//! impl LossTerm for JointAngles {
//!     fn name(&self) -> &str {
//!         "joint_angles"
//!     }
//!     fn reads(&self) -> Fields {
//!         Fields::JOINT
//!     }
//!     fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
//!         let (dof, states) = (ep.dof, ep.states());
//!         let mut sum = S::zero();
//!         for t in 0..states {
//!             for &q in &ep.joint[t * 2 * dof..t * 2 * dof + dof] {
//!                 sum += q * q;
//!             }
//!         }
//!         sum.scale(1.0 / states as f64)
//!     }
//! }
//!
//! let losses = LossSum::new().with(0.1, Auto(JointAngles)).unwrap();
//! # let _ = losses;
//! ```

use super::{prepare, EpisodeGrad, EpisodeView, Loss};
use motornet_scalar::{Rev, RevTape, Scalar};
use std::cell::RefCell;
use std::ops::BitOr;

/// A set of [`EpisodeView`] fields: what a [`LossTerm`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fields(u16);

impl Fields {
    /// Fingertip position and velocity.
    pub const FINGERTIP: Self = Self(1);
    /// Muscle activations.
    pub const ACTIVATION: Self = Self(1 << 1);
    /// The network's hidden states.
    pub const HIDDEN: Self = Self(1 << 2);
    /// Joint state.
    pub const JOINT: Self = Self(1 << 3);
    /// Muscle states (force included).
    pub const MUSCLE: Self = Self(1 << 4);
    /// Geometry (lengths, velocities, moment arms).
    pub const GEOMETRY: Self = Self(1 << 5);
    /// The commands the effector received.
    pub const EXCITATION: Self = Self(1 << 6);
    /// The network's outputs.
    pub const OUTPUT: Self = Self(1 << 7);
    /// The goal.
    pub const GOAL: Self = Self(1 << 8);
    /// Every field.
    pub const ALL: Self = Self((1 << 9) - 1);
    /// No field.
    pub const NONE: Self = Self(0);

    /// Whether every field of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
    /// The fields of both.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
    /// Field number `i` in [`EpisodeGrad::buffers`]' order.
    const fn nth(i: usize) -> Self {
        Self(1 << i)
    }
}

impl BitOr for Fields {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

/// One element's episode as a [`LossTerm`] sees it: the fields of [`EpisodeView`] (same shapes,
/// same units) in a scalar type `S`. The fields the term does not declare in
/// [`LossTerm::reads`] are empty slices.
#[derive(Debug, Clone, Copy)]
pub struct EpisodeValues<'a, S> {
    /// Time step between consecutive states (s).
    pub dt: f64,
    /// Space dimension d of the fingertip.
    pub space_dim: usize,
    /// Number of muscles M.
    pub n_muscles: usize,
    /// Hidden size H.
    pub hidden_size: usize,
    /// Degrees of freedom of the skeleton.
    pub dof: usize,
    /// State entries per muscle.
    pub n_muscle_states: usize,
    /// Number of steps T (there are T + 1 states).
    pub steps: usize,
    /// `[(T+1) × 2d]`: fingertip position (m) then velocity (m/s).
    pub fingertip: &'a [S],
    /// `[(T+1) × M]`: activations.
    pub activation: &'a [S],
    /// `[T × H]`: hidden states.
    pub hidden: &'a [S],
    /// `[(T+1) × 2·dof]`: joint positions then velocities.
    pub joint: &'a [S],
    /// `[(T+1) × M·n_states]`: muscle states (force (N) last in each muscle's block).
    pub muscle: &'a [S],
    /// `[(T+1) × (2 + dof)·M]`: lengths (m), velocities (m/s), moment arms (m).
    pub geometry: &'a [S],
    /// `[T × M]`: the commands the effector received.
    pub excitation: &'a [S],
    /// `[T × M]`: the network's outputs.
    pub output: &'a [S],
    /// `[(T+1) × d]`: the goal (m).
    pub goal: &'a [S],
}

impl<S> EpisodeValues<'_, S> {
    /// Number of states, T + 1.
    pub fn states(&self) -> usize {
        self.steps + 1
    }
}

/// A loss written once over [`Scalar`]; wrap it in [`Auto`] to use it as a [`Loss`].
pub trait LossTerm: Send + Sync {
    /// Short name, for logs and error messages.
    fn name(&self) -> &str;
    /// The fields [`LossTerm::value`] reads (the others are empty). The default, every field,
    /// is always correct; naming fewer makes the gradient cheaper.
    fn reads(&self) -> Fields {
        Fields::ALL
    }
    /// The loss of one element's episode. Branch on values with [`Scalar::select`] and the
    /// comparison masks, not with `if`, so that the derivative follows the branch taken.
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S;
}

/// A [`LossTerm`] as a [`Loss`]: the value in `f64`, the gradient by reverse mode.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Auto<L>(pub L);

thread_local! {
    /// Reused per-thread buffers of recorded inputs, one per field.
    static INPUTS: RefCell<[Vec<Rev>; 9]> = RefCell::new(Default::default());
}

fn fields<'a>(ep: &EpisodeView<'a>) -> [&'a [f64]; 9] {
    [
        ep.fingertip,
        ep.activation,
        ep.hidden,
        ep.joint,
        ep.muscle,
        ep.geometry,
        ep.excitation,
        ep.output,
        ep.goal,
    ]
}

fn values<'a, S>(ep: &EpisodeView, steps: usize, f: [&'a [S]; 9]) -> EpisodeValues<'a, S> {
    let [fingertip, activation, hidden, joint, muscle, geometry, excitation, output, goal] = f;
    EpisodeValues {
        dt: ep.dt,
        space_dim: ep.space_dim,
        n_muscles: ep.n_muscles,
        hidden_size: ep.hidden_size,
        dof: ep.dof,
        n_muscle_states: ep.n_muscle_states,
        steps,
        fingertip,
        activation,
        hidden,
        joint,
        muscle,
        geometry,
        excitation,
        output,
        goal,
    }
}

impl<L: LossTerm> Loss for Auto<L> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn reads(&self) -> Fields {
        self.0.reads()
    }

    fn value_and_grad(&self, ep: &EpisodeView, grad: Option<&mut EpisodeGrad>, scale: f64) -> f64 {
        let Some(t) = prepare(ep, grad.as_deref()) else {
            return f64::NAN;
        };
        let reads = self.0.reads();
        let mut all = fields(ep);
        for (i, f) in all.iter_mut().enumerate() {
            if !reads.contains(Fields::nth(i)) {
                *f = &[];
            }
        }
        let Some(grad) = grad else {
            return self.0.value::<f64>(&values(ep, t, all));
        };
        // a recording already live on this thread (a loss evaluated inside another's
        // recording) cannot be nested: NaN, buffers untouched, as for a bad view
        let Ok(tape) = RevTape::try_start() else {
            return f64::NAN;
        };
        INPUTS.with(|inputs| {
            let mut inputs = inputs.borrow_mut();
            for (vars, f) in inputs.iter_mut().zip(all) {
                tape.vars_into(f, vars);
            }
            let recorded: [&[Rev]; 9] = std::array::from_fn(|i| &inputs[i][..]);
            let y = self.0.value::<Rev>(&values(ep, t, recorded));
            let g = tape.gradient(y);
            let mut at = 0;
            for (buffer, f) in grad.buffers().into_iter().zip(all) {
                for (b, v) in buffer.iter_mut().zip(&g[at..at + f.len()]) {
                    *b += scale * v;
                }
                at += f.len();
            }
            y.value()
        })
    }
}

// The built-in losses as loss terms: the automatic reference their hand-written gradients
// are tested against (`tests/losses.rs`), and what `Auto` of them computes.

/// Mean over `rows` rows of width `w` of Σ x², plus `dw ·` mean over the `rows − 1` consecutive
/// pairs of Σ ((x_r − x_{r−1})/dt)²; each term 0 without rows (the generic form of the
/// hand-written `l2_with_derivative`).
fn l2_with_derivative<S: Scalar>(x: &[S], rows: usize, w: usize, dt: f64, dw: f64) -> S {
    let mut value = S::zero();
    if rows > 0 {
        let n = rows as f64;
        for &v in &x[..rows * w] {
            value += (v * v).scale(1.0 / n);
        }
    }
    if rows > 1 && dw != 0.0 {
        let n = (rows - 1) as f64;
        for i in w..rows * w {
            let rate = (x[i] - x[i - w]).scale(1.0 / dt);
            value += (rate * rate).scale(dw / n);
        }
    }
    value
}

impl LossTerm for super::PositionL1 {
    fn name(&self) -> &str {
        "position_l1"
    }
    fn reads(&self) -> Fields {
        Fields::FINGERTIP | Fields::GOAL
    }
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
        let (d, n) = (ep.space_dim, ep.states() as f64);
        let mut value = S::zero();
        for s in 0..ep.states() {
            for k in 0..d {
                let e = ep.fingertip[s * 2 * d + k] - ep.goal[s * d + k];
                let abs = S::select(e.lt(S::zero()), -e, e);
                value += abs.scale(1.0 / n);
            }
        }
        value
    }
}

impl LossTerm for super::ClippedPosition {
    fn name(&self) -> &str {
        "clipped_position"
    }
    fn reads(&self) -> Fields {
        Fields::FINGERTIP | Fields::GOAL
    }
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
        let (d, n) = (ep.space_dim, ep.states() as f64);
        let mut value = S::zero();
        for s in 0..ep.states() {
            let mut sq = S::zero();
            for k in 0..d {
                let e = ep.fingertip[s * 2 * d + k] - ep.goal[s * d + k];
                sq += e * e;
            }
            let over = sq.sqrt().shift(-self.radius());
            value += S::select(over.gt(S::zero()), over, S::zero()).scale(1.0 / n);
        }
        value
    }
}

impl LossTerm for super::ActivationL2 {
    fn name(&self) -> &str {
        "activation_l2"
    }
    fn reads(&self) -> Fields {
        Fields::ACTIVATION
    }
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
        let dw = self.derivative_weight();
        l2_with_derivative(ep.activation, ep.states(), ep.n_muscles, ep.dt, dw)
    }
}

impl LossTerm for super::HiddenL2 {
    fn name(&self) -> &str {
        "hidden_l2"
    }
    fn reads(&self) -> Fields {
        Fields::HIDDEN
    }
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
        let dw = self.derivative_weight();
        l2_with_derivative(ep.hidden, ep.steps, ep.hidden_size, ep.dt, dw)
    }
}

impl LossTerm for super::Speed {
    fn name(&self) -> &str {
        "speed"
    }
    fn reads(&self) -> Fields {
        Fields::FINGERTIP
    }
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
        let (d, n) = (ep.space_dim, ep.states() as f64);
        let mut value = S::zero();
        for s in 0..ep.states() {
            for &v in &ep.fingertip[s * 2 * d + d..(s + 1) * 2 * d] {
                value += (v * v).scale(1.0 / n);
            }
        }
        value
    }
}

impl LossTerm for super::Jerk {
    fn name(&self) -> &str {
        "jerk"
    }
    fn reads(&self) -> Fields {
        Fields::FINGERTIP
    }
    fn value<S: Scalar>(&self, ep: &EpisodeValues<'_, S>) -> S {
        let (d, t, f) = (ep.space_dim, ep.steps, ep.fingertip);
        let (dt2, n) = (ep.dt * ep.dt, t.saturating_sub(1) as f64);
        let v = |s: usize, k: usize| f[s * 2 * d + d + k];
        let mut value = S::zero();
        for s in 1..t {
            for k in 0..d {
                let j = (v(s + 1, k) - v(s, k).scale(2.0) + v(s - 1, k)).scale(1.0 / dt2);
                value += (j * j).scale(1.0 / n);
            }
        }
        value
    }
}
