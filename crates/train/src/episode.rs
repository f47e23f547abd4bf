//! A closed-loop episode as one computation: network → action → effector → observation →
//! network, for a whole batch, with the exact gradient of the loss with respect to the network
//! parameters (backpropagation through time through the network, the effector, the delayed
//! observations and the force field).
//!
//! The batch is cut into one contiguous chunk per thread; each chunk runs its episodes forward
//! and backward on its own (the network batched over the chunk with matrix products, the
//! effector and environment one element at a time), and the chunks' parameter gradients are
//! summed in chunk order. Results depend on the seed and the thread count only.

use motornet_effector::{Geometry, GradientRows, RowVjp, State};
use motornet_muscle::MuscleModel;
use motornet_policy::{Policy, Real};
use motornet_skeleton::Skeleton;
use motornet_task::loss::{EpisodeGrad, EpisodeView, Fields, Loss, LossSum};
use motornet_task::{EffectsGrad, EffectsWorkspace, Environment, Episode, TaskError};
use rayon::prelude::*;
use std::sync::Arc;

/// What can stop an episode batch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EpisodeError {
    /// The task or the environment refused an input (a trial of the wrong shape, say).
    #[error(transparent)]
    Task(#[from] TaskError),
    /// The network's command is not finite.
    #[error("the network output is not finite ({value}) at step {step} of element {element}")]
    NonFiniteOutput {
        /// Step (0-based) of the episode.
        step: usize,
        /// Batch element.
        element: usize,
        /// The first non-finite entry.
        value: f64,
    },
    /// The effector's state, or the observation made of it, stopped being finite (in the
    /// network's number type): the simulation diverged.
    #[error(
        "the effector's state or observation is not finite ({value}) after step {step} of \
         element {element}: the simulation diverged (a smaller timestep, more ministeps or \
         weaker loads may help)"
    )]
    NonFiniteState {
        /// Step (0-based) of the episode.
        step: usize,
        /// Batch element.
        element: usize,
        /// The first non-finite entry of the joint or muscle state, or the first observation
        /// entry that is not finite in the network's number type.
        value: f64,
    },
    /// A loss term's value is not finite.
    #[error("loss term `{term}` is not finite ({value}) in element {element}")]
    NonFiniteLoss {
        /// The term's name ([`Loss::name`]).
        term: String,
        /// Batch element.
        element: usize,
        /// The term's weighted value.
        value: f64,
    },
}

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
    /// The time step (s) between states.
    pub dt: f64,
    /// Per element: the step of the trial's go cue, if it has one (the state index at which
    /// the cue is on).
    pub go_cue: Vec<Option<usize>>,
}

/// What a chunk's forward pass computes beyond the loss.
#[derive(Clone, Copy)]
struct Want {
    /// The losses' gradients (for a backward pass).
    grad: bool,
    /// The hidden states in the losses' view (and their gradient): a loss reads them, or the
    /// batch is recorded.
    hidden: bool,
}

/// One batch element's episode: what the forward pass recorded, the losses' gradients with
/// respect to it, and the backward pass's accumulators. Kept between batches (its vectors are
/// resized, not reallocated).
#[derive(Default)]
struct Trace {
    /// Effector states `[T+1]`, each flattened as `[joint | muscle | geometry]`
    /// (`[(T+1) · state_len]`, the effector's row layout).
    states: Vec<f64>,
    /// Endpoint and joint loads applied at each step `[T][d]`, `[T][dof]` (empty rows: none).
    loads: Vec<Vec<f64>>,
    joint_loads: Vec<Vec<f64>>,
    /// What the muscle model recorded at each step `[T][..]` (`Episode::last_step_record`),
    /// for the step's VJP to reuse.
    records: Vec<Vec<f64>>,
    /// ∂L/∂ the endpoint and joint loads of the step being differentiated.
    g_load: Vec<f64>,
    g_joint_load: Vec<f64>,
    /// The losses' view of the episode, one flat array per field of [`EpisodeView`]:
    /// fingertip `[(T+1)·2d]`, goal `[(T+1)·d]`, activation `[(T+1)·M]`, hidden `[T·H]`,
    /// joint `[(T+1)·2dof]`, muscle `[(T+1)·M·n_states]`, geometry `[(T+1)·(2+dof)·M]`,
    /// excitation (the noisy command) `[T·M]` and output `[T·M]`.
    fingertip: Vec<f64>,
    goal: Vec<f64>,
    activation: Vec<f64>,
    hidden: Vec<f64>,
    joint: Vec<f64>,
    muscle: Vec<f64>,
    geometry: Vec<f64>,
    excitation: Vec<f64>,
    output: Vec<f64>,
    /// The losses' gradients, in [`EpisodeGrad`]'s field order.
    g_loss: [Vec<f64>; 9],
    /// Backward accumulators: ∂L/∂state `[(T+1) · state_len]` (laid out as `states`),
    /// ∂L/∂fingertip `[(T+1) · 2d]` (folded into `g_state` through the kinematics once per
    /// state, when the backward pass reaches it) and ∂L/∂noisy command `[T·M]`.
    g_state: Vec<f64>,
    g_fingertip: Vec<f64>,
    g_noisy: Vec<f64>,
}

