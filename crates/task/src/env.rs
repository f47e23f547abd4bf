//! The environment: an effector plus a task, stepped one batch element at a time.
//!
//! MotorNet 0.3.0 semantics, kept on purpose:
//! - **Observation** = goal (then the go cue for tasks that have one), vision (fingertip
//!   position), proprioception (every muscle's normalised length, then every muscle's
//!   normalised velocity, as [`MuscleModel::proprioception`] gives them: for the built-in models
//!   the fibre length / `l0_ce` and fibre velocity / `vmax`), then the last
//!   `action_frame_stacking` actions (oldest first).
//! - **Delays.** A delay of `k·dt` holds a `k`-element buffer per sense, so the observation
//!   after step `t` shows the state of step `t − (k − 1)`; the default delay, `dt`, means no lag.
//!   The buffers start filled with the reset state, so early observations show the reset state.
//!   A delay that is not a whole multiple of `dt` is an error naming it.
//! - **Noise.** Action noise is added to the command before the effector sees it (and the noisy
//!   command is what the action buffer holds); proprioception and vision noise are drawn when a
//!   sample enters its delay buffer; observation noise is added to every observation entry
//!   except the goal and the go cue.
//!
//! Randomness is per batch element: element `i` of a batch reset with seed `s` draws from its
//! own generator, seeded from `(s, i)`, so an element's episode does not depend on the batch
//! size or on how the batch is split across threads.

use crate::error::TaskError;
use crate::step::{StepContext, StepDual, StepEffects, StepScalar, STEP_DUAL_WIDTH};
use crate::task::{Task, Trial, TrialContext};
use motornet_effector::{Effector, Geometry, State, Workspace};
use motornet_muscle::{MuscleModel, MAX_MUSCLE_STATES};
use motornet_scalar::{DualN, Scalar};
use motornet_skeleton::Skeleton;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A curl force field on the fingertip: endpoint load = `strength · [[0, 1], [−1, 0]] · v`
/// (N), with `v` the fingertip velocity (m/s). Positive strengths push clockwise of the
/// movement, negative ones anticlockwise. Planar effectors only.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurlField {
    /// Field strength k (N·s/m); its sign sets the direction.
    pub strength: f64,
    /// Probability (0 to 1) that the field is on in a trial (drawn per trial at reset).
    #[serde(default = "one")]
    pub probability: f64,
}

fn one() -> f64 {
    1.0
}

/// Environment settings (MotorNet's `Environment` keyword arguments).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnvConfig {
    /// Episode length (s); an episode has `ceil(max_ep_duration / dt)` steps.
    pub max_ep_duration: f64,
    /// Standard deviation of the Gaussian noise added to each action entry (dimensionless).
    pub action_noise: f64,
    /// Standard deviation of the Gaussian noise added to each observation entry but the goal
    /// and go cue: one number for all, or one per observation entry (goal entries ignored).
    pub obs_noise: NoiseStd,
    /// Standard deviation of the noise on each proprioceptive sample (normalised units).
    pub proprioception_noise: f64,
    /// Standard deviation of the noise on each visual sample (m).
    pub vision_noise: f64,
    /// Proprioceptive delay (s), a whole multiple of dt; `None` = dt, i.e. no lag. A delay of
    /// `k·dt` makes the observation after step `t` show the state of step `t − (k − 1)`.
    pub proprioception_delay: Option<f64>,
    /// Visual delay (s), as `proprioception_delay`.
    pub vision_delay: Option<f64>,
    /// Number of past actions appended to the observation.
    pub action_frame_stacking: usize,
    /// An optional curl force field, on in each trial with its probability.
    pub curl_field: Option<CurlField>,
}

impl Default for EnvConfig {
    fn default() -> Self {
        Self {
            max_ep_duration: 1.0,
            action_noise: 0.0,
            obs_noise: NoiseStd::Same(0.0),
            proprioception_noise: 0.0,
            vision_noise: 0.0,
            proprioception_delay: None,
            vision_delay: None,
            action_frame_stacking: 0,
            curl_field: None,
        }
    }
}

impl EnvConfig {
    /// These settings without any noise (commands, observations, proprioception, vision):
    /// what validation reaches run under.
    pub fn noiseless(&self) -> Self {
        Self {
            action_noise: 0.0,
            obs_noise: NoiseStd::Same(0.0),
            proprioception_noise: 0.0,
            vision_noise: 0.0,
            ..self.clone()
        }
    }

    /// These settings with a curl field of `strength` (N·s/m) on in every trial; 0 turns the
    /// field off.
    pub fn with_curl_field(&self, strength: f64) -> Self {
        Self {
            curl_field: (strength != 0.0).then_some(CurlField {
                strength,
                probability: 1.0,
            }),
            ..self.clone()
        }
    }
}

/// A noise level: the same standard deviation for every entry, or one per entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NoiseStd {
    /// One standard deviation for every entry.
    Same(f64),
    /// One standard deviation per entry.
    PerEntry(Vec<f64>),
}

/// Where each part of an observation row lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObsLayout {
    /// Offset of the goal (`space_dim` entries, m).
    pub goal: usize,
    /// Offset of the go cue (1 entry: 0 before the cue, 1 from it on), if the task has one.
    pub go_cue: Option<usize>,
    /// Offset of the (delayed) fingertip position (`space_dim` entries, m).
    pub vision: usize,
    /// Offset of the (delayed) proprioception: `M` normalised lengths then `M` normalised
    /// velocities ([`MuscleModel::proprioception`]).
    pub proprioception: usize,
    /// Offset of the stacked actions (`action_frame_stacking · M`, oldest first).
    pub actions: usize,
    /// Offset of the task's own entries ([`StepLogic::observations`](crate::StepLogic) of
    /// them, set by its step logic; none for tasks without one).
    pub task: usize,
    /// Row length.
    pub len: usize,
}

