//! The training loop: one batch of closed-loop episodes per update, Adam, gradient-norm
//! clipping and a learning-rate schedule, for any environment, network and losses.
//!
//! [`Trainer`] is generic: any [`Environment`] (so any `Effector<K, M, G>` built in code and any
//! [`Task`]), any [`Policy`] and any [`LossSum`] go in, with a [`TrainerConfig`] for the
//! optimisation settings. [`AnyTrainer`] is the config-file path on top of it: it builds the
//! effector, task, network and losses a [`TrainConfig`] names and hands them to a `Trainer`.
//!
//! Reproducibility: the initial parameters come from `seed`, and batch `b`'s episodes from a
//! seed derived from `(seed, b)`; with the same thread count the loss curve is identical, and a
//! run resumed from a checkpoint continues it exactly.

use crate::adam::{clip_grad_norm, grad_norm, Adam, AdamConfig};
use crate::checkpoint::Checkpoint;
use crate::config::{fnv1a, LrSchedule, TrainConfig};
use crate::episode::{EpisodeError, EpisodeRunner, Rollout};
use crate::error::TrainError;
use crate::phase::PhaseConfig;
use crate::policy::{self, AnyPolicy};
use motornet_effector::{AnyGeometry, AnySkeleton, Effector, Geometry};
use motornet_muscle::{AnyMuscle, MuscleModel};
use motornet_policy::Policy;
use motornet_skeleton::Skeleton;
use motornet_task::loss::{build as build_losses, LossSum};
use motornet_task::{EnvConfig, Environment, Task};
use rand::{rngs::StdRng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;

/// What one training batch did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchStats {
    /// Batch index (0-based).
    pub batch: usize,
    /// Mean loss over the batch.
    pub loss: f64,
    /// Gradient norm before clipping.
    pub grad_norm: f64,
    /// Learning rate used.
    pub lr: f64,
}

/// The optimisation settings of a run: everything a [`Trainer`] needs besides the
/// environment, the network and the losses. Defaults are MotorNet's tutorial (batch 32, 6000
/// batches, Adam at 1e-3, gradient norm clipped to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainerConfig {
    /// Episodes per batch.
    pub batch_size: usize,
    /// Length of the run in batches (the learning-rate schedule spans it).
    pub batches: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Learning-rate schedule.
    pub lr_schedule: LrSchedule,
    /// Largest gradient norm (clipped above); `None` for no clipping.
    pub grad_clip: Option<f64>,
    /// Seed of the initial parameters and of every batch's episodes.
    pub seed: u64,
    /// Worker threads; 0 = all cores.
    pub threads: usize,
    /// Adam's moment decays and ε.
    pub adam: AdamConfig,
}

impl Default for TrainerConfig {
    fn default() -> Self {
        Self {
            batch_size: 32,
            batches: 6000,
            lr: 1e-3,
            lr_schedule: LrSchedule::Constant,
            grad_clip: Some(1.0),
            seed: 0,
            threads: 0,
            adam: AdamConfig::default(),
        }
    }
}

fn bad(field: &str, reason: String) -> TrainError {
    TrainError::Config {
        field: field.into(),
        reason,
    }
}

/// The most worker threads a run may ask for: far more than any machine's cores, and few
/// enough that the operating system can start them (issue 14: `--threads 100000` failed after
/// 43 s, then panicked).
pub const MAX_THREADS: usize = 1024;

