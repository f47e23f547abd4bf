//! The feed-forward policy: fully connected hidden layers and a sigmoid readout.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::gru::check_len;
use crate::init;
use crate::kernels::{add_assign, relu_backward, relu_slice, tanh_backward};
use crate::layout::ParamLayout;
use crate::linalg::{gemm, rm, rm_mut, rm_t};
use crate::{Policy, PolicyError, Real};

/// The nonlinearity of an [`Mlp`]'s hidden layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`; its derivative is taken as 0 at `x = 0`, as PyTorch does.
    #[default]
    Relu,
    /// `tanh(x)`.
    Tanh,
}

/// The size of an [`Mlp`] policy; [`MlpConfig::build`] checks it and makes the network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Inputs per batch element.
    pub input: usize,
    /// Units of each hidden layer, input side first; may be empty (a linear readout).
    pub hidden: Vec<usize>,
    /// Outputs per batch element.
    pub output: usize,
    /// Nonlinearity of the hidden layers (default ReLU).
    #[serde(default)]
    pub activation: Activation,
}

impl MlpConfig {
    /// An MLP with ReLU hidden layers.
    pub fn new(input: usize, hidden: Vec<usize>, output: usize) -> Self {
        Self {
            input,
            hidden,
            output,
            activation: Activation::Relu,
        }
    }

    /// The same configuration with another hidden-layer nonlinearity.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Checks the sizes (all at least 1) and makes the network: its parameter layout, without
    /// parameters (see [`Policy::init_params`]).
    pub fn build(&self) -> Result<Mlp, PolicyError> {
        let zero = |field: String| Err(PolicyError::ZeroSize { field });
        if self.input == 0 {
            return zero("MlpConfig.input".into());
        }
        if self.output == 0 {
            return zero("MlpConfig.output".into());
        }
        if let Some(i) = self.hidden.iter().position(|&w| w == 0) {
            return zero(format!("MlpConfig.hidden[{i}]"));
        }
        let mut count = 0.0;
        let mut prev = self.input as f64;
        for &w in self.hidden.iter().chain([&self.output]) {
            count += (prev + 1.0) * w as f64;
            prev = w as f64;
        }
        PolicyError::check_count(
            || {
                format!(
                    "MlpConfig (input {}, hidden {:?}, output {})",
                    self.input, self.hidden, self.output
                )
            },
            count,
        )?;
        Ok(Mlp::new(self.clone()))
    }

    /// [`MlpConfig::build`], then initial parameters drawn from `rng`
    /// ([`Policy::init_params`]).
    pub fn init<T: Real, R: Rng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> Result<(Mlp, Vec<T>), PolicyError> {
        let mlp = self.build()?;
        let params = mlp.init_params(rng);
        Ok((mlp, params))
    }
}

/// One fully connected layer: `[output, input]` weight at `w`, `[output]` bias at `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dense {
    input: usize,
    output: usize,
    w: usize,
    b: usize,
}

/// A feed-forward policy without hidden state: hidden layers
/// `a_i = act(W_i a_{i−1} + b_i)` (`a_0 = x`, `act` ReLU or tanh), then
/// `u = σ(W_fc a_k + b_fc)`.
///
/// Parameter blocks, in this order: `hidden.{i}.weight` `[d_i, d_{i−1}]` and `hidden.{i}.bias`
/// `[d_i]` for each hidden layer `i` (`d_0 = input`), then `fc.weight` `[output, d_k]` and
/// `fc.bias` `[output]`. [`Policy::hidden_size`] is 0: the `h`, `h_new`, `g_h_new` and `g_h`
/// buffers of the step methods are empty slices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mlp {
    config: MlpConfig,
    /// The hidden layers, then the readout.
    dense: Vec<Dense>,
    layout: ParamLayout,
    max_hidden: usize,
}

impl Mlp {
    fn new(config: MlpConfig) -> Self {
        let mut layout = ParamLayout::new();
        let mut dense = Vec::with_capacity(config.hidden.len() + 1);
        let mut input = config.input;
        for (i, &output) in config.hidden.iter().enumerate() {
            let w = layout.push(format!("hidden.{i}.weight"), &[output, input]);
            let b = layout.push(format!("hidden.{i}.bias"), &[output]);
            dense.push(Dense {
                input,
                output,
                w,
                b,
            });
            input = output;
        }
        let w = layout.push("fc.weight", &[config.output, input]);
        let b = layout.push("fc.bias", &[config.output]);
        dense.push(Dense {
            input,
            output: config.output,
            w,
            b,
        });
        let max_hidden = config.hidden.iter().copied().max().unwrap_or(0);
        Self {
            config,
            dense,
            layout,
            max_hidden,
        }
    }

    /// The configuration this network was built from.
    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    fn check_cache<T>(&self, cache: &MlpCache<T>, what: &str) {
        assert!(
            cache.dense == self.dense,
            "Mlp::{what}: the cache was made for another network"
        );
    }
}

