//! `Policy::prepare_caches` is a fast path only: a GRU step with prepared (transposed) weights
//! gives the numbers of a step without them, and a step whose parameters changed since the
//! caches were prepared does not use the stale copies.

use motornet_policy::{Gru, GruConfig, Policy, Real};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Runs `steps` forward steps and a backward pass from fixed inputs; returns every output,
/// hidden state and gradient, concatenated. With `prepare`, the caches are prepared first for
/// the parameters `prepare_with` (which may differ from `params`: a stale preparation).
fn run<T: Real>(gru: &Gru, params: &[T], prepare_with: Option<&[T]>, batch: usize) -> Vec<f64> {
    let steps = 4;
    let mut rng = StdRng::seed_from_u64(7);
    let (nin, nh, nout) = (gru.input_size(), gru.hidden_size(), gru.output_size());
    let mut draw =
        |n: usize| -> Vec<T> { (0..n).map(|_| T::c(rng.gen_range(-1.0..1.0))).collect() };
    let xs: Vec<Vec<T>> = (0..steps).map(|_| draw(batch * nin)).collect();
    let g_us: Vec<Vec<T>> = (0..steps).map(|_| draw(batch * nout)).collect();
    let mut caches: Vec<_> = (0..steps).map(|_| gru.new_cache::<T>(batch)).collect();
    if let Some(p) = prepare_with {
        gru.prepare_caches(p, &mut caches);
    }
    let mut out = vec![];
    let mut h = vec![T::zero(); batch * nh];
    let mut h_new = h.clone();
    let mut u = vec![T::zero(); batch * nout];
    for (x, cache) in xs.iter().zip(&mut caches) {
        gru.forward_step(params, x, &h, &mut u, &mut h_new, cache);
        out.extend(u.iter().chain(&h_new).map(|v| v.to_f64()));
        std::mem::swap(&mut h, &mut h_new);
    }
    let mut ws = gru.new_workspace::<T>(batch);
    let mut g_params = vec![T::zero(); gru.n_params()];
    let (mut g_x, mut g_h) = (vec![T::zero(); batch * nin], vec![T::zero(); batch * nh]);
    let mut g_h_new = vec![T::zero(); batch * nh];
    for (cache, g_u) in caches.iter().zip(&g_us).rev() {
        gru.backward_step(
            params,
            cache,
            g_u,
            &g_h_new,
            &mut g_params,
            &mut g_x,
            &mut g_h,
            &mut ws,
        );
        out.extend(g_x.iter().map(|v| v.to_f64()));
        std::mem::swap(&mut g_h_new, &mut g_h);
    }
    out.extend(g_params.iter().chain(&g_h_new).map(|v| v.to_f64()));
    out
}

fn max_rel_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / (1.0 + x.abs().max(y.abs())))
        .fold(0.0, f64::max)
}

/// Sizes on both sides of the product kernels' tile widths (16 and 64 columns, 4 rows).
const SIZES: [(usize, usize, usize, usize, usize); 4] = [
    // input, hidden, layers, output, batch
    (12, 32, 1, 4, 32),
    (24, 128, 1, 6, 9),
    (7, 21, 2, 3, 5),
    (16, 70, 2, 6, 13),
];

#[test]
fn a_prepared_gru_step_equals_an_unprepared_one() {
    for (nin, nh, nl, nout, batch) in SIZES {
        let mut rng = StdRng::seed_from_u64(1);
        let (gru, p64) = GruConfig::new(nin, nh, nout)
            .with_layers(nl)
            .init::<f64, _>(&mut rng)
            .unwrap();
        let plain = run(&gru, &p64, None, batch);
        let prepared = run(&gru, &p64, Some(&p64), batch);
        let d = max_rel_diff(&plain, &prepared);
        assert!(
            d <= 1e-13,
            "f64 {nin}/{nh}x{nl}/{nout} batch {batch}: differs by {d:e}"
        );
        let p32: Vec<f32> = p64.iter().map(|&v| v as f32).collect();
        let plain = run(&gru, &p32, None, batch);
        let prepared = run(&gru, &p32, Some(&p32), batch);
        let d = max_rel_diff(&plain, &prepared);
        assert!(
            d <= 1e-5,
            "f32 {nin}/{nh}x{nl}/{nout} batch {batch}: differs by {d:e}"
        );
    }
}

#[test]
fn a_step_after_the_parameters_changed_does_not_use_the_stale_preparation() {
    let (gru, params) = GruConfig::new(12, 32, 4)
        .with_layers(2)
        .init::<f64, _>(&mut StdRng::seed_from_u64(2))
        .unwrap();
    // an optimiser step: every parameter moves, in the same buffer
    let mut moved = params.clone();
    let mut rng = StdRng::seed_from_u64(3);
    let stale = params.clone();
    for v in &mut moved {
        *v += rng.gen_range(-0.1..0.1);
    }
    let want = run(&gru, &moved, None, 8);
    // prepared for other numbers in another buffer
    let got = run(&gru, &moved, Some(&stale), 8);
    assert!(max_rel_diff(&want, &got) <= 1e-13);
    // prepared for the buffer, which then changes in place: run prepares with `moved` before
    // it changes, so emulate that by preparing caches by hand
    let mut buffer = params.clone();
    let mut caches: Vec<_> = (0..2).map(|_| gru.new_cache::<f64>(8)).collect();
    gru.prepare_caches(&buffer, &mut caches);
    buffer.copy_from_slice(&moved);
    let x = vec![0.3; 8 * 12];
    let h = vec![0.1; 8 * gru.hidden_size()];
    let (mut u, mut h_new) = (vec![0.0; 8 * 4], vec![0.0; 8 * gru.hidden_size()]);
    gru.forward_step(&buffer, &x, &h, &mut u, &mut h_new, &mut caches[0]);
    let mut fresh = gru.new_cache::<f64>(8);
    let (mut u2, mut h2) = (u.clone(), h_new.clone());
    gru.forward_step(&buffer, &x, &h, &mut u2, &mut h2, &mut fresh);
    assert_eq!(u, u2, "the stale transposed weights were used");
    assert_eq!(h_new, h2);
    // and unprepared steps through a prepared network differ from stale ones, i.e. the test
    // could fail: the moved parameters change the output
    assert!(max_rel_diff(&want, &run(&gru, &params, None, 8)) > 1e-3);
}
