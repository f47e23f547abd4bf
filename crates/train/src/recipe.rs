//! Recipes: settings that work, per effector preset and task. `motornet train --effector E
//! --task T` without a config file starts from the recipe of (E, T) when there is one, and
//! from [`TrainConfig::default`] (MotorNet's tutorial) otherwise; flags override either.
//! docs/training.md lists the recipes and what each reaches.

use crate::config::{EffectorChoice, LrSchedule, NetworkConfig, NetworkKind, TrainConfig};
use motornet_task::loss::{ActivationL2Config, LossConfig, PositionL1Config, SpeedConfig};
use motornet_task::{CentreOutMode, CentreOutReach, EnvConfig, TaskConfig};

/// A recipe: the settings of a run of one effector preset on one task.
#[derive(Debug, Clone, Copy)]
pub struct Recipe {
    /// Effector preset name.
    pub effector: &'static str,
    /// Task name.
    pub task: &'static str,
    /// What the recipe gives (measured; docs/training.md has the numbers).
    pub doc: &'static str,
    /// The settings.
    pub config: fn() -> TrainConfig,
}

/// Every recipe.
pub static RECIPES: &[Recipe] = &[
    Recipe {
        effector: "ReluPointMass24",
        task: "RandomTargetReach",
        doc: "MotorNet's tutorial: GRU 32, batch 32, 6000 batches, Adam 1e-3, position L1 loss",
        config: TrainConfig::default,
    },
    Recipe {
        effector: "RigidTendonArm26",
        task: "CentreOutReach",
        doc: "The MotorNet-paper arm reaching with delays (proprioception 20 ms, vision 70 ms) \
              and noise, half its trials centre-out: GRU 64, 7000 batches, cosine-decayed Adam \
              3e-3 → 1e-4, position L1 plus a speed penalty and a small activation and \
              activation-rate penalty; straight reaches that end within 1 cm",
        config: arm26_centre_out,
    },
    Recipe {
        effector: "ReluPointMass24",
        task: "CentreOutReach",
        doc: "The arm26 centre-out recipe on the point mass (10000 batches): straight reaches \
              that end within 1 cm",
        config: point_mass_centre_out,
    },
    Recipe {
        effector: "FreePointMass24",
        task: "CentreOutReach",
        doc: "The arm26 centre-out recipe (10000 batches) with the excitation noise at 0.001 \
              (its 1000 N muscles push the 1 kg mass directly): straight reaches that end within \
              1 cm",
        config: free_point_mass_centre_out,
    },
    Recipe {
        effector: "Reacher",
        task: "CentreOutReach",
        doc: "The arm26 centre-out recipe (10000 batches) with the excitation noise at 0.0001 \
              (its 1000 N muscles act with 1 m moment arms): straight reaches that end within \
              1 cm",
        config: reacher_centre_out,
    },
    Recipe {
        effector: "Arm3D",
        task: "CentreOutReach",
        doc: "The arm26 centre-out recipe in 3-D (8 targets 10 cm away on a sphere, gravity \
              acting) with the excitation noise at 0.001 (its Holzbaur muscles exert up to \
              ~1000 N) and 4000 batches: reaches that end within 1 cm",
        config: arm3d_centre_out,
    },
    Recipe {
        effector: "CompliantTendonArm26",
        task: "CentreOutReach",
        doc: "The arm26 centre-out recipe on the compliant-tendon arm (10 ms steps, implicit \
              fibre dynamics) with 10000 batches: straight reaches that end within 1 cm",
        config: compliant_arm26_centre_out,
    },
];

/// The recipe for `effector` (a preset name) on `task` (a task name), if there is one.
pub fn recipe(effector: &str, task: &str) -> Option<&'static Recipe> {
    RECIPES
        .iter()
        .find(|r| r.effector == effector && r.task == task)
}

/// `RigidTendonArm26` on `CentreOutReach`: see [`RECIPES`]. [`ARM26_BATCHES`] batches, so
/// that the run takes under 2 minutes on a slow 2-core machine (docs/training.md).
fn arm26_centre_out() -> TrainConfig {
    TrainConfig {
        batches: ARM26_BATCHES,
        ..centre_out("RigidTendonArm26", ARM26_ACTION_NOISE)
    }
}

/// Batches of the `RigidTendonArm26` centre-out recipe: its reaches end 6 mm from the targets
/// after 7000 (two seeds: 6.0 and 5.6 mm), 8 mm after 6000, 12 mm after 4000, 5 mm after
/// 10000 (docs/training.md); 7000 take 80 s on a 2-core 2.1 GHz Xeon VM (107 s with its cores
/// shared), where 10000 took up to 140 s.
const ARM26_BATCHES: usize = 7000;

