//! Batch independence: a batch of B elements gives every element the same forward values and
//! input/hidden gradients as that element run alone (batch size 1), and parameter gradients
//! that are the sum of the elements' own. Sizes on both sides of the small-product threshold
//! (so that both matrix-product paths are compared), in f64 and f32.

mod common;

use common::{bptt, uniform, Episode, Grads};
use motornet_policy::{Activation, GruConfig, MlpConfig, Policy};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
        "{what}: batched {got:e}, alone {want:e}"
    );
}

fn check<P: Policy>(name: &str, net: &P, batch: usize) {
    let params = uniform(&mut StdRng::seed_from_u64(1), net.n_params(), 0.8);
    let (nin, nh, nout) = (net.input_size(), net.hidden_size(), net.output_size());
    let ep = Episode::random(net, batch, 3, 2);

    // Forward, one step, batched and alone.
    let mut u = vec![0.0; batch * nout];
    let mut h_new = vec![0.0; batch * nh];
    net.forward_step(
        &params,
        &ep.xs[0],
        &ep.h0,
        &mut u,
        &mut h_new,
        &mut net.new_cache(batch),
    );

    let g: Grads = bptt(net, &params, &ep);
    let mut g_params_sum = vec![0.0; net.n_params()];
    for e in 0..batch {
        let one = ep.element(e, nin, nh, nout);
        let (mut u1, mut h1) = (vec![0.0; nout], vec![0.0; nh]);
        net.forward_step(
            &params,
            &one.xs[0],
            &one.h0,
            &mut u1,
            &mut h1,
            &mut net.new_cache(1),
        );
        for o in 0..nout {
            close(
                &format!("{name}: u, element {e}, output {o}"),
                u[e * nout + o],
                u1[o],
            );
        }
        for j in 0..nh {
            close(
                &format!("{name}: h', element {e}, unit {j}"),
                h_new[e * nh + j],
                h1[j],
            );
        }
        let g1 = bptt(net, &params, &one);
        for (t, (gx, gx1)) in g.xs.iter().zip(&g1.xs).enumerate() {
            for j in 0..nin {
                close(
                    &format!("{name}: dL/dx step {t}, element {e}, input {j}"),
                    gx[e * nin + j],
                    gx1[j],
                );
            }
        }
        for j in 0..nh {
            close(
                &format!("{name}: dL/dh0, element {e}, unit {j}"),
                g.h0[e * nh + j],
                g1.h0[j],
            );
        }
        for (s, v) in g_params_sum.iter_mut().zip(&g1.params) {
            *s += v;
        }
    }
    for block in net.layout().blocks() {
        for i in block.range() {
            let what = format!(
                "{name}: {}[{}] summed over elements",
                block.name,
                i - block.offset
            );
            assert!(
                (g.params[i] - g_params_sum[i]).abs() <= 1e-11 * (1.0 + g_params_sum[i].abs()),
                "{what}: batched {:e}, sum of elements {:e}",
                g.params[i],
                g_params_sum[i]
            );
        }
    }
}

#[test]
fn gru_elements_are_independent() {
    check(
        "GRU 5→7→3, 1 layer, batch 4",
        &GruConfig::new(5, 7, 3).build().unwrap(),
        4,
    );
    check(
        "GRU 12→32→6, 2 layers, batch 9",
        &GruConfig::new(12, 32, 6).with_layers(2).build().unwrap(),
        9,
    );
}

#[test]
fn mlp_elements_are_independent() {
    check(
        "MLP 5→[6]→3, batch 4",
        &MlpConfig::new(5, vec![6], 3).build().unwrap(),
        4,
    );
    check(
        "MLP 12→[32, 16]→6 tanh, batch 9",
        &MlpConfig::new(12, vec![32, 16], 6)
            .with_activation(Activation::Tanh)
            .build()
            .unwrap(),
        9,
    );
}

/// The f32 forward step agrees with the f64 one to f32 precision, per element, at a training
/// size (the f32 products run through `sgemm`, the f64 ones through `dgemm`).
#[test]
fn f32_forward_agrees_with_f64() {
    let gru = GruConfig::new(12, 32, 4).build().unwrap();
    let b = 8;
    let mut rng = StdRng::seed_from_u64(3);
    let p64 = gru.init_params::<f64, _>(&mut rng);
    let x64 = uniform(&mut rng, b * 12, 1.0);
    let h64 = uniform(&mut rng, b * 32, 0.9);
    let f32s = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
    let (mut u64_, mut hn64) = (vec![0.0; b * 4], vec![0.0; b * 32]);
    gru.forward_step(
        &p64,
        &x64,
        &h64,
        &mut u64_,
        &mut hn64,
        &mut gru.new_cache(b),
    );
    let (mut u32_, mut hn32) = (vec![0.0f32; b * 4], vec![0.0f32; b * 32]);
    gru.forward_step(
        &f32s(&p64),
        &f32s(&x64),
        &f32s(&h64),
        &mut u32_,
        &mut hn32,
        &mut gru.new_cache(b),
    );
    for (k, (a, c)) in hn64.iter().zip(&hn32).enumerate() {
        assert!(
            (a - f64::from(*c)).abs() < 1e-5,
            "h'[{k}]: f64 {a}, f32 {c}"
        );
    }
    for (k, (a, c)) in u64_.iter().zip(&u32_).enumerate() {
        assert!((a - f64::from(*c)).abs() < 1e-6, "u[{k}]: f64 {a}, f32 {c}");
    }
}

