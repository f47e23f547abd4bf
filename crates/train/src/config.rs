//! A training run's settings: effector, task, environment, network, losses and optimiser.
//! Defaults reproduce MotorNet's tutorial (ReluPointMass24, RandomTargetReach with 1 s
//! episodes, GRU 32, batch 32, 6000 batches, Adam 1e-3, gradient norm clipped to 1, position
//! L1 loss).

use crate::adam::AdamConfig;
use crate::error::TrainError;
use crate::phase::PhaseConfig;
use crate::trainer::TrainerConfig;
use motornet_effector::{presets, EffectorSpec};
use motornet_task::loss::{LossConfig, PositionL1Config};
use motornet_task::{EnvConfig, RandomTargetReach, TaskConfig};
use serde::{Deserialize, Serialize};

/// Which effector to train on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EffectorChoice {
    /// A preset by name, with an optional muscle model (`{"preset": "RigidTendonArm26",
    /// "muscle": "MujocoHillMuscle"}`).
    Preset {
        /// Preset name.
        preset: String,
        /// Muscle model, for presets that take one.
        #[serde(default)]
        muscle: Option<String>,
    },
    /// A full spec (`{"spec": {...}}`), as `motornet spec` prints.
    Spec {
        /// The spec.
        spec: Box<EffectorSpec>,
    },
}

impl EffectorChoice {
    /// The full spec.
    pub fn resolve(&self) -> Result<EffectorSpec, TrainError> {
        match self {
            Self::Preset { preset, muscle } => Ok(presets::spec(preset, muscle.as_deref())?),
            Self::Spec { spec } => Ok((**spec).clone()),
        }
    }
}

pub use crate::policy::NetworkKind;

/// Network shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Which network (`gru`, `mlp`, `rnn`, `lstm`: [`NetworkKind::ALL`]).
    pub kind: NetworkKind,
    /// Hidden units per layer.
    pub hidden: usize,
    /// Number of layers.
    pub layers: usize,
}

/// Learning-rate schedule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LrSchedule {
    /// The same rate throughout.
    Constant,
    /// Multiply by `factor` every `every` batches.
    Step {
        /// Batches between drops.
        every: usize,
        /// Factor per drop.
        factor: f64,
    },
    /// Cosine decay from the rate to `min_lr` over the run.
    Cosine {
        /// Final rate.
        min_lr: f64,
    },
}

impl LrSchedule {
    /// The rate at batch `b` (0-based) of `total`, starting from `lr`.
    pub fn at(&self, lr: f64, b: usize, total: usize) -> f64 {
        match *self {
            Self::Constant => lr,
            Self::Step { every, factor } => lr * factor.powi((b / every.max(1)) as i32),
            Self::Cosine { min_lr } => {
                let x = b as f64 / total.max(1) as f64;
                min_lr + 0.5 * (lr - min_lr) * (1.0 + (std::f64::consts::PI * x).cos())
            }
        }
    }
}

/// Everything a training run needs; serialised into the run directory as `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// The effector.
    pub effector: EffectorChoice,
    /// The task.
    pub task: TaskConfig,
    /// Environment: episode length, delays, noise, force field.
    pub env: EnvConfig,
    /// The network.
    pub network: NetworkConfig,
    /// The loss terms.
    pub losses: Vec<LossConfig>,
    /// Episodes per batch.
    pub batch_size: usize,
    /// Number of batches.
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
    /// Batches between checkpoints (and at the end).
    pub checkpoint_every: usize,
    /// Start from the network of the run in this directory (its checkpoint) instead of
    /// initialising it from the seed; the optimiser starts afresh. The two networks must have
    /// the same kind and sizes, and the two runs the same observation and muscle count
    /// ([`AnyTrainer::init_from`](crate::AnyTrainer::init_from)). Used when the run starts,
    /// not on resume (the run's own checkpoint holds everything then).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_from: Option<std::path::PathBuf>,
    /// Every this many batches, run the validation reaches (centre-out, 8 targets at 10 cm,
    /// noiseless, for effectors in 2-D and 3-D) and log their metrics to `validation.csv` (a learning
    /// curve of behaviour); 0 = never. Does not change the training.
    #[serde(skip_serializing_if = "is_zero")]
    pub validate_every: usize,
    /// A phased protocol ([`PhaseConfig`]): the phases run in order, each from the settings
    /// above with its own changes, for `batches` = the phases' total (a config file may leave
    /// `batches` out then). Empty = one phase of the settings above.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<PhaseConfig>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            effector: EffectorChoice::Preset {
                preset: "ReluPointMass24".into(),
                muscle: None,
            },
            task: TaskConfig::RandomTargetReach(RandomTargetReach),
            env: EnvConfig::default(),
            network: NetworkConfig {
                kind: NetworkKind::Gru,
                hidden: 32,
                layers: 1,
            },
            losses: vec![LossConfig::PositionL1(PositionL1Config { weight: 1.0 })],
            batch_size: 32,
            batches: 6000,
            lr: 1e-3,
            lr_schedule: LrSchedule::Constant,
            grad_clip: Some(1.0),
            seed: 0,
            threads: 0,
            checkpoint_every: 500,
            init_from: None,
            validate_every: 0,
            phases: vec![],
        }
    }
}

fn bad(field: &str, reason: String) -> TrainError {
    TrainError::Config {
        field: field.into(),
        reason,
    }
}