/// What [`Mlp::forward_step`](Policy::forward_step) records of one step for
/// [`Mlp::backward_step`](Policy::backward_step): the input, every hidden layer's output and
/// the network output. Made by [`Policy::new_cache`] for a fixed batch size `B`.
#[derive(Clone, Debug)]
pub struct MlpCache<T> {
    dense: Vec<Dense>,
    batch: usize,
    /// `[B, input]`.
    x: Vec<T>,
    /// Hidden layer outputs after the nonlinearity, `[B, d_i]` each, concatenated.
    acts: Vec<T>,
    /// Start of each hidden layer's outputs in `acts`.
    offsets: Vec<usize>,
    /// `[B, output]`.
    u: Vec<T>,
}

impl<T: Real> MlpCache<T> {
    /// The batch size `B` this cache was made for.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The recorded step's output `u`, `[B, output]`.
    pub fn output(&self) -> &[T] {
        &self.u
    }
}

/// Scratch space of [`Mlp::backward_step`](Policy::backward_step) for batch size `B`.
#[derive(Clone, Debug)]
pub struct MlpWorkspace<T> {
    dense: Vec<Dense>,
    batch: usize,
    /// `[B, output]`: dL/d(readout pre-activation).
    g_a: Vec<T>,
    /// Two `[B, max d_i]` buffers for the hidden layers' pre-activation gradients.
    bufs: [Vec<T>; 2],
}

impl Policy for Mlp {
    type Cache<T: Real> = MlpCache<T>;
    type Workspace<T: Real> = MlpWorkspace<T>;

    fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    fn input_size(&self) -> usize {
        self.config.input
    }

    fn hidden_size(&self) -> usize {
        0
    }

    fn output_size(&self) -> usize {
        self.config.output
    }

