//! Times the GRU policy's batched step in `f32`: 100 steps of `forward_step` (one cache per
//! step, as for backpropagation through time) and then 100 of `backward_step`, for two sizes,
//! and prints microseconds per step (best and median of 30 repetitions after 0.3 s of warm-up,
//! single thread). The forward time includes `Policy::prepare_caches` (one transposed copy of
//! the weights per 100 steps, as the training loop does it); `NO_PREPARE=1` leaves it out, to
//! see what it saves.
//!
//! ```sh
//! cargo run --release -p motornet-policy --example gru_speed
//! ```

use std::time::{Duration, Instant};

use motornet_policy::{GruConfig, Policy};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const STEPS: usize = 100;
const REPS: usize = 30;
const WARMUP: Duration = Duration::from_millis(300);

fn main() {
    println!("motornet-policy GRU step, f32, {STEPS} steps, best / median of {REPS} runs");
    println!(
        "{:<36} {:>14} {:>14} {:>14} {:>12}",
        "size", "forward µs", "backward µs", "total µs/step", "G FMA/s"
    );
    for (input, hidden, output, batch) in [(12, 32, 4, 32), (24, 128, 6, 64), (24, 128, 6, 32)] {
        bench(input, hidden, output, batch);
    }
}

fn bench(input: usize, hidden: usize, output: usize, batch: usize) {
    let mut rng = StdRng::seed_from_u64(0);
    let (gru, params) = GruConfig::new(input, hidden, output)
        .init::<f32, _>(&mut rng)
        .expect("valid size");
    let x: Vec<f32> = (0..batch * input)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let g_u: Vec<f32> = (0..batch * output)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let nh = gru.hidden_size();
    let mut caches: Vec<_> = (0..STEPS).map(|_| gru.new_cache::<f32>(batch)).collect();
    let mut ws = gru.new_workspace::<f32>(batch);
    let mut h = vec![0.0f32; batch * nh];
    let mut h_new = vec![0.0f32; batch * nh];
    let mut u = vec![0.0f32; batch * output];
    let mut g_params = vec![0.0f32; gru.n_params()];
    let mut g_h_new = vec![0.0f32; batch * nh];
    let mut g_h = vec![0.0f32; batch * nh];
    let mut g_x = vec![0.0f32; batch * input];

    let mut fwd = Vec::with_capacity(REPS);
    let mut bwd = Vec::with_capacity(REPS);
    // Warm up for WARMUP (caches, branch predictors, the machine's clock), then time REPS runs.
    let start = Instant::now();
    let mut warming = true;
    let mut rep = 0;
    while rep < REPS {
        h.fill(0.0);
        let t0 = Instant::now();
        if std::env::var_os("NO_PREPARE").is_none() {
            gru.prepare_caches(&params, &mut caches);
        }
        for cache in &mut caches {
            gru.forward_step(&params, &x, &h, &mut u, &mut h_new, cache);
            std::mem::swap(&mut h, &mut h_new);
        }
        let t1 = Instant::now();
        g_h_new.fill(0.0);
        g_params.fill(0.0);
        for cache in caches.iter().rev() {
            gru.backward_step(
                &params,
                cache,
                &g_u,
                &g_h_new,
                &mut g_params,
                &mut g_x,
                &mut g_h,
                &mut ws,
            );
            std::mem::swap(&mut g_h_new, &mut g_h);
        }
        let t2 = Instant::now();
        if warming {
            warming = start.elapsed() < WARMUP;
        } else {
            fwd.push(t1 - t0);
            bwd.push(t2 - t1);
            rep += 1;
        }
    }
    std::hint::black_box((&g_params, &g_x, &h));
    let per_step = |d: Duration| d.as_secs_f64() * 1e6 / STEPS as f64;
    let summary = |v: &mut Vec<Duration>| {
        v.sort();
        (per_step(v[0]), per_step(v[v.len() / 2]))
    };
    let total: Vec<Duration> = fwd.iter().zip(&bwd).map(|(a, b)| *a + *b).collect();
    let (f, b, t) = (
        summary(&mut fwd),
        summary(&mut bwd),
        summary(&mut total.clone()),
    );
    // multiply–adds of the matrix products of one step, per batch row: forward x·W_ihᵀ,
    // h·W_hhᵀ and h'·W_fcᵀ; backward as many again for the weight gradients and as many for
    // the gradients of the input, the hidden state and h'
    let per_row = 3 * hidden * (input + hidden) + hidden * output;
    let fmas = (3 * batch * per_row) as f64;
    let rate = fmas / (t.0 * 1e-6) / 1e9;
    println!(
        "{:<36} {:>6.1} / {:>5.1} {:>6.1} / {:>5.1} {:>6.1} / {:>5.1} {:>12.1}",
        format!("in {input} hidden {hidden} out {output} batch {batch}"),
        f.0,
        f.1,
        b.0,
        b.1,
        t.0,
        t.1,
        rate
    );
}