impl TrainerConfig {
    /// Check every setting; the error names the first bad one.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.batch_size == 0 {
            return Err(bad("batch_size", "must be at least 1".into()));
        }
        if self.threads > MAX_THREADS {
            return Err(bad(
                "threads",
                format!(
                    "{} is more than {MAX_THREADS} (0 uses every core)",
                    self.threads
                ),
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(bad(
                "lr",
                format!("must be finite and > 0, got {}", self.lr),
            ));
        }
        if let Some(c) = self.grad_clip {
            if !(c.is_finite() && c > 0.0) {
                return Err(bad("grad_clip", format!("must be finite and > 0, got {c}")));
            }
        }
        let a = self.adam;
        if !((0.0..1.0).contains(&a.beta1) && (0.0..1.0).contains(&a.beta2)) {
            return Err(bad(
                "adam",
                format!(
                    "beta1 and beta2 must be in [0, 1), got {} and {}",
                    a.beta1, a.beta2
                ),
            ));
        }
        if !(a.eps.is_finite() && a.eps > 0.0) {
            return Err(bad(
                "adam.eps",
                format!("must be finite and > 0, got {}", a.eps),
            ));
        }
        match self.lr_schedule {
            LrSchedule::Step { every, factor }
                if every == 0 || factor.is_nan() || factor <= 0.0 =>
            {
                Err(bad(
                    "lr_schedule",
                    format!("step needs every >= 1 and factor > 0, got {every} and {factor}"),
                ))
            }
            LrSchedule::Cosine { min_lr } if !(0.0..=self.lr).contains(&min_lr) => Err(bad(
                "lr_schedule",
                format!("cosine needs 0 <= min_lr <= lr, got {min_lr}"),
            )),
            _ => Ok(()),
        }
    }

    /// The trainer of `policy` on `env` with `losses` under these settings (burn-style
    /// `Config::init`); see [`Trainer::new`].
    pub fn init<K, M, G, P>(
        self,
        env: Environment<K, M, G>,
        policy: P,
        losses: LossSum,
    ) -> Result<Trainer<K, M, G, P>, TrainError>
    where
        K: Skeleton + Send + Sync,
        M: MuscleModel + Send + Sync,
        G: Geometry + Send + Sync,
        P: Policy + Send + Sync + Clone,
        P::Cache<f32>: Send,
        P::Workspace<f32>: Send,
    {
        Trainer::new(env, policy, losses, self)
    }
}

/// The batch seed of batch `b` of a run with `seed`.
pub fn batch_seed(seed: u64, b: usize) -> u64 {
    motornet_task::env::element_seed(seed ^ 0x5eed_5eed_5eed_5eed, b)
}

/// A training run: network `P` (any [`Policy`]) controlling an `Effector<K, M, G>` in an
/// [`Environment`], trained on a [`LossSum`] by backpropagation through the closed loop.
///
/// ```no_run
/// use motornet_effector::presets;
/// use motornet_policy::GruConfig;
/// use motornet_task::loss::{LossSum, PositionL1};
/// use motornet_task::{EnvConfig, Environment, RandomTargetReach};
/// use motornet_train::{Trainer, TrainerConfig};
/// use std::sync::Arc;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let arm = Arc::new(presets::spec("ReluPointMass24", None)?.build()?);
/// let env = Environment::new(arm, Arc::new(RandomTargetReach), EnvConfig::default())?;
/// let gru = GruConfig::new(env.obs_len(), 32, env.effector().n_muscles()).build()?;
/// let losses = LossSum::new().with(1.0, PositionL1)?;
/// let mut trainer = Trainer::new(env, gru, losses, TrainerConfig::default())?;
/// for _ in 0..100 {
///     let stats = trainer.batch()?;
///     println!("batch {} loss {:.4}", stats.batch, stats.loss);
/// }
/// trainer.save_checkpoint("run.ckpt".as_ref())?;
/// # Ok(()) }
/// ```
pub struct Trainer<K, M, G, P: Policy> {
    config: TrainerConfig,
    run_hash: u64,
    runner: EpisodeRunner<K, M, G, P, f32>,
    pool: rayon::ThreadPool,
    params: Vec<f32>,
    adam: Adam,
    losses: Vec<f64>,
    /// Buffers of [`Trainer::batch`], kept between batches (fresh large allocations cost page
    /// faults at every batch): the gradient, and the parameters and Adam's moments before the
    /// optimiser step, to restore if it overflows.
    grad: Vec<f32>,
    before: [Vec<f32>; 3],
    /// Which parameters learn (`None`: all), [`Trainer::set_trainable`].
    trainable: Option<Vec<bool>>,
    /// The learning rate's plan, [`Trainer::set_lr_plan`].
    lr_plan: LrPlan,
}

/// The learning rate of a stretch of batches: `schedule` applied to `lr` over the `batches`
/// batches from batch `start` (0-based). A [`Trainer`] starts with its config's rate and
/// schedule over the whole run; phases set their own ([`Trainer::set_lr_plan`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrPlan {
    /// Adam's learning rate at the stretch's start.
    pub lr: f64,
    /// Schedule over the stretch.
    pub schedule: LrSchedule,
    /// First batch of the stretch (0-based).
    pub start: usize,
    /// Batches in the stretch (what the schedule spans).
    pub batches: usize,
}

