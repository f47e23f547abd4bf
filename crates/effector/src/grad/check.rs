//! [`check_gradients`]: the rollout VJP against an exact reference (forward-mode dual numbers
//! of the whole rollout) and, independently, against finite differences where those are
//! trustworthy.

use crate::effector::{Effector, State};
use crate::error::EffectorError;
use crate::geometry::Geometry;
use motornet_muscle::MuscleModel;
use motornet_scalar::{DualN, Scalar};
use motornet_skeleton::Skeleton;
use rand::{Rng, SeedableRng};
use std::cell::Cell;

/// Random directions per start state, each compared once against forward mode and once
/// against finite differences: one pass of [`DualN`]`<DIRECTIONS>` gives all of them exactly.
const DIRECTIONS: usize = 8;

/// Largest [`GradientCheck::max_rel_exact_err`] that passes: the VJP and forward mode are both
/// exact, so they differ by rounding only (about 1e-15 on the presets).
pub const EXACT_TOLERANCE: f64 = 1e-9;

/// Largest [`GradientCheck::max_rel_fd_err`] that passes: Richardson-extrapolated central
/// differences are accurate to about 1e-9 on smooth rollouts.
pub const FD_TOLERANCE: f64 = 1e-5;

/// What [`check_gradients`] measured. Errors are relative to `‖g‖ · ‖v‖`, the size of the
/// directional derivative ⟨g, v⟩ of the loss `L` along a random direction `v` (`g` the VJP's
/// gradient): a wrong derivative anywhere shows in every direction that touches it.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientCheck {
    /// Largest |⟨g, v⟩ − ∂L/∂v| / (‖g‖ ‖v‖) over the directions, `∂L/∂v` computed exactly by
    /// running the whole rollout on forward-mode dual numbers (the effector's own generic
    /// code, none of the VJP's).
    pub max_rel_exact_err: f64,
    /// Directions compared against forward mode.
    pub exact_directions: usize,
    /// Largest |⟨g, v⟩ − FD| / (‖g‖ ‖v‖) over the directions compared by finite differences
    /// (central differences at steps h and h/2, Richardson-extrapolated). An independent check
    /// of the model code itself: a derivative that the code's dual numbers lose (a value taken
    /// out of the scalar type and put back, say) passes the exact comparison but not this one.
    pub max_rel_fd_err: f64,
    /// Directions compared by finite differences.
    pub compared: usize,
    /// Directions left out of the finite-difference comparison because the loss has a kink
    /// within the step along them (a clip or a branch switches there: the one-sided
    /// differences disagree, or do not shrink with the step as a smooth loss's do). The
    /// exact comparison covers them.
    pub skipped: usize,
    /// Rollouts run (each `n_steps` steps, in `f64` or on dual numbers; the VJP's counted as
    /// one): a number that depends on the states, the directions and the kinks met, not on
    /// the number of muscles or gradient entries.
    pub rollouts: usize,
}

impl GradientCheck {
    /// The verdict `motornet check` prints: the exact comparison within [`EXACT_TOLERANCE`] in
    /// every direction, and the finite differences within [`FD_TOLERANCE`] in every direction
    /// they were trusted in (at least one).
    pub fn max_rel_grad_ok(&self) -> bool {
        self.exact_directions > 0
            && self.max_rel_exact_err <= EXACT_TOLERANCE
            && self.compared > 0
            && self.max_rel_fd_err <= FD_TOLERANCE
    }

    /// The larger of the two errors, each over its tolerance: at most 1 when the check passes.
    pub fn worst_ratio(&self) -> f64 {
        (self.max_rel_exact_err / EXACT_TOLERANCE).max(self.max_rel_fd_err / FD_TOLERANCE)
    }
}