/// An effector and a task, with delays and noise: resets and steps episodes.
pub struct Environment<K, M, G> {
    effector: Arc<Effector<K, M, G>>,
    task: Arc<dyn Task>,
    config: EnvConfig,
    steps: usize,
    k_vision: usize,
    k_proprioception: usize,
    layout: ObsLayout,
    /// What the task's step logic declares, read once here rather than at every step.
    logic: LogicFlags,
    obs_std: Vec<f64>,
}

/// One batch element's episode: its trial, its effector state and its delay buffers.
#[derive(Debug, Clone)]
pub struct Episode {
    /// What was drawn for this element at reset.
    pub trial: Trial,
    /// Fingertip position at reset (m): the goal before the go cue.
    pub start: Vec<f64>,
    /// The effector state now.
    pub state: State<f64>,
    /// Steps taken so far.
    pub t: usize,
    /// Whether the curl field is on in this trial.
    pub curl_on: bool,
    /// The sensory samples taken so far, oldest first: the one that fills the delay lines at
    /// reset, then one per state (`[(1 + t + 1) · d]` vision, `[(1 + t + 1) · 2M]`
    /// proprioception), and the noisy commands of every step (`[t · M]`). What an observation
    /// shows is picked from them by [`Environment::shown_sample`] and
    /// [`Environment::stacked_action`], the functions the observation's VJP reads too.
    vision: Vec<f64>,
    proprioception: Vec<f64>,
    actions: Vec<f64>,
    rng: StdRng,
    ws: Workspace<f64>,
    cart: Vec<f64>,
    /// The latest sensory samples (reused buffers).
    vis_sample: Vec<f64>,
    prop_sample: Vec<f64>,
    /// What the environment sets at the current state: goal, loads, task observations.
    now: Effects,
    /// The endpoint and joint loads applied during the last step (empty: none).
    load: Vec<f64>,
    joint_load: Vec<f64>,
    /// What the muscle model recorded during the last step ([`Effector::step_recording`]).
    record: Vec<f64>,
}

/// What a task's step logic declares ([`crate::StepLogic`]); all false without one.
#[derive(Debug, Clone, Copy)]
struct LogicFlags {
    sets_endpoint_load: bool,
    sets_joint_load: bool,
    reads_state: bool,
}

/// The goal, shown goal, loads and task observation entries at one state (see
/// [`StepEffects`]), owned.
#[derive(Debug, Clone, Default)]
struct Effects {
    goal: Vec<f64>,
    shown_goal: Vec<f64>,
    endpoint_load: Vec<f64>,
    joint_load: Vec<f64>,
    observation: Vec<f64>,
}

impl Effects {
    fn zeros(d: usize, dof: usize, obs: usize) -> Self {
        Self {
            goal: vec![0.0; d],
            shown_goal: vec![0.0; d],
            endpoint_load: vec![0.0; d],
            joint_load: vec![0.0; dof],
            observation: vec![0.0; obs],
        }
    }
    fn view(&mut self) -> StepEffects<'_, f64> {
        StepEffects {
            goal: &mut self.goal,
            shown_goal: &mut self.shown_goal,
            endpoint_load: &mut self.endpoint_load,
            joint_load: &mut self.joint_load,
            observation: &mut self.observation,
        }
    }
}

/// ∂L/∂ what the environment sets at one state (see [`Environment::effects_vjp`]); an empty
/// slice is a zero gradient.
#[derive(Debug, Clone, Copy, Default)]
pub struct EffectsGrad<'a> {
    /// ∂L/∂ goal of the losses (`[space_dim]`).
    pub goal: &'a [f64],
    /// ∂L/∂ goal shown in the observation (`[space_dim]`).
    pub shown_goal: &'a [f64],
    /// ∂L/∂ endpoint load of the step from the state (`[space_dim]`).
    pub endpoint_load: &'a [f64],
    /// ∂L/∂ joint load of the step from the state (`[dof]`).
    pub joint_load: &'a [f64],
    /// ∂L/∂ the task's observation entries (`[layout().len − layout().task]`).
    pub observation: &'a [f64],
}

/// Scratch space of [`Environment::effects_vjp`] and [`Environment::observation_vjp`] (make
/// one with [`Environment::effects_workspace`] and reuse it).
#[derive(Debug, Clone)]
pub struct EffectsWorkspace {
    fingertip: Vec<StepDual>,
    joint: Vec<StepDual>,
    out: [Vec<StepDual>; 5],
}