impl LrPlan {
    /// The rate at batch `b` (0-based, counted from the run's start).
    pub fn at(&self, b: usize) -> f64 {
        self.schedule
            .at(self.lr, b.saturating_sub(self.start), self.batches)
    }
}

impl<K, M, G, P> Trainer<K, M, G, P>
where
    K: Skeleton + Send + Sync,
    M: MuscleModel + Send + Sync,
    G: Geometry + Send + Sync,
    P: Policy + Send + Sync + Clone,
    P::Cache<f32>: Send,
    P::Workspace<f32>: Send,
{
    /// A run of `policy` on `env`, trained on `losses` with the settings of `config`; the
    /// parameters are initialised from `config.seed`.
    ///
    /// Everything that can be checked before the first batch is: the settings, that the losses
    /// are not empty, that the network takes the observation's width and outputs one command
    /// per muscle, and that the task draws a valid trial (one trial is drawn to see). Errors
    /// name the part (`network`, `losses`, the task's field, ...).
    pub fn new(
        env: Environment<K, M, G>,
        policy: P,
        losses: LossSum,
        config: TrainerConfig,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        if losses.losses().is_empty() {
            return Err(bad("losses", "needs at least one loss term".into()));
        }
        check_env(&env, &policy, config.batch_size, config.seed)?;
        let threads = if config.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            config.threads
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| bad("threads", e.to_string()))?;
        let params = policy.init_params::<f32, _>(&mut StdRng::seed_from_u64(config.seed));
        let run_hash = default_run_hash(&config, &env, &policy, &losses);
        let runner = EpisodeRunner::new(env, policy, losses, config.batch_size, threads);
        let lr_plan = LrPlan {
            lr: config.lr,
            schedule: config.lr_schedule,
            start: 0,
            batches: config.batches,
        };
        Ok(Self {
            adam: Adam::new(params.len(), config.adam),
            grad: vec![0.0; params.len()],
            before: std::array::from_fn(|_| vec![0.0; params.len()]),
            config,
            run_hash,
            runner,
            pool,
            params,
            losses: vec![],
            trainable: None,
            lr_plan,
        })
    }

    /// Train from now on with `task` (default: the current one) under the environment
    /// settings `env` (default: the current ones), on the same effector: the next phase of a
    /// protocol, a force field switched on. The observation must keep its width (the network
    /// reads it); the same checks as [`Trainer::new`] apply (memory, one trial drawn).
    pub fn set_environment(
        &mut self,
        task: Option<Arc<dyn Task>>,
        env: Option<&EnvConfig>,
    ) -> Result<(), TrainError> {
        let ours = self.runner.env();
        let env = Environment::new(
            ours.effector().clone(),
            task.unwrap_or_else(|| ours.task().clone()),
            env.unwrap_or(ours.config()).clone(),
        )?;
        let policy = self.runner.policy().clone();
        check_env(&env, &policy, self.config.batch_size, self.config.seed)?;
        let losses = self.runner.shared_losses();
        let threads = self.pool.current_num_threads();
        self.runner = EpisodeRunner::new(env, policy, losses, self.config.batch_size, threads);
        Ok(())
    }

    /// Which parameters learn from now on: `mask[i]` for parameter `i` (`[n_params]`), or
    /// `None` for all (the default). The others keep their values, and their optimiser
    /// state is left as it was; their gradient is left out of the clipped norm.
    /// [`trainable_mask`](crate::phase::trainable_mask) builds a mask from block names.
    pub fn set_trainable(&mut self, mask: Option<Vec<bool>>) -> Result<(), TrainError> {
        if let Some(m) = &mask {
            if m.len() != self.params.len() {
                return Err(bad(
                    "trainable",
                    format!(
                        "a mask of {} entries, the network has {} parameters",
                        m.len(),
                        self.params.len()
                    ),
                ));
            }
        }
        self.trainable = mask;
        Ok(())
    }

    /// The trainable mask ([`Trainer::set_trainable`]); `None` when everything learns.
    pub fn trainable(&self) -> Option<&[bool]> {
        self.trainable.as_deref()
    }

    /// Set the learning rate's plan from now on (by default the config's rate and schedule
    /// over the whole run).
    pub fn set_lr_plan(&mut self, plan: LrPlan) -> Result<(), TrainError> {
        TrainerConfig {
            lr: plan.lr,
            lr_schedule: plan.schedule,
            ..self.config.clone()
        }
        .validate()?;
        self.lr_plan = plan;
        Ok(())
    }

    /// The learning rate's plan ([`Trainer::set_lr_plan`]).
    pub fn lr_plan(&self) -> LrPlan {
        self.lr_plan
    }

    /// Tag the run's checkpoints with `hash` instead of the default (a hash of the settings,
    /// the network's layout, the observation and muscle counts, the task's name and the loss
    /// terms). Give your own when something else defines your run, e.g. a hash of your config.
    pub fn with_run_hash(mut self, hash: u64) -> Self {
        self.run_hash = hash;
        self
    }

    /// The optimisation settings.
    pub fn trainer_config(&self) -> &TrainerConfig {
        &self.config
    }
    /// The hash checkpoints of this run are tagged with (see [`Trainer::with_run_hash`]).
    pub fn run_hash(&self) -> u64 {
        self.run_hash
    }
    /// The environment.
    pub fn env(&self) -> &Environment<K, M, G> {
        self.runner.env()
    }
    /// The effector.
    pub fn effector(&self) -> &Arc<Effector<K, M, G>> {
        self.runner.env().effector()
    }
    /// The network.
    pub fn policy(&self) -> &P {
        self.runner.policy()
    }
    /// The loss terms.
    pub fn loss_terms(&self) -> &LossSum {
        self.runner.losses()
    }
    /// Number of network parameters.
    pub fn n_params(&self) -> usize {
        self.params.len()
    }
    /// Current parameters, in the network's layout ([`Policy::layout`]).
    pub fn params(&self) -> &[f32] {
        &self.params
    }
    /// Loss of every batch so far.
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }
    /// Batches done.
    pub fn batches_done(&self) -> usize {
        self.losses.len()
    }
    /// Worker threads of the run.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Train on one batch. A non-finite loss (the error names the loss term and the element),
    /// gradient or network output (step and element) is an error naming the batch; the
    /// parameters are then left as they were before it.
    pub fn batch(&mut self) -> Result<BatchStats, TrainError> {
        let b = self.losses.len();
        let seed = batch_seed(self.config.seed, b);
        let (runner, params, grad) = (&mut self.runner, &self.params, &mut self.grad);
        grad.fill(0.0);
        let loss = self
            .pool
            .install(|| runner.run(params, seed, None, Some(grad), None))
            .map_err(|e| episode_error(e, b))?;
        if !loss.is_finite() {
            return Err(TrainError::NonFinite {
                batch: b,
                what: "loss".into(),
                value: loss,
            });
        }
        let grad = &mut self.grad;
        if let Some(mask) = &self.trainable {
            // frozen parameters: no gradient (nor part of the clipped norm)
            for (g, &learns) in grad.iter_mut().zip(mask) {
                if !learns {
                    *g = 0.0;
                }
            }
        }
        let norm = match self.config.grad_clip {
            Some(c) => clip_grad_norm(grad, c),
            None => grad_norm(grad),
        };
        if !norm.is_finite() {
            return Err(TrainError::NonFinite {
                batch: b,
                what: "gradient".into(),
                value: norm,
            });
        }
        let lr = self.lr_plan.at(b);
        // an update that overflows (a huge learning rate, say) is refused, and the state
        // stays the last finite one
        let [p0, m0, v0] = &mut self.before;
        p0.copy_from_slice(&self.params);
        m0.copy_from_slice(&self.adam.m);
        v0.copy_from_slice(&self.adam.v);
        let t0 = self.adam.t;
        self.adam
            .update_masked(&mut self.params, &self.grad, lr, self.trainable.as_deref());
        let bad = [&self.params, &self.adam.m, &self.adam.v]
            .into_iter()
            .flat_map(|v| v.iter())
            .find(|x| !x.is_finite())
            .copied();
        if let Some(value) = bad {
            self.params.copy_from_slice(p0);
            self.adam.m.copy_from_slice(m0);
            self.adam.v.copy_from_slice(v0);
            self.adam.t = t0;
            return Err(TrainError::NonFinite {
                batch: b,
                what: "parameters after the optimiser step".into(),
                value: f64::from(value),
            });
        }
        self.losses.push(loss);
        Ok(BatchStats {
            batch: b,
            loss,
            grad_norm: norm,
            lr,
        })
    }

    /// The run's state, for saving.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            batches_done: self.losses.len(),
            params: self.params.clone(),
            adam: self.adam.clone(),
            losses: self.losses.clone(),
        }
    }

    /// Continue from a checkpoint of this run. A checkpoint whose sizes do not fit the network
    /// is an error, and nothing changes.
    pub fn restore(&mut self, c: Checkpoint) -> Result<(), TrainError> {
        let n = self.params.len();
        if c.params.len() != n || c.adam.m.len() != n || c.adam.v.len() != n {
            return Err(TrainError::Checkpoint {
                path: String::new(),
                reason: format!("holds {} parameters, the network has {n}", c.params.len()),
            });
        }
        if c.losses.len() != c.batches_done {
            return Err(TrainError::Checkpoint {
                path: String::new(),
                reason: format!(
                    "says {} batches were done but holds {} losses",
                    c.batches_done,
                    c.losses.len()
                ),
            });
        }
        self.params = c.params;
        self.adam = c.adam;
        self.losses = c.losses;
        Ok(())
    }

    /// Start this run from `params` (another run's network, say) instead of the seeded
    /// initialisation: before the first batch only, with as many numbers as the network has,
    /// all finite. The optimiser starts afresh.
    pub fn set_initial_params(&mut self, params: &[f32]) -> Result<(), TrainError> {
        let bad = |reason: String| TrainError::Config {
            field: "init_from".into(),
            reason,
        };
        if !self.losses.is_empty() {
            return Err(bad(format!(
                "the run has already trained {} batches",
                self.losses.len()
            )));
        }
        if params.len() != self.params.len() {
            return Err(bad(format!(
                "{} parameters, the network has {}",
                params.len(),
                self.params.len()
            )));
        }
        if let Some(v) = params.iter().find(|v| !v.is_finite()) {
            return Err(bad(format!("a parameter is not finite ({v})")));
        }
        self.params.copy_from_slice(params);
        self.adam = Adam::new(self.params.len(), self.config.adam);
        Ok(())
    }

    /// Save the run's state to `path` atomically, tagged with [`Trainer::run_hash`].
    pub fn save_checkpoint(&self, path: &Path) -> Result<(), TrainError> {
        self.checkpoint().save(path, self.run_hash)
    }

    /// Continue from the checkpoint at `path`, which must belong to this run (same
    /// [`Trainer::run_hash`]).
    pub fn resume_from(&mut self, path: &Path) -> Result<(), TrainError> {
        let c = Checkpoint::load(path, Some(self.run_hash))?;
        self.restore(c).map_err(|e| match e {
            TrainError::Checkpoint { reason, .. } => TrainError::Checkpoint {
                path: path.display().to_string(),
                reason,
            },
            e => e,
        })
    }

    /// Run one batch of `batch` episodes of `task` (default: the training task) under `env`
    /// (default: the training environment's settings) with the current parameters, without
    /// training, and return the trajectories. `initial` fixes the initial joint states (one
    /// row for all elements, or one per element). The task must give the network the
    /// observation width it was trained on.
    pub fn evaluate(
        &self,
        task: Option<Arc<dyn Task>>,
        env: Option<&EnvConfig>,
        batch: usize,
        seed: u64,
        initial: Option<&[Vec<f64>]>,
    ) -> Result<Rollout, TrainError> {
        if batch == 0 {
            return Err(bad(
                "batch",
                "an evaluation needs at least one episode".into(),
            ));
        }
        if let Some(rows) = initial {
            if rows.is_empty() || (rows.len() != 1 && rows.len() != batch) {
                return Err(bad(
                    "initial",
                    format!("needs 1 or {batch} joint states, got {}", rows.len()),
                ));
            }
        }
        let ours = self.runner.env();
        let task = task.unwrap_or_else(|| ours.task().clone());
        let env = Environment::new(
            ours.effector().clone(),
            task,
            env.unwrap_or(ours.config()).clone(),
        )?;
        let want = ours.obs_len();
        if env.obs_len() != want {
            return Err(bad(
                "task",
                format!(
                    "its observations have {} entries, the network was trained on {want}",
                    env.obs_len()
                ),
            ));
        }
        let threads = self.pool.current_num_threads();
        let mut runner = EpisodeRunner::new(
            env,
            self.runner.policy().clone(),
            self.runner.shared_losses(),
            batch,
            threads,
        );
        let mut out = Rollout::default();
        let params = &self.params;
        self.pool
            .install(|| runner.run(params, seed, initial, None, Some(&mut out)))
            .map_err(|e| episode_error(e, self.losses.len()))?;
        Ok(out)
    }
}

