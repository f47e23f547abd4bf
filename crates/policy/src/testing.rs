//! Checks any [`Policy`] can be put through: a finite-difference gradient check over a short
//! BPTT rollout ([`check_gradients`]) and a conformance suite ([`conformance`]) that a new
//! network should pass before it is trained. They need nothing but the [`Policy`] trait, so a
//! contributor runs them on their own network from a test:
//!
//! ```
//! use motornet_policy::testing::{conformance, ConformanceOptions};
//! use motornet_policy::GruConfig;
//!
//! let gru = GruConfig::new(4, 5, 2).build()?;
//! let report = conformance(&gru, &ConformanceOptions::default()).unwrap();
//! assert!(report.gradients.max_rel_error < 1e-6);
//! # Ok::<(), motornet_policy::PolicyError>(())
//! ```
//!
//! Both use the scalar loss `L = Σ_t ⟨w_t, u_t⟩ + ⟨v, h_T⟩` of a rollout of `T` steps from a
//! random `h_0` with random inputs `x_t`, and random weights `w_t`, `v` (all uniform in
//! `[−1, 1]`, `h_0` in `[−0.9, 0.9]`), whose gradient BPTT through
//! [`Policy::backward_step`] gives for the parameters, every `x_t` and `h_0`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use thiserror::Error;

use crate::{Policy, Real};

/// The settings of [`check_gradients`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckOptions {
    /// Batch size `B` of the rollout (default 3).
    pub batch: usize,
    /// Steps `T` of the rollout (default 4).
    pub steps: usize,
    /// Seed of the rollout's random inputs, initial state and loss weights (default 0).
    pub seed: u64,
    /// Step of the fourth-order central differences (default 1e-4).
    pub eps: f64,
    /// The smallest magnitude errors are taken relative to (default 1e-3: smaller gradients are
    /// compared absolutely, as the differences do not resolve them to 1e-6 relative).
    pub floor: f64,
}

impl Default for GradCheckOptions {
    fn default() -> Self {
        Self {
            batch: 3,
            steps: 4,
            seed: 0,
            eps: 1e-4,
            floor: 1e-3,
        }
    }
}

/// What [`check_gradients`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheckReport {
    /// The largest `|backward − fd| / max(|backward|, |fd|, floor)` over every checked number
    /// (infinite if a gradient is not finite).
    pub max_rel_error: f64,
    /// Where it occurred, e.g. `"gru.weight_hh_l0[17]"`, `"dL/dx (step 2, element 1, input 0)"`,
    /// `"dL/dh0 (element 0, unit 3)"`, and both values.
    pub worst: String,
    /// How many numbers were compared (parameters, inputs and initial hidden state).
    pub checked: usize,
    /// Parameter blocks whose gradient is zero everywhere in this rollout (a check of them is
    /// vacuous: use other parameters or inputs, or the block is not used).
    pub zero_blocks: Vec<String>,
}

/// The inputs of one unrolled episode and the weights of its scalar loss
/// `L = Σ_t Σ w_t ⊙ u_t + Σ v ⊙ h_T` ([`loss`]; its gradient by the step methods: [`bptt`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// Batch size B.
    pub batch: usize,
    /// Inputs per step, `[T][B·in]`.
    pub xs: Vec<Vec<f64>>,
    /// Initial hidden state, `[B·hid]`.
    pub h0: Vec<f64>,
    /// Weights of the outputs in the loss, `[T][B·out]`.
    pub w: Vec<Vec<f64>>,
    /// Weights of the final hidden state in the loss, `[B·hid]`.
    pub v: Vec<f64>,
}

/// `n` numbers drawn uniformly from `[-scale, scale]`.
pub fn uniform(rng: &mut StdRng, n: usize, scale: f64) -> Vec<f64> {
    (0..n).map(|_| rng.gen_range(-scale..=scale)).collect()
}

impl Episode {
    /// A random episode of `steps` steps for `net` and a batch of `batch`, from `seed`.
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

