//! The dfdx GRU ([`DfdxGru`], automatic gradients) against the hand-written
//! `motornet_policy::Gru`: same layout and initialisation, and in `f64` the same outputs, new
//! hidden states, parameter gradients, input gradients and initial-state gradients over a
//! multi-step BPTT, to a relative 1e-10, with 1 and 2 layers.

use motornet_policy::{Gru, GruConfig, Policy};
use motornet_policy_dfdx::{DfdxGru, DfdxGruConfig, DfdxPolicy};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TOL: f64 = 1e-10;

fn close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        let err = (a - b).abs() / a.abs().max(b.abs()).max(1e-8);
        assert!(
            err <= TOL,
            "{what}[{i}]: dfdx {a:.16e}, hand-written {b:.16e} (relative error {err:.1e})"
        );
    }
}

/// Everything one BPTT pass produces: per-step outputs and new hidden states, then the
/// gradients of `L = Σ_t ⟨w_t, u_t⟩ + ⟨v, h_T⟩`.
struct Run {
    us: Vec<Vec<f64>>,
    hs: Vec<Vec<f64>>,
    g_params: Vec<f64>,
    g_xs: Vec<Vec<f64>>,
    g_h0: Vec<f64>,
}

fn run<P: Policy>(net: &P, params: &[f64], seed: u64, batch: usize, steps: usize) -> Run {
    let mut rng = StdRng::seed_from_u64(seed);
    let (nin, nh, nout) = (net.input_size(), net.hidden_size(), net.output_size());
    let mut uniform = |n: usize| -> Vec<f64> { (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect() };
    let xs: Vec<Vec<f64>> = (0..steps).map(|_| uniform(batch * nin)).collect();
    let h0 = uniform(batch * nh);
    let ws: Vec<Vec<f64>> = (0..steps).map(|_| uniform(batch * nout)).collect();
    let v = uniform(batch * nh);

    let mut caches: Vec<_> = (0..steps).map(|_| net.new_cache::<f64>(batch)).collect();
    let (mut us, mut hs) = (Vec::new(), Vec::new());
    let mut h = h0;
    for (x, cache) in xs.iter().zip(&mut caches) {
        let (mut u, mut h_new) = (vec![0.0; batch * nout], vec![0.0; batch * nh]);
        net.forward_step(params, x, &h, &mut u, &mut h_new, cache);
        us.push(u);
        hs.push(h_new.clone());
        h = h_new;
    }
    let mut work = net.new_workspace::<f64>(batch);
    let mut g_params = vec![0.0; net.n_params()];
    let mut g_h_new = v;
    let mut g_h = vec![f64::NAN; batch * nh];
    let mut g_xs = vec![vec![f64::NAN; batch * nin]; steps];
    for t in (0..steps).rev() {
        net.backward_step(
            params,
            &caches[t],
            &ws[t],
            &g_h_new,
            &mut g_params,
            &mut g_xs[t],
            &mut g_h,
            &mut work,
        );
        std::mem::swap(&mut g_h_new, &mut g_h);
    }
    Run {
        us,
        hs,
        g_params,
        g_xs,
        g_h0: g_h_new,
    }
}

fn compare(layers: usize) {
    let (input, hidden, output) = (5, 7, 3);
    let gru: Gru = GruConfig::new(input, hidden, output)
        .with_layers(layers)
        .build()
        .unwrap();
    let dfdx: DfdxPolicy<DfdxGru> = DfdxGruConfig::new(input, hidden, output)
        .with_layers(layers)
        .build()
        .unwrap();
    assert_eq!(dfdx.layout(), gru.layout(), "the parameter layouts differ");
    assert_eq!(
        (dfdx.input_size(), dfdx.hidden_size(), dfdx.output_size()),
        (gru.input_size(), gru.hidden_size(), gru.output_size())
    );
    // The same initial parameters from the same generator state, in f64 and f32.
    let p_gru: Vec<f64> = gru.init_params(&mut StdRng::seed_from_u64(3));
    let p_dfdx: Vec<f64> = dfdx.init_params(&mut StdRng::seed_from_u64(3));
    assert_eq!(p_gru, p_dfdx, "initial parameters differ");
    let p32_gru: Vec<f32> = gru.init_params(&mut StdRng::seed_from_u64(4));
    let p32_dfdx: Vec<f32> = dfdx.init_params(&mut StdRng::seed_from_u64(4));
    assert_eq!(p32_gru, p32_dfdx, "initial f32 parameters differ");

    // Random parameters away from saturation, and MotorNet's initialisation.
    let mut rng = StdRng::seed_from_u64(10 + layers as u64);
    let random: Vec<f64> = (0..gru.n_params())
        .map(|_| rng.gen_range(-0.8..0.8))
        .collect();
    for (what, params) in [("random", &random), ("init", &p_gru)] {
        let (batch, steps) = (4, 6);
        let a = run(&dfdx, params, 20, batch, steps);
        let b = run(&gru, params, 20, batch, steps);
        let name = |s: &str| format!("{layers} layers, {what} parameters: {s}");
        for t in 0..steps {
            close(&name(&format!("u (step {t})")), &a.us[t], &b.us[t]);
            close(&name(&format!("h_new (step {t})")), &a.hs[t], &b.hs[t]);
            close(&name(&format!("g_x (step {t})")), &a.g_xs[t], &b.g_xs[t]);
        }
        for block in gru.layout().blocks() {
            close(
                &name(&format!("gradient of {}", block.name)),
                &a.g_params[block.range()],
                &b.g_params[block.range()],
            );
        }
        close(&name("g_h0"), &a.g_h0, &b.g_h0);
        assert!(a.g_params.iter().all(|g| g.is_finite()));
        assert!(a.g_h0.iter().any(|&g| g != 0.0));
    }
}

#[test]
fn dfdx_gru_one_layer_equals_hand_written_gru() {
    compare(1);
}

#[test]
fn dfdx_gru_two_layers_equals_hand_written_gru() {
    compare(2);
}