/// The checks [`Trainer::new`] and [`Trainer::set_environment`] make of an environment for
/// `policy`: the observation and muscle counts agree with the network, a batch of
/// `batch_size` episodes fits in memory, and the task draws a trial of the right shapes.
fn check_env<K, M, G, P>(
    env: &Environment<K, M, G>,
    policy: &P,
    batch_size: usize,
    seed: u64,
) -> Result<(), TrainError>
where
    K: Skeleton,
    M: MuscleModel,
    G: Geometry,
    P: Policy,
{
    let (obs, m) = (env.obs_len(), env.effector().n_muscles());
    if policy.input_size() != obs {
        return Err(bad(
            "network",
            format!(
                "takes {} inputs, but the environment's observation has {obs} entries \
                     ({:?})",
                policy.input_size(),
                env.layout()
            ),
        ));
    }
    if policy.output_size() != m {
        return Err(bad(
            "network",
            format!(
                "outputs {} values, but the effector has {m} muscles (one command each)",
                policy.output_size()
            ),
        ));
    }
    // the memory a batch holds, before any of it is allocated
    let needed = batch_memory_bytes(env, policy, batch_size);
    if let Some(why) = crate::files::memory_shortfall(needed) {
        // the batch size is the lever unless one episode alone does not fit
        let one = needed / batch_size as f64;
        let field = if crate::files::memory_shortfall(one).is_some() {
            "network and episode size"
        } else {
            "batch_size"
        };
        return Err(bad(
            field,
            format!(
                "a batch of {} episodes of {} steps ({:.2} MiB per episode) needs {why}; \
                     lower batch_size, env.max_ep_duration or the network's size",
                batch_size,
                env.steps(),
                one / (1u64 << 20) as f64,
            ),
        ));
    }
    // one trial, to catch a task that draws the wrong shapes before the first batch
    let mut probe = vec![0.0; obs];
    env.reset(0, batch_size, seed, None, &mut probe)?;
    Ok(())
}