    /// Number of steps T.
    pub fn steps(&self) -> usize {
        self.xs.len()
    }

    /// Element `e` alone (batch 1).
    pub fn element(&self, e: usize, nin: usize, nh: usize, nout: usize) -> Self {
        let pick = |v: &[f64], n: usize| v[e * n..(e + 1) * n].to_vec();
        Self {
            batch: 1,
            xs: self.xs.iter().map(|x| pick(x, nin)).collect(),
            h0: pick(&self.h0, nh),
            w: self.w.iter().map(|w| pick(w, nout)).collect(),
            v: pick(&self.v, nh),
        }
    }
}

/// Forward pass of an episode in `T`: per step `u`, and the final hidden state.
fn rollout<P: Policy, T: Real>(net: &P, params: &[T], ep: &Episode) -> (Vec<Vec<T>>, Vec<T>) {
    let conv = |v: &[f64]| v.iter().map(|&a| T::c(a)).collect::<Vec<T>>();
    let b = ep.batch;
    let mut cache = net.new_cache::<T>(b);
    let mut h = conv(&ep.h0);
    let mut h_new = vec![T::zero(); h.len()];
    let mut us = Vec::with_capacity(ep.xs.len());
    for x in &ep.xs {
        let mut u = vec![T::zero(); b * net.output_size()];
        net.forward_step(params, &conv(x), &h, &mut u, &mut h_new, &mut cache);
        us.push(u);
        std::mem::swap(&mut h, &mut h_new);
    }
    (us, h)
}

/// The loss of the episode, by `forward_step` unrolled from `h0`.
pub fn loss<P: Policy>(net: &P, params: &[f64], ep: &Episode) -> f64 {
    let (us, h) = rollout(net, params, ep);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    us.iter().zip(&ep.w).map(|(u, w)| dot(u, w)).sum::<f64>() + dot(&h, &ep.v)
}

/// Gradients of [`loss`] by BPTT with `backward_step`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grads {
    /// ∂L/∂params, `[n_params]`.
    pub params: Vec<f64>,
    /// ∂L/∂x per step, `[T][B·in]`.
    pub xs: Vec<Vec<f64>>,
    /// ∂L/∂h_0, `[B·hid]`.
    pub h0: Vec<f64>,
}