    /// Every weight Xavier-uniform ([`init::xavier_uniform`]), hidden biases 0, and, as for
    /// MotorNet's GRU readout, `fc.bias` −5 (outputs start near σ(−5) ≈ 0.0067). Draw order:
    /// the weights from the input side on.
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        let mut p = vec![T::zero(); self.layout.len()];
        let last = self.dense.len() - 1;
        for (i, d) in self.dense.iter().enumerate() {
            init::xavier_uniform(rng, d.output, d.input, &mut p[d.w..][..d.output * d.input]);
            let bias = if i == last { -5.0 } else { 0.0 };
            init::constant(&mut p[d.b..][..d.output], bias);
        }
        p
    }

    fn new_cache<T: Real>(&self, batch: usize) -> MlpCache<T> {
        assert!(batch > 0, "Mlp::new_cache: batch size 0");
        let mut offsets = Vec::with_capacity(self.config.hidden.len());
        let mut total = 0;
        for &w in &self.config.hidden {
            offsets.push(total);
            total += batch * w;
        }
        MlpCache {
            dense: self.dense.clone(),
            batch,
            x: vec![T::zero(); batch * self.config.input],
            acts: vec![T::zero(); total],
            offsets,
            u: vec![T::zero(); batch * self.config.output],
        }
    }

    fn new_workspace<T: Real>(&self, batch: usize) -> MlpWorkspace<T> {
        assert!(batch > 0, "Mlp::new_workspace: batch size 0");
        MlpWorkspace {
            dense: self.dense.clone(),
            batch,
            g_a: vec![T::zero(); batch * self.config.output],
            bufs: [
                vec![T::zero(); batch * self.max_hidden],
                vec![T::zero(); batch * self.max_hidden],
            ],
        }
    }

    fn forward_step<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        h: &[T],
        u: &mut [T],
        h_new: &mut [T],
        cache: &mut MlpCache<T>,
    ) {
        self.check_cache(cache, "forward_step");
        let b = cache.batch;
        check_len(
            "Mlp::forward_step",
            "params",
            params.len(),
            self.layout.len(),
        );
        check_len("Mlp::forward_step", "x", x.len(), b * self.config.input);
        check_len("Mlp::forward_step", "h", h.len(), 0);
        check_len("Mlp::forward_step", "u", u.len(), b * self.config.output);
        check_len("Mlp::forward_step", "h_new", h_new.len(), 0);
        cache.x.copy_from_slice(x);
        let k = self.dense.len() - 1;
        for (i, d) in self.dense[..k].iter().enumerate() {
            let (prev, cur) = cache.acts.split_at_mut(cache.offsets[i]);
            let input = if i == 0 {
                &cache.x[..]
            } else {
                &prev[cache.offsets[i - 1]..]
            };
            let cur = &mut cur[..b * d.output];
            // a_i[B, d_i] = act(a_{i−1}[B, d_{i−1}] · W_iᵀ + b_i)
            gemm(
                rm_mut(cur, b, d.output, d.output),
                rm(input, b, d.input, d.input),
                rm_t(&params[d.w..], d.input, d.output, d.input),
                T::zero(),
            );
            let bias = &params[d.b..][..d.output];
            for row in cur.chunks_exact_mut(d.output) {
                add_assign(row, bias);
            }
            match self.config.activation {
                Activation::Relu => relu_slice(cur),
                Activation::Tanh => T::tanh_slice(cur),
            }
        }
        let d = &self.dense[k];
        let input = if k == 0 {
            &cache.x[..]
        } else {
            &cache.acts[cache.offsets[k - 1]..]
        };
        gemm(
            rm_mut(u, b, d.output, d.output),
            rm(input, b, d.input, d.input),
            rm_t(&params[d.w..], d.input, d.output, d.input),
            T::zero(),
        );
        let bias = &params[d.b..][..d.output];
        for row in u.chunks_exact_mut(d.output) {
            add_assign(row, bias);
        }
        T::sigmoid_slice(u);
        cache.u.copy_from_slice(u);
    }

    fn backward_step<T: Real>(
        &self,
        params: &[T],
        cache: &MlpCache<T>,
        g_u: &[T],
        g_h_new: &[T],
        g_params: &mut [T],
        g_x: &mut [T],
        g_h: &mut [T],
        ws: &mut MlpWorkspace<T>,
    ) {
        self.check_cache(cache, "backward_step");
        assert!(
            ws.dense == self.dense && ws.batch == cache.batch,
            "Mlp::backward_step: the workspace was made for another network or batch size \
             (workspace batch {}, cache batch {})",
            ws.batch,
            cache.batch
        );
        let b = cache.batch;
        check_len(
            "Mlp::backward_step",
            "params",
            params.len(),
            self.layout.len(),
        );
        check_len(
            "Mlp::backward_step",
            "g_params",
            g_params.len(),
            self.layout.len(),
        );
        check_len(
            "Mlp::backward_step",
            "g_u",
            g_u.len(),
            b * self.config.output,
        );
        check_len("Mlp::backward_step", "g_h_new", g_h_new.len(), 0);
        check_len(
            "Mlp::backward_step",
            "g_x",
            g_x.len(),
            b * self.config.input,
        );
        check_len("Mlp::backward_step", "g_h", g_h.len(), 0);
        let one = T::one();
        for ((ga, &gu), &u) in ws.g_a.iter_mut().zip(g_u).zip(&cache.u) {
            *ga = gu * u * (one - u);
        }
        let k = self.dense.len() - 1;
        let [buf0, buf1] = &mut ws.bufs;
        for i in (0..=k).rev() {
            let d = &self.dense[i];
            // g_z: dL/d(pre-activation of layer i), [B, d_i]; dst: the next one down.
            let (g_z, dst): (&[T], &mut [T]) = if i == k {
                (&ws.g_a, &mut buf0[..])
            } else if (k - 1 - i).is_multiple_of(2) {
                (&buf0[..], &mut buf1[..])
            } else {
                (&buf1[..], &mut buf0[..])
            };
            let g_z = &g_z[..b * d.output];
            let input = if i == 0 {
                &cache.x[..]
            } else {
                &cache.acts[cache.offsets[i - 1]..]
            };
            // dL/dW_i[d_i, d_{i−1}] += g_zᵀ[d_i, B] · a_{i−1}[B, d_{i−1}]
            let (g_w, g_bias) = g_params[d.w..].split_at_mut(d.output * d.input);
            gemm(
                rm_mut(g_w, d.output, d.input, d.input),
                rm_t(g_z, d.output, b, d.output),
                rm(input, b, d.input, d.input),
                one,
            );
            // The bias block follows the weight block (see `Mlp::new`).
            debug_assert_eq!(d.b, d.w + d.output * d.input);
            let g_bias = &mut g_bias[..d.output];
            for row in g_z.chunks_exact(d.output) {
                for (g, &v) in g_bias.iter_mut().zip(row) {
                    *g += v;
                }
            }
            // dL/da_{i−1}[B, d_{i−1}] = g_z · W_i
            let w = rm(&params[d.w..], d.output, d.input, d.input);
            if i == 0 {
                gemm(
                    rm_mut(g_x, b, d.input, d.input),
                    rm(g_z, b, d.output, d.output),
                    w,
                    T::zero(),
                );
            } else {
                let dst = &mut dst[..b * d.input];
                gemm(
                    rm_mut(dst, b, d.input, d.input),
                    rm(g_z, b, d.output, d.output),
                    w,
                    T::zero(),
                );
                // through the nonlinearity, from its output a_{i−1}
                let a = &input[..b * d.input];
                match self.config.activation {
                    Activation::Relu => relu_backward(dst, a),
                    Activation::Tanh => tanh_backward(dst, a),
                }
            }
        }
    }
}
