//! A closed-loop episode as one computation: network → action → effector → observation →
//! network, for a whole batch, with the exact gradient of the loss with respect to the network
//! parameters (backpropagation through time through the network, the effector, the delayed
//! observations and the force field).
//!
//! The batch is cut into one contiguous chunk per thread; each chunk runs its episodes forward
//! and backward on its own (the network batched over the chunk with matrix products, the
//! effector and environment one element at a time), and the chunks' parameter gradients are
//! summed in chunk order. Results depend on the seed and the thread count only.

use motornet_effector::{Geometry, State, StepGradient};
use motornet_muscle::MuscleModel;
use motornet_policy::{Policy, Real};
use motornet_skeleton::Skeleton;
use motornet_task::loss::{EpisodeGrad, EpisodeView, Loss, LossSum};
use motornet_task::{Environment, Episode, TaskError};
use rayon::prelude::*;

/// The input name of the error [`EpisodeRunner::run`] returns when the network's output is not
/// finite.
pub const NETWORK_OUTPUT: &str = "network output";

/// What an episode batch produced: the loss and, per element, the trajectories.
#[derive(Debug, Clone, Default)]
pub struct Rollout {
    /// Mean loss over the batch.
    pub loss: f64,
    /// Per element: fingertip position and velocity at every state, `[(T+1) · 2d]`.
    pub fingertip: Vec<Vec<f64>>,
    /// Per element: the goal at every state, `[(T+1) · d]`.
    pub goal: Vec<Vec<f64>>,
    /// Per element: the target of the trial, `[d]`.
    pub target: Vec<Vec<f64>>,
    /// Per element: the joint state at every state, `[(T+1) · 2·dof]`.
    pub joint: Vec<Vec<f64>>,
    /// Per element: the excitation the effector received at every step (the network's
    /// command plus action noise), `[T · M]`.
    pub excitation: Vec<Vec<f64>>,
    /// Per element: the network's hidden state after every step, `[T · H]`.
    pub hidden: Vec<Vec<f64>>,
}

/// Per-chunk buffers, kept between batches so that steady-state training does not allocate
/// its big arrays again (fresh large allocations are costly on small VMs).
struct Chunk<T, C, W> {
    start: usize,
    len: usize,
    caches: Vec<C>,
    ws: W,
    /// Network inputs per step `[T][len · obs]` and hidden states `[T+1][len · H]`.
    x: Vec<Vec<T>>,
    h: Vec<Vec<T>>,
    u: Vec<T>,
    episodes: Vec<Episode>,
    /// Per element, per state: effector states `[len][T+1]`.
    states: Vec<Vec<State<f64>>>,
    /// Per element: noisy commands `[T · M]` and endpoint loads `[T · d]` (empty rows: none).
    noisy: Vec<Vec<f64>>,
    loads: Vec<Vec<Vec<f64>>>,
    fingertip: Vec<Vec<f64>>,
    goal: Vec<Vec<f64>>,
    activation: Vec<Vec<f64>>,
    hidden: Vec<Vec<f64>>,
    /// Loss gradients per element with respect to the trajectories above.
    g_fingertip: Vec<Vec<f64>>,
    g_activation: Vec<Vec<f64>>,
    g_hidden: Vec<Vec<f64>>,
    /// Backward accumulators per element: ∂L/∂state `[len][T+1]`, ∂L/∂noisy command `[T · M]`.
    g_state: Vec<Vec<State<f64>>>,
    g_noisy: Vec<Vec<f64>>,
    g_params: Vec<T>,
    loss: f64,
}

type PolicyChunk<T, P> = Chunk<T, <P as Policy>::Cache<T>, <P as Policy>::Workspace<T>>;

/// Runs episode batches of one environment and one network, forward and backward.
pub struct EpisodeRunner<K, M, G, P: Policy, T: Real = f32> {
    env: Environment<K, M, G>,
    policy: P,
    losses: LossSum,
    chunks: Vec<PolicyChunk<T, P>>,
    batch: usize,
}

