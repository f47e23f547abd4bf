//! Times a training-like BPTT pass in `f32` — 100 forward steps (one cache per step), then 100
//! backward steps, batch 32, 16 inputs, 32 hidden units, 4 outputs — for the hand-written
//! `motornet_policy::Gru` and, through dfdx's automatic differentiation, [`DfdxGru`], [`Lstm`]
//! and [`TanhRnn`]. Prints milliseconds per pass (best and median of the repetitions, after
//! a warm-up) and each network's ratio to the hand-written GRU, all in one process so that the
//! ratios are fair on a busy machine.
//!
//! ```sh
//! cargo run --release -p motornet-policy-dfdx --example speed
//! ```

use std::time::{Duration, Instant};

use motornet_policy::{GruConfig, Policy};
use motornet_policy_dfdx::{DfdxGruConfig, LstmConfig, TanhRnnConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const STEPS: usize = 100;
const BATCH: usize = 32;
const INPUT: usize = 16;
const HIDDEN: usize = 32;
const OUTPUT: usize = 4;
const REPS: usize = 15;
const WARMUP: Duration = Duration::from_millis(300);

/// Best and median milliseconds of (forward, backward) passes.
struct Timing {
    forward: [f64; 2],
    backward: [f64; 2],
}

fn main() {
    let mut rng = StdRng::seed_from_u64(0);
    let gru = GruConfig::new(INPUT, HIDDEN, OUTPUT)
        .init::<f32, _>(&mut rng)
        .unwrap();
    let dgru = DfdxGruConfig::new(INPUT, HIDDEN, OUTPUT)
        .init::<f32, _>(&mut rng)
        .unwrap();
    let lstm = LstmConfig::new(INPUT, HIDDEN, OUTPUT)
        .init::<f32, _>(&mut rng)
        .unwrap();
    let rnn = TanhRnnConfig::new(INPUT, HIDDEN, OUTPUT)
        .init::<f32, _>(&mut rng)
        .unwrap();
    println!(
        "BPTT in f32: {STEPS} steps, batch {BATCH}, {INPUT} inputs, {HIDDEN} hidden units, \
         {OUTPUT} outputs; ms per pass, best / median of {REPS}"
    );
    println!(
        "{:<28} {:>16} {:>16} {:>16} {:>12}",
        "network", "forward", "backward", "total", "vs GRU"
    );
    let base = report("GRU (hand-written)", bench(&gru.0, &gru.1), None);
    report("GRU (dfdx, DfdxGru)", bench(&dgru.0, &dgru.1), Some(base));
    report("LSTM (dfdx, Lstm)", bench(&lstm.0, &lstm.1), Some(base));
    report(
        "tanh RNN (dfdx, TanhRnn)",
        bench(&rnn.0, &rnn.1),
        Some(base),
    );
}

fn report(name: &str, t: Timing, base: Option<f64>) -> f64 {
    let total = [t.forward[0] + t.backward[0], t.forward[1] + t.backward[1]];
    let ratio = base.map_or(String::from("1.0x"), |b| format!("{:.1}x", total[1] / b));
    println!(
        "{name:<28} {:>7.2} / {:>6.2} {:>7.2} / {:>6.2} {:>7.2} / {:>6.2} {ratio:>12}",
        t.forward[0], t.forward[1], t.backward[0], t.backward[1], total[0], total[1]
    );
    total[1]
}

fn bench<P: Policy>(net: &P, params: &[f32]) -> Timing {
    let mut rng = StdRng::seed_from_u64(1);
    let nh = net.hidden_size();
    let mut uniform = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect() };
    let xs: Vec<Vec<f32>> = (0..STEPS).map(|_| uniform(BATCH * INPUT)).collect();
    let g_u = uniform(BATCH * OUTPUT);
    let mut caches: Vec<_> = (0..STEPS).map(|_| net.new_cache::<f32>(BATCH)).collect();
    let mut ws = net.new_workspace::<f32>(BATCH);
    let (mut h, mut h_new) = (vec![0.0f32; BATCH * nh], vec![0.0f32; BATCH * nh]);
    let mut u = vec![0.0f32; BATCH * OUTPUT];
    let mut g_params = vec![0.0f32; net.n_params()];
    let (mut g_h_new, mut g_h) = (vec![0.0f32; BATCH * nh], vec![0.0f32; BATCH * nh]);
    let mut g_x = vec![0.0f32; BATCH * INPUT];
    let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
    let start = Instant::now();
    while fwd.len() < REPS {
        h.fill(0.0);
        let t0 = Instant::now();
        for (x, cache) in xs.iter().zip(&mut caches) {
            net.forward_step(params, x, &h, &mut u, &mut h_new, cache);
            std::mem::swap(&mut h, &mut h_new);
        }
        let t1 = Instant::now();
        g_h_new.fill(0.0);
        for cache in caches.iter().rev() {
            net.backward_step(
                params,
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
        assert!(g_params.iter().all(|g| g.is_finite()));
        if start.elapsed() > WARMUP {
            fwd.push((t1 - t0).as_secs_f64() * 1e3);
            bwd.push((t2 - t1).as_secs_f64() * 1e3);
        }
    }
    Timing {
        forward: best_median(fwd),
        backward: best_median(bwd),
    }
}

fn best_median(mut v: Vec<f64>) -> [f64; 2] {
    v.sort_by(f64::total_cmp);
    [v[0], v[v.len() / 2]]
}
