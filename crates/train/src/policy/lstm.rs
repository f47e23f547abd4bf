//! `lstm`: an LSTM through dfdx.

use super::BuiltinNetwork;
use crate::error::TrainError;
use motornet_policy_dfdx::{DfdxPolicy, Lstm, LstmConfig};

impl BuiltinNetwork for DfdxPolicy<Lstm> {
    const DOC: &'static str = "Stacked LSTM with a sigmoid readout (its hidden state holds h and \
        c of every layer); backward pass by dfdx's autodiff.";
    fn build(
        input: usize,
        hidden: usize,
        layers: usize,
        output: usize,
    ) -> Result<Self, TrainError> {
        Ok(LstmConfig::new(input, hidden, output)
            .with_layers(layers)
            .build()?)
    }
}