impl<K, M, G, P, T> EpisodeRunner<K, M, G, P, T>
where
    T: Real,
    K: Skeleton + Send + Sync,
    M: MuscleModel + Send + Sync,
    G: Geometry + Send + Sync,
    P: Policy + Sync,
    P::Cache<T>: Send,
    P::Workspace<T>: Send,
{
    /// A runner for batches of `batch` elements split into `chunks` parts (one per thread).
    pub fn new(
        env: Environment<K, M, G>,
        policy: P,
        losses: LossSum,
        batch: usize,
        chunks: usize,
    ) -> Self {
        let chunks = chunks.clamp(1, batch.max(1));
        let per = batch.div_ceil(chunks);
        let t = env.steps();
        let (n_obs, hid, m) = (
            env.obs_len(),
            policy.hidden_size(),
            env.effector().n_muscles(),
        );
        let chunks = (0..chunks)
            .map(|c| (c * per, per.min(batch.saturating_sub(c * per))))
            .filter(|&(_, len)| len > 0)
            .map(|(start, len)| Chunk {
                start,
                len,
                caches: (0..t).map(|_| policy.new_cache::<T>(len)).collect(),
                ws: policy.new_workspace::<T>(len),
                x: vec![vec![T::zero(); len * n_obs]; t],
                h: vec![vec![T::zero(); len * hid]; t + 1],
                u: vec![T::zero(); len * m],
                episodes: Vec::with_capacity(len),
                states: vec![vec![]; len],
                noisy: vec![vec![]; len],
                loads: vec![vec![]; len],
                fingertip: vec![vec![]; len],
                goal: vec![vec![]; len],
                activation: vec![vec![]; len],
                hidden: vec![vec![]; len],
                g_fingertip: vec![vec![]; len],
                g_activation: vec![vec![]; len],
                g_hidden: vec![vec![]; len],
                g_state: vec![vec![]; len],
                g_noisy: vec![vec![]; len],
                g_params: vec![T::zero(); policy.n_params()],
                loss: 0.0,
            })
            .collect();
        Self {
            env,
            policy,
            losses,
            chunks,
            batch,
        }
    }

    /// The environment.
    pub fn env(&self) -> &Environment<K, M, G> {
        &self.env
    }
    /// The network.
    pub fn policy(&self) -> &P {
        &self.policy
    }
    /// The losses.
    pub fn losses(&self) -> &LossSum {
        &self.losses
    }
    /// Batch size.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Run one batch of episodes (reset with `seed`; `initial` fixes the initial joint state of
    /// every element) with parameters `params`. Returns the mean loss; with `grad`, also adds
    /// ∂(mean loss)/∂params into it. With `record`, fills the trajectories of every element.
    pub fn run(
        &mut self,
        params: &[T],
        seed: u64,
        initial: Option<&[Vec<f64>]>,
        grad: Option<&mut [T]>,
        record: Option<&mut Rollout>,
    ) -> Result<f64, TaskError> {
        let want_grad = grad.is_some();
        let (env, policy, losses, batch) = (&self.env, &self.policy, &self.losses, self.batch);
        let results: Vec<Result<(), TaskError>> = self
            .chunks
            .par_iter_mut()
            .map(|c| {
                c.forward(env, policy, losses, params, seed, batch, initial, want_grad)?;
                if want_grad {
                    c.backward(env, policy, params);
                }
                Ok(())
            })
            .collect();
        for r in results {
            r?;
        }
        let loss = self.chunks.iter().map(|c| c.loss).sum::<f64>() / self.batch as f64;
        if let Some(g) = grad {
            for c in &self.chunks {
                for (a, b) in g.iter_mut().zip(&c.g_params) {
                    *a += *b;
                }
            }
        }
        if let Some(r) = record {
            self.record(r, loss);
        }
        Ok(loss)
    }

    fn record(&self, r: &mut Rollout, loss: f64) {
        *r = Rollout {
            loss,
            ..Rollout::default()
        };
        for c in &self.chunks {
            for i in 0..c.len {
                r.fingertip.push(c.fingertip[i].clone());
                r.goal.push(c.goal[i].clone());
                r.target.push(c.episodes[i].trial.target.clone());
                r.joint
                    .push(c.states[i].iter().flat_map(|s| s.joint.clone()).collect());
                r.excitation.push(c.noisy[i].clone());
                r.hidden.push(c.hidden[i].clone());
            }
        }
    }
}