/// An episode failure as a training error of batch `batch`.
fn episode_error(e: EpisodeError, batch: usize) -> TrainError {
    match e {
        EpisodeError::Task(e) => TrainError::Task(e),
        EpisodeError::NonFiniteOutput {
            step,
            element,
            value,
        } => TrainError::NonFinite {
            batch,
            what: format!("network output (step {step}, element {element})"),
            value,
        },
        EpisodeError::NonFiniteState {
            step,
            element,
            value,
        } => TrainError::NonFinite {
            batch,
            what: format!(
                "effector state or observation after step {step} (element {element}: the \
                 simulation diverged)"
            ),
            value,
        },
        EpisodeError::NonFiniteLoss {
            term,
            element,
            value,
        } => TrainError::NonFinite {
            batch,
            what: format!("loss term `{term}` (element {element})"),
            value,
        },
    }
}

fn default_run_hash<K, M, G, P>(
    config: &TrainerConfig,
    env: &Environment<K, M, G>,
    policy: &P,
    losses: &LossSum,
) -> u64
where
    K: Skeleton,
    M: MuscleModel,
    G: Geometry,
    P: Policy,
{
    let mut c = config.clone();
    (c.batches, c.threads) = (0, 0);
    let blocks: Vec<_> = policy
        .layout()
        .blocks()
        .iter()
        .map(|b| (&b.name, &b.shape))
        .collect();
    let terms: Vec<_> = losses
        .losses()
        .iter()
        .map(|(w, l)| (w.to_bits(), l.name()))
        .collect();
    let eff = env.effector();
    let text = format!(
        "{}|{blocks:?}|{}|{}|{}|{}|{}|{terms:?}",
        serde_json::to_string(&c).expect("settings serialise"),
        env.obs_len(),
        eff.n_muscles(),
        eff.muscle().name(),
        eff.dof(),
        env.task().name(),
    );
    fnv1a(text.as_bytes())
}

