//! The GRU policy: stacked GRU layers (PyTorch gate order) and a sigmoid readout.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::init;
use crate::kernels::{
    add2, add_assign, gru_back_output, gru_back_reset, gru_candidate, gru_output,
};
use crate::layout::ParamLayout;
use crate::linalg::{gemm, rm, rm_mut, rm_t};
use crate::{Policy, PolicyError, Real};
use std::sync::Arc;

/// The size of a [`Gru`] policy; [`GruConfig::build`] checks it and makes the network.
///
/// MotorNet's `PolicyGRU` is `input` → `layers` stacked GRU layers of `hidden` units →
/// `Linear(hidden, output)` → sigmoid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GruConfig {
    /// Inputs per batch element (observation size).
    pub input: usize,
    /// Units per GRU layer, `H`.
    pub hidden: usize,
    /// Number of stacked GRU layers, `L` (MotorNet's default: 1).
    pub layers: usize,
    /// Outputs per batch element (muscle excitations).
    pub output: usize,
}

impl GruConfig {
    /// A one-layer GRU.
    pub fn new(input: usize, hidden: usize, output: usize) -> Self {
        Self {
            input,
            hidden,
            layers: 1,
            output,
        }
    }

    /// The same configuration with `layers` stacked GRU layers.
    pub fn with_layers(mut self, layers: usize) -> Self {
        self.layers = layers;
        self
    }

    /// Checks the sizes (all at least 1, at most [`crate::MAX_PARAMS`] parameters in all) and
    /// makes the network: its parameter layout, without parameters (see
    /// [`Policy::init_params`]).
    pub fn build(&self) -> Result<Gru, PolicyError> {
        for (field, value) in [
            ("input", self.input),
            ("hidden", self.hidden),
            ("layers", self.layers),
            ("output", self.output),
        ] {
            if value == 0 {
                return Err(PolicyError::ZeroSize {
                    field: format!("GruConfig.{field}"),
                });
            }
        }
        let (i, h, l, o) = (
            self.input as f64,
            self.hidden as f64,
            self.layers as f64,
            self.output as f64,
        );
        let count = 3.0 * h * (i + h + 2.0) + (l - 1.0) * 3.0 * h * (2.0 * h + 2.0) + o * (h + 1.0);
        PolicyError::check_count(
            || {
                format!(
                    "GruConfig (input {}, hidden {}, layers {}, output {})",
                    self.input, self.hidden, self.layers, self.output
                )
            },
            count,
        )?;
        Ok(Gru::new(self.clone()))
    }

    /// [`GruConfig::build`], then MotorNet's initial parameters drawn from `rng`
    /// ([`Policy::init_params`]).
    pub fn init<T: Real, R: Rng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<(Gru, Vec<T>), PolicyError> {
        let gru = self.build()?;
        let params = gru.init_params(rng);
        Ok((gru, params))
    }
}

/// Offsets of one GRU layer's blocks in the flat parameter vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct GruLayer {
    /// Inputs of this layer: `GruConfig::input` for layer 0, `H` above.
    input: usize,
    /// `weight_ih` `[3H, input]`.
    w_ih: usize,
    /// `weight_hh` `[3H, H]`.
    w_hh: usize,
    /// `bias_ih` `[3H]`.
    b_ih: usize,
    /// `bias_hh` `[3H]`.
    b_hh: usize,
}

/// A stacked GRU with a sigmoid readout, in PyTorch's gate order (r, z, n). One step, for each
/// layer `l` with input `x` (the policy input for `l = 0`, layer `l − 1`'s new hidden state
/// above) and hidden state `h`:
///
/// ```text
/// r  = σ(W_ir x + b_ir + W_hr h + b_hr)
/// z  = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h
/// ```
///
/// then the readout of the last layer's new hidden state, `u = σ(W_fc h'_{L−1} + b_fc)`.
///
/// Parameter blocks, in this order (PyTorch's `named_parameters` order and names for MotorNet's
/// `PolicyGRU`), for each layer `l`: `gru.weight_ih_l{l}` `[3H, in_l]` (the rows of `W_ir`,
/// `W_iz`, `W_in` stacked), `gru.weight_hh_l{l}` `[3H, H]`, `gru.bias_ih_l{l}` `[3H]`,
/// `gru.bias_hh_l{l}` `[3H]`; then `fc.weight` `[output, H]` and `fc.bias` `[output]`.
///
/// The hidden state of one batch element is the `L` layers' states concatenated, `[L·H]`
/// (layer 0 first); buffers are batch-major (`h[b·L·H + l·H + j]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gru {
    config: GruConfig,
    layers: Vec<GruLayer>,
    fc_w: usize,
    fc_b: usize,
    layout: ParamLayout,
}

