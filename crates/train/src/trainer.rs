//! The training loop: one batch of closed-loop episodes per update, through the dfdx tape
//! ([`crate::op::episode_loss`]), Adam, gradient-norm clipping and a learning-rate schedule.
//!
//! Reproducibility: the initial parameters come from `seed`, and batch `b`'s episodes from a
//! seed derived from `(seed, b)`; with the same thread count the loss curve is identical, and a
//! run resumed from a checkpoint continues it exactly.

use crate::adam::{clip_grad_norm, grad_norm, Adam, AdamConfig};
use crate::checkpoint::Checkpoint;
use crate::config::{NetworkKind, TrainConfig};
use crate::episode::{EpisodeRunner, Rollout};
use crate::error::TrainError;
use crate::op::episode_loss;
use motornet_effector::{AnyGeometry, AnySkeleton, DynEffector};
use motornet_muscle::AnyMuscle;
use motornet_policy::{Activation, Gru, GruConfig, Mlp, MlpConfig, Policy};
use motornet_task::loss::build as build_losses;
use motornet_task::{EnvConfig, Environment, Task, TaskConfig, TaskError};
use rand::{rngs::StdRng, SeedableRng};
use std::sync::Arc;

type Runner<P> = EpisodeRunner<AnySkeleton, AnyMuscle, AnyGeometry, P, f32>;

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

/// A training run of network type `P`.
pub struct Trainer<P: Policy> {
    config: TrainConfig,
    hash: u64,
    effector: Arc<DynEffector>,
    task: Arc<dyn Task>,
    runner: Runner<P>,
    pool: rayon::ThreadPool,
    params: Vec<f32>,
    adam: Adam,
    losses: Vec<f64>,
}

/// The batch seed of batch `b` of a run with `seed`.
pub fn batch_seed(seed: u64, b: usize) -> u64 {
    motornet_task::env::element_seed(seed ^ 0x5eed_5eed_5eed_5eed, b)
}

fn environment(
    effector: &Arc<DynEffector>,
    task: Arc<dyn Task>,
    env: &EnvConfig,
) -> Result<Environment<AnySkeleton, AnyMuscle, AnyGeometry>, TrainError> {
    Ok(Environment::new(effector.clone(), task, env.clone())?)
}

impl<P> Trainer<P>
where
    P: Policy + Send + Sync + Clone,
    P::Cache<f32>: Send,
    P::Workspace<f32>: Send,
{
    fn with_policy(
        config: &TrainConfig,
        policy: P,
        task: Arc<dyn Task>,
    ) -> Result<Self, TrainError> {
        let resolved = config.resolved()?;
        let hash = config.hash()?;
        let effector = Arc::new(resolved.effector.resolve()?.build()?);
        let env = environment(&effector, task.clone(), &config.env)?;
        let threads = if config.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            config.threads
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| TrainError::Config {
                field: "threads".into(),
                reason: e.to_string(),
            })?;
        let params = policy.init_params::<f32, _>(&mut StdRng::seed_from_u64(config.seed));
        let losses = build_losses(&config.losses)?;
        let runner = EpisodeRunner::new(env, policy, losses, config.batch_size, threads);
        Ok(Self {
            adam: Adam::new(params.len(), AdamConfig::default()),
            config: resolved,
            hash,
            effector,
            task,
            runner,
            pool,
            params,
            losses: vec![],
        })
    }

    /// The resolved config (effector written out as a full spec).
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }
    /// The config hash checkpoints are tagged with.
    pub fn config_hash(&self) -> u64 {
        self.hash
    }
    /// The effector.
    pub fn effector(&self) -> &Arc<DynEffector> {
        &self.effector
    }
    /// The network.
    pub fn policy(&self) -> &P {
        self.runner.policy()
    }
    /// Current parameters.
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

    /// Train on one batch. A non-finite loss or gradient is an error naming the batch; the
    /// parameters are then left as they were before it.
    pub fn batch(&mut self) -> Result<BatchStats, TrainError> {
        let b = self.losses.len();
        let seed = batch_seed(self.config.seed, b);
        let (runner, params) = (&mut self.runner, &self.params);
        let (loss, mut grad) = match self.pool.install(|| episode_loss(runner, params, seed)) {
            Err(TrainError::Task(TaskError::Input { input, .. }))
                if input == crate::episode::NETWORK_OUTPUT =>
            {
                return Err(TrainError::NonFinite {
                    batch: b,
                    what: "network output",
                    value: f64::NAN,
                })
            }
            r => r?,
        };
        if !loss.is_finite() {
            return Err(TrainError::NonFinite {
                batch: b,
                what: "loss",
                value: loss,
            });
        }
        let norm = match self.config.grad_clip {
            Some(c) => clip_grad_norm(&mut grad, c),
            None => grad_norm(&grad),
        };
        if !norm.is_finite() {
            return Err(TrainError::NonFinite {
                batch: b,
                what: "gradient",
                value: norm,
            });
        }
        let lr = self
            .config
            .lr_schedule
            .at(self.config.lr, b, self.config.batches);
        self.adam.update(&mut self.params, &grad, lr);
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

    /// Continue from a checkpoint of this run.
    pub fn restore(&mut self, c: Checkpoint) -> Result<(), TrainError> {
        if c.params.len() != self.params.len() || c.adam.m.len() != self.params.len() {
            return Err(TrainError::Checkpoint {
                path: String::new(),
                reason: format!(
                    "holds {} parameters, the network has {}",
                    c.params.len(),
                    self.params.len()
                ),
            });
        }
        self.params = c.params;
        self.adam = c.adam;
        self.losses = c.losses;
        Ok(())
    }

    /// Run one batch of `batch` episodes of `task` (default: the training task, custom ones
    /// included) under `env`
    /// (default: the training environment) with the current parameters, without training,
    /// and return the trajectories. `initial` fixes the initial joint states.
    pub fn evaluate(
        &self,
        task: Option<&TaskConfig>,
        env: Option<&EnvConfig>,
        batch: usize,
        seed: u64,
        initial: Option<&[Vec<f64>]>,
    ) -> Result<Rollout, TrainError> {
        let task = task.map_or_else(|| self.task.clone(), TaskConfig::build);
        let env = environment(&self.effector, task, env.unwrap_or(&self.config.env))?;
        let want = self.runner.env().obs_len();
        if env.obs_len() != want {
            return Err(TrainError::Config {
                field: "task".into(),
                reason: format!(
                    "its observations have {} entries, the network was trained on {want}",
                    env.obs_len()
                ),
            });
        }
        let losses = build_losses(&self.config.losses)?;
        let threads = self.pool.current_num_threads();
        let mut runner: Runner<P> =
            EpisodeRunner::new(env, self.runner.policy().clone(), losses, batch, threads);
        let mut out = Rollout::default();
        let params = &self.params;
        self.pool
            .install(|| runner.run(params, seed, initial, None, Some(&mut out)))?;
        Ok(out)
    }
}

