//! Times reverse-mode gradients ([`Rev`]) of a loss over many inputs against the plain `f64`
//! evaluation of the same generic code, and prints nanoseconds per input and per recorded
//! operation (best and median of 30 repetitions after 0.3 s of warm-up, single thread).
//!
//! The loss, for n inputs x and targets g: Σ_i |x_i − g_i| + Σ_i x_i² (the absolute value as a
//! `select`, as model code writes branches), and a smoother one with `exp`, `tanh` and a
//! division per input.
//!
//! ```sh
//! cargo run --release -p motornet-scalar --example rev_speed
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use motornet_scalar::{rev, Rev, RevTape, Scalar};

const REPS: usize = 30;
const WARMUP: Duration = Duration::from_millis(300);

/// Σ_i |x_i − g_i| + Σ_i x_i².
fn l1_l2<S: Scalar>(x: &[S], g: &[f64]) -> S {
    let mut a = S::zero();
    let mut b = S::zero();
    for (&xi, &gi) in x.iter().zip(g) {
        let d = xi.shift(-gi);
        a += S::select(d.lt(S::zero()), -d, d);
        b += xi * xi;
    }
    a + b
}

/// Σ_i tanh(x_i) · exp(−x_i²) / (1 + g_i²).
fn smooth<S: Scalar>(x: &[S], g: &[f64]) -> S {
    let mut s = S::zero();
    for (&xi, &gi) in x.iter().zip(g) {
        s += xi.tanh() * (-(xi * xi)).exp() / S::c(1.0 + gi * gi);
    }
    s
}

/// Best and median seconds per call of `f` over `REPS` timed batches of calls.
fn time(mut f: impl FnMut()) -> (f64, f64) {
    let start = Instant::now();
    let mut calls = 0usize;
    while start.elapsed() < WARMUP {
        f();
        calls += 1;
    }
    let per_batch = (calls / 10).max(1);
    let mut t: Vec<f64> = (0..REPS)
        .map(|_| {
            let s = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            s.elapsed().as_secs_f64() / per_batch as f64
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[0], t[REPS / 2])
}

fn bench(
    name: &str,
    n: usize,
    loss_f64: fn(&[f64], &[f64]) -> f64,
    loss_rev: fn(&[Rev], &[f64]) -> Rev,
) {
    // deterministic inputs in (−1, 1), targets in (−0.5, 0.5)
    let x: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 1000) as f64 / 500.0 - 1.0)
        .collect();
    let g: Vec<f64> = (0..n)
        .map(|i| ((i * 104729) % 1000) as f64 / 1000.0 - 0.5)
        .collect();
    let mut grad = vec![0.0; n];

    let ops = {
        let tape = RevTape::start();
        let xs = tape.vars(&x);
        let before = tape.n_nodes();
        let _ = loss_rev(&xs, &g);
        tape.n_nodes() - before
    };
    let (f_best, f_med) = time(|| {
        black_box(loss_f64(black_box(&x), &g));
    });
    let (r_best, r_med) = time(|| {
        let v = rev::accumulate_gradient(black_box(&x), 1.0, &mut grad, |xs| loss_rev(xs, &g));
        black_box(v.unwrap());
    });
    let mut xs = Vec::new();
    let (fw_best, _) = time(|| {
        let tape = RevTape::start();
        tape.vars_into(black_box(&x), &mut xs);
        black_box(loss_rev(&xs, &g).value());
    });
    println!(
        "{name:<8} n={n:<6} ops={ops:<6} f64 {:>7.2} ns/input ({:>7.2} med) | Rev record {:>6.2} ns/op | \
         Rev record+sweep {:>6.2} ns/op ({:>6.2} med), {:>5.1}x f64",
        f_best * 1e9 / n as f64,
        f_med * 1e9 / n as f64,
        fw_best * 1e9 / ops as f64,
        r_best * 1e9 / ops as f64,
        r_med * 1e9 / ops as f64,
        r_best / f_best,
    );
}

fn main() {
    println!("motornet-scalar Rev gradient vs f64 value, best (median) of {REPS} runs, 1 thread");
    for n in [1_000, 10_000, 100_000] {
        bench("l1+l2", n, l1_l2::<f64>, l1_l2::<Rev>);
        bench("smooth", n, smooth::<f64>, smooth::<Rev>);
    }
}
