//! Shared helpers of the integration tests: random buffers, an unrolled loss and its
//! backpropagation through time with the step methods under test.

#![allow(dead_code)]

use motornet_policy::Policy;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `n` numbers drawn uniformly from `[-scale, scale]`.
pub fn uniform(rng: &mut StdRng, n: usize, scale: f64) -> Vec<f64> {
    (0..n).map(|_| rng.gen_range(-scale..=scale)).collect()
}

/// The inputs of one unrolled episode and the weights of its scalar loss
/// `L = Σ_t Σ w_t ⊙ u_t + Σ v ⊙ h_T`.
pub struct Episode {
    pub batch: usize,
    /// `[T][B·in]`.
    pub xs: Vec<Vec<f64>>,
    /// `[B·hid]`.
    pub h0: Vec<f64>,
    /// `[T][B·out]`.
    pub w: Vec<Vec<f64>>,
    /// `[B·hid]`.
    pub v: Vec<f64>,
}

impl Episode {
    pub fn random<P: Policy>(net: &P, batch: usize, steps: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let (nin, nh, nout) = (net.input_size(), net.hidden_size(), net.output_size());
        Self {
            batch,
            xs: (0..steps)
                .map(|_| uniform(&mut rng, batch * nin, 1.0))
                .collect(),
            h0: uniform(&mut rng, batch * nh, 0.9),
            w: (0..steps)
                .map(|_| uniform(&mut rng, batch * nout, 1.0))
                .collect(),
            v: uniform(&mut rng, batch * nh, 1.0),
        }
    }

    pub fn steps(&self) -> usize {
        self.xs.len()
    }
}

/// The loss of the episode, by `forward_step` unrolled from `h0`.
pub fn loss<P: Policy>(net: &P, params: &[f64], ep: &Episode) -> f64 {
    let b = ep.batch;
    let mut cache = net.new_cache::<f64>(b);
    let mut h = ep.h0.clone();
    let mut h_new = vec![0.0; h.len()];
    let mut u = vec![0.0; b * net.output_size()];
    let mut total = 0.0;
    for (x, w) in ep.xs.iter().zip(&ep.w) {
        net.forward_step(params, x, &h, &mut u, &mut h_new, &mut cache);
        total += u.iter().zip(w).map(|(a, b)| a * b).sum::<f64>();
        std::mem::swap(&mut h, &mut h_new);
    }
    total + h.iter().zip(&ep.v).map(|(a, b)| a * b).sum::<f64>()
}

/// Gradients of [`loss`] by backpropagation through time with `backward_step`.
pub struct Grads {
    pub params: Vec<f64>,
    /// `[T][B·in]`.
    pub xs: Vec<Vec<f64>>,
    pub h0: Vec<f64>,
}

pub fn bptt<P: Policy>(net: &P, params: &[f64], ep: &Episode) -> Grads {
    let b = ep.batch;
    let (nin, nh, nout) = (net.input_size(), net.hidden_size(), net.output_size());
    let mut caches: Vec<_> = (0..ep.steps()).map(|_| net.new_cache::<f64>(b)).collect();
    let mut h = ep.h0.clone();
    let mut h_new = vec![0.0; b * nh];
    let mut u = vec![0.0; b * nout];
    for (x, cache) in ep.xs.iter().zip(&mut caches) {
        net.forward_step(params, x, &h, &mut u, &mut h_new, cache);
        std::mem::swap(&mut h, &mut h_new);
    }
    let mut ws = net.new_workspace::<f64>(b);
    let mut g_params = vec![0.0; net.n_params()];
    let mut g_h_new = ep.v.clone();
    let mut g_h = vec![0.0; b * nh];
    let mut g_xs = vec![vec![0.0; b * nin]; ep.steps()];
    for t in (0..ep.steps()).rev() {
        net.backward_step(
            params,
            &caches[t],
            &ep.w[t],
            &g_h_new,
            &mut g_params,
            &mut g_xs[t],
            &mut g_h,
            &mut ws,
        );
        std::mem::swap(&mut g_h_new, &mut g_h);
    }
    Grads {
        params: g_params,
        xs: g_xs,
        h0: g_h_new,
    }
}

/// Fourth-order central difference of `f` at 0 with step `eps`:
/// `(−f(2ε) + 8f(ε) − 8f(−ε) + f(−2ε)) / 12ε`.
pub fn central_difference(eps: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    (-f(2.0 * eps) + 8.0 * f(eps) - 8.0 * f(-eps) + f(-2.0 * eps)) / (12.0 * eps)
}