/// A trainer of whichever network the config asks for.
pub enum AnyTrainer {
    /// GRU policy.
    Gru(Trainer<Gru>),
    /// MLP policy.
    Mlp(Trainer<Mlp>),
}

macro_rules! dispatch {
    ($self:expr, $t:ident => $e:expr) => {
        match $self {
            AnyTrainer::Gru($t) => $e,
            AnyTrainer::Mlp($t) => $e,
        }
    };
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
        let spec = config.effector.resolve()?;
        let effector = spec.build()?;
        let env = environment(&Arc::new(effector), task.clone(), &config.env)?;
        let (obs, m) = (env.obs_len(), env.effector().n_muscles());
        let n = config.network;
        Ok(match n.kind {
            NetworkKind::Gru => {
                let gru = GruConfig::new(obs, n.hidden, m)
                    .with_layers(n.layers)
                    .build()?;
                Self::Gru(Trainer::with_policy(config, gru, task)?)
            }
            NetworkKind::Mlp => {
                let mlp = MlpConfig::new(obs, vec![n.hidden; n.layers], m)
                    .with_activation(Activation::Tanh)
                    .build()?;
                Self::Mlp(Trainer::with_policy(config, mlp, task)?)
            }
        })
    }
    /// See [`Trainer::batch`].
    pub fn batch(&mut self) -> Result<BatchStats, TrainError> {
        dispatch!(self, t => t.batch())
    }
    /// See [`Trainer::checkpoint`].
    pub fn checkpoint(&self) -> Checkpoint {
        dispatch!(self, t => t.checkpoint())
    }
    /// See [`Trainer::restore`].
    pub fn restore(&mut self, c: Checkpoint) -> Result<(), TrainError> {
        dispatch!(self, t => t.restore(c))
    }
    /// See [`Trainer::evaluate`].
    pub fn evaluate(
        &self,
        task: Option<&TaskConfig>,
        env: Option<&EnvConfig>,
        batch: usize,
        seed: u64,
        initial: Option<&[Vec<f64>]>,
    ) -> Result<Rollout, TrainError> {
        dispatch!(self, t => t.evaluate(task, env, batch, seed, initial))
    }
    /// See [`Trainer::config`].
    pub fn config(&self) -> &TrainConfig {
        dispatch!(self, t => t.config())
    }
    /// See [`Trainer::config_hash`].
    pub fn config_hash(&self) -> u64 {
        dispatch!(self, t => t.config_hash())
    }
    /// See [`Trainer::effector`].
    pub fn effector(&self) -> &Arc<DynEffector> {
        dispatch!(self, t => t.effector())
    }
    /// See [`Trainer::params`].
    pub fn params(&self) -> &[f32] {
        dispatch!(self, t => t.params())
    }
    /// See [`Trainer::losses`].
    pub fn losses(&self) -> &[f64] {
        dispatch!(self, t => t.losses())
    }
    /// See [`Trainer::batches_done`].
    pub fn batches_done(&self) -> usize {
        dispatch!(self, t => t.batches_done())
    }
    /// See [`Trainer::threads`].
    pub fn threads(&self) -> usize {
        dispatch!(self, t => t.threads())
    }
    /// Number of network parameters.
    pub fn n_params(&self) -> usize {
        dispatch!(self, t => t.policy().n_params())
    }
}
