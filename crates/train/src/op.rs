//! The closed-loop episode batch as one fused dfdx 0.13 op: network parameters `[P]` → mean
//! loss (a scalar), with the exact gradient on the tape.
//!
//! The network's parameters live in a dfdx tensor and the tape carries the episode, so the
//! loss can be combined with other dfdx terms (a weight penalty on the parameters, say) before
//! `backward()`. Inside, [`EpisodeRunner`] computes the loss and its gradient in one pass over
//! the episodes (backpropagation through time in plain Rust); the op's backward only scales
//! that gradient by ∂(final loss)/∂(episode loss).

use crate::episode::EpisodeRunner;
use crate::error::TrainError;
use dfdx::prelude::*;
use dfdx::tensor::Tape;
use motornet_effector::Geometry;
use motornet_muscle::MuscleModel;
use motornet_policy::Policy;
use motornet_skeleton::Skeleton;

/// A dfdx scalar on the CPU with tape `T`.
pub type Scalar<T> = Tensor<Rank0, f32, Cpu, T>;

/// Run one batch of episodes (seed `seed`) with the parameters in `params` and record it as
/// one op on `params`' tape. Returns the mean loss as a dfdx scalar and in full precision.
pub fn episode_loss_op<K, M, G, P, T>(
    runner: &mut EpisodeRunner<K, M, G, P, f32>,
    params: Tensor<(usize,), f32, Cpu, T>,
    seed: u64,
) -> Result<(Scalar<T>, f64), TrainError>
where
    K: Skeleton + Send + Sync,
    M: MuscleModel + Send + Sync,
    G: Geometry + Send + Sync,
    P: Policy + Sync,
    P::Cache<f32>: Send,
    P::Workspace<f32>: Send,
    T: Tape<f32, Cpu>,
{
    let (p, mut tape) = params.split_tape();
    let values = p.as_vec();
    let mut grad = T::OWNS_TAPE.then(|| vec![0.0f32; values.len()]);
    let loss = runner.run(&values, seed, None, grad.as_deref_mut(), None)?;
    let out = p.device().tensor(loss as f32);
    if let Some(grad) = grad {
        let (p_ghost, out_ghost) = (p.ghost(), out.ghost());
        tape.add_backward_op(move |grads| {
            let g_out = grads.get_or_alloc_mut(&out_ghost)?[0];
            let g_p = grads.get_or_alloc_mut(&p_ghost)?;
            for (a, b) in g_p.iter_mut().zip(&grad) {
                *a += g_out * b; // add: the parameters may have other users on the tape
            }
            Ok(())
        });
    }
    Ok((out.put_tape(tape), loss))
}

/// One training batch through the tape: the mean loss and its gradient with respect to the
/// parameters.
pub fn episode_loss<K, M, G, P>(
    runner: &mut EpisodeRunner<K, M, G, P, f32>,
    params: &[f32],
    seed: u64,
) -> Result<(f64, Vec<f32>), TrainError>
where
    K: Skeleton + Send + Sync,
    M: MuscleModel + Send + Sync,
    G: Geometry + Send + Sync,
    P: Policy + Sync,
    P::Cache<f32>: Send,
    P::Workspace<f32>: Send,
{
    let dev = Cpu::default();
    let p = dev.tensor_from_vec(params.to_vec(), (params.len(),));
    let (loss, value) = episode_loss_op(runner, p.leaky_trace(), seed)?;
    let grads = loss.backward();
    Ok((value, grads.get(&p).as_vec()))
}