impl TrainConfig {
    /// Read a config file (JSON or TOML, by extension; unknown fields are errors naming them).
    pub fn from_file(path: &std::path::Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let toml = path.extension().is_some_and(|e| e == "toml");
        Self::parse(&text, toml).map_err(|reason| bad(&path.display().to_string(), reason))
    }

    /// Parse a config from JSON text (the format of a run's `config.json`); what
    /// [`TrainConfig::from_file`] does with the text of a file not named `*.toml`. Errors
    /// ([`TrainError::Config`] with field `config`) name the offending field.
    pub fn from_json(text: &str) -> Result<Self, TrainError> {
        Self::parse(text, false).map_err(|reason| bad("config", reason))
    }

    /// Parse a config from TOML text; what [`TrainConfig::from_file`] does with the text of a
    /// `*.toml` file.
    pub fn from_toml(text: &str) -> Result<Self, TrainError> {
        Self::parse(text, true).map_err(|reason| bad("config", reason))
    }

    /// Parse `text` as TOML or JSON; the error is the parser's message.
    fn parse(text: &str, toml: bool) -> Result<Self, String> {
        let parsed = if toml {
            toml::from_str(text).map_err(|e| e.to_string())
        } else {
            serde_json::from_str(text).map_err(|e| e.to_string())
        };
        // parsers quote the offending line: a very long one is cut (issue 14)
        let mut config: Self =
            parsed.map_err(|reason| motornet_effector::clip_lines(&reason, 160))?;
        // a phased run's length is its phases' total: `batches` may be left out
        if !config.phases.is_empty() {
            #[derive(Deserialize)]
            struct Given {
                batches: Option<serde::de::IgnoredAny>,
            }
            let given: Result<Given, String> = if toml {
                toml::from_str(text).map_err(|e| e.to_string())
            } else {
                serde_json::from_str(text).map_err(|e| e.to_string())
            };
            if given.is_ok_and(|g| g.batches.is_none()) {
                config.batches = config.phases.iter().map(|p| p.batches).sum();
            }
        }
        Ok(config)
    }

    /// The config with the effector written out as a full spec: enough to rebuild the run.
    pub fn resolved(&self) -> Result<Self, TrainError> {
        let mut c = self.clone();
        c.effector = EffectorChoice::Spec {
            spec: Box::new(self.effector.resolve()?),
        };
        Ok(c)
    }

    /// Check the numbers that the other crates do not check: the optimisation settings
    /// ([`TrainerConfig::validate`]), the network's sizes and that there are losses.
    pub fn validate(&self) -> Result<(), TrainError> {
        self.trainer_config().validate()?;
        if self.network.hidden == 0 || self.network.layers == 0 {
            return Err(bad(
                "network",
                "hidden and layers must be at least 1".into(),
            ));
        }
        if self.losses.is_empty() {
            return Err(bad("losses", "needs at least one loss term".into()));
        }
        self.validate_phases()
    }

    /// The phases' own checks: batches, rates, fields, and that `batches` is their total.
    fn validate_phases(&self) -> Result<(), TrainError> {
        if self.phases.is_empty() {
            return Ok(());
        }
        for (i, p) in self.phases.iter().enumerate() {
            let field = |f: &str| format!("phases[{i}].{f}");
            if p.batches == 0 {
                return Err(bad(&field("batches"), "must be at least 1".into()));
            }
            if let Some(lr) = p.lr {
                if !(lr.is_finite() && lr > 0.0) {
                    return Err(bad(
                        &field("lr"),
                        format!("must be finite and > 0, got {lr}"),
                    ));
                }
            }
            if let Some(k) = p.curl_field {
                if !k.is_finite() {
                    return Err(bad(
                        &field("curl_field"),
                        format!("must be finite, got {k}"),
                    ));
                }
            }
            if let Some(schedule) = p.lr_schedule {
                TrainerConfig {
                    lr: p.lr.unwrap_or(self.lr),
                    lr_schedule: schedule,
                    ..self.trainer_config()
                }
                .validate()
                .map_err(|e| bad(&field("lr_schedule"), e.to_string()))?;
            }
        }
        let total: usize = self.phases.iter().map(|p| p.batches).sum();
        if self.batches != total {
            return Err(bad(
                "batches",
                format!(
                    "{} is not the phases' total, {total}: a phased run is as long as its \
                     phases (leave `batches` out of the config, and --batches off)",
                    self.batches
                ),
            ));
        }
        Ok(())
    }

    /// The optimisation settings of this config, for a [`Trainer`](crate::Trainer).
    pub fn trainer_config(&self) -> TrainerConfig {
        TrainerConfig {
            batch_size: self.batch_size,
            batches: self.batches,
            lr: self.lr,
            lr_schedule: self.lr_schedule,
            grad_clip: self.grad_clip,
            seed: self.seed,
            threads: self.threads,
            adam: AdamConfig::default(),
        }
    }

    /// A 64-bit FNV-1a hash of the resolved config's JSON: checkpoints record it so that a
    /// checkpoint is only loaded into the run it belongs to. The run length, thread count and
    /// checkpoint and validation intervals are left out: a run may be resumed for more
    /// batches, or on another machine.
    pub fn hash(&self) -> Result<u64, TrainError> {
        let mut c = self.resolved()?;
        (c.batches, c.threads, c.checkpoint_every, c.validate_every) = (0, 0, 0, 0);
        let json = serde_json::to_string(&c).expect("configs serialise");
        Ok(fnv1a(json.as_bytes()))
    }
}

/// 64-bit FNV-1a.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