impl<T: Real, C, W> Chunk<T, C, W> {
    #[allow(clippy::too_many_arguments)]
    fn forward<K, M, G, P>(
        &mut self,
        env: &Environment<K, M, G>,
        policy: &P,
        losses: &LossSum,
        params: &[T],
        seed: u64,
        batch: usize,
        initial: Option<&[Vec<f64>]>,
        want_grad: bool,
    ) -> Result<(), TaskError>
    where
        K: Skeleton,
        M: MuscleModel,
        G: Geometry,
        P: Policy<Cache<T> = C, Workspace<T> = W>,
    {
        let eff = env.effector();
        let t_len = env.steps();
        let (n_obs, hid) = (env.obs_len(), policy.hidden_size());
        let (m, d) = (eff.n_muscles(), eff.space_dim());
        let mut obs = vec![0.0; n_obs];
        self.episodes.clear();
        for i in 0..self.len {
            let e = self.start + i;
            let init = initial.map(|v| v[e.min(v.len() - 1)].as_slice());
            let ep = env.reset(e, batch, seed, init, &mut obs)?;
            for (x, o) in self.x[0][i * n_obs..(i + 1) * n_obs].iter_mut().zip(&obs) {
                *x = T::c(*o);
            }
            let states = &mut self.states[i];
            states.resize_with(t_len + 1, || ep.state.clone());
            states[0].clone_from(&ep.state);
            self.noisy[i].resize(t_len * m, 0.0);
            self.loads[i].resize_with(t_len, Vec::new);
            self.fingertip[i].resize((t_len + 1) * 2 * d, 0.0);
            self.fingertip[i][..2 * d].copy_from_slice(ep.fingertip());
            self.goal[i].resize((t_len + 1) * d, 0.0);
            self.goal[i][..d].copy_from_slice(env.goal(&ep, 0));
            self.episodes.push(ep);
        }
        self.h[0].iter_mut().for_each(|v| *v = T::zero());
        let mut action = vec![0.0; m];
        let mut noisy = vec![0.0; m];
        for t in 0..t_len {
            let (h_prev, h_next) = self.h.split_at_mut(t + 1);
            policy.forward_step(
                params,
                &self.x[t],
                &h_prev[t],
                &mut self.u,
                &mut h_next[0],
                &mut self.caches[t],
            );
            for i in 0..self.len {
                let ep = &mut self.episodes[i];
                for (a, u) in action.iter_mut().zip(&self.u[i * m..(i + 1) * m]) {
                    *a = u.to_f64();
                }
                if action.iter().any(|a| !a.is_finite()) {
                    return Err(TaskError::Input {
                        input: NETWORK_OUTPUT.into(),
                        reason: format!("not finite at step {t} of element {}", self.start + i),
                    });
                }
                env.step(ep, &action, &mut noisy, &mut obs)?;
                let load = &mut self.loads[i][t];
                load.clear();
                load.extend_from_slice(ep.last_endpoint_load());
                self.noisy[i][t * m..(t + 1) * m].copy_from_slice(&noisy);
                self.states[i][t + 1].clone_from(&ep.state);
                self.fingertip[i][(t + 1) * 2 * d..(t + 2) * 2 * d].copy_from_slice(ep.fingertip());
                self.goal[i][(t + 1) * d..(t + 2) * d].copy_from_slice(env.goal(ep, t + 1));
                if t + 1 < t_len {
                    let x = &mut self.x[t + 1][i * n_obs..(i + 1) * n_obs];
                    for (x, o) in x.iter_mut().zip(&obs) {
                        *x = T::c(*o);
                    }
                }
            }
        }
        // losses, and their gradients with respect to the trajectories
        let ns = eff.muscle().n_states();
        self.loss = 0.0;
        for i in 0..self.len {
            let act = &mut self.activation[i];
            act.resize((t_len + 1) * m, 0.0);
            for (t, s) in self.states[i].iter().enumerate() {
                for k in 0..m {
                    act[t * m + k] = s.muscle[k * ns];
                }
            }
            let hidden = &mut self.hidden[i];
            hidden.resize(t_len * hid, 0.0);
            for t in 0..t_len {
                for (a, b) in hidden[t * hid..(t + 1) * hid]
                    .iter_mut()
                    .zip(&self.h[t + 1][i * hid..(i + 1) * hid])
                {
                    *a = b.to_f64();
                }
            }
            let view = EpisodeView {
                dt: env.dt(),
                space_dim: d,
                fingertip: &self.fingertip[i],
                goal: &self.goal[i],
                activation: &self.activation[i],
                hidden: &self.hidden[i],
                n_muscles: m,
                hidden_size: hid,
            };
            if let Err(e) = view.check() {
                return Err(TaskError::Input {
                    input: "episode".into(),
                    reason: e.to_string(),
                });
            }
            if want_grad {
                let (gf, ga, gh) = (
                    &mut self.g_fingertip[i],
                    &mut self.g_activation[i],
                    &mut self.g_hidden[i],
                );
                for (g, n) in [
                    (&mut *gf, view.fingertip.len()),
                    (&mut *ga, view.activation.len()),
                    (&mut *gh, view.hidden.len()),
                ] {
                    g.clear();
                    g.resize(n, 0.0);
                }
                let mut grad = EpisodeGrad {
                    fingertip: gf,
                    activation: ga,
                    hidden: gh,
                };
                self.loss += losses.value_and_grad(&view, Some(&mut grad), 1.0 / batch as f64);
            } else {
                self.loss += losses.value_and_grad(&view, None, 1.0);
            }
        }
        Ok(())
    }