/// Check the effector's rollout gradients in f64: from `n_states` joint states drawn inside the
/// position bounds (at rest, fixed `seed`), `n_steps` steps under random excitations in
/// [0.1, 0.9], for a random smooth loss of every state entry, the VJP's gradient `g` with
/// respect to every excitation and the initial joint positions is compared, along 8 random
/// directions per state, with
/// - the exact directional derivative from forward-mode dual numbers of the whole rollout
///   (any error above rounding is a wrong VJP), and
/// - central finite differences, only along directions where the loss is smooth within the
///   step (kinks are reported as skipped, never as failures).
///
/// What `motornet check` runs on users' effectors. The cost is a few rollouts per direction,
/// linear in the number of muscles and steps (it does not grow with the number of
/// gradient entries).
pub fn check_gradients<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    n_states: usize,
    n_steps: usize,
    seed: u64,
) -> Result<GradientCheck, EffectorError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let starts = crate::batch::random_joint_states(effector, n_states, seed);
    let (m, dof, n_entries) = (effector.n_muscles(), effector.dof(), effector.state_len());
    let mut out = GradientCheck {
        max_rel_exact_err: 0.0,
        exact_directions: 0,
        max_rel_fd_err: 0.0,
        compared: 0,
        skipped: 0,
        rollouts: 0,
    };
    for joint0 in starts {
        let exc: Vec<Vec<f64>> = (0..n_steps)
            .map(|_| (0..m).map(|_| rng.gen_range(0.1..0.9)).collect())
            .collect();
        let weights: Vec<Vec<f64>> = (0..=n_steps)
            .map(|_| (0..n_entries).map(|_| rng.gen_range(-1.0..1.0)).collect())
            .collect();
        // loss = Σ_t Σ_i w_ti · tanh(x_ti / (1 + |x_0i|)): smooth, every entry at its own scale
        let mut s0 = effector.zero_state::<f64>();
        effector.reset(&joint0, &mut s0);
        let scales: Vec<f64> = flat(&s0).map(|v| 1.0 + v.abs()).collect();
        let rollout = Rollout {
            effector,
            weights: &weights,
            scales: &scales,
            runs: Cell::new(1), // the VJP's
        };
        let g = effector.rollout_vjp(&joint0, &exc, None, None, |t, s, grad| {
            let (nj, nm) = (grad.joint.len(), grad.muscle.len());
            for (i, v) in flat(s).enumerate() {
                let th = (v / scales[i]).tanh();
                let d = weights[t][i] * (1.0 - th * th) / scales[i];
                if i < nj {
                    grad.joint[i] += d;
                } else if i < nj + nm {
                    grad.muscle[i - nj] += d;
                } else {
                    grad.geometry[i - nj - nm] += d;
                }
            }
        })?;
        // the gradient over the checked inputs: every excitation, then the initial positions
        let grad: Vec<f64> = g
            .excitation
            .iter()
            .flatten()
            .chain(&g.initial_joint[..dof])
            .copied()
            .collect();
        let dirs: Vec<Vec<f64>> = (0..DIRECTIONS)
            .map(|_| (0..grad.len()).map(|_| rng.gen_range(-1.0..1.0)).collect())
            .collect();
        let g_norm = norm(&grad);
        let exact = rollout.directional::<DIRECTIONS>(&joint0, &exc, &dirs);
        let base = rollout.loss::<f64>(&joint0, &exc);
        let b = &effector.options().bounds;
        for (v, exact) in dirs.iter().zip(exact) {
            let along = dot(&grad, v);
            let size = g_norm * norm(v) + 1e-300;
            out.max_rel_exact_err = out.max_rel_exact_err.max((along - exact).abs() / size);
            out.exact_directions += 1;
            // the loss at x + δ·v
            let eval = |delta: f64| {
                let (mut e, mut j) = (exc.clone(), joint0.clone());
                for (x, dv) in e.iter_mut().flatten().zip(v) {
                    *x += delta * dv;
                }
                for k in 0..dof {
                    let p = j[k] + delta * v[n_steps * m + k];
                    j[k] = p.clamp(b.pos_lower[k], b.pos_upper[k]);
                }
                rollout.loss::<f64>(&j, &e)
            };
            // a kink (or curvature too strong for the step) at 1e-4 may be out of reach of a
            // smaller step: the first step at which the loss is smooth gives the estimate
            let fd = [1e-4, 1e-5, 1e-6].into_iter().find_map(|h| {
                let values = [h, -h, h / 2.0, -h / 2.0, h / 4.0, -h / 4.0].map(&eval);
                central_difference(base, values, h, size)
            });
            match fd {
                Some(fd) => {
                    out.max_rel_fd_err = out.max_rel_fd_err.max((along - fd).abs() / size);
                    out.compared += 1;
                }
                None => out.skipped += 1,
            }
        }
        out.rollouts += rollout.runs.get();
    }
    Ok(out)
}

