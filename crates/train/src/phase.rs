//! Phased protocols: a run as a sequence of phases (null field, curl field, null field again,
//! say), each with its own batches, task, force field, learning rate and trainable parameter
//! blocks, in one run directory and one log.
//!
//! A phase starts from the run's own settings ([`TrainConfig`](crate::TrainConfig)'s task,
//! environment, learning rate and schedule) and changes only what it lists.
//! [`AnyTrainer`](crate::AnyTrainer) enters each phase when its first batch comes (and on
//! [`restore`](crate::AnyTrainer::restore), so a resumed run continues inside the right
//! phase); a [`Trainer`](crate::Trainer) of your own takes the same settings through
//! [`Trainer::set_environment`](crate::Trainer::set_environment),
//! [`Trainer::set_trainable`](crate::Trainer::set_trainable) and
//! [`Trainer::set_lr_plan`](crate::Trainer::set_lr_plan).

use crate::config::LrSchedule;
use crate::error::TrainError;
use motornet_policy::ParamLayout;
use motornet_task::TaskConfig;
use serde::{Deserialize, Serialize};

/// One phase of a protocol (`[[phases]]` in a TOML config, `"phases": [...]` in JSON).
///
/// ```toml
/// [[phases]]
/// name = "FF"
/// batches = 500
/// curl_field = 10.0          # N·s/m, in every trial of this phase
/// lr = 1e-3
/// train = ["gru.weight_ih*"] # only the input weights learn
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseConfig {
    /// Name in the log, the plots and messages (default `phase N`, N from 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Number of batches (at least 1).
    pub batches: usize,
    /// The task of this phase (default: the run's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskConfig>,
    /// Curl force field strength (N·s/m) on in every trial of this phase; 0 turns off the
    /// run's field; absent keeps the run's environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curl_field: Option<f64>,
    /// Adam's learning rate in this phase (default: the run's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    /// Learning-rate schedule over this phase's batches (default: the run's, restarted at
    /// the phase's first batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr_schedule: Option<LrSchedule>,
    /// The parameter blocks that learn in this phase (default: all), by the names of the
    /// network's [`ParamLayout`] (`gru.weight_ih_l0`, `fc.bias`, ...; `motornet` lists them
    /// in the error for a name that matches nothing). `*` matches any run of characters:
    /// `gru.weight_ih*` is every layer's input weights. The others keep their values, and
    /// their optimiser state is left as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train: Option<Vec<String>>,
}

impl PhaseConfig {
    /// A phase of `batches` batches that changes nothing.
    pub fn new(batches: usize) -> Self {
        Self {
            name: None,
            batches,
            task: None,
            curl_field: None,
            lr: None,
            lr_schedule: None,
            train: None,
        }
    }

    /// The phase's name, or `phase {index + 1}`.
    pub fn label(&self, index: usize) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("phase {}", index + 1))
    }
}

/// The phase each batch falls in: `phases[i]` covers batches `start(i)..start(i) + batches`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseSpan {
    /// Index into the phase list.
    pub index: usize,
    /// First batch of the phase (0-based).
    pub start: usize,
    /// Number of batches.
    pub batches: usize,
}

/// The phase batch `b` (0-based) falls in; batches past the end fall in the last phase.
/// `None` when there are no phases.
pub fn phase_at(phases: &[PhaseConfig], b: usize) -> Option<PhaseSpan> {
    let mut start = 0;
    for (index, p) in phases.iter().enumerate() {
        if b < start + p.batches || index + 1 == phases.len() {
            return Some(PhaseSpan {
                index,
                start,
                batches: p.batches,
            });
        }
        start += p.batches;
    }
    None
}

/// The first batch of every phase after the first (0-based): where plots draw a boundary.
pub fn boundaries(phases: &[PhaseConfig]) -> Vec<usize> {
    phases
        .iter()
        .scan(0, |start, p| {
            *start += p.batches;
            Some(*start)
        })
        .take(phases.len().saturating_sub(1))
        .collect()
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// The trainable mask (`[n_params]`, true = learns) of the blocks of `layout` matched by
/// `patterns` (names, `*` for any run of characters). A pattern that matches no block is an
/// error listing the blocks; so is an empty list.
pub fn trainable_mask(layout: &ParamLayout, patterns: &[String]) -> Result<Vec<bool>, TrainError> {
    let names = || {
        let all: Vec<&str> = layout.blocks().iter().map(|b| b.name.as_str()).collect();
        all.join(", ")
    };
    let bad = |reason: String| TrainError::Config {
        field: "phases.train".into(),
        reason,
    };
    if patterns.is_empty() {
        return Err(bad(format!(
            "lists no parameter block, so nothing would learn; the network's blocks: {}",
            names()
        )));
    }
    let mut mask = vec![false; layout.len()];
    for p in patterns {
        let mut hit = false;
        for block in layout.blocks().iter().filter(|b| glob(p, &b.name)) {
            mask[block.range()].iter_mut().for_each(|m| *m = true);
            hit = true;
        }
        if !hit {
            return Err(bad(format!(
                "'{p}' matches no parameter block of the network; its blocks: {}",
                names()
            )));
        }
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phases(sizes: &[usize]) -> Vec<PhaseConfig> {
        sizes.iter().map(|&b| PhaseConfig::new(b)).collect()
    }

    #[test]
    fn phase_at_finds_each_batch_s_phase_and_keeps_the_last_past_the_end() {
        let p = phases(&[3, 2, 4]);
        let idx: Vec<usize> = (0..11).map(|b| phase_at(&p, b).unwrap().index).collect();
        assert_eq!(idx, [0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2]);
        assert_eq!(phase_at(&p, 4).unwrap().start, 3);
        assert_eq!(phase_at(&[], 0), None);
        assert_eq!(boundaries(&p), [3, 5]);
        assert!(boundaries(&p[..1]).is_empty());
    }

    #[test]
    fn glob_matches_names_with_stars_anywhere() {
        assert!(glob("fc.bias", "fc.bias"));
        assert!(!glob("fc.bias", "fc.bias2"));
        assert!(glob("gru.weight_ih*", "gru.weight_ih_l0"));
        assert!(glob("*bias*", "gru.bias_hh_l1"));
        assert!(glob("gru.*_l1", "gru.weight_hh_l1"));
        assert!(!glob("gru.*_l1", "gru.weight_hh_l0"));
        assert!(!glob("a*a", "a"));
        assert!(glob("*", "anything"));
    }

    #[test]
    fn trainable_mask_sets_exactly_the_matched_blocks() {
        let mut layout = ParamLayout::new();
        layout.push("gru.weight_ih_l0", &[3, 2]);
        layout.push("gru.weight_hh_l0", &[3, 1]);
        layout.push("fc.bias", &[2]);
        let mask = trainable_mask(&layout, &["gru.weight_ih*".into(), "fc.bias".into()]).unwrap();
        let want: Vec<bool> = [[true; 6].as_slice(), &[false; 3], &[true; 2]].concat();
        assert_eq!(mask, want);
        let err = trainable_mask(&layout, &["input".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("'input' matches no parameter block"), "{err}");
        assert!(err.contains("gru.weight_hh_l0"), "{err}");
        assert!(trainable_mask(&layout, &[]).is_err());
    }
}