/// Per-element seed: element `i` of a batch reset with `seed`.
pub fn element_seed(seed: u64, i: usize) -> u64 {
    // splitmix64 of the pair
    let mut z = seed
        ^ (i as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(17);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The most steps an episode may have (`max_ep_duration / dt`): the limit that keeps an
/// episode's buffers, which grow with its length, from exhausting memory by a typo.
pub const MAX_EPISODE_STEPS: usize = 1_000_000;

fn delay_steps(name: &'static str, delay: Option<f64>, dt: f64) -> Result<usize, TaskError> {
    let Some(d) = delay else { return Ok(1) };
    let k = d / dt;
    if d.is_finite() && k > MAX_EPISODE_STEPS as f64 {
        return Err(TaskError::Config {
            field: name.into(),
            reason: format!(
                "{d} s is longer than any episode ({MAX_EPISODE_STEPS} steps of dt = {dt} s)"
            ),
        });
    }
    if !d.is_finite() || d < dt * (1.0 - 1e-9) || (k - k.round()).abs() > 1e-6 {
        return Err(TaskError::Config {
            field: name.into(),
            reason: format!("must be a whole multiple (at least 1) of dt = {dt} s, got {d} s"),
        });
    }
    Ok(k.round() as usize)
}

fn non_negative(field: &str, v: f64) -> Result<(), TaskError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(TaskError::Config {
            field: field.into(),
            reason: format!("must be finite and >= 0, got {v}"),
        })
    }
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Environment<K, M, G> {
    /// An environment for `task` on `effector`. Errors name the offending setting: a delay
    /// that is not a whole multiple of dt or longer than the episode, more stacked actions
    /// than steps, an episode of more than [`MAX_EPISODE_STEPS`] steps, a negative or
    /// non-finite noise level or duration, a per-entry noise of the wrong length, or a curl
    /// field on a non-planar effector.
    pub fn new(
        effector: Arc<Effector<K, M, G>>,
        task: Arc<dyn Task>,
        config: EnvConfig,
    ) -> Result<Self, TaskError> {
        let dt = effector.options().timestep;
        let d = effector.space_dim();
        let m = effector.n_muscles();
        if !(config.max_ep_duration.is_finite() && config.max_ep_duration >= dt) {
            return Err(TaskError::Config {
                field: "max_ep_duration".into(),
                reason: format!(
                    "must be at least one step (dt = {dt} s), got {}",
                    config.max_ep_duration
                ),
            });
        }
        let steps_f = (config.max_ep_duration / dt - 1e-9).ceil();
        if steps_f > MAX_EPISODE_STEPS as f64 {
            return Err(TaskError::Config {
                field: "max_ep_duration".into(),
                // `{:?}` writes 1e300 as `1e300`, not as 301 digits (issue 14: a short message)
                reason: format!(
                    "{:?} s is {:?} steps of dt = {dt} s; an episode has at most \
                     {MAX_EPISODE_STEPS} steps",
                    config.max_ep_duration, steps_f
                ),
            });
        }
        let steps = steps_f as usize;
        non_negative("action_noise", config.action_noise)?;
        non_negative("proprioception_noise", config.proprioception_noise)?;
        non_negative("vision_noise", config.vision_noise)?;
        let k_vision = delay_steps("vision_delay", config.vision_delay, dt)?;
        let k_proprioception =
            delay_steps("proprioception_delay", config.proprioception_delay, dt)?;
        for (field, k) in [
            ("vision_delay", k_vision),
            ("proprioception_delay", k_proprioception),
        ] {
            if k > steps {
                return Err(TaskError::Config {
                    field: field.into(),
                    reason: format!(
                        "{k} steps is longer than the episode ({steps} steps of dt = {dt} s): \
                         the observation would never show the effector"
                    ),
                });
            }
        }
        if config.action_frame_stacking > steps {
            return Err(TaskError::Config {
                field: "action_frame_stacking".into(),
                reason: format!(
                    "{} past actions is more than the episode's {steps} steps",
                    config.action_frame_stacking
                ),
            });
        }
        if let Some(c) = config.curl_field {
            if d != 2 {
                return Err(TaskError::Config {
                    field: "curl_field".into(),
                    reason: format!("needs a planar effector (space_dim 2), this one has {d}"),
                });
            }
            if !c.strength.is_finite() {
                return Err(TaskError::Config {
                    field: "curl_field.strength".into(),
                    reason: format!("must be finite, got {}", c.strength),
                });
            }
            if !(0.0..=1.0).contains(&c.probability) {
                return Err(TaskError::Config {
                    field: "curl_field.probability".into(),
                    reason: format!("must be in [0, 1], got {}", c.probability),
                });
            }
        }
        let cue = usize::from(task.go_cue());
        let extra = task.step_logic().map_or(0, |l| l.observations());
        let logic = LogicFlags {
            sets_endpoint_load: task.step_logic().is_some_and(|l| l.sets_endpoint_load()),
            sets_joint_load: task.step_logic().is_some_and(|l| l.sets_joint_load()),
            reads_state: task.step_logic().is_some_and(|l| l.reads_state()),
        };
        let actions = 2 * d + cue + 2 * m;
        let task_entries = actions + config.action_frame_stacking * m;
        let layout = ObsLayout {
            goal: 0,
            go_cue: (cue == 1).then_some(d),
            vision: d + cue,
            proprioception: 2 * d + cue,
            actions,
            task: task_entries,
            len: task_entries + extra,
        };
        let mut obs_std = match &config.obs_noise {
            NoiseStd::Same(s) => {
                non_negative("obs_noise", *s)?;
                vec![*s; layout.len]
            }
            NoiseStd::PerEntry(v) => {
                if v.len() != layout.len {
                    return Err(TaskError::Config {
                        field: "obs_noise".into(),
                        reason: format!(
                            "needs one standard deviation per observation entry ({}), got {}",
                            layout.len,
                            v.len()
                        ),
                    });
                }
                for (i, s) in v.iter().enumerate() {
                    non_negative(&format!("obs_noise[{i}]"), *s)?;
                }
                v.clone()
            }
        };
        // the goal, the go cue and the task's own entries stay noiseless
        obs_std[..layout.vision].iter_mut().for_each(|s| *s = 0.0);
        obs_std[layout.task..].iter_mut().for_each(|s| *s = 0.0);
        Ok(Self {
            effector,
            task,
            config,
            steps,
            k_vision,
            k_proprioception,
            layout,
            logic,
            obs_std,
        })
    }

    /// The effector.
    pub fn effector(&self) -> &Arc<Effector<K, M, G>> {
        &self.effector
    }
    /// The task.
    pub fn task(&self) -> &Arc<dyn Task> {
        &self.task
    }
    /// The settings.
    pub fn config(&self) -> &EnvConfig {
        &self.config
    }
    /// Time step (s).
    pub fn dt(&self) -> f64 {
        self.effector.options().timestep
    }
    /// Steps per episode: `ceil(max_ep_duration / dt)`.
    pub fn steps(&self) -> usize {
        self.steps
    }
    /// Observation layout.
    pub fn layout(&self) -> ObsLayout {
        self.layout
    }
    /// Observation length.
    pub fn obs_len(&self) -> usize {
        self.layout.len
    }
    /// Standard deviation of the observation noise per entry (0 for goal and go cue).
    pub fn obs_noise_std(&self) -> &[f64] {
        &self.obs_std
    }
    /// Buffer lengths `(vision, proprioception)` in steps: the observation after step `t`
    /// shows the state of step `max(0, t + 1 − k)`.
    pub fn delays(&self) -> (usize, usize) {
        (self.k_vision, self.k_proprioception)
    }
    /// Which sample a sense with a delay line of `k` steps (`delays()`) shows in the
    /// observation at state `t`: `Some(i)`, the sample taken at state `i = t + 1 − k`, or
    /// `None`, the sample that filled the delay line at reset (a sample of state 0 with its own
    /// noise) while `t + 1 < k`. The forward pass picks samples with it, and the observation's
    /// VJP routes gradients with it.
    pub fn shown_sample(t: usize, k: usize) -> Option<usize> {
        (t + 1).checked_sub(k)
    }
    /// Index of the state whose vision (`k = delays().0`) or proprioception (`delays().1`) the
    /// observation at state `t` shows ([`Environment::shown_sample`], with the reset sample
    /// counted as state 0).
    pub fn delayed_state(t: usize, k: usize) -> usize {
        Self::shown_sample(t, k).unwrap_or(0)
    }
    /// The vision and proprioception samples the observation at state `t` shows
    /// ([`Environment::shown_sample`] with this environment's delays): what the forward pass
    /// picks and the observation's VJP routes to.
    pub fn shown(&self, t: usize) -> (Option<usize>, Option<usize>) {
        (
            Self::shown_sample(t, self.k_vision),
            Self::shown_sample(t, self.k_proprioception),
        )
    }
    /// Which step's noisy command entry `j` of the stacked actions (oldest first) of the
    /// observation at state `t` shows: step `t + j − action_frame_stacking`, or none (zeros)
    /// before the first step.
    pub fn stacked_action(&self, t: usize, j: usize) -> Option<usize> {
        (t + j).checked_sub(self.config.action_frame_stacking)
    }

    /// Proprioception of `state` (no noise), into `out` (`[2M]`): `M` normalised lengths then
    /// `M` normalised velocities, [`MuscleModel::proprioception`] of each muscle's state with
    /// its musculotendon length and velocity (rows 0 and 1 of `state.geometry`).
    pub fn proprioception(&self, state: &State<f64>, out: &mut [f64]) {
        let muscle = self.effector.muscle();
        let (m, ns) = (self.effector.n_muscles(), muscle.n_states());
        for i in 0..m {
            let s = &state.muscle[i * ns..(i + 1) * ns];
            let [len, vel] = muscle.proprioception(i, s, state.geometry[i], state.geometry[m + i]);
            out[i] = len;
            out[m + i] = vel;
        }
    }

    /// Adds the gradient of [`Environment::proprioception`] at `state`, for `g_prop` =
    /// ∂L/∂proprioception (`[2M]`), into `g_state`: its muscle part (`[M · n_states]`) and rows
    /// 0 and 1 of its geometry part (musculotendon lengths and velocities, `[M]` each).
    ///
    /// The derivatives come from [`MuscleModel::proprioception`] itself, evaluated on
    /// forward-mode dual numbers (one pass per muscle, seeding its state entries and its
    /// length and velocity), so any model's proprioception is differentiated exactly, with no
    /// derivative written by hand.
    pub fn proprioception_vjp(&self, state: &State<f64>, g_prop: &[f64], g_state: &mut State<f64>) {
        self.proprioception_vjp_parts(
            (&state.muscle, &state.geometry),
            g_prop,
            (&mut g_state.muscle, &mut g_state.geometry),
        );
    }

    /// [`Environment::proprioception_vjp`] on a state's muscle and geometry parts
    /// (`[M · n_states]`, `[(2 + dof) · M]`) and their gradients, wherever they are stored: on
    /// the narrowest dual numbers that hold a muscle's inputs (its state entries, length and
    /// velocity), since every direction costs work in each pass.
    fn proprioception_vjp_parts(
        &self,
        muscle_state_geometry: (&[f64], &[f64]),
        g_prop: &[f64],
        g_muscle_geometry: (&mut [f64], &mut [f64]),
    ) {
        let (a, g) = (muscle_state_geometry, g_muscle_geometry);
        match self.effector.muscle().n_states() + 2 {
            0..=4 => self.proprioception_vjp_n::<4>(a, g_prop, g),
            5..=6 => self.proprioception_vjp_n::<6>(a, g_prop, g),
            7..=8 => self.proprioception_vjp_n::<8>(a, g_prop, g),
            _ => self.proprioception_vjp_n::<{ MAX_MUSCLE_STATES + 2 }>(a, g_prop, g),
        }
    }

    /// [`Environment::proprioception_vjp_parts`] on dual numbers of `N ≥ n_states + 2`
    /// directions.
    fn proprioception_vjp_n<const N: usize>(
        &self,
        (muscle_state, geometry): (&[f64], &[f64]),
        g_prop: &[f64],
        (g_muscle, g_geometry): (&mut [f64], &mut [f64]),
    ) {
        type D<const N: usize> = DualN<N>;
        let muscle = self.effector.muscle();
        let (m, ns) = (self.effector.n_muscles(), muscle.n_states());
        debug_assert!(ns + 2 <= N);
        let mut s = [D::<N>::constant(0.0); MAX_MUSCLE_STATES];
        for i in 0..m {
            let (gl, gv) = (g_prop[i], g_prop[m + i]);
            if gl == 0.0 && gv == 0.0 {
                continue;
            }
            let row = &muscle_state[i * ns..(i + 1) * ns];
            for (k, (d, &v)) in s.iter_mut().zip(row).enumerate() {
                *d = D::variable(v, k);
            }
            let len = D::variable(geometry[i], ns);
            let vel = D::variable(geometry[m + i], ns + 1);
            let [pl, pv] = muscle.proprioception(i, &s[..ns], len, vel);
            let grad = |k: usize| gl * pl.eps[k] + gv * pv.eps[k];
            for (k, g) in g_muscle[i * ns..(i + 1) * ns].iter_mut().enumerate() {
                *g += grad(k);
            }
            g_geometry[i] += grad(ns);
            g_geometry[m + i] += grad(ns + 1);
        }
    }

    /// The endpoint load (N, `[space_dim]`, empty if none) applied during the step from the
    /// episode's current state: the trial's constant load, plus the curl field if it is on,
    /// as the task's step logic leaves it.
    pub fn endpoint_load(&self, ep: &Episode, out: &mut Vec<f64>) {
        out.clear();
        if self.has_endpoint_load(&ep.trial, ep.curl_on) {
            out.extend_from_slice(&ep.now.endpoint_load);
        }
    }

    /// Curl field strength in this episode (N·s/m; 0 when off).
    pub fn curl_strength(&self, ep: &Episode) -> f64 {
        match self.config.curl_field {
            Some(c) if ep.curl_on => c.strength,
            _ => 0.0,
        }
    }

    /// The default goal (m) for the fingertip at state `t` of `ep`: the target from the go cue
    /// on, the start position before it (and throughout a catch trial). A task's step logic
    /// may move it; [`Episode::goal`] is the goal in force.
    pub fn goal<'a>(&self, ep: &'a Episode, t: usize) -> &'a [f64] {
        default_goal(&ep.trial, &ep.start, t)
    }

    /// Whether a step of this trial has an endpoint load at all (else the effector gets none).
    fn has_endpoint_load(&self, trial: &Trial, curl_on: bool) -> bool {
        !trial.endpoint_load.is_empty()
            || (curl_on && self.config.curl_field.is_some())
            || self.logic.sets_endpoint_load
    }

    /// Whether a step has a joint load (only a task's step logic sets one).
    fn has_joint_load(&self) -> bool {
        self.logic.sets_joint_load
    }

    /// What the environment sets at state `t` of a trial, from the fingertip (`[2·space_dim]`)
    /// and joint (`[2·dof]`) state: the default goals, the trial's load plus the curl field,
    /// then the task's step logic. Written once over the scalar: `f64` while simulating,
    /// [`StepDual`] for [`Environment::effects_vjp`].
    fn effects<S: StepScalar>(
        &self,
        trial: &Trial,
        start: &[f64],
        curl_on: bool,
        t: usize,
        fingertip: &[S],
        joint: &[S],
        out: &mut StepEffects<'_, S>,
    ) {
        let d = start.len();
        let goal = default_goal(trial, start, t);
        let shown = if self.layout.go_cue.is_some() {
            &trial.target
        } else {
            goal
        };
        for k in 0..d {
            out.goal[k] = S::c(goal[k]);
            out.shown_goal[k] = S::c(shown[k]);
            out.endpoint_load[k] = S::c(trial.endpoint_load.get(k).copied().unwrap_or(0.0));
        }
        if let Some(c) = self.config.curl_field.filter(|_| curl_on) {
            // load = k·[[0, 1], [−1, 0]]·v
            out.endpoint_load[0] += fingertip[d + 1].scale(c.strength);
            out.endpoint_load[1] -= fingertip[d].scale(c.strength);
        }
        out.joint_load.iter_mut().for_each(|v| *v = S::zero());
        out.observation.iter_mut().for_each(|v| *v = S::zero());
        if let Some(logic) = self.task.step_logic() {
            let ctx = StepContext {
                t,
                dt: self.dt(),
                steps: self.steps,
                trial,
                start,
                fingertip,
                joint,
            };
            S::run(logic, &ctx, out);
        }
    }

    /// Whether what the environment sets at a state depends on the state in this episode (a
    /// curl field that is on, or step logic that reads the state).
    pub fn effects_read_state(&self, ep: &Episode) -> bool {
        (ep.curl_on && self.config.curl_field.is_some()) || self.logic.reads_state
    }

    /// Adds the gradient of the observation at state `t` (`g_obs` = ∂L/∂observation,
    /// `[obs_len]`) with respect to what its vision, proprioception and stacked-action entries
    /// show, for the state `i` whose samples it shows: the vision's into row `i` of
    /// `g_fingertips` (∂L/∂ the fingertip's position and velocity, `[(t + 1) · 2·space_dim]`;
    /// the caller folds it through the kinematics, with
    /// [`Effector::cartesian_vjp_add`], once per state), the proprioception's into row `i` of
    /// `g_states`; and into `g_noisy` (`[steps · M]`, the noisy commands) for the stacked
    /// commands. `states` are the episode's states so far, one row each flattened as
    /// `[joint | muscle | geometry]` (`[(t + 1) · state_len]` at least,
    /// [`Effector::state_len`]), `g_states` their gradients laid out the same way, and
    /// `fingertips` their fingertip positions and velocities (`[(t + 1) · 2·space_dim]`).
    ///
    /// It routes with [`Environment::shown_sample`] and [`Environment::stacked_action`], the
    /// functions the forward pass picks the samples with, and differentiates the vision and
    /// proprioception functions themselves on dual numbers (noise is additive, its derivative
    /// one). The goal and the task's entries are [`Environment::effects_vjp`]'s; the go cue is a
    /// constant.
    ///
    /// # Panics
    /// If `states` or `g_states` hold fewer rows than the state shown at `t` needs.
    #[allow(clippy::too_many_arguments)]
    pub fn observation_vjp(
        &self,
        t: usize,
        states: &[f64],
        fingertips: &[f64],
        g_obs: &[f64],
        g_fingertips: &mut [f64],
        g_states: &mut [f64],
        g_noisy: &mut [f64],
        ws: &mut EffectsWorkspace,
    ) {
        let l = self.layout;
        let (d, m) = (self.effector.space_dim(), self.effector.n_muscles());
        let n = self.effector.state_len();
        let [nj, nm, _] = self.effector.state_part_lens();
        // the reset sample that fills the delay lines is a sample of state 0
        let (iv, ip) = self.shown(t);
        let (iv, ip) = (iv.unwrap_or(0), ip.unwrap_or(0));
        let g_vis = &g_obs[l.vision..l.vision + d];
        if g_vis.iter().any(|&v| v != 0.0) {
            let fingertip = &fingertips[iv * 2 * d..(iv + 1) * 2 * d];
            let g_cart = &mut g_fingertips[iv * 2 * d..(iv + 1) * 2 * d];
            let out = &mut ws.out[0];
            for first in (0..2 * d).step_by(STEP_DUAL_WIDTH) {
                for (i, (x, &v)) in ws.fingertip.iter_mut().zip(fingertip).enumerate() {
                    *x = if (first..first + STEP_DUAL_WIDTH).contains(&i) {
                        StepDual::variable(v, i - first)
                    } else {
                        StepDual::constant(v)
                    };
                }
                Self::vision(&ws.fingertip, out);
                for (o, &g) in out.iter().zip(g_vis) {
                    for (dir, e) in o.eps.iter().enumerate() {
                        if let Some(gc) = g_cart.get_mut(first + dir) {
                            *gc += g * e;
                        }
                    }
                }
            }
        }
        let g_prop = &g_obs[l.proprioception..l.actions];
        if g_prop.iter().any(|&v| v != 0.0) {
            let (muscle, geometry) = states[ip * n..][..n][nj..].split_at(nm);
            let (g_muscle, g_geometry) = g_states[ip * n..][..n][nj..].split_at_mut(nm);
            self.proprioception_vjp_parts((muscle, geometry), g_prop, (g_muscle, g_geometry));
        }
        for j in 0..self.config.action_frame_stacking {
            if let Some(s) = self.stacked_action(t, j) {
                let src = &g_obs[l.actions + j * m..l.actions + (j + 1) * m];
                for (a, b) in g_noisy[s * m..(s + 1) * m].iter_mut().zip(src) {
                    *a += b;
                }
            }
        }
    }

    /// Scratch space for [`Environment::effects_vjp`] and [`Environment::observation_vjp`].
    pub fn effects_workspace(&self) -> EffectsWorkspace {
        let (d, dof) = (self.effector.space_dim(), self.effector.dof());
        let z = StepDual::constant(0.0);
        EffectsWorkspace {
            fingertip: vec![z; 2 * d],
            joint: vec![z; 2 * dof],
            out: [d, d, d, dof, self.layout.len - self.layout.task].map(|n| vec![z; n]),
        }
    }

    /// Adds the gradient of what the environment sets at state `t` of `ep` (goals, loads and
    /// the task's observation entries, for `g` = ∂L/∂ those) with respect to the fingertip
    /// (`fingertip` `[2·space_dim]`, into `g_fingertip`) and the joint state (`joint` `[2·dof]`,
    /// into `g_joint`) at that state. Derived from the same generic code as the forward pass
    /// (curl field and task step logic included) on dual numbers, nothing by hand; adds
    /// nothing when [`Environment::effects_read_state`] is false.
    #[allow(clippy::too_many_arguments)]
    pub fn effects_vjp(
        &self,
        ep: &Episode,
        t: usize,
        fingertip: &[f64],
        joint: &[f64],
        g: &EffectsGrad,
        g_fingertip: &mut [f64],
        g_joint: &mut [f64],
        ws: &mut EffectsWorkspace,
    ) {
        if !self.effects_read_state(ep) {
            return;
        }
        let grads = [
            g.goal,
            g.shown_goal,
            g.endpoint_load,
            g.joint_load,
            g.observation,
        ];
        if grads.iter().all(|g| g.iter().all(|&v| v == 0.0)) {
            return;
        }
        let n_f = fingertip.len();
        let n = n_f + joint.len();
        for first in (0..n).step_by(STEP_DUAL_WIDTH) {
            let seed = |i: usize, v: f64| {
                if (first..first + STEP_DUAL_WIDTH).contains(&i) {
                    StepDual::variable(v, i - first)
                } else {
                    StepDual::constant(v)
                }
            };
            for (i, (x, &v)) in ws.fingertip.iter_mut().zip(fingertip).enumerate() {
                *x = seed(i, v);
            }
            for (i, (x, &v)) in ws.joint.iter_mut().zip(joint).enumerate() {
                *x = seed(n_f + i, v);
            }
            let [goal, shown_goal, endpoint_load, joint_load, observation] = &mut ws.out;
            let mut out = StepEffects {
                goal,
                shown_goal,
                endpoint_load,
                joint_load,
                observation,
            };
            self.effects(
                &ep.trial,
                &ep.start,
                ep.curl_on,
                t,
                &ws.fingertip,
                &ws.joint,
                &mut out,
            );
            for (outs, g) in ws.out.iter().zip(grads) {
                for (o, &gv) in outs.iter().zip(g) {
                    if gv == 0.0 {
                        continue;
                    }
                    for (dir, e) in o.eps.iter().enumerate() {
                        let i = first + dir;
                        if i < n_f {
                            g_fingertip[i] += gv * e;
                        } else if i < n {
                            g_joint[i - n_f] += gv * e;
                        }
                    }
                }
            }
        }
    }

    /// Start element `i` of a batch of `batch` with `seed`; `initial` fixes its initial joint
    /// state (`[2·dof]`), otherwise the task draws one. Writes the first observation into
    /// `obs` (`[obs_len]`).
    pub fn reset(
        &self,
        i: usize,
        batch: usize,
        seed: u64,
        initial: Option<&[f64]>,
        obs: &mut [f64],
    ) -> Result<Episode, TaskError> {
        let eff = &*self.effector;
        let mut rng = StdRng::seed_from_u64(element_seed(seed, i));
        let fingertip = |joint: &[f64]| {
            let mut s = eff.zero_state::<f64>();
            eff.reset(joint, &mut s);
            let mut c = vec![0.0; 2 * eff.space_dim()];
            eff.cartesian(&s, &mut c);
            c.truncate(eff.space_dim());
            c
        };
        let ctx = TrialContext {
            element: i,
            batch,
            dt: self.dt(),
            steps: self.steps,
            dof: eff.dof(),
            space_dim: eff.space_dim(),
            bounds: &eff.options().bounds,
            initial,
            fingertip: &fingertip,
        };
        let trial = self.task.trial(&ctx, &mut rng)?;
        trial.check(eff.dof(), eff.space_dim(), self.task.name())?;
        eff.check_joint_state(&trial.initial_joint, "initial joint state")
            .map_err(|e| TaskError::Config {
                field: "initial joint state".into(),
                reason: e.to_string(),
            })?;
        let curl_on = match self.config.curl_field {
            Some(c) => rng.gen::<f64>() < c.probability,
            None => false,
        };
        let mut state = eff.zero_state::<f64>();
        eff.reset(&trial.initial_joint, &mut state);
        let mut cart = vec![0.0; 2 * eff.space_dim()];
        eff.cartesian(&state, &mut cart);
        let start = cart[..eff.space_dim()].to_vec();
        let extra = self.layout.len - self.layout.task;
        let mut now = Effects::zeros(eff.space_dim(), eff.dof(), extra);
        self.effects(
            &trial,
            &start,
            curl_on,
            0,
            &cart,
            &state.joint,
            &mut now.view(),
        );
        let m = eff.n_muscles();
        let (mut vis, mut prop) = (vec![0.0; eff.space_dim()], vec![0.0; 2 * m]);
        self.senses(&state, &cart, &mut rng, &mut vis, &mut prop);
        let mut ep = Episode {
            trial,
            start,
            state,
            t: 0,
            curl_on,
            // the reset sample, then one per state: room for the whole episode up front
            vision: history(&vis, self.steps + 2),
            proprioception: history(&prop, self.steps + 2),
            actions: Vec::with_capacity(self.steps * m),
            rng,
            ws: eff.workspace::<f64>(),
            cart,
            vis_sample: vis,
            prop_sample: prop,
            now,
            load: Vec::new(),
            joint_load: Vec::new(),
            record: Vec::new(),
        };
        self.observe(&mut ep, None, obs);
        Ok(ep)
    }

    /// What vision sees of the fingertip (`[2·space_dim]`, position then velocity): its
    /// position, into `out` (`[space_dim]`, m). Generic over the scalar, so that
    /// [`Environment::observation_vjp`] differentiates this very function.
    fn vision<S: Scalar>(fingertip: &[S], out: &mut [S]) {
        let d = out.len();
        out.copy_from_slice(&fingertip[..d]);
    }

    /// Noisy vision (`[space_dim]`) and proprioception (`[2M]`) samples of `state`, into
    /// `vis` and `prop`.
    fn senses(
        &self,
        state: &State<f64>,
        cart: &[f64],
        rng: &mut StdRng,
        vis: &mut [f64],
        prop: &mut [f64],
    ) {
        Self::vision(cart, vis);
        self.proprioception(state, prop);
        add_noise(vis, self.config.vision_noise, rng);
        add_noise(prop, self.config.proprioception_noise, rng);
    }

    /// Take new samples of the current state (and record `action`), then compose the
    /// observation.
    fn observe(&self, ep: &mut Episode, action: Option<&[f64]>, obs: &mut [f64]) {
        let l = self.layout;
        let (d, m) = (self.effector.space_dim(), self.effector.n_muscles());
        {
            let Episode {
                state,
                cart,
                rng,
                vis_sample,
                prop_sample,
                vision,
                proprioception,
                actions,
                ..
            } = &mut *ep;
            self.senses(state, cart, rng, vis_sample, prop_sample);
            vision.extend_from_slice(vis_sample);
            proprioception.extend_from_slice(prop_sample);
            if let Some(a) = action {
                actions.extend_from_slice(a);
            }
        }
        let t = ep.t;
        obs[l.goal..l.goal + d].copy_from_slice(&ep.now.shown_goal);
        if let Some(c) = l.go_cue {
            obs[c] = match ep.trial.go_cue {
                Some(cue) if t >= cue => 1.0,
                _ => 0.0,
            };
        }
        // (index 0 of the sample histories is the sample that filled the delay lines)
        let (iv, ip) = self.shown(t);
        let (iv, ip) = (iv.map_or(0, |i| i + 1), ip.map_or(0, |i| i + 1));
        obs[l.vision..l.vision + d].copy_from_slice(&ep.vision[iv * d..(iv + 1) * d]);
        obs[l.proprioception..l.actions]
            .copy_from_slice(&ep.proprioception[ip * 2 * m..(ip + 1) * 2 * m]);
        for j in 0..self.config.action_frame_stacking {
            let o = &mut obs[l.actions + j * m..l.actions + (j + 1) * m];
            match self.stacked_action(t, j) {
                Some(s) => o.copy_from_slice(&ep.actions[s * m..(s + 1) * m]),
                None => o.iter_mut().for_each(|v| *v = 0.0),
            }
        }
        obs[l.task..l.len].copy_from_slice(&ep.now.observation);
        for (o, s) in obs.iter_mut().zip(&self.obs_std) {
            if *s > 0.0 {
                *o += s * ep.rng.sample::<f64, _>(StandardNormal);
            }
        }
    }

    /// One step of `ep` under `action` (`[M]`, the network's command): action noise, the
    /// trial's endpoint load and curl field, the effector step, then the next observation
    /// into `obs`. Writes the noisy command the effector received into `noisy_action`.
    /// Returns whether the episode has ended (`steps()` steps taken).
    pub fn step(
        &self,
        ep: &mut Episode,
        action: &[f64],
        noisy_action: &mut [f64],
        obs: &mut [f64],
    ) -> Result<bool, TaskError> {
        let m = self.effector.n_muscles();
        if action.len() != m || action.iter().any(|a| !a.is_finite()) {
            return Err(TaskError::Input {
                input: "action".into(),
                reason: format!("needs {m} finite values, got {action:?}"),
            });
        }
        noisy_action.copy_from_slice(action);
        add_noise(noisy_action, self.config.action_noise, &mut ep.rng);
        let mut load = std::mem::take(&mut ep.load);
        self.endpoint_load(ep, &mut load);
        ep.joint_load.clear();
        if self.has_joint_load() {
            ep.joint_load.extend_from_slice(&ep.now.joint_load);
        }
        self.effector.step_recording(
            &mut ep.state,
            noisy_action,
            &load,
            &ep.joint_load,
            &mut ep.ws,
            &mut ep.record,
        );
        ep.load = load;
        self.effector.cartesian(&ep.state, &mut ep.cart);
        ep.t += 1;
        let Episode {
            trial,
            start,
            curl_on,
            t,
            cart,
            state,
            now,
            ..
        } = &mut *ep;
        self.effects(
            trial,
            start,
            *curl_on,
            *t,
            cart,
            &state.joint,
            &mut now.view(),
        );
        self.observe(ep, Some(noisy_action), obs);
        Ok(ep.t >= self.steps)
    }
}