impl Gru {
    fn new(config: GruConfig) -> Self {
        let h3 = 3 * config.hidden;
        let mut layout = ParamLayout::new();
        let mut layers = Vec::with_capacity(config.layers);
        for l in 0..config.layers {
            let input = if l == 0 { config.input } else { config.hidden };
            let w_ih = layout.push(format!("gru.weight_ih_l{l}"), &[h3, input]);
            let w_hh = layout.push(format!("gru.weight_hh_l{l}"), &[h3, config.hidden]);
            let b_ih = layout.push(format!("gru.bias_ih_l{l}"), &[h3]);
            let b_hh = layout.push(format!("gru.bias_hh_l{l}"), &[h3]);
            layers.push(GruLayer {
                input,
                w_ih,
                w_hh,
                b_ih,
                b_hh,
            });
        }
        let fc_w = layout.push("fc.weight", &[config.output, config.hidden]);
        let fc_b = layout.push("fc.bias", &[config.output]);
        Self {
            config,
            layers,
            fc_w,
            fc_b,
            layout,
        }
    }

    /// The configuration this network was built from.
    pub fn config(&self) -> &GruConfig {
        &self.config
    }

    fn check_cache<T>(&self, cache: &GruCache<T>, what: &str) {
        assert!(
            cache.dims == self.dims(),
            "Gru::{what}: the cache was made for (input, hidden, layers, output) = {:?}, this \
             network is {:?}",
            cache.dims,
            self.dims()
        );
    }

    fn dims(&self) -> [usize; 4] {
        let c = &self.config;
        [c.input, c.hidden, c.layers, c.output]
    }
}

/// What [`Gru::forward_step`](Policy::forward_step) records of one step for
/// [`Gru::backward_step`](Policy::backward_step): copies of the inputs and outputs, and each
/// layer's gate values. Keep one per time step for backpropagation through time. Made by
/// [`Policy::new_cache`] for a fixed batch size `B`; holds `B·(in + 6·L·H + out + out₈)`
/// numbers, `out₈` being `out` rounded up to a multiple of 8.
#[derive(Clone, Debug)]
pub struct GruCache<T> {
    dims: [usize; 4],
    batch: usize,
    /// `[B, input]`.
    x: Vec<T>,
    /// `[B, L·H]`: the hidden state the step started from.
    h: Vec<T>,
    /// `[L, B, 3H]`: per layer and element, `r`, `z`, `n` after their nonlinearities.
    gates: Vec<T>,
    /// `[L, B, H]`: `W_hn h + b_hn`.
    hn: Vec<T>,
    /// `[B, L·H]`: the new hidden state.
    h_new: Vec<T>,
    /// `[B, output]`: the readout after the sigmoid.
    u: Vec<T>,
    /// `[B, out₈]`: scratch for the readout's product with the padded `W_fcᵀ` of `prepared`.
    readout: Vec<T>,
    /// The transposed weights of [`Policy::prepare_caches`], shared by the caches it prepared.
    prepared: Option<Arc<Transposed<T>>>,
}