impl Trace {
    fn view(
        &self,
        dt: f64,
        d: usize,
        m: usize,
        hid: usize,
        dof: usize,
        ns: usize,
    ) -> EpisodeView<'_> {
        EpisodeView {
            dt,
            space_dim: d,
            fingertip: &self.fingertip,
            goal: &self.goal,
            activation: &self.activation,
            hidden: &self.hidden,
            n_muscles: m,
            hidden_size: hid,
            dof,
            n_muscle_states: ns,
            joint: &self.joint,
            muscle: &self.muscle,
            geometry: &self.geometry,
            excitation: &self.excitation,
            output: &self.output,
        }
    }
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
    /// One trace per element.
    traces: Vec<Trace>,
    g_params: Vec<T>,
    loss: f64,
}

type PolicyChunk<T, P> = Chunk<T, <P as Policy>::Cache<T>, <P as Policy>::Workspace<T>>;

/// Runs episode batches of one environment and one network, forward and backward.
pub struct EpisodeRunner<K, M, G, P: Policy, T: Real = f32> {
    env: Environment<K, M, G>,
    policy: P,
    losses: Arc<LossSum>,
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
    /// `losses` is a [`LossSum`] or an `Arc` of one (to share it between runners).
    pub fn new(
        env: Environment<K, M, G>,
        policy: P,
        losses: impl Into<Arc<LossSum>>,
        batch: usize,
        chunks: usize,
    ) -> Self {
        let losses = losses.into();
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
                traces: (0..len).map(|_| Trace::default()).collect(),
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
    /// The losses, shared (for another runner).
    pub fn shared_losses(&self) -> Arc<LossSum> {
        self.losses.clone()
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
    ) -> Result<f64, EpisodeError> {
        let want_grad = grad.is_some();
        let (env, policy, losses, batch) = (&self.env, &self.policy, &self.losses, self.batch);
        // the hidden states, `[T · H]` per element, are converted for the losses' view only
        // when a loss reads them or the caller records them
        let want_hidden = record.is_some() || losses.reads().contains(Fields::HIDDEN);
        let results: Vec<Result<(), EpisodeError>> = self
            .chunks
            .par_iter_mut()
            .map(|c| {
                let want = Want {
                    grad: want_grad,
                    hidden: want_hidden,
                };
                c.forward(env, policy, losses, params, seed, batch, initial, want)?;
                if want_grad {
                    c.backward(env, policy, params, want_hidden);
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
            dt: self.env.dt(),
            ..Rollout::default()
        };
        for c in &self.chunks {
            for (tr, ep) in c.traces.iter().zip(&c.episodes) {
                r.fingertip.push(tr.fingertip.clone());
                r.goal.push(tr.goal.clone());
                r.target.push(ep.trial.target.clone());
                r.go_cue.push(ep.trial.go_cue);
                r.joint.push(tr.joint.clone());
                r.excitation.push(tr.excitation.clone());
                r.hidden.push(tr.hidden.clone());
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
        want: Want,
    ) -> Result<(), EpisodeError>
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
        let n = eff.state_len();
        let mut obs = vec![0.0; n_obs];
        self.episodes.clear();
        for (i, tr) in self.traces.iter_mut().enumerate() {
            let e = self.start + i;
            let init = initial.map(|v| v[e.min(v.len() - 1)].as_slice());
            let ep = env.reset(e, batch, seed, init, &mut obs)?;
            for (x, o) in self.x[0][i * n_obs..(i + 1) * n_obs].iter_mut().zip(&obs) {
                *x = T::c(*o);
            }
            tr.states.resize((t_len + 1) * n, 0.0);
            write_flat(&ep.state, &mut tr.states[..n]);
            tr.excitation.resize(t_len * m, 0.0);
            tr.output.resize(t_len * m, 0.0);
            tr.loads.resize_with(t_len, Vec::new);
            tr.joint_loads.resize_with(t_len, Vec::new);
            tr.records.resize_with(t_len, Vec::new);
            tr.fingertip.resize((t_len + 1) * 2 * d, 0.0);
            tr.fingertip[..2 * d].copy_from_slice(ep.fingertip());
            tr.goal.resize((t_len + 1) * d, 0.0);
            tr.goal[..d].copy_from_slice(ep.goal());
            self.episodes.push(ep);
        }
        self.h[0].iter_mut().for_each(|v| *v = T::zero());
        policy.prepare_caches(params, &mut self.caches);
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
            for (i, (tr, ep)) in self.traces.iter_mut().zip(&mut self.episodes).enumerate() {
                for (a, u) in action.iter_mut().zip(&self.u[i * m..(i + 1) * m]) {
                    *a = u.to_f64();
                }
                if let Some(&value) = action.iter().find(|a| !a.is_finite()) {
                    return Err(EpisodeError::NonFiniteOutput {
                        step: t,
                        element: self.start + i,
                        value,
                    });
                }
                env.step(ep, &action, &mut noisy, &mut obs)?;
                // a diverged simulation is named as such, not as the network output it
                // would poison at the next step (issue 14)
                if let Some(&value) = ep
                    .state
                    .joint
                    .iter()
                    .chain(&ep.state.muscle)
                    .find(|v| !v.is_finite())
                    .or_else(|| obs.iter().find(|o| !T::c(**o).to_f64().is_finite()))
                {
                    return Err(EpisodeError::NonFiniteState {
                        step: t,
                        element: self.start + i,
                        value,
                    });
                }
                let load = &mut tr.loads[t];
                load.clear();
                load.extend_from_slice(ep.last_endpoint_load());
                let load = &mut tr.joint_loads[t];
                load.clear();
                load.extend_from_slice(ep.last_joint_load());
                ep.swap_step_record(&mut tr.records[t]);
                tr.output[t * m..(t + 1) * m].copy_from_slice(&action);
                tr.excitation[t * m..(t + 1) * m].copy_from_slice(&noisy);
                write_flat(&ep.state, &mut tr.states[(t + 1) * n..(t + 2) * n]);
                tr.fingertip[(t + 1) * 2 * d..(t + 2) * 2 * d].copy_from_slice(ep.fingertip());
                tr.goal[(t + 1) * d..(t + 2) * d].copy_from_slice(ep.goal());
                if t + 1 < t_len {
                    let x = &mut self.x[t + 1][i * n_obs..(i + 1) * n_obs];
                    for (x, o) in x.iter_mut().zip(&obs) {
                        *x = T::c(*o);
                    }
                }
            }
        }
        // the losses' view of each episode, the losses, and their gradients
        let (dof, ns) = (eff.dof(), eff.muscle().n_states());
        let [nj, nm, _] = eff.state_part_lens();
        self.loss = 0.0;
        for (i, tr) in self.traces.iter_mut().enumerate() {
            let (joint, muscle, geometry) = (&mut tr.joint, &mut tr.muscle, &mut tr.geometry);
            joint.clear();
            muscle.clear();
            geometry.clear();
            for row in tr.states.chunks_exact(n) {
                let (j, rest) = row.split_at(nj);
                let (mu, g) = rest.split_at(nm);
                joint.extend_from_slice(j);
                muscle.extend_from_slice(mu);
                geometry.extend_from_slice(g);
            }
            let act = &mut tr.activation;
            act.clear();
            act.extend(muscle.iter().step_by(ns.max(1)));
            let hidden = &mut tr.hidden;
            if want.hidden {
                hidden.clear();
                for h in &self.h[1..] {
                    hidden.extend(h[i * hid..(i + 1) * hid].iter().map(|v| v.to_f64()));
                }
            } else if hidden.len() != t_len * hid {
                // what no loss reads is NaN (`Loss::reads`), never stale values
                hidden.clear();
                hidden.resize(t_len * hid, f64::NAN);
            }
            // (the gradient buffers are taken out of the trace for the losses' call, so that
            // the view can borrow the rest)
            let mut g_loss = std::mem::take(&mut tr.g_loss);
            let view = tr.view(env.dt(), d, m, hid, dof, ns);
            if let Err(e) = view.check() {
                return Err(TaskError::Input {
                    input: "episode".into(),
                    reason: e.to_string(),
                }
                .into());
            }
            let value = if want.grad {
                let lens = [
                    view.fingertip.len(),
                    view.activation.len(),
                    view.hidden.len(),
                    view.joint.len(),
                    view.muscle.len(),
                    view.geometry.len(),
                    view.excitation.len(),
                    view.output.len(),
                    view.goal.len(),
                ];
                for (k, (g, n)) in g_loss.iter_mut().zip(lens).enumerate() {
                    // (the hidden states' gradient is not zeroed again, nor used, when no
                    // loss reads them: it stays zero for losses that keep their word)
                    if k != 2 || want.hidden || g.len() != n {
                        g.clear();
                        g.resize(n, 0.0);
                    }
                }
                let [f, a, h, j, mu, ge, ex, o, goal] = &mut g_loss;
                let mut grad = EpisodeGrad {
                    fingertip: f,
                    activation: a,
                    hidden: h,
                    joint: j,
                    muscle: mu,
                    geometry: ge,
                    excitation: ex,
                    output: o,
                    goal,
                };
                let value = losses.value_and_grad(&view, Some(&mut grad), 1.0 / batch as f64);
                check_loss(losses, &view, value, self.start + i)?;
                value
            } else {
                let value = losses.value_and_grad(&view, None, 1.0);
                check_loss(losses, &view, value, self.start + i)?;
                value
            };
            tr.g_loss = g_loss;
            self.loss += value;
        }
        Ok(())
    }

    /// Backpropagation through time over the chunk's episodes; the loss gradients were
    /// computed by `forward`. Leaves ∂(mean loss)/∂params in `g_params`.
    fn backward<K, M, G, P>(
        &mut self,
        env: &Environment<K, M, G>,
        policy: &P,
        params: &[T],
        hidden: bool,
    ) where
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
        let len = self.len;
        let (n, dof) = (eff.state_len(), eff.dof());
        let [nj, nm, ng] = eff.state_part_lens();

        // ∂L/∂state and ∂L/∂command from the losses: the fingertip (through the kinematics,
        // later), the activations, the effector state itself and the commands
        for tr in &mut self.traces {
            let [g_fingertip, g_activation, _, g_joint, g_muscle, g_geometry, g_excitation, ..] =
                &tr.g_loss;
            tr.g_state.resize((t_len + 1) * n, 0.0);
            for (t, gs) in tr.g_state.chunks_exact_mut(n).enumerate() {
                let (gj, rest) = gs.split_at_mut(nj);
                let (gm, gg) = rest.split_at_mut(nm);
                gj.copy_from_slice(&g_joint[t * nj..(t + 1) * nj]);
                gm.copy_from_slice(&g_muscle[t * nm..(t + 1) * nm]);
                gg.copy_from_slice(&g_geometry[t * ng..(t + 1) * ng]);
                for k in 0..m {
                    gm[k * ns] += g_activation[t * m + k];
                }
            }
            tr.g_noisy.clear();
            tr.g_noisy.extend_from_slice(g_excitation);
            tr.g_fingertip.clear();
            tr.g_fingertip.extend_from_slice(g_fingertip);
        }

        self.g_params.iter_mut().for_each(|v| *v = T::zero());
        let mut g_u = vec![T::zero(); len * m];
        let mut g_h_new = vec![T::zero(); len * hid];
        let mut g_h = vec![T::zero(); len * hid];
        let mut g_x = vec![T::zero(); len * n_obs];
        let mut g_joint = vec![0.0; 2 * dof];
        let mut ews = env.effects_workspace();
        let task_obs = layout.task..layout.len;
        let (mut gx_goal, mut gx_task) = (vec![0.0; d], vec![0.0; task_obs.len()]);
        let mut gx_f64 = vec![0.0; n_obs];
        // the goal of the last state, through what the environment set there
        for (tr, ep) in self.traces.iter_mut().zip(&self.episodes) {
            let g = EffectsGrad {
                goal: &tr.g_loss[8][t_len * d..(t_len + 1) * d],
                ..EffectsGrad::default()
            };
            let parts = (
                &tr.fingertip[..],
                &tr.joint[..],
                &mut tr.g_fingertip[t_len * 2 * d..(t_len + 1) * 2 * d],
                &mut tr.g_state[t_len * n..][..nj],
            );
            effects_vjp(env, ep, parts, t_len, &g, &mut g_joint, &mut ews);
        }
        for t in (0..t_len).rev() {
            // everything that reads state t + 1 has been differentiated: its fingertip's
            // gradient goes through the kinematics, once
            for tr in &mut self.traces {
                let gc = &tr.g_fingertip[(t + 1) * 2 * d..(t + 2) * 2 * d];
                if gc.iter().any(|&v| v != 0.0) {
                    let row = (t + 1) * n;
                    let joint = &tr.states[row..row + nj];
                    eff.cartesian_vjp_add(joint, gc, &mut tr.g_state[row..row + nj]);
                }
            }
            // the effector step from state t: ∂L/∂(state t), ∂L/∂(noisy command t) and
            // ∂L/∂(loads of step t), added in place by the batched VJP (four elements per pass
            // on the lanes plans) reading and writing the traces' rows directly; the gradient
            // with respect to each state's geometry stays unfolded and the step before that
            // state folds it
            {
                let mut records: Vec<&[f64]> = Vec::with_capacity(self.traces.len());
                let mut rows: Vec<RowVjp<'_>> = self
                    .traces
                    .iter_mut()
                    .map(|tr| {
                        records.push(&tr.records[t]);
                        tr.g_load.clear();
                        tr.g_load.resize(tr.loads[t].len(), 0.0);
                        tr.g_joint_load.clear();
                        tr.g_joint_load.resize(tr.joint_loads[t].len(), 0.0);
                        let (g_before, g_after) = tr.g_state.split_at_mut((t + 1) * n);
                        RowVjp {
                            state: &tr.states[t * n..][..n],
                            excitation: &tr.excitation[t * m..(t + 1) * m],
                            endpoint_load: &tr.loads[t],
                            joint_load: &tr.joint_loads[t],
                            grad_next: &g_after[..n],
                            grad: GradientRows {
                                state: &mut g_before[t * n..],
                                excitation: &mut tr.g_noisy[t * m..(t + 1) * m],
                                endpoint_load: &mut tr.g_load,
                                joint_load: &mut tr.g_joint_load,
                            },
                        }
                    })
                    .collect();
                eff.step_vjp_unfolded_add_batch_recorded(&mut rows, &records);
            }
            for (i, tr) in self.traces.iter().enumerate() {
                // action noise is additive: ∂L/∂command = ∂L/∂noisy command, plus the losses'
                // own gradient with respect to the network's output
                let g_output = &tr.g_loss[7][t * m..(t + 1) * m];
                for ((a, b), o) in g_u[i * m..(i + 1) * m]
                    .iter_mut()
                    .zip(&tr.g_noisy[t * m..(t + 1) * m])
                    .zip(g_output)
                {
                    *a = T::c(*b + *o);
                }
                // the network step t: its hidden state enters the loss directly, too
                if hidden {
                    let g_hidden = &tr.g_loss[2][t * hid..(t + 1) * hid];
                    for (a, b) in g_h_new[i * hid..(i + 1) * hid].iter_mut().zip(g_hidden) {
                        *a += T::c(*b);
                    }
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
            for (i, (tr, ep)) in self.traces.iter_mut().zip(&self.episodes).enumerate() {
                let gx = &g_x[i * n_obs..(i + 1) * n_obs];
                // what the environment set at state t: the goal (losses and observation),
                // the loads of step t and the task's observation entries (the loads'
                // gradient is the effector VJP's, above)
                if env.effects_read_state(ep) {
                    for (a, b) in gx_goal.iter_mut().zip(&gx[layout.goal..layout.goal + d]) {
                        *a = b.to_f64();
                    }
                    for (a, b) in gx_task.iter_mut().zip(&gx[task_obs.clone()]) {
                        *a = b.to_f64();
                    }
                    let g = EffectsGrad {
                        goal: &tr.g_loss[8][t * d..(t + 1) * d],
                        shown_goal: &gx_goal,
                        endpoint_load: &tr.g_load,
                        joint_load: &tr.g_joint_load,
                        observation: &gx_task,
                    };
                    let parts = (
                        &tr.fingertip[..],
                        &tr.joint[..],
                        &mut tr.g_fingertip[t * 2 * d..(t + 1) * 2 * d],
                        &mut tr.g_state[t * n..][..nj],
                    );
                    effects_vjp(env, ep, parts, t, &g, &mut g_joint, &mut ews);
                }
                // and what the observation showed: the delayed senses and stacked commands,
                // routed and differentiated by the environment
                for (a, b) in gx_f64.iter_mut().zip(gx) {
                    *a = b.to_f64();
                }
                env.observation_vjp(
                    t,
                    &tr.states,
                    &tr.fingertip,
                    &gx_f64,
                    &mut tr.g_fingertip,
                    &mut tr.g_state,
                    &mut tr.g_noisy,
                    &mut ews,
                );
            }
        }
    }
}

/// Adds the gradient `g` of what the environment set at state `t` of an element, through
/// [`Environment::effects_vjp`], into the gradients of that state's fingertip (`g_fingertip`,
/// `[2d]`, folded through the kinematics later) and joint state (`g_state_joint`, `[2·dof]`).
/// `g_joint` (`[2·dof]`) is scratch.
fn effects_vjp<K: Skeleton, M: MuscleModel, G: Geometry>(
    env: &Environment<K, M, G>,
    ep: &Episode,
    (fingertip, joint, g_fingertip, g_state_joint): (&[f64], &[f64], &mut [f64], &mut [f64]),
    t: usize,
    g: &EffectsGrad,
    g_joint: &mut [f64],
    ws: &mut EffectsWorkspace,
) {
    let (nc, nj) = (g_fingertip.len(), g_joint.len());
    g_joint.iter_mut().for_each(|v| *v = 0.0);
    let fingertip = &fingertip[t * nc..(t + 1) * nc];
    let joint = &joint[t * nj..(t + 1) * nj];
    env.effects_vjp(ep, t, fingertip, joint, g, g_fingertip, g_joint, ws);
    add(g_state_joint, g_joint);
}

/// A non-finite loss is an error naming the first non-finite term.
fn check_loss(
    losses: &LossSum,
    view: &EpisodeView,
    value: f64,
    element: usize,
) -> Result<(), EpisodeError> {
    if value.is_finite() {
        return Ok(());
    }
    let (term, value) = losses
        .terms(view)
        .into_iter()
        .find(|(_, v)| !v.is_finite())
        .unwrap_or_else(|| ("loss_sum".into(), value));
    Err(EpisodeError::NonFiniteLoss {
        term,
        element,
        value,
    })
}

fn add(acc: &mut [f64], v: &[f64]) {
    for (a, b) in acc.iter_mut().zip(v) {
        *a += b;
    }
}

/// `s` flattened into `row` as `[joint | muscle | geometry]` (the effector's row layout).
fn write_flat(s: &State<f64>, row: &mut [f64]) {
    let (j, rest) = row.split_at_mut(s.joint.len());
    let (mu, g) = rest.split_at_mut(s.muscle.len());
    j.copy_from_slice(&s.joint);
    mu.copy_from_slice(&s.muscle);
    g.copy_from_slice(&s.geometry);
}