/// A batch of episodes stepped together: the batch form of [`Environment::reset`] and
/// [`Environment::step`].
#[derive(Debug, Clone)]
pub struct Batch {
    /// The episodes, one per batch element.
    pub episodes: Vec<Episode>,
    /// The latest observations, `[B × obs_len]`.
    pub obs: Vec<f64>,
    /// The noisy commands of the latest step, `[B × M]`.
    pub noisy_action: Vec<f64>,
}

impl<K: Skeleton, M: MuscleModel, G: Geometry> Environment<K, M, G> {
    /// Start `batch` episodes with `seed` (element `i` as [`Environment::reset`] with index
    /// `i`); `initial`, if given, fixes every element's initial joint state (one row per
    /// element, or one row for all).
    pub fn reset_batch(
        &self,
        batch: usize,
        seed: u64,
        initial: Option<&[Vec<f64>]>,
    ) -> Result<Batch, TaskError> {
        if batch == 0 {
            return Err(TaskError::Input {
                input: "batch".into(),
                reason: "needs at least one element".into(),
            });
        }
        if let Some(rows) = initial {
            if rows.is_empty() || (rows.len() != 1 && rows.len() != batch) {
                return Err(TaskError::Input {
                    input: "initial".into(),
                    reason: format!("needs 1 or {batch} joint states, got {}", rows.len()),
                });
            }
        }
        let n = self.obs_len();
        let mut obs = vec![0.0; batch * n];
        let episodes = obs
            .chunks_mut(n)
            .enumerate()
            .map(|(i, o)| {
                let init = initial.map(|r| r[i.min(r.len() - 1)].as_slice());
                self.reset(i, batch, seed, init, o)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Batch {
            episodes,
            obs,
            noisy_action: vec![0.0; batch * self.effector.n_muscles()],
        })
    }

    /// One step of every episode of `batch` under `actions` (`[B × M]`); the observations and
    /// noisy commands land in `batch.obs` and `batch.noisy_action`. Returns whether the
    /// episodes have ended.
    pub fn step_batch(&self, batch: &mut Batch, actions: &[f64]) -> Result<bool, TaskError> {
        let (m, n) = (self.effector.n_muscles(), self.obs_len());
        let b = batch.episodes.len();
        if actions.len() != b * m {
            return Err(TaskError::Input {
                input: "actions".into(),
                reason: format!("needs B × M = {b} × {m} values, got {}", actions.len()),
            });
        }
        let mut done = false;
        for (i, ep) in batch.episodes.iter_mut().enumerate() {
            done = self.step(
                ep,
                &actions[i * m..(i + 1) * m],
                &mut batch.noisy_action[i * m..(i + 1) * m],
                &mut batch.obs[i * n..(i + 1) * n],
            )?;
        }
        Ok(done)
    }
}

impl Episode {
    /// The endpoint load (N, `[space_dim]`; empty if none) applied during the last step: the
    /// trial's constant load plus the curl field, as [`Environment::endpoint_load`] gave it
    /// before that step.
    pub fn last_endpoint_load(&self) -> &[f64] {
        &self.load
    }