/// The trainer the config-file path builds: the effector, task, network and losses a
/// [`TrainConfig`] names, over the run-time enums ([`AnySkeleton`], [`AnyMuscle`],
/// [`AnyGeometry`], [`AnyPolicy`]).
pub type ConfigTrainer = Trainer<AnySkeleton, AnyMuscle, AnyGeometry, AnyPolicy>;

/// A [`Trainer`] built from a [`TrainConfig`] (what `motornet train` runs), with that config
/// kept beside it. It dereferences to the [`ConfigTrainer`] it wraps, so every `Trainer`
/// method works on it; its checkpoints are tagged with [`TrainConfig::hash`].
pub struct AnyTrainer {
    config: TrainConfig,
    trainer: ConfigTrainer,
    /// The task the run was built with (the config's, or [`AnyTrainer::with_task`]'s): the
    /// task of every phase that names none.
    task: Arc<dyn Task>,
    /// The phase the trainer is set up for (index into `config.phases`).
    phase: Option<usize>,
}

impl AnyTrainer {
    /// Build the run `config` describes: effector, task, environment, network (initialised
    /// from the seed), losses and optimiser.
    pub fn new(config: &TrainConfig) -> Result<Self, TrainError> {
        Self::with_task(config, config.task.build())
    }

    /// As [`AnyTrainer::new`], but training on `task` (your own [`Task`] implementation)
    /// instead of `config.task`. The saved config cannot describe a custom task: rebuild such
    /// a run in code, with the same task, to reload its checkpoint.
    pub fn with_task(config: &TrainConfig, task: Arc<dyn Task>) -> Result<Self, TrainError> {
        config.validate()?;
        let resolved = config.resolved()?;
        let hash = config.hash()?;
        let effector = Arc::new(resolved.effector.resolve()?.build()?);
        let env = Environment::new(effector, task.clone(), config.env.clone())?;
        let network = policy::build(&config.network, env.obs_len(), env.effector().n_muscles())?;
        let losses = build_losses(&config.losses)?;
        let trainer = Trainer::new(env, network, losses, config.trainer_config())?;
        let mut any = Self {
            config: resolved,
            trainer: trainer.with_run_hash(hash),
            task,
            phase: None,
        };
        // every phase is set up once, last to first, so that a phase that cannot run is an
        // error now rather than hours into the run; the run starts in the first
        for i in (0..any.config.phases.len()).rev() {
            any.enter_phase(i)?;
        }
        Ok(any)
    }

