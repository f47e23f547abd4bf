//! `gru`: MotorNet's `PolicyGRU`.

use super::BuiltinNetwork;
use crate::error::TrainError;
use motornet_policy::{Gru, GruConfig};

impl BuiltinNetwork for Gru {
    const DOC: &'static str = "Stacked GRU with a sigmoid readout (MotorNet's `PolicyGRU` and \
        its initialisation); hand-written backward pass.";
    fn build(
        input: usize,
        hidden: usize,
        layers: usize,
        output: usize,
    ) -> Result<Self, TrainError> {
        Ok(GruConfig::new(input, hidden, output)
            .with_layers(layers)
            .build()?)
    }
}