/// The directional derivative of a loss from `base = L(x)` and `[L(x ± h v), L(x ± h/2 v),
/// L(x ± h/4 v)]` (plus then minus, each): central differences at h and h/2,
/// Richardson-extrapolated (truncation error O(h⁴)). `None` where the loss is not smooth
/// within the step. For a smooth loss the gap between the one-sided differences at step s is
/// `s·L''` up to O(s³), so it halves with the step; a kink (a slope that changes by Δ at a
/// distance a·h) gives gaps `Δ·max(0, 1 − a·h/s)` instead, and at every a one of the two
/// halvings fails by a good fraction of Δ: so a kink that could move the estimate is seen,
/// however small its change of slope. `size` is the scale of the derivative, for the tolerances.
fn central_difference(base: f64, values: [f64; 6], h: f64, size: f64) -> Option<f64> {
    let [p1, m1, p2, m2, p3, m3] = values;
    let gap = |p: f64, m: f64, s: f64| (p - 2.0 * base + m) / s;
    let (g1, g2, g3) = (gap(p1, m1, h), gap(p2, m2, h / 2.0), gap(p3, m3, h / 4.0));
    // rounding in the loss values, amplified by the smallest step
    let noise = 64.0 * f64::EPSILON * values.iter().fold(base.abs(), |a, v| a + v.abs()) / h;
    let tol = 1e-7 * size + noise;
    let smooth = (g1 - 2.0 * g2).abs() <= tol && (g2 - 2.0 * g3).abs() <= tol;
    let (c1, c2) = ((p1 - m1) / (2.0 * h), (p2 - m2) / h);
    smooth.then(|| (4.0 * c2 - c1) / 3.0)
}

