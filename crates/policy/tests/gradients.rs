//! The hand-written backward pass against finite differences, in `f64`: for small random
//! networks unrolled over 4 steps with the scalar loss `L = Σ_t Σ w_t ⊙ u_t + Σ v ⊙ h_T`,
//! backpropagation through time with `backward_step` must give every parameter gradient, the
//! gradient of every step's input and the gradient of the initial hidden state to a relative
//! 1e-6 of fourth-order central differences of `L` (relative to at least 1e-3, the smallest
//! gradient scale the differences resolve to that precision).

mod common;

use common::uniform;
use motornet_policy::testing::{check_gradients, GradCheckOptions};
use motornet_policy::{Activation, GruConfig, MlpConfig, Policy};
use rand::rngs::StdRng;
use rand::SeedableRng;

const TOL: f64 = 1e-6;
const BATCH: usize = 4;
const STEPS: usize = 4;

/// Compares all gradients of `net` at `params` on a random episode with finite differences.
fn check<P: Policy>(name: &str, net: &P, params: &[f64], seed: u64) {
    check_batch(name, net, params, seed, BATCH);
}

/// [`check`] with another batch size, through `motornet_policy::testing::check_gradients`
/// (fourth-order central differences with step 1e-4, errors relative to at least 1e-3).
fn check_batch<P: Policy>(name: &str, net: &P, params: &[f64], seed: u64, batch: usize) {
    let options = GradCheckOptions {
        batch,
        steps: STEPS,
        seed,
        ..GradCheckOptions::default()
    };
    let report = check_gradients(net, params, &options);
    eprintln!(
        "{name} (seed {seed}): worst relative error {:.1e} over {} numbers",
        report.max_rel_error, report.checked
    );
    assert!(
        report.max_rel_error <= TOL,
        "{name} (seed {seed}): relative error {:.1e} at {}",
        report.max_rel_error,
        report.worst
    );
    assert!(
        report.zero_blocks.is_empty(),
        "{name}: the gradients of blocks {:?} are all zero; the check would be vacuous",
        report.zero_blocks
    );
}

/// Parameters drawn uniformly from [−0.8, 0.8], so that every gate and the readout work away
/// from saturation (MotorNet's fc.bias of −5 would make the readout's gradients tiny).
fn random_params<P: Policy>(net: &P, seed: u64) -> Vec<f64> {
    uniform(&mut StdRng::seed_from_u64(seed), net.n_params(), 0.8)
}

#[test]
fn gru_one_layer_matches_finite_differences() {
    let gru = GruConfig::new(5, 7, 3).build().unwrap();
    for seed in [1, 2, 3] {
        check(
            "GRU 5→7→3, 1 layer",
            &gru,
            &random_params(&gru, seed),
            seed + 100,
        );
    }
}

#[test]
fn gru_two_layers_matches_finite_differences() {
    let gru = GruConfig::new(5, 7, 3).with_layers(2).build().unwrap();
    for seed in [4, 5, 6] {
        check(
            "GRU 5→7→3, 2 layers",
            &gru,
            &random_params(&gru, seed),
            seed + 100,
        );
    }
}

/// Every matrix product of these sizes (batch 6, input 6, hidden 7, output 6) has all three
/// dimensions above 5, so it runs through nalgebra and `matrixmultiply`; the smaller cases
/// above run through the crate's own small-product loops.
#[test]
fn gru_with_every_product_through_nalgebra_matches_finite_differences() {
    for layers in [1, 2] {
        let gru = GruConfig::new(6, 7, 6).with_layers(layers).build().unwrap();
        let name = format!("GRU 6→7→6, {layers} layers, batch 6");
        check_batch(
            &name,
            &gru,
            &random_params(&gru, 30 + layers as u64),
            130,
            6,
        );
    }
    let mlp = MlpConfig::new(6, vec![8, 7], 6)
        .with_activation(Activation::Tanh)
        .build()
        .unwrap();
    check_batch(
        "MLP 6→[8, 7]→6 tanh, batch 6",
        &mlp,
        &random_params(&mlp, 33),
        133,
        6,
    );
}

#[test]
fn gru_three_layers_matches_finite_differences() {
    let gru = GruConfig::new(5, 6, 3).with_layers(3).build().unwrap();
    check("GRU 5→6→3, 3 layers", &gru, &random_params(&gru, 7), 107);
}

#[test]
fn gru_at_motornet_initialisation_matches_finite_differences() {
    let (gru, params) = GruConfig::new(5, 7, 3)
        .with_layers(2)
        .init::<f64, _>(&mut StdRng::seed_from_u64(8))
        .unwrap();
    check("GRU 5→7→3, 2 layers, MotorNet init", &gru, &params, 108);
}

#[test]
fn mlp_matches_finite_differences() {
    let cases = [
        ("MLP 5→[8, 6]→3 ReLU", MlpConfig::new(5, vec![8, 6], 3)),
        (
            "MLP 5→[8, 6]→3 tanh",
            MlpConfig::new(5, vec![8, 6], 3).with_activation(Activation::Tanh),
        ),
        (
            "MLP 5→[7, 6, 4]→3 tanh",
            MlpConfig::new(5, vec![7, 6, 4], 3).with_activation(Activation::Tanh),
        ),
        ("MLP 5→[9]→3 ReLU", MlpConfig::new(5, vec![9], 3)),
        ("MLP 5→3 (no hidden layer)", MlpConfig::new(5, vec![], 3)),
    ];
    for (seed, (name, config)) in cases.into_iter().enumerate() {
        let mlp = config.build().unwrap();
        let seed = seed as u64 + 20;
        check(name, &mlp, &random_params(&mlp, seed), seed + 100);
    }
}
