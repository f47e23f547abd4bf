//! The crate's networks through the public checks of `motornet_policy::testing`: the
//! conformance suite, and a gradient check that must *fail* on a network with a planted bug (so
//! that the check can fail).

use motornet_policy::testing::{
    check_gradients, conformance, ConformanceOptions, GradCheckOptions,
};
use motornet_policy::{Activation, GruConfig, Mlp, MlpConfig, ParamLayout, Policy, Real};
use rand::Rng;

fn pass<P: Policy>(name: &str, net: &P) {
    match conformance(net, &ConformanceOptions::default()) {
        Ok(report) => eprintln!(
            "{name}: gradient error {:.1e} ({} numbers), f32 error {:.1e}, batch error {:.1e}",
            report.gradients.max_rel_error,
            report.gradients.checked,
            report.f32_error,
            report.batch_error
        ),
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn gru_passes_the_conformance_suite() {
    pass("GRU 4→5→2", &GruConfig::new(4, 5, 2).build().unwrap());
    pass(
        "GRU 4→5→2, 2 layers",
        &GruConfig::new(4, 5, 2).with_layers(2).build().unwrap(),
    );
    // every product through nalgebra/matrixmultiply (all dimensions above 5)
    let mut options = ConformanceOptions {
        batch: 6,
        ..Default::default()
    };
    options.grad.batch = 6;
    let gru = GruConfig::new(6, 7, 6).build().unwrap();
    conformance(&gru, &options).unwrap_or_else(|e| panic!("GRU 6→7→6, batch 6: {e}"));
}

#[test]
fn mlp_passes_the_conformance_suite() {
    pass(
        "MLP 4→[6, 5]→2 ReLU",
        &MlpConfig::new(4, vec![6, 5], 2).build().unwrap(),
    );
    pass(
        "MLP 4→[6]→2 tanh",
        &MlpConfig::new(4, vec![6], 2)
            .with_activation(Activation::Tanh)
            .build()
            .unwrap(),
    );
    pass("MLP 4→2", &MlpConfig::new(4, vec![], 2).build().unwrap());
}

/// An MLP whose backward step halves the readout bias's gradient: a planted bug.
#[derive(Clone)]
struct BrokenMlp(Mlp);

impl Policy for BrokenMlp {
    type Cache<T: Real> = <Mlp as Policy>::Cache<T>;
    type Workspace<T: Real> = <Mlp as Policy>::Workspace<T>;
    fn layout(&self) -> &ParamLayout {
        self.0.layout()
    }
    fn input_size(&self) -> usize {
        self.0.input_size()
    }
    fn hidden_size(&self) -> usize {
        0
    }
    fn output_size(&self) -> usize {
        self.0.output_size()
    }
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        self.0.init_params(rng)
    }
    fn new_cache<T: Real>(&self, batch: usize) -> Self::Cache<T> {
        self.0.new_cache(batch)
    }
    fn new_workspace<T: Real>(&self, batch: usize) -> Self::Workspace<T> {
        self.0.new_workspace(batch)
    }
    fn forward_step<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        h: &[T],
        u: &mut [T],
        h_new: &mut [T],
        cache: &mut Self::Cache<T>,
    ) {
        self.0.forward_step(params, x, h, u, h_new, cache)
    }
    fn backward_step<T: Real>(
        &self,
        params: &[T],
        cache: &Self::Cache<T>,
        g_u: &[T],
        g_h_new: &[T],
        g_params: &mut [T],
        g_x: &mut [T],
        g_h: &mut [T],
        ws: &mut Self::Workspace<T>,
    ) {
        let range = self.0.layout().get("fc.bias").unwrap().range();
        let before: Vec<T> = g_params[range.clone()].to_vec();
        self.0
            .backward_step(params, cache, g_u, g_h_new, g_params, g_x, g_h, ws);
        for (g, b) in g_params[range].iter_mut().zip(before) {
            *g = b + (*g - b) * T::c(0.5);
        }
    }
}

#[test]
fn a_wrong_gradient_is_caught_and_located() {
    let net = BrokenMlp(MlpConfig::new(3, vec![4], 2).build().unwrap());
    let params: Vec<f64> = (0..net.n_params())
        .map(|i| (i as f64 * 0.37).sin() * 0.8)
        .collect();
    let report = check_gradients(&net, &params, &GradCheckOptions::default());
    assert!(
        report.max_rel_error > 0.3,
        "a halved gradient must give a relative error near 0.5, got {:.1e}",
        report.max_rel_error
    );
    assert!(
        report.worst.starts_with("fc.bias"),
        "worst: {}",
        report.worst
    );
    let err = conformance(&net, &ConformanceOptions::default()).unwrap_err();
    assert_eq!(err.check, "gradients", "{err}");
}
