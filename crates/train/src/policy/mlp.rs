//! `mlp`: a feed-forward network (no memory beyond the observation).

use super::BuiltinNetwork;
use crate::error::TrainError;
use motornet_policy::{Activation, Mlp, MlpConfig};

impl BuiltinNetwork for Mlp {
    const DOC: &'static str = "Feed-forward network: `layers` tanh hidden layers of `hidden` \
        units, sigmoid output; hand-written backward pass.";
    fn build(
        input: usize,
        hidden: usize,
        layers: usize,
        output: usize,
    ) -> Result<Self, TrainError> {
        Ok(MlpConfig::new(input, vec![hidden; layers], output)
            .with_activation(Activation::Tanh)
            .build()?)
    }
}