    /// Backpropagation through time over the chunk's episodes; the loss gradients were
    /// computed by `forward`. Leaves ∂(mean loss)/∂params in `g_params`.
    fn backward<K, M, G, P>(&mut self, env: &Environment<K, M, G>, policy: &P, params: &[T])
    where
        K: Skeleton,
        M: MuscleModel,
        G: Geometry,
        P: Policy<Cache<T> = C, Workspace<T> = W>,
    {
        let eff = env.effector();
        let t_len = env.steps();
        let (n_obs, hid) = (env.obs_len(), policy.hidden_size());
        let (m, d) = (eff.n_muscles(), eff.space_dim());
        let ns = eff.muscle().n_states();
        let layout = env.layout();
        let (k_vis, k_prop) = env.delays();
        let frames = env.config().action_frame_stacking;
        let len = self.len;

        // ∂L/∂state from the losses: fingertip (through the kinematics) and activations
        for i in 0..len {
            let gs = &mut self.g_state[i];
            gs.resize_with(t_len + 1, || eff.zero_state::<f64>());
            for s in gs.iter_mut() {
                s.joint.iter_mut().for_each(|v| *v = 0.0);
                s.muscle.iter_mut().for_each(|v| *v = 0.0);
                s.geometry.iter_mut().for_each(|v| *v = 0.0);
            }
            self.g_noisy[i].clear();
            self.g_noisy[i].resize(t_len * m, 0.0);
            for t in 0..=t_len {
                let gc = &self.g_fingertip[i][t * 2 * d..(t + 1) * 2 * d];
                if gc.iter().any(|&v| v != 0.0) {
                    eff.cartesian_vjp_add(&self.states[i][t].joint, gc, &mut gs[t].joint);
                }
                for k in 0..m {
                    gs[t].muscle[k * ns] += self.g_activation[i][t * m + k];
                }
            }
        }

        self.g_params.iter_mut().for_each(|v| *v = T::zero());
        let mut g_u = vec![T::zero(); len * m];
        let mut g_h_new = vec![T::zero(); len * hid];
        let mut g_h = vec![T::zero(); len * hid];
        let mut g_x = vec![T::zero(); len * n_obs];
        let mut vjp = StepGradient::default();
        let mut gc = vec![0.0; 2 * d];
        let mut g_prop = vec![0.0; 2 * m];
        for t in (0..t_len).rev() {
            // the effector step from state t: ∂L/∂(state t) and ∂L/∂(noisy command t)
            for i in 0..len {
                let (before, after) = self.g_state[i].split_at_mut(t + 1);
                let load = &self.loads[i][t];
                eff.step_vjp_into(
                    &self.states[i][t],
                    &self.noisy[i][t * m..(t + 1) * m],
                    load,
                    &[],
                    &after[0],
                    &mut vjp,
                );
                let g = &mut before[t];
                add(&mut g.joint, &vjp.state.joint);
                add(&mut g.muscle, &vjp.state.muscle);
                add(&mut g.geometry, &vjp.state.geometry);
                add(&mut self.g_noisy[i][t * m..(t + 1) * m], &vjp.excitation);
                // the curl field's load depends on the fingertip velocity at state t:
                // load = k·(v_y, −v_x)
                let k = env.curl_strength(&self.episodes[i]);
                if k != 0.0 && !vjp.endpoint_load.is_empty() {
                    let gl = &vjp.endpoint_load;
                    gc.iter_mut().for_each(|v| *v = 0.0);
                    gc[d] = -k * gl[1];
                    gc[d + 1] = k * gl[0];
                    eff.cartesian_vjp_add(&self.states[i][t].joint, &gc, &mut g.joint);
                }
                // action noise is additive: ∂L/∂command = ∂L/∂noisy command
                for (a, b) in g_u[i * m..(i + 1) * m]
                    .iter_mut()
                    .zip(&self.g_noisy[i][t * m..(t + 1) * m])
                {
                    *a = T::c(*b);
                }
            }
            // the network step t: its hidden state enters the loss directly, too
            for i in 0..len {
                for (a, b) in g_h_new[i * hid..(i + 1) * hid]
                    .iter_mut()
                    .zip(&self.g_hidden[i][t * hid..(t + 1) * hid])
                {
                    *a += T::c(*b);
                }
            }
            policy.backward_step(
                params,
                &self.caches[t],
                &g_u,
                &g_h_new,
                &mut self.g_params,
                &mut g_x,
                &mut g_h,
                &mut self.ws,
            );
            std::mem::swap(&mut g_h_new, &mut g_h);
            // ∂L/∂(observation t) to what it shows: delayed vision and proprioception, and
            // the stacked commands (goal and go cue are constants)
            for i in 0..len {
                let gx = &g_x[i * n_obs..(i + 1) * n_obs];
                let iv = Environment::<K, M, G>::delayed_state(t, k_vis);
                gc.iter_mut().for_each(|v| *v = 0.0);
                for k in 0..d {
                    gc[k] = gx[layout.vision + k].to_f64();
                }
                if gc.iter().any(|&v| v != 0.0) {
                    let s_iv = &self.states[i][iv].joint;
                    eff.cartesian_vjp_add(s_iv, &gc, &mut self.g_state[i][iv].joint);
                }
                let ip = Environment::<K, M, G>::delayed_state(t, k_prop);
                for (a, b) in g_prop
                    .iter_mut()
                    .zip(&gx[layout.proprioception..layout.actions])
                {
                    *a = b.to_f64();
                }
                env.proprioception_vjp(&self.states[i][ip], &g_prop, &mut self.g_state[i][ip]);
                for j in 0..frames {
                    // entry j of observation t is the noisy command of step t − frames + j
                    if let Some(s) = (t + j).checked_sub(frames) {
                        let src = &gx[layout.actions + j * m..layout.actions + (j + 1) * m];
                        for (a, b) in self.g_noisy[i][s * m..(s + 1) * m].iter_mut().zip(src) {
                            *a += b.to_f64();
                        }
                    }
                }
            }
        }
    }
}

fn add(acc: &mut [f64], v: &[f64]) {
    for (a, b) in acc.iter_mut().zip(v) {
        *a += b;
    }
}
