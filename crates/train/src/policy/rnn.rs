//! `rnn`: a vanilla tanh RNN through dfdx.

use super::BuiltinNetwork;
use crate::error::TrainError;
use motornet_policy_dfdx::{DfdxPolicy, TanhRnn, TanhRnnConfig};

impl BuiltinNetwork for DfdxPolicy<TanhRnn> {
    const DOC: &'static str = "Stacked vanilla tanh RNN with a sigmoid readout; backward pass by \
        dfdx's autodiff.";
    fn build(
        input: usize,
        hidden: usize,
        layers: usize,
        output: usize,
    ) -> Result<Self, TrainError> {
        Ok(TanhRnnConfig::new(input, hidden, output)
            .with_layers(layers)
            .build()?)
    }
}
