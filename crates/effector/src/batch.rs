//! Throughput-oriented batch simulation: many independent effectors advanced together, in
//! parallel over the batch.

use crate::effector::Effector;
use crate::error::EffectorError;
use crate::geometry::Geometry;
use motornet_muscle::MuscleModel;
use motornet_scalar::Scalar;
use motornet_skeleton::Skeleton;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use std::time::Instant;

/// Joint states drawn uniformly within the position bounds, at rest, from a fixed `seed`, as
/// MotorNet's `draw_random_uniform_states`: `[B][2·dof]`.
pub fn random_joint_states<K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    batch: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let b = &effector.options().bounds;
    let dof = effector.dof();
    (0..batch)
        .map(|_| {
            let mut j = vec![0.0; 2 * dof];
            for k in 0..dof {
                let (lo, hi) = (b.pos_lower[k], b.pos_upper[k]);
                let (lo, hi) = (lo.max(-1e3), hi.min(1e3)); // unbounded joints: a finite range
                j[k] = lo + (hi - lo) * rng.gen::<f64>();
            }
            j
        })
        .collect()
}

/// What a batch run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchSummary {
    /// Batch size B.
    pub batch: usize,
    /// Steps T.
    pub steps: usize,
    /// Wall-clock seconds of the simulation loop (reset excluded).
    pub seconds: f64,
    /// B·T / seconds.
    pub sample_steps_per_s: f64,
    /// Final joint states `[B][2·dof]`.
    pub final_joint: Vec<Vec<f64>>,
}

/// Simulate `initial.len()` effectors for `steps` steps under a constant `excitation` for every
/// muscle, in parallel on the current rayon pool (wrap the call in `ThreadPool::install` to
/// choose the number of threads). The first non-finite state (by batch element) is reported as
/// an error.
///
/// `S` is the number type: `f32` or `f64` advance one element at a time;
/// [`Lanes`](motornet_scalar::Lanes)`<f32, N>` (or `f64`) advance N elements together in a
/// struct-of-arrays layout that the compiler vectorises (the batch is split into packs of N
/// elements; a last, partial pack repeats its last element in the unused lanes). Every choice
/// computes the same trajectories.
pub fn run_constant<S: Scalar, K: Skeleton, M: MuscleModel, G: Geometry>(
    effector: &Effector<K, M, G>,
    initial: &[Vec<f64>],
    excitation: f64,
    steps: usize,
) -> Result<BatchSummary, EffectorError> {
    for (i, j) in initial.iter().enumerate() {
        effector.check_joint_state(j, &format!("initial_joint_state[{i}]"))?;
    }
    if !excitation.is_finite() {
        return Err(EffectorError::input(
            "excitation",
            format!("must be finite, got {excitation}"),
        ));
    }
    if initial.is_empty() {
        return Err(EffectorError::input(
            "initial_joint_state",
            "needs at least one batch element".into(),
        ));
    }
    let dof = effector.dof();
    let lanes = S::LANES;
    let packs: Vec<&[Vec<f64>]> = initial.chunks(lanes).collect();
    let mut states: Vec<_> = packs
        .par_iter()
        .map(|pack| {
            // lane l of joint entry k: element l of the pack (the last element fills the rest)
            let joint: Vec<S> = (0..2 * dof)
                .map(|k| {
                    S::from_lanes(|l| pack[l.min(pack.len() - 1)].get(k).copied().unwrap_or(0.0))
                })
                .collect();
            let mut s = effector.zero_state::<S>();
            effector.reset(&joint, &mut s);
            s
        })
        .collect();
    let u = vec![S::c(excitation); effector.n_muscles()];
    let start = Instant::now();
    // one contiguous share of packs per worker: packs are few (B / lanes) and equally costly,
    // so an even split balances better than adaptive splitting
    let per_worker = states.len().div_ceil(rayon::current_num_threads().max(1));
    let errors: Vec<Option<EffectorError>> = states
        .par_chunks_mut(per_worker)
        .enumerate()
        .map(|(c, chunk)| {
            let mut ws = effector.workspace::<S>();
            for (k, s) in chunk.iter_mut().enumerate() {
                let first = (c * per_worker + k) * lanes;
                for t in 0..steps {
                    effector.step(s, &u, &[], &[], &mut ws);
                    // a cheap check of the joint state every step, the full check at the end
                    if s.joint.iter().any(|v| !v.is_finite()) {
                        return effector.find_non_finite(s, t + 1, first);
                    }
                }
                if let Some(e) = effector.find_non_finite(s, steps, first) {
                    return Some(e);
                }
            }
            None
        })
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    if let Some(mut e) = errors.into_iter().flatten().next() {
        // padding lanes repeat the last element
        if let EffectorError::NonFinite { batch, .. } = &mut e {
            *batch = (*batch).min(initial.len() - 1);
        }
        return Err(e);
    }
    let final_joint = states
        .iter()
        .zip(&packs)
        .flat_map(|(s, pack)| {
            (0..pack.len()).map(move |l| s.joint.iter().map(|v| v.lane(l)).collect())
        })
        .collect();
    Ok(BatchSummary {
        batch: initial.len(),
        steps,
        seconds,
        sample_steps_per_s: (initial.len() * steps) as f64 / seconds.max(1e-12),
        final_joint,
    })
}