/// The GRU's weight matrices transposed for one parameter vector (see
/// [`Policy::prepare_caches`]), with what identifies that vector.
#[derive(Debug)]
struct Transposed<T> {
    /// Address and length of the parameter buffer they were made from.
    buffer: (usize, usize),
    /// A sample of that buffer's entries, `(index, value)`: all must still hold.
    sample: Vec<(usize, T)>,
    /// Per layer, `W_ihᵀ [in_l, 3H]` and `W_hhᵀ [H, 3H]`, row-major.
    layers: Vec<(Vec<T>, Vec<T>)>,
    /// `W_fcᵀ [H, out₈]`, row-major, its columns past `out` zero: the readout's product then
    /// runs in whole SIMD vectors (as `[H, out]`, its few columns went through scalar chains,
    /// a tenth of the speed of the other products).
    fc: Vec<T>,
}

/// `out` rounded up to a multiple of 8: the width of the readout's padded product.
fn padded(out: usize) -> usize {
    out.div_ceil(8) * 8
}

impl<T: Real> Transposed<T> {
    /// Entries sampled to recognise a changed parameter vector.
    const SAMPLE: usize = 32;

    fn new(gru: &Gru, params: &[T]) -> Self {
        let (nh, h3) = (gru.config.hidden, 3 * gru.config.hidden);
        let transpose = |w: &[T], rows: usize, cols: usize| {
            let mut t = vec![T::zero(); rows * cols];
            for (i, row) in w.chunks_exact(cols).enumerate() {
                for (k, &v) in row.iter().enumerate() {
                    t[k * rows + i] = v;
                }
            }
            t
        };
        let layers = gru
            .layers
            .iter()
            .map(|lay| {
                (
                    transpose(&params[lay.w_ih..][..h3 * lay.input], h3, lay.input),
                    transpose(&params[lay.w_hh..][..h3 * nh], h3, nh),
                )
            })
            .collect();
        let (nout, npad) = (gru.config.output, padded(gru.config.output));
        let mut fc = vec![T::zero(); nh * npad];
        for (o, row) in params[gru.fc_w..][..nout * nh].chunks_exact(nh).enumerate() {
            for (k, &v) in row.iter().enumerate() {
                fc[k * npad + o] = v;
            }
        }
        let n = params.len();
        let sample = (0..Self::SAMPLE)
            .map(|s| {
                let i = s * (n - 1) / (Self::SAMPLE - 1).max(1);
                (i, params[i])
            })
            .collect();
        Self {
            buffer: (params.as_ptr() as usize, n),
            sample,
            layers,
            fc,
        }
    }

    /// Whether these were made from `params` (as far as the buffer and the sample tell).
    fn made_from(&self, params: &[T]) -> bool {
        self.buffer == (params.as_ptr() as usize, params.len())
            && self.sample.iter().all(|&(i, v)| params[i] == v)
    }
}

impl<T: Real> GruCache<T> {
    /// The batch size `B` this cache was made for.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The recorded step's output `u`, `[B, output]`.
    pub fn output(&self) -> &[T] {
        &self.u
    }

    /// The recorded step's new hidden state, `[B, L·H]`.
    pub fn hidden(&self) -> &[T] {
        &self.h_new
    }
}

/// Scratch space of [`Gru::backward_step`](Policy::backward_step) for batch size `B`: one per
/// training loop, reused by every step (about `B·(out + 5H)` numbers).
#[derive(Clone, Debug)]
pub struct GruWorkspace<T> {
    dims: [usize; 4],
    batch: usize,
    /// `[B, output]`: dL/d(readout pre-activation).
    g_a: Vec<T>,
    /// `[B, H]`: dL/dh' of the layer being processed.
    g_hl: Vec<T>,
    /// `[B, 3H]`: dL/d(input pre-activations) `[r, z, n]` of that layer.
    g_gi: Vec<T>,
    /// `[B, H]`: dL/d(W_hn h + b_hn).
    g_hn: Vec<T>,
}

impl Policy for Gru {
    type Cache<T: Real> = GruCache<T>;
    type Workspace<T: Real> = GruWorkspace<T>;

    fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    fn input_size(&self) -> usize {
        self.config.input
    }

    fn hidden_size(&self) -> usize {
        self.config.hidden * self.config.layers
    }

    fn output_size(&self) -> usize {
        self.config.output
    }