/// `ReluPointMass24` on `CentreOutReach`: the same settings (measured in docs/training.md).
fn point_mass_centre_out() -> TrainConfig {
    centre_out("ReluPointMass24", ARM26_ACTION_NOISE)
}

/// `FreePointMass24` on `CentreOutReach`: the arm's settings, the excitation noise scaled to its
/// 1000 N muscles pulling the 1 kg mass along the axes (at the arm's 0.01, ±10 N of noise
/// left reaches 4 cm short after 15000 batches; docs/training.md).
fn free_point_mass_centre_out() -> TrainConfig {
    centre_out("FreePointMass24", 0.001)
}

/// `Reacher` on `CentreOutReach`: the arm's settings, the excitation noise scaled to its 1000 N
/// muscles with 1 m moment arms (1000 N·m per unit excitation; at the arm's 0.01 the network
/// never learns the task; docs/training.md).
fn reacher_centre_out() -> TrainConfig {
    centre_out("Reacher", 0.0001)
}

/// `CompliantTendonArm26` on `CentreOutReach`: the rigid arm's settings with 10000 batches
/// (measured in docs/training.md).
fn compliant_arm26_centre_out() -> TrainConfig {
    centre_out("CompliantTendonArm26", ARM26_ACTION_NOISE)
}

/// `Arm3D` on `CentreOutReach`: the arm's settings, the excitation noise at 0.001 and 4000
/// batches (docs/training.md).
fn arm3d_centre_out() -> TrainConfig {
    TrainConfig {
        batches: 4000,
        ..centre_out("Arm3D", 0.001)
    }
}

/// The excitation noise (standard deviation, dimensionless) of the arm26 centre-out recipe.
const ARM26_ACTION_NOISE: f64 = 0.01;

/// The centre-out settings of [`RECIPES`] for `preset`, with excitation noise `action_noise`.
fn centre_out(preset: &str, action_noise: f64) -> TrainConfig {
    TrainConfig {
        effector: EffectorChoice::Preset {
            preset: preset.into(),
            muscle: None,
        },
        task: TaskConfig::CentreOutReach(CentreOutReach {
            n_targets: 8,
            radius: 0.1,
            centre: None,
            mode: CentreOutMode::Training {
                cue_range: (0.1, 0.3),
                catch_probability: 0.5,
                // half the trials from the centre posture: the validation reaches' start
                centre_out_fraction: 0.5,
            },
            cue_input: true,
        }),
        env: EnvConfig {
            max_ep_duration: 1.0,
            proprioception_delay: Some(0.02),
            vision_delay: Some(0.07),
            action_noise,
            proprioception_noise: 0.001,
            vision_noise: 0.001,
            ..EnvConfig::default()
        },
        network: NetworkConfig {
            kind: NetworkKind::Gru,
            hidden: 64,
            layers: 1,
        },
        losses: vec![
            // mean over time of Σ|fingertip − goal| (m); the goal is the start until the cue
            LossConfig::PositionL1(PositionL1Config { weight: 1.0 }),
            // 0.5 · mean ‖v‖² (m²/s²): slower, straighter reaches that stop on the target
            LossConfig::Speed(SpeedConfig { weight: 0.5 }),
            // 0.01 · (mean Σ a² + 0.5 s² · mean Σ (da/dt)²), a the muscle activations
            LossConfig::ActivationL2(ActivationL2Config {
                weight: 0.01,
                derivative_weight: 0.5,
            }),
        ],
        batches: 10000,
        lr: 3e-3,
        lr_schedule: LrSchedule::Cosine { min_lr: 1e-4 },
        ..TrainConfig::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recipe_is_a_valid_config_of_its_effector_and_task() {
        for r in RECIPES {
            let c = (r.config)();
            c.validate().unwrap();
            assert_eq!(c.task.name(), r.task);
            match &c.effector {
                EffectorChoice::Preset { preset, .. } => assert_eq!(preset, r.effector),
                other => panic!("{other:?}"),
            }
            assert!(std::ptr::eq(recipe(r.effector, r.task).unwrap(), r));
        }
        assert!(recipe("RigidTendonArm26", "DelayedReach").is_none());
    }

    #[test]
    fn every_preset_has_a_centre_out_recipe() {
        for preset in motornet_effector::presets::NAMES {
            assert!(
                recipe(preset, "CentreOutReach").is_some(),
                "no CentreOutReach recipe for {preset}"
            );
        }
    }
}