/// `backward_step` adds into `g_params`: two passes give twice one pass.
#[test]
fn parameter_gradients_accumulate() {
    let gru = GruConfig::new(5, 7, 3).with_layers(2).build().unwrap();
    let params = uniform(&mut StdRng::seed_from_u64(4), gru.n_params(), 0.8);
    let ep = Episode::random(&gru, 3, 1, 5);
    let mut cache = gru.new_cache(3);
    let (mut u, mut h) = (vec![0.0; 9], vec![0.0; 42]);
    gru.forward_step(&params, &ep.xs[0], &ep.h0, &mut u, &mut h, &mut cache);
    let mut ws = gru.new_workspace(3);
    let mut g = vec![0.0; gru.n_params()];
    let (mut gx, mut gh) = (vec![f64::NAN; 15], vec![f64::NAN; 42]);
    gru.backward_step(
        &params, &cache, &ep.w[0], &ep.v, &mut g, &mut gx, &mut gh, &mut ws,
    );
    let once = g.clone();
    gru.backward_step(
        &params, &cache, &ep.w[0], &ep.v, &mut g, &mut gx, &mut gh, &mut ws,
    );
    for (i, (a, b)) in g.iter().zip(&once).enumerate() {
        // Equal up to rounding: the second pass adds term by term onto the first's sums.
        assert!(
            (a - 2.0 * b).abs() <= 1e-14 * b.abs().max(1e-3),
            "g_params[{i}] after two passes: {a:e}, one pass {b:e}"
        );
    }
    // g_x and g_h were overwritten (the NaNs they started with are gone).
    assert!(gx.iter().chain(&gh).all(|v| v.is_finite()));
}

/// BPTT in f32 (the training precision, with the vectorised activations and `sgemm`) agrees
/// with f64 to f32 precision, at a training size and MotorNet's initialisation.
#[test]
fn f32_gradients_agree_with_f64() {
    let gru = GruConfig::new(12, 32, 4).with_layers(2).build().unwrap();
    let (b, steps) = (8, 5);
    let mut rng = StdRng::seed_from_u64(6);
    let p64 = gru.init_params::<f64, _>(&mut rng);
    let ep = Episode::random(&gru, b, steps, 7);
    let g64 = bptt(&gru, &p64, &ep);

    let f32s = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
    let p32 = f32s(&p64);
    let nh = gru.hidden_size();
    let mut caches: Vec<_> = (0..steps).map(|_| gru.new_cache::<f32>(b)).collect();
    let mut h = f32s(&ep.h0);
    let (mut u, mut h_new) = (vec![0.0f32; b * 4], vec![0.0f32; b * nh]);
    for (x, cache) in ep.xs.iter().zip(&mut caches) {
        gru.forward_step(&p32, &f32s(x), &h, &mut u, &mut h_new, cache);
        std::mem::swap(&mut h, &mut h_new);
    }
    let mut ws = gru.new_workspace::<f32>(b);
    let mut g_params = vec![0.0f32; gru.n_params()];
    let mut g_h_new = f32s(&ep.v);
    let (mut g_x, mut g_h) = (vec![0.0f32; b * 12], vec![0.0f32; b * nh]);
    for t in (0..steps).rev() {
        let w = f32s(&ep.w[t]);
        gru.backward_step(
            &p32,
            &caches[t],
            &w,
            &g_h_new,
            &mut g_params,
            &mut g_x,
            &mut g_h,
            &mut ws,
        );
        std::mem::swap(&mut g_h_new, &mut g_h);
    }
    let scale = g64.params.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for block in gru.layout().blocks() {
        for i in block.range() {
            let (a, c) = (g64.params[i], f64::from(g_params[i]));
            assert!(
                (a - c).abs() <= 1e-5 * scale,
                "{}[{}]: f64 {a:e}, f32 {c:e} (largest gradient {scale:e})",
                block.name,
                i - block.offset
            );
        }
    }
    for (k, (a, c)) in g64.h0.iter().zip(&g_h_new).enumerate() {
        assert!(
            (a - f64::from(*c)).abs() <= 1e-5,
            "dL/dh0[{k}]: f64 {a:e}, f32 {c:e}"
        );
    }
}