/// [`Grads`] of [`loss`] by backpropagation through time with `net`'s step methods.
pub fn bptt<P: Policy>(net: &P, params: &[f64], ep: &Episode) -> Grads {
    let b = ep.batch;
    let (nin, nh, nout) = (net.input_size(), net.hidden_size(), net.output_size());
    let mut caches: Vec<_> = ep.xs.iter().map(|_| net.new_cache::<f64>(b)).collect();
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
    let mut g_xs = vec![vec![0.0; b * nin]; ep.xs.len()];
    for t in (0..ep.xs.len()).rev() {
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

/// Fourth-order central difference of `f` at 0 with step `eps`.
fn central_difference(eps: f64, mut f: impl FnMut(f64) -> f64) -> f64 {
    (-f(2.0 * eps) + 8.0 * f(eps) - 8.0 * f(-eps) + f(-2.0 * eps)) / (12.0 * eps)
}

/// Compares every gradient BPTT gives through `policy`'s [`Policy::backward_step`] — each
/// parameter, each step's input and the initial hidden state — with fourth-order central finite
/// differences of the rollout loss (see the module docs), in `f64`, at `params [n_params]`.
///
/// Returns the largest relative error and where it occurred; it does not judge (a
/// correct network in `f64` gives below 1e-6 with the default options and parameters away from
/// saturation, e.g. uniform in `[−0.8, 0.8]`). Costs `4·T` forward steps per checked number.
///
/// # Panics
/// If `params.len() != policy.n_params()`, or `options.batch` or `options.steps` is 0.
pub fn check_gradients<P: Policy>(
    policy: &P,
    params: &[f64],
    options: &GradCheckOptions,
) -> GradCheckReport {
    assert_eq!(
        params.len(),
        policy.n_params(),
        "check_gradients: params has {} numbers, the network {}",
        params.len(),
        policy.n_params()
    );
    assert!(
        options.batch > 0 && options.steps > 0,
        "check_gradients: batch and steps must be at least 1"
    );
    let ep = Episode::random(policy, options.batch, options.steps, options.seed);
    let g = bptt(policy, params, &ep);
    let mut report = GradCheckReport {
        max_rel_error: 0.0,
        worst: String::from("nothing compared"),
        checked: 0,
        zero_blocks: Vec::new(),
    };
    let mut compare = |what: &dyn Fn() -> String, analytic: f64, fd: f64| {
        let err = if analytic.is_finite() {
            (analytic - fd).abs() / analytic.abs().max(fd.abs()).max(options.floor)
        } else {
            f64::INFINITY
        };
        report.checked += 1;
        if err > report.max_rel_error || report.checked == 1 {
            report.max_rel_error = err;
            report.worst = format!(
                "{}: backward {analytic:.12e}, finite difference {fd:.12e}",
                what()
            );
        }
    };
    let eps = options.eps;
    for block in policy.layout().blocks() {
        for i in block.range() {
            let fd = central_difference(eps, |d| {
                let mut p = params.to_vec();
                p[i] += d;
                loss(policy, &p, &ep)
            });
            compare(
                &|| format!("{}[{}]", block.name, i - block.offset),
                g.params[i],
                fd,
            );
        }
    }
    let (nin, nh) = (policy.input_size(), policy.hidden_size());
    for t in 0..options.steps {
        for k in 0..ep.xs[t].len() {
            let fd = central_difference(eps, |d| {
                let mut e = Episode {
                    xs: ep.xs.clone(),
                    h0: ep.h0.clone(),
                    w: ep.w.clone(),
                    v: ep.v.clone(),
                    batch: ep.batch,
                };
                e.xs[t][k] += d;
                loss(policy, params, &e)
            });
            compare(
                &|| format!("dL/dx (step {t}, element {}, input {})", k / nin, k % nin),
                g.xs[t][k],
                fd,
            );
        }
    }
    for k in 0..ep.h0.len() {
        let fd = central_difference(eps, |d| {
            let mut e = Episode {
                xs: ep.xs.clone(),
                h0: ep.h0.clone(),
                w: ep.w.clone(),
                v: ep.v.clone(),
                batch: ep.batch,
            };
            e.h0[k] += d;
            loss(policy, params, &e)
        });
        compare(
            &|| format!("dL/dh0 (element {}, unit {})", k / nh, k % nh),
            g.h0[k],
            fd,
        );
    }
    report.zero_blocks = policy
        .layout()
        .blocks()
        .iter()
        .filter(|b| g.params[b.range()].iter().all(|&v| v == 0.0))
        .map(|b| b.name.clone())
        .collect();
    report
}

/// The settings of [`conformance`].
#[derive(Clone, Debug, PartialEq)]
pub struct ConformanceOptions {
    /// Batch size of the batched checks (default 3).
    pub batch: usize,
    /// Seed of the random parameters and rollouts (default 1).
    pub seed: u64,
    /// Parameters for the forward and gradient checks are uniform in `[−scale, scale]`
    /// (default 0.8: gates away from saturation).
    pub param_scale: f64,
    /// The largest relative gradient error accepted (default 1e-6).
    pub grad_tol: f64,
    /// The largest `|f32 − f64| / (1 + |f64|)` accepted for outputs and hidden states over a
    /// 3-step rollout (default 1e-4).
    pub f32_tol: f64,
    /// The gradient check's settings (its `batch` and `seed` are used as given).
    pub grad: GradCheckOptions,
}

impl Default for ConformanceOptions {
    fn default() -> Self {
        Self {
            batch: 3,
            seed: 1,
            param_scale: 0.8,
            grad_tol: 1e-6,
            f32_tol: 1e-4,
            grad: GradCheckOptions::default(),
        }
    }
}

/// What [`conformance`] measured on a network that passed.
#[derive(Clone, Debug, PartialEq)]
pub struct ConformanceReport {
    /// The gradient check at random parameters.
    pub gradients: GradCheckReport,
    /// The largest `|f32 − f64| / (1 + |f64|)` of outputs and hidden states.
    pub f32_error: f64,
    /// The largest difference between a batched and a one-element step (outputs, hidden
    /// states, input and hidden gradients) or between batched parameter gradients and the sum
    /// of the elements' own.
    pub batch_error: f64,
}

/// A check of [`conformance`] that failed.
#[derive(Clone, Debug, PartialEq, Error)]
#[error("conformance check `{check}` failed: {message}")]
pub struct ConformanceError {
    /// Which check: `"layout"`, `"sizes"`, `"init"`, `"forward"`, `"backward contract"`,
    /// `"batch independence"`, `"f32 vs f64"` or `"gradients"`.
    pub check: &'static str,
    /// What was wrong, with the offending block, element or value.
    pub message: String,
}

fn fail<T>(check: &'static str, message: String) -> Result<T, ConformanceError> {
    Err(ConformanceError { check, message })
}

/// Runs the checks every [`Policy`] should pass, in order, stopping at the first failure:
///
/// 1. **layout**: the blocks tile `0..n_params()` in order, without gaps, overlaps or empty
///    blocks, with distinct names;
/// 2. **sizes**: input and output sizes at least 1; `init_params` gives `n_params()` finite
///    numbers in `f32` and `f64`;
/// 3. **init**: the same seed gives the same parameters (`f32` and `f64`), another seed other
///    parameters;
/// 4. **forward**: finite outputs, and the same outputs when a step is repeated;
/// 5. **backward contract**: `backward_step` adds into `g_params` (a nonzero start value is
///    kept) and overwrites `g_x` and `g_h` (NaN start values disappear);
/// 6. **batch independence**: every element of a batch gets the outputs, new hidden state and
///    input and hidden gradients it gets alone, and the batch's parameter gradient is the sum
///    of the elements' (to 1e-11 relative);
/// 7. **f32 vs f64**: a 3-step rollout in `f32` stays within `f32_tol` of `f64`;
/// 8. **gradients**: [`check_gradients`] at random parameters is within `grad_tol`, and no
///    block's gradient is all zero.
pub fn conformance<P: Policy>(
    policy: &P,
    options: &ConformanceOptions,
) -> Result<ConformanceReport, ConformanceError> {
    check_layout(policy)?;
    let n = policy.n_params();
    let (nin, nh, nout) = (
        policy.input_size(),
        policy.hidden_size(),
        policy.output_size(),
    );
    if nin == 0 || nout == 0 {
        return fail(
            "sizes",
            format!("input size {nin} and output size {nout} must be at least 1"),
        );
    }
    let p64: Vec<f64> = policy.init_params(&mut StdRng::seed_from_u64(options.seed));
    let p32: Vec<f32> = policy.init_params(&mut StdRng::seed_from_u64(options.seed));
    if p64.len() != n || p32.len() != n {
        return fail(
            "sizes",
            format!(
                "init_params gave {} (f64) and {} (f32) numbers, n_params() is {n}",
                p64.len(),
                p32.len()
            ),
        );
    }
    if let Some(i) = p64.iter().position(|v| !v.is_finite()) {
        return fail("sizes", format!("initial parameter {i} is {}", p64[i]));
    }

    // init
    let again64: Vec<f64> = policy.init_params(&mut StdRng::seed_from_u64(options.seed));
    let again32: Vec<f32> = policy.init_params(&mut StdRng::seed_from_u64(options.seed));
    if again64 != p64 || again32 != p32 {
        return fail("init", "the same seed gave different parameters".into());
    }
    let other: Vec<f64> = policy.init_params(&mut StdRng::seed_from_u64(options.seed + 1));
    if other == p64 {
        return fail(
            "init",
            "different seeds gave the same parameters (is the generator used?)".into(),
        );
    }

    let params = uniform(
        &mut StdRng::seed_from_u64(options.seed),
        n,
        options.param_scale,
    );
    let b = options.batch.max(1);
    let ep = Episode::random(policy, b, 3, options.seed + 2);

    // forward
    let mut cache = policy.new_cache::<f64>(b);
    let (mut u1, mut h1) = (vec![0.0; b * nout], vec![0.0; b * nh]);
    policy.forward_step(&params, &ep.xs[0], &ep.h0, &mut u1, &mut h1, &mut cache);
    if let Some(i) = u1.iter().chain(&h1).position(|v| !v.is_finite()) {
        return fail(
            "forward",
            format!("output number {i} (u, then h_new) is not finite"),
        );
    }
    let (mut u2, mut h2) = (vec![0.0; b * nout], vec![0.0; b * nh]);
    policy.forward_step(&params, &ep.xs[0], &ep.h0, &mut u2, &mut h2, &mut cache);
    if u1 != u2 || h1 != h2 {
        return fail(
            "forward",
            "the same step gave different outputs the second time".into(),
        );
    }

    // backward contract
    {
        let mut ws = policy.new_workspace::<f64>(b);
        let mut g0 = vec![0.0; n];
        let (mut gx, mut gh) = (vec![f64::NAN; b * nin], vec![f64::NAN; b * nh]);
        policy.backward_step(
            &params, &cache, &ep.w[0], &ep.v, &mut g0, &mut gx, &mut gh, &mut ws,
        );
        if let Some(i) = gx.iter().chain(&gh).position(|v| !v.is_finite()) {
            return fail(
                "backward contract",
                format!(
                    "g_x and g_h must be overwritten: number {i} (g_x, then g_h) is {} after \
                     starting as NaN",
                    gx.iter().chain(&gh).nth(i).copied().unwrap_or(f64::NAN)
                ),
            );
        }
        let mut g1 = vec![1.0; n];
        policy.backward_step(
            &params, &cache, &ep.w[0], &ep.v, &mut g1, &mut gx, &mut gh, &mut ws,
        );
        for (i, (a, z)) in g1.iter().zip(&g0).enumerate() {
            if (a - (1.0 + z)).abs() > 1e-12 * (1.0 + z.abs()) {
                return fail(
                    "backward contract",
                    format!(
                        "g_params must be added to: parameter {i} started at 1 and became \
                         {a:e}, its gradient is {z:e}"
                    ),
                );
            }
        }
    }

    let batch_error = check_batch(policy, &params, &ep)?;
    let f32_error = check_f32(policy, &params, &ep, options.f32_tol)?;

    let gradients = check_gradients(policy, &params, &options.grad);
    if gradients.max_rel_error > options.grad_tol || gradients.max_rel_error.is_nan() {
        return fail(
            "gradients",
            format!(
                "relative error {:.1e} (tolerance {:.1e}) at {}",
                gradients.max_rel_error, options.grad_tol, gradients.worst
            ),
        );
    }
    if !gradients.zero_blocks.is_empty() {
        return fail(
            "gradients",
            format!(
                "the gradient of blocks {:?} is all zero: the check of them is vacuous",
                gradients.zero_blocks
            ),
        );
    }
    Ok(ConformanceReport {
        gradients,
        f32_error,
        batch_error,
    })
}

fn check_layout<P: Policy>(policy: &P) -> Result<(), ConformanceError> {
    let layout = policy.layout();
    let mut end = 0;
    let mut names = std::collections::BTreeSet::new();
    for block in layout.blocks() {
        if block.offset != end {
            return fail(
                "layout",
                format!(
                    "block {:?} starts at {}, the previous block ends at {end}",
                    block.name, block.offset
                ),
            );
        }
        if block.is_empty() {
            return fail("layout", format!("block {:?} is empty", block.name));
        }
        if !names.insert(block.name.as_str()) {
            return fail("layout", format!("two blocks are called {:?}", block.name));
        }
        end += block.len();
    }
    if end != policy.n_params() || end != layout.len() || end == 0 {
        return fail(
            "layout",
            format!(
                "the blocks cover {end} numbers, n_params() is {}, layout.len() {} (must be \
                 equal and at least 1)",
                policy.n_params(),
                layout.len()
            ),
        );
    }
    Ok(())
}

fn check_batch<P: Policy>(
    policy: &P,
    params: &[f64],
    ep: &Episode,
) -> Result<f64, ConformanceError> {
    let (nin, nh, nout) = (
        policy.input_size(),
        policy.hidden_size(),
        policy.output_size(),
    );
    let b = ep.batch;
    let mut worst: f64 = 0.0;
    let mut close = |what: &dyn Fn() -> String, got: f64, want: f64| {
        let err = (got - want).abs() / (1.0 + want.abs());
        worst = worst.max(err);
        if err <= 1e-11 {
            Ok(())
        } else {
            fail(
                "batch independence",
                format!("{}: batched {got:e}, alone {want:e}", what()),
            )
        }
    };
    let (us, h) = rollout(policy, params, ep);
    let g = bptt(policy, params, ep);
    let mut sum = vec![0.0; policy.n_params()];
    for e in 0..b {
        let one = ep.element(e, nin, nh, nout);
        let (us1, h1) = rollout(policy, params, &one);
        for (t, (u, u1)) in us.iter().zip(&us1).enumerate() {
            for o in 0..nout {
                close(
                    &|| format!("u (step {t}, element {e}, output {o})"),
                    u[e * nout + o],
                    u1[o],
                )?;
            }
        }
        for j in 0..nh {
            close(
                &|| format!("final hidden state (element {e}, unit {j})"),
                h[e * nh + j],
                h1[j],
            )?;
        }
        let g1 = bptt(policy, params, &one);
        for (t, (gx, gx1)) in g.xs.iter().zip(&g1.xs).enumerate() {
            for j in 0..nin {
                close(
                    &|| format!("dL/dx (step {t}, element {e}, input {j})"),
                    gx[e * nin + j],
                    gx1[j],
                )?;
            }
        }
        for j in 0..nh {
            close(
                &|| format!("dL/dh0 (element {e}, unit {j})"),
                g.h0[e * nh + j],
                g1.h0[j],
            )?;
        }
        for (s, v) in sum.iter_mut().zip(&g1.params) {
            *s += v;
        }
    }
    for block in policy.layout().blocks() {
        for i in block.range() {
            close(
                &|| {
                    format!(
                        "gradient of {}[{}], batch against the sum of the elements",
                        block.name,
                        i - block.offset
                    )
                },
                g.params[i],
                sum[i],
            )?;
        }
    }
    Ok(worst)
}

fn check_f32<P: Policy>(
    policy: &P,
    params: &[f64],
    ep: &Episode,
    tol: f64,
) -> Result<f64, ConformanceError> {
    let p32: Vec<f32> = params.iter().map(|&v| v as f32).collect();
    let (us64, h64) = rollout(policy, params, ep);
    let (us32, h32) = rollout(policy, &p32, ep);
    let mut worst: f64 = 0.0;
    let pairs = us64
        .iter()
        .zip(&us32)
        .enumerate()
        .flat_map(|(t, (a, b))| {
            a.iter()
                .zip(b)
                .enumerate()
                .map(move |(k, (x, y))| (format!("u (step {t}, number {k})"), *x, *y))
        })
        .chain(
            h64.iter()
                .zip(&h32)
                .enumerate()
                .map(|(k, (x, y))| (format!("final hidden state (number {k})"), *x, *y)),
        );
    for (what, a, b) in pairs {
        let err = (a - f64::from(b)).abs() / (1.0 + a.abs());
        if err.is_nan() || err > tol {
            return fail(
                "f32 vs f64",
                format!("{what}: f64 {a:e}, f32 {b:e} (error {err:.1e}, tolerance {tol:.1e})"),
            );
        }
        worst = worst.max(err);
    }
    Ok(worst)
}