    /// Set the trainer up for phase `index` of the config (task, environment, trainable
    /// blocks, learning-rate plan); errors name the phase.
    fn enter_phase(&mut self, index: usize) -> Result<(), TrainError> {
        let phases = &self.config.phases;
        let p = &phases[index];
        let start: usize = phases[..index].iter().map(|p| p.batches).sum();
        let named = |e: TrainError| TrainError::Config {
            field: format!("phases[{index}] ({})", p.label(index)),
            reason: e.to_string(),
        };
        let task = p
            .task
            .as_ref()
            .map_or_else(|| self.task.clone(), |t| t.build());
        let env = match p.curl_field {
            Some(k) => self.config.env.with_curl_field(k),
            None => self.config.env.clone(),
        };
        let trainer = &mut self.trainer;
        trainer
            .set_environment(Some(task), Some(&env))
            .map_err(named)?;
        let mask = (p.train.as_ref())
            .map(|patterns| crate::phase::trainable_mask(trainer.policy().layout(), patterns))
            .transpose()
            .map_err(named)?;
        trainer.set_trainable(mask).map_err(named)?;
        trainer
            .set_lr_plan(LrPlan {
                lr: p.lr.unwrap_or(self.config.lr),
                schedule: p.lr_schedule.unwrap_or(self.config.lr_schedule),
                start,
                batches: p.batches,
            })
            .map_err(named)?;
        self.phase = Some(index);
        Ok(())
    }

    /// Set the trainer up for the phase batch `b` falls in, if it is not already.
    fn enter_phase_of(&mut self, b: usize) -> Result<(), TrainError> {
        match crate::phase::phase_at(&self.config.phases, b) {
            Some(span) if self.phase != Some(span.index) => self.enter_phase(span.index),
            _ => Ok(()),
        }
    }

    /// Train on one batch ([`Trainer::batch`]), in the phase it falls in: a phased run
    /// changes task, environment, trainable blocks and learning rate as it enters each phase.
    pub fn batch(&mut self) -> Result<BatchStats, TrainError> {
        self.enter_phase_of(self.trainer.batches_done())?;
        self.trainer.batch()
    }

    /// Continue from a checkpoint of this run ([`Trainer::restore`]), inside the phase its
    /// next batch falls in.
    pub fn restore(&mut self, c: Checkpoint) -> Result<(), TrainError> {
        self.trainer.restore(c)?;
        self.enter_phase_of(self.trainer.batches_done())
    }