    /// The joint load (`[dof]`, N·m or N; empty if none) applied during the last step, as the
    /// task's step logic set it.
    pub fn last_joint_load(&self) -> &[f64] {
        &self.joint_load
    }

    /// What the muscle model recorded during the last step ([`Effector::step_recording`];
    /// empty for most models): pass it with the step's row to
    /// [`Effector::step_vjp_unfolded_add_batch_recorded`], which may reuse it.
    pub fn last_step_record(&self) -> &[f64] {
        &self.record
    }

    /// Swaps [`Episode::last_step_record`] with `buffer` (instead of copying it out): the
    /// episode keeps `buffer`'s allocation for its next step's record (which the step
    /// empties first), the caller gets the record.
    pub fn swap_step_record(&mut self, buffer: &mut Vec<f64>) {
        std::mem::swap(&mut self.record, buffer);
    }

    /// The goal of the losses at the current state (`[space_dim]`, m): the default goal
    /// ([`Environment::goal`]) unless the task's step logic moved it.
    pub fn goal(&self) -> &[f64] {
        &self.now.goal
    }

    /// Fingertip position then velocity (`[2·space_dim]`, m and m/s) now.
    pub fn fingertip(&self) -> &[f64] {
        &self.cart
    }
}

/// A sample history holding `first`, with room for `rows` samples.
fn history(first: &[f64], rows: usize) -> Vec<f64> {
    let mut h = Vec::with_capacity(rows * first.len());
    h.extend_from_slice(first);
    h
}

/// The goal at state `t` without step logic: the target from the go cue on, the start before.
fn default_goal<'a>(trial: &'a Trial, start: &'a [f64], t: usize) -> &'a [f64] {
    match trial.go_cue {
        Some(c) if t >= c => &trial.target,
        _ => start,
    }
}

fn add_noise(v: &mut [f64], std: f64, rng: &mut StdRng) {
    if std > 0.0 {
        for x in v {
            *x += std * rng.sample::<f64, _>(StandardNormal);
        }
    }
}
