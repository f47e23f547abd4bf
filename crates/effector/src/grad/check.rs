//! [`check_gradients`]: the rollout VJP against central finite differences.

use crate::effector::{Effector, State};
use crate::error::EffectorError;
use crate::geometry::Geometry;
use motornet_muscle::MuscleModel;
use motornet_skeleton::Skeleton;

/// What [`check_gradients`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientCheck {
    /// Largest relative difference between the VJP and central finite differences over the
    /// compared entries: |vjp − fd| / (max(|vjp|, |fd|) + 1e-6 · largest gradient).
    pub max_rel_err: f64,
    /// Entries compared.
    pub compared: usize,
    /// Entries skipped because a clip or branch switches within the finite-difference step
    /// (the one-sided differences disagree there).
    pub skipped: usize,
}

/// Compare the effector's rollout gradients with central finite differences in f64: from
/// `n_states` joint states drawn inside the position bounds (at rest, fixed `seed`), `n_steps`
/// steps under random excitations in [0.1, 0.9], for a random smooth loss of every state entry;
/// gradients with respect to every excitation and the initial joint positions. What
/// `motornet check` runs on users' effectors.
pub fn check_gradients<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    n_states: usize,
    n_steps: usize,
    seed: u64,
) -> Result<GradientCheck, EffectorError> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let starts = crate::batch::random_joint_states(effector, n_states, seed);
    let mut out = GradientCheck {
        max_rel_err: 0.0,
        compared: 0,
        skipped: 0,
    };
    for joint0 in starts {
        let exc: Vec<Vec<f64>> = (0..n_steps)
            .map(|_| {
                (0..effector.n_muscles())
                    .map(|_| rng.gen_range(0.1..0.9))
                    .collect()
            })
            .collect();
        let n_entries = {
            let s = effector.zero_state::<f64>();
            s.joint.len() + s.muscle.len() + s.geometry.len()
        };
        let weights: Vec<Vec<f64>> = (0..=n_steps)
            .map(|_| (0..n_entries).map(|_| rng.gen_range(-1.0..1.0)).collect())
            .collect();
        // loss = Σ_t Σ_i w_ti · tanh(x_ti / (1 + |x_0i|)): smooth, every entry at its own scale
        let mut s0 = effector.zero_state::<f64>();
        effector.reset(&joint0, &mut s0);
        let scales: Vec<f64> = flat(&s0).iter().map(|v| 1.0 + v.abs()).collect();
        let loss = |joint: &[f64], exc: &[Vec<f64>]| -> f64 {
            let mut s = effector.zero_state::<f64>();
            let mut ws = effector.workspace::<f64>();
            effector.reset(joint, &mut s);
            let mut l = 0.0;
            for t in 0..=exc.len() {
                if t > 0 {
                    effector.step(&mut s, &exc[t - 1], &[], &[], &mut ws);
                }
                for (i, v) in flat(&s).iter().enumerate() {
                    l += weights[t][i] * (v / scales[i]).tanh();
                }
            }
            l
        };
        let g = effector.rollout_vjp(&joint0, &exc, None, None, |t, s, grad| {
            let (nj, nm) = (grad.joint.len(), grad.muscle.len());
            for (i, v) in flat(s).iter().enumerate() {
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
        /// What an entry is the derivative with respect to.
        enum Wrt {
            Excitation(usize, usize),
            Position(usize),
        }
        let mut entries: Vec<(f64, Wrt)> = vec![];
        for (t, row) in g.excitation.iter().enumerate() {
            entries.extend(
                row.iter()
                    .enumerate()
                    .map(|(m, &v)| (v, Wrt::Excitation(t, m))),
            );
        }
        entries.extend((0..effector.dof()).map(|k| (g.initial_joint[k], Wrt::Position(k))));
        let max_grad = entries.iter().map(|e| e.0.abs()).fold(0.0, f64::max);
        let base = loss(&joint0, &exc);
        let b = &effector.options().bounds;
        for (ad, wrt) in entries {
            let h = 1e-4;
            let eval = |delta: f64| {
                let (mut e, mut j) = (exc.clone(), joint0.clone());
                match wrt {
                    Wrt::Excitation(t, m) => e[t][m] += delta,
                    Wrt::Position(k) => j[k] = (j[k] + delta).clamp(b.pos_lower[k], b.pos_upper[k]),
                }
                loss(&j, &e)
            };
            let (p, m) = (eval(h), eval(-h));
            let (fwd, bwd) = ((p - base) / h, (base - m) / h);
            if (fwd - bwd).abs() > 1e-2 * (fwd.abs() + bwd.abs()) + 1e-6 * max_grad {
                out.skipped += 1;
                continue;
            }
            // Richardson extrapolation of central differences at h and h/2: truncation error
            // O(h⁴), so h can be large enough to keep rounding noise small
            let c1 = (p - m) / (2.0 * h);
            let c2 = (eval(h / 2.0) - eval(-h / 2.0)) / h;
            let central = (4.0 * c2 - c1) / 3.0;
            let err =
                (ad - central).abs() / (ad.abs().max(central.abs()) + 1e-6 * max_grad + 1e-300);
            out.max_rel_err = out.max_rel_err.max(err);
            out.compared += 1;
        }
    }
    Ok(out)
}

impl GradientCheck {
    /// The threshold `motornet check` applies: `max_rel_err <= 1e-4` with at least one entry
    /// compared.
    pub fn max_rel_grad_ok(&self) -> bool {
        self.compared > 0 && self.max_rel_err <= 1e-4
    }
}

fn flat(s: &State<f64>) -> Vec<f64> {
    s.joint
        .iter()
        .chain(&s.muscle)
        .chain(&s.geometry)
        .copied()
        .collect()
}