    /// MotorNet 0.3.0's initialisation (`PolicyGRU.__init__`): each `weight_ih` Xavier-uniform
    /// ([`init::xavier_uniform`], fans `in_l` and `3H`), each `weight_hh` orthogonal
    /// ([`init::orthogonal`] on the whole `[3H, H]` matrix), GRU biases 0, `fc.weight`
    /// Xavier-uniform, `fc.bias` −5 (so that every output starts near σ(−5) ≈ 0.0067).
    ///
    /// Draw order: layer by layer `weight_ih` then `weight_hh`, then `fc.weight`.
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        let (nh, h3) = (self.config.hidden, 3 * self.config.hidden);
        let mut p = vec![T::zero(); self.layout.len()];
        for lay in &self.layers {
            init::xavier_uniform(rng, h3, lay.input, &mut p[lay.w_ih..][..h3 * lay.input]);
            init::orthogonal(rng, h3, nh, &mut p[lay.w_hh..][..h3 * nh]);
            init::constant(&mut p[lay.b_ih..][..h3], 0.0);
            init::constant(&mut p[lay.b_hh..][..h3], 0.0);
        }
        let nout = self.config.output;
        init::xavier_uniform(rng, nout, nh, &mut p[self.fc_w..][..nout * nh]);
        init::constant(&mut p[self.fc_b..][..nout], -5.0);
        p
    }

    fn new_cache<T: Real>(&self, batch: usize) -> GruCache<T> {
        assert!(batch > 0, "Gru::new_cache: batch size 0");
        let [nin, nh, nl, nout] = self.dims();
        let z = T::zero();
        GruCache {
            dims: self.dims(),
            batch,
            x: vec![z; batch * nin],
            h: vec![z; batch * nl * nh],
            gates: vec![z; nl * batch * 3 * nh],
            hn: vec![z; nl * batch * nh],
            h_new: vec![z; batch * nl * nh],
            u: vec![z; batch * nout],
            readout: vec![z; batch * padded(nout)],
            prepared: None,
        }
    }

    fn new_workspace<T: Real>(&self, batch: usize) -> GruWorkspace<T> {
        assert!(batch > 0, "Gru::new_workspace: batch size 0");
        let [_, nh, _, nout] = self.dims();
        let z = T::zero();
        GruWorkspace {
            dims: self.dims(),
            batch,
            g_a: vec![z; batch * nout],
            g_hl: vec![z; batch * nh],
            g_gi: vec![z; batch * 3 * nh],
            g_hn: vec![z; batch * nh],
        }
    }

    fn forward_step<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        h: &[T],
        u: &mut [T],
        h_new: &mut [T],
        cache: &mut GruCache<T>,
    ) {
        self.check_cache(cache, "forward_step");
        let [nin, nh, nl, nout] = self.dims();
        let (b, hid, h3) = (cache.batch, nh * nl, 3 * nh);
        check_len(
            "Gru::forward_step",
            "params",
            params.len(),
            self.layout.len(),
        );
        check_len("Gru::forward_step", "x", x.len(), b * nin);
        check_len("Gru::forward_step", "h", h.len(), b * hid);
        check_len("Gru::forward_step", "u", u.len(), b * nout);
        check_len("Gru::forward_step", "h_new", h_new.len(), b * hid);
        cache.x.copy_from_slice(x);
        cache.h.copy_from_slice(h);
        let prepared = cache.prepared.take().filter(|p| p.made_from(params));

        for (l, lay) in self.layers.iter().enumerate() {
            let gates = &mut cache.gates[l * b * h3..][..b * h3];
            let hn = &mut cache.hn[l * b * nh..][..b * nh];
            let w_ih = &params[lay.w_ih..][..h3 * lay.input];
            let w_hh = &params[lay.w_hh..][..h3 * nh];
            let h_l = &h[l * nh..];
            {
                // gates[B, 3H] = x_l[B, in_l] · W_ihᵀ
                let (x_l, ld) = if l == 0 {
                    (x, nin)
                } else {
                    (&h_new[(l - 1) * nh..], hid)
                };
                // the weights as they are (a transposed view), or their transposed copy
                let w_ih_t = match &prepared {
                    Some(p) => rm(&p.layers[l].0, lay.input, h3, h3),
                    None => rm_t(w_ih, lay.input, h3, lay.input),
                };
                gemm(
                    rm_mut(gates, b, h3, h3),
                    rm(x_l, b, lay.input, ld),
                    w_ih_t,
                    T::zero(),
                );
            }
            // gates[:, 0..2H] += h_l[B, H] · W_h{r,z}ᵀ ; hn[B, H] = h_l · W_hnᵀ
            let (w_hrz_t, w_hn_t) = match &prepared {
                Some(p) => {
                    let t = &p.layers[l].1;
                    (rm(t, nh, 2 * nh, h3), rm(&t[2 * nh..], nh, nh, h3))
                }
                None => (
                    rm_t(w_hh, nh, 2 * nh, nh),
                    rm_t(&w_hh[2 * nh * nh..], nh, nh, nh),
                ),
            };
            gemm(
                rm_mut(gates, b, 2 * nh, h3),
                rm(h_l, b, nh, hid),
                w_hrz_t,
                T::one(),
            );
            gemm(
                rm_mut(hn, b, nh, nh),
                rm(h_l, b, nh, hid),
                w_hn_t,
                T::zero(),
            );
            let b_ih = &params[lay.b_ih..][..h3];
            let b_hh = &params[lay.b_hh..][..h3];
            let (b_in, b_hn) = (&b_ih[2 * nh..], &b_hh[2 * nh..]);
            // Elementwise, in short passes over one row at a time: each pass is a simple loop
            // the compiler vectorises (one fused loop with three activations does not).
            for e in 0..b {
                let g = &mut gates[e * h3..][..h3];
                let (rz, gn) = g.split_at_mut(2 * nh);
                // r, z = σ(x-part + h-part + b_i + b_h)
                add2(rz, &b_ih[..2 * nh], &b_hh[..2 * nh]);
                T::sigmoid_slice(rz);
                let (r, z) = rz.split_at(nh);
                // hn = W_hn h + b_hn (kept for the backward pass); n = tanh(W_in x + b_in + r ⊙ hn)
                let hn_e = &mut hn[e * nh..][..nh];
                gru_candidate(hn_e, gn, r, b_in, b_hn);
                T::tanh_slice(gn);
                // h' = (1 − z) ⊙ n + z ⊙ h
                let hp = &h[e * hid + l * nh..][..nh];
                gru_output(&mut h_new[e * hid + l * nh..][..nh], gn, z, hp);
            }
        }

        // u[B, out] = σ(h'_{L−1}[B, H] · W_fcᵀ + b_fc)
        let fc_w = &params[self.fc_w..][..nout * nh];
        let fc_b = &params[self.fc_b..][..nout];
        let last = rm(&h_new[(nl - 1) * nh..], b, nh, hid);
        match &prepared {
            Some(p) => {
                // into `[B, out₈]` with the padded `W_fcᵀ`, then its first `out` columns
                let npad = padded(nout);
                gemm(
                    rm_mut(&mut cache.readout, b, npad, npad),
                    last,
                    rm(&p.fc, nh, npad, npad),
                    T::zero(),
                );
                for (row, padded_row) in u
                    .chunks_exact_mut(nout)
                    .zip(cache.readout.chunks_exact(npad))
                {
                    row.copy_from_slice(&padded_row[..nout]);
                }
            }
            None => gemm(
                rm_mut(u, b, nout, nout),
                last,
                rm_t(fc_w, nh, nout, nh),
                T::zero(),
            ),
        }
        for row in u.chunks_exact_mut(nout) {
            for (v, &bias) in row.iter_mut().zip(fc_b) {
                *v += bias;
            }
        }
        T::sigmoid_slice(u);
        cache.h_new.copy_from_slice(h_new);
        cache.u.copy_from_slice(u);
        cache.prepared = prepared;
    }

    /// Transposes every weight matrix once and shares the copies among `caches`: the
    /// forward products then read rows of `Wᵀ` directly instead of packing `W` at every step
    /// (measured by `examples/gru_speed.rs`). The numbers are the same sums in the same order.
    fn prepare_caches<'c, T: Real>(
        &self,
        params: &[T],
        caches: impl IntoIterator<Item = &'c mut GruCache<T>>,
    ) where
        GruCache<T>: 'c,
    {
        check_len(
            "Gru::prepare_caches",
            "params",
            params.len(),
            self.layout.len(),
        );
        let t = Arc::new(Transposed::new(self, params));
        for c in caches {
            self.check_cache(c, "prepare_caches");
            c.prepared = Some(Arc::clone(&t));
        }
    }

    fn backward_step<T: Real>(
        &self,
        params: &[T],
        cache: &GruCache<T>,
        g_u: &[T],
        g_h_new: &[T],
        g_params: &mut [T],
        g_x: &mut [T],
        g_h: &mut [T],
        ws: &mut GruWorkspace<T>,
    ) {
        self.check_cache(cache, "backward_step");
        assert!(
            ws.dims == self.dims() && ws.batch == cache.batch,
            "Gru::backward_step: the workspace was made for (input, hidden, layers, output) = \
             {:?} and batch {}, the cache for {:?} and batch {}",
            ws.dims,
            ws.batch,
            cache.dims,
            cache.batch
        );
        let [nin, nh, nl, nout] = self.dims();
        let (b, hid, h3) = (cache.batch, nh * nl, 3 * nh);
        check_len(
            "Gru::backward_step",
            "params",
            params.len(),
            self.layout.len(),
        );
        check_len(
            "Gru::backward_step",
            "g_params",
            g_params.len(),
            self.layout.len(),
        );
        check_len("Gru::backward_step", "g_u", g_u.len(), b * nout);
        check_len("Gru::backward_step", "g_h_new", g_h_new.len(), b * hid);
        check_len("Gru::backward_step", "g_x", g_x.len(), b * nin);
        check_len("Gru::backward_step", "g_h", g_h.len(), b * hid);
        let one = T::one();

        // Readout: a = W_fc h' + b_fc, u = σ(a).
        for ((ga, &gu), &u) in ws.g_a.iter_mut().zip(g_u).zip(&cache.u) {
            *ga = gu * u * (one - u);
        }
        let last = &cache.h_new[(nl - 1) * nh..];
        {
            let (g_fc_w, g_fc_b) = g_params[self.fc_w..].split_at_mut(nout * nh);
            // dL/dW_fc[out, H] += g_aᵀ[out, B] · h'[B, H]
            gemm(
                rm_mut(g_fc_w, nout, nh, nh),
                rm_t(&ws.g_a, nout, b, nout),
                rm(last, b, nh, hid),
                one,
            );
            for row in ws.g_a.chunks_exact(nout) {
                for (g, &v) in g_fc_b.iter_mut().zip(row) {
                    *g += v;
                }
            }
        }
        // dL/dh'_{L−1}[B, H] = g_h_new (layer L−1) + g_a[B, out] · W_fc[out, H]
        for e in 0..b {
            ws.g_hl[e * nh..][..nh].copy_from_slice(&g_h_new[e * hid + (nl - 1) * nh..][..nh]);
        }
        gemm(
            rm_mut(&mut ws.g_hl, b, nh, nh),
            rm(&ws.g_a, b, nout, nout),
            rm(&params[self.fc_w..], nout, nh, nh),
            one,
        );

        for (l, lay) in self.layers.iter().enumerate().rev() {
            let gates = &cache.gates[l * b * h3..][..b * h3];
            let hn = &cache.hn[l * b * nh..][..b * nh];
            let h_l = &cache.h[l * nh..];
            let (g_b_ih, g_b_hh) = g_params[lay.b_ih..][..2 * h3].split_at_mut(h3);
            // Elementwise, in simple passes over one row at a time (each vectorises).
            for e in 0..b {
                let (r, rest) = gates[e * h3..][..h3].split_at(nh);
                let (z, n) = rest.split_at(nh);
                let hn_e = &hn[e * nh..][..nh];
                let hp = &cache.h[e * hid + l * nh..][..nh];
                let ghl = &ws.g_hl[e * nh..][..nh];
                let g_gi = &mut ws.g_gi[e * h3..][..h3];
                let (g_ar, rest) = g_gi.split_at_mut(nh);
                let (g_az, g_an) = rest.split_at_mut(nh);
                let g_hn_e = &mut ws.g_hn[e * nh..][..nh];
                let g_hd = &mut g_h[e * hid + l * nh..][..nh];
                gru_back_output(g_hd, g_az, g_an, ghl, hp, z, n);
                gru_back_reset(g_ar, g_hn_e, g_an, r, hn_e);
                // bias gradients: b_ih gets [ar, az, an]; b_hh gets [ar, az, an ⊙ r]
                add_assign(g_b_ih, g_gi);
                let (g_b_hrz, g_b_hn) = g_b_hh.split_at_mut(2 * nh);
                add_assign(g_b_hrz, &g_gi[..2 * nh]);
                add_assign(g_b_hn, g_hn_e);
            }
            let (x_l, ld) = if l == 0 {
                (&cache.x[..], nin)
            } else {
                (&cache.h_new[(l - 1) * nh..], hid)
            };
            // dL/dW_ih[3H, in_l] += g_giᵀ[3H, B] · x_l[B, in_l]
            gemm(
                rm_mut(&mut g_params[lay.w_ih..], h3, lay.input, lay.input),
                rm_t(&ws.g_gi, h3, b, h3),
                rm(x_l, b, lay.input, ld),
                one,
            );
            // dL/dW_h{r,z}[2H, H] += g_gi[:, 0..2H]ᵀ · h_l ; dL/dW_hn[H, H] += g_hnᵀ · h_l
            {
                let (g_w_hrz, g_w_hn) = g_params[lay.w_hh..][..h3 * nh].split_at_mut(2 * nh * nh);
                gemm(
                    rm_mut(g_w_hrz, 2 * nh, nh, nh),
                    rm_t(&ws.g_gi, 2 * nh, b, h3),
                    rm(h_l, b, nh, hid),
                    one,
                );
                gemm(
                    rm_mut(g_w_hn, nh, nh, nh),
                    rm_t(&ws.g_hn, nh, b, nh),
                    rm(h_l, b, nh, hid),
                    one,
                );
            }
            // dL/dh_l[B, H] = z ⊙ dL/dh' (written above) + g_gi[:, 0..2H] · W_h{r,z} + g_hn · W_hn
            let w_hh = &params[lay.w_hh..][..h3 * nh];
            gemm(
                rm_mut(&mut g_h[l * nh..], b, nh, hid),
                rm(&ws.g_gi, b, 2 * nh, h3),
                rm(w_hh, 2 * nh, nh, nh),
                one,
            );
            gemm(
                rm_mut(&mut g_h[l * nh..], b, nh, hid),
                rm(&ws.g_hn, b, nh, nh),
                rm(&w_hh[2 * nh * nh..], nh, nh, nh),
                one,
            );
            // dL/dx_l[B, in_l] = g_gi[B, 3H] · W_ih[3H, in_l]: the policy input's gradient for
            // layer 0; for l > 0, added to layer l − 1's dL/dh' (with its own g_h_new part).
            let w_ih = rm(&params[lay.w_ih..], h3, lay.input, lay.input);
            if l == 0 {
                gemm(
                    rm_mut(g_x, b, nin, nin),
                    rm(&ws.g_gi, b, h3, h3),
                    w_ih,
                    T::zero(),
                );
            } else {
                for e in 0..b {
                    ws.g_hl[e * nh..][..nh]
                        .copy_from_slice(&g_h_new[e * hid + (l - 1) * nh..][..nh]);
                }
                gemm(
                    rm_mut(&mut ws.g_hl, b, nh, nh),
                    rm(&ws.g_gi, b, h3, h3),
                    w_ih,
                    one,
                );
            }
        }
    }
}

/// Panics unless buffer `what` of `method` has the expected length.
#[inline]
pub(crate) fn check_len(method: &str, what: &str, len: usize, expected: usize) {
    assert!(
        len == expected,
        "{method}: {what} has {len} numbers, expected {expected}"
    );
}