/// The check's loss as a function of the rollout's inputs, on any scalar.
struct Rollout<'a, K, M, G> {
    effector: &'a Effector<K, M, G>,
    weights: &'a [Vec<f64>],
    scales: &'a [f64],
    /// Rollouts run so far.
    runs: Cell<usize>,
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Rollout<'_, K, M, G> {
    /// `L = Σ_t Σ_i w_ti · tanh(x_ti / scale_i)` of the rollout from `joint0` under `exc`.
    fn run<S: Scalar>(&self, joint0: &[S], exc: &[Vec<S>]) -> S {
        self.runs.set(self.runs.get() + 1);
        let eff = self.effector;
        let mut s = eff.zero_state::<S>();
        let mut ws = eff.workspace::<S>();
        eff.reset(joint0, &mut s);
        let mut l = S::zero();
        for t in 0..=exc.len() {
            if t > 0 {
                eff.step(&mut s, &exc[t - 1], &[], &[], &mut ws);
            }
            for (i, v) in flat(&s).enumerate() {
                l += S::c(self.weights[t][i]) * (v / S::c(self.scales[i])).tanh();
            }
        }
        l
    }

    /// The loss in `S` at `f64` inputs.
    fn loss<S: Scalar>(&self, joint0: &[f64], exc: &[Vec<f64>]) -> S {
        let joint: Vec<S> = joint0.iter().map(|&v| S::c(v)).collect();
        let exc: Vec<Vec<S>> = exc
            .iter()
            .map(|r| r.iter().map(|&v| S::c(v)).collect())
            .collect();
        self.run(&joint, &exc)
    }

    /// The loss's exact derivatives along `dirs` (at most `N`, each over every excitation then
    /// the initial positions), from one rollout on `DualN<N>`.
    fn directional<const N: usize>(
        &self,
        joint0: &[f64],
        exc: &[Vec<f64>],
        dirs: &[Vec<f64>],
    ) -> Vec<f64> {
        assert!(dirs.len() <= N, "at most {N} directions per pass");
        let seeded = |re: f64, i: usize| {
            let mut eps = [0.0; N];
            for (e, d) in eps.iter_mut().zip(dirs) {
                *e = d[i];
            }
            DualN { re, eps }
        };
        let n_exc: usize = exc.iter().map(Vec::len).sum();
        let dof = self.effector.dof();
        let joint: Vec<DualN<N>> = joint0
            .iter()
            .enumerate()
            .map(|(k, &v)| {
                if k < dof {
                    seeded(v, n_exc + k)
                } else {
                    DualN::constant(v)
                }
            })
            .collect();
        let mut i = 0;
        let exc: Vec<Vec<DualN<N>>> = exc
            .iter()
            .map(|r| {
                r.iter()
                    .map(|&v| {
                        i += 1;
                        seeded(v, i - 1)
                    })
                    .collect()
            })
            .collect();
        let l = self.run(&joint, &exc);
        l.eps[..dirs.len()].to_vec()
    }
}

/// A state's entries flattened as `[joint | muscle | geometry]`.
fn flat<S: Copy>(s: &State<S>) -> impl Iterator<Item = S> + '_ {
    s.joint.iter().chain(&s.muscle).chain(&s.geometry).copied()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

#[cfg(test)]
mod tests {
    use super::central_difference;

    /// Smooth losses give their derivative; a kink inside the step is left out, whether it
    /// makes the one-sided differences disagree a lot (|x|) or a little (a 0.1 % change of
    /// slope, which the old one-sided test let through and which failed `motornet check`).
    #[test]
    fn central_differences_are_trusted_only_where_the_loss_is_smooth() {
        let h = 1e-4;
        let at = |f: &dyn Fn(f64) -> f64, x: f64| {
            let v = [h, -h, h / 2.0, -h / 2.0, h / 4.0, -h / 4.0].map(|d| f(x + d));
            central_difference(f(x), v, h, 1.0)
        };
        let smooth = |x: f64| (3.0 * x).sin() + x * x * x;
        let d = at(&smooth, 0.3).expect("smooth");
        let want = 3.0 * (0.9f64).cos() + 3.0 * 0.09;
        assert!((d - want).abs() < 1e-9, "{d} vs {want}");
        let abs = |x: f64| (x - 0.3).abs();
        assert_eq!(at(&abs, 0.3 + 0.3 * h), None);
        // slope 1 below 0.3, 1.001 above: the one-sided differences agree to 0.05 %; seen
        // wherever the kink lies within the step, on either side (at a third of the step, the
        // gaps at h and h/2 halve as a smooth loss's do: the one at h/4 tells)
        let slight = |x: f64| if x < 0.3 { x } else { 0.3 + 1.001 * (x - 0.3) };
        for a in [
            -0.9,
            -0.6,
            -1.0 / 3.0,
            -0.2,
            -1.0 / 6.0,
            0.05,
            1.0 / 6.0,
            0.25,
            1.0 / 3.0,
            0.5,
            0.7,
        ] {
            assert_eq!(at(&slight, 0.3 - a * h), None, "kink at {a} h");
        }
        // away from the kink it is smooth again
        let d = at(&slight, 0.31).expect("smooth there");
        assert!((d - 1.001).abs() < 1e-9, "{d}");
    }
}