    /// The phase the trainer is in now (index into the config's `phases`, and the phase);
    /// `None` for a run without phases.
    pub fn phase(&self) -> Option<(usize, &PhaseConfig)> {
        self.phase.map(|i| (i, &self.config.phases[i]))
    }

    /// Start from the network of the run in `dir` (its `config.json` and `checkpoint.bin`,
    /// which must belong to it), before the first batch: the networks must be of the same
    /// kind and sizes, and the runs must show the network observations of the same width and
    /// drive the same number of muscles; errors name what differs. The optimiser starts
    /// afresh. Set [`TrainConfig::init_from`] to `dir` in the config this trainer was built
    /// from to record it in the run (it is part of the run's hash); `motornet train
    /// --init-from DIR` does both.
    pub fn init_from(&mut self, dir: &Path) -> Result<(), TrainError> {
        let named = |reason: String| TrainError::Config {
            field: "init_from".into(),
            reason: format!("{}: {reason}", dir.display()),
        };
        let config = TrainConfig::from_file(&dir.join(crate::files::CONFIG_FILE))?;
        let source = AnyTrainer::new(&TrainConfig {
            init_from: None,
            ..config.clone()
        })?;
        let (a, b) = (&source.config.network, &self.config.network);
        if (a.kind, a.hidden, a.layers) != (b.kind, b.hidden, b.layers) {
            return Err(named(format!(
                "its network is {} {} x {} layer(s), this run's {} {} x {}",
                a.kind.name(),
                a.hidden,
                a.layers,
                b.kind.name(),
                b.hidden,
                b.layers
            )));
        }
        let sizes = |t: &ConfigTrainer| (t.env().obs_len(), t.effector().n_muscles());
        let (theirs, ours) = (sizes(&source.trainer), sizes(&self.trainer));
        if theirs != ours {
            return Err(named(format!(
                "its network sees {} observations and drives {} muscles, this run's {} and {}",
                theirs.0, theirs.1, ours.0, ours.1
            )));
        }
        let path = dir.join(crate::files::CHECKPOINT_FILE);
        let c = Checkpoint::load(&path, Some(source.config_hash()))?;
        self.trainer.set_initial_params(&c.params)
    }

    /// The resolved config (effector written out as a full spec).
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }
    /// The config hash checkpoints are tagged with (= [`Trainer::run_hash`]).
    pub fn config_hash(&self) -> u64 {
        self.trainer.run_hash()
    }
    /// The trainer itself.
    pub fn into_inner(self) -> ConfigTrainer {
        self.trainer
    }
}

impl Deref for AnyTrainer {
    type Target = ConfigTrainer;
    fn deref(&self) -> &ConfigTrainer {
        &self.trainer
    }
}

impl DerefMut for AnyTrainer {
    fn deref_mut(&mut self) -> &mut ConfigTrainer {
        &mut self.trainer
    }
}

/// About how many bytes a training batch of `batch` episodes holds (traces of every step for
/// the backward pass, in `f64`, and the network's per-step records, in `f32`), as a float so
/// that no size overflows. An estimate to refuse absurd sizes with a clear message, not an
/// account: it errs on the high side.
pub fn batch_memory_bytes<K: Skeleton, M: MuscleModel, G: Geometry, P: Policy>(
    env: &Environment<K, M, G>,
    policy: &P,
    batch: usize,
) -> f64 {
    let eff = env.effector();
    let (d, m, dof) = (
        eff.space_dim() as f64,
        eff.n_muscles() as f64,
        eff.dof() as f64,
    );
    let state = eff.state_len() as f64;
    let hid = policy.hidden_size() as f64;
    let obs = env.obs_len() as f64;
    let out = policy.output_size() as f64;
    // per element and step: the state and its gradient, the losses' view of the episode and
    // its gradient (f64); the observation, hidden state and the network's cache (f32, a GRU's
    // is about 6 hidden states and 2 to 3 outputs); a few hundred bytes of buffer headers
    let per_step = 8.0 * (2.0 * state + 2.0 * (hid + 3.0 * d + 4.0 * m + 2.0 * dof + state))
        + 4.0 * (2.0 * obs + 8.0 * hid + 3.0 * out + 8.0)
        + 256.0;
    per_step * (env.steps() as f64 + 1.0) * batch as f64
}
