//! The built-in cells: [`TanhRnn`], [`Lstm`] and [`DfdxGru`], all stacked layers of `H` units
//! with a sigmoid readout `u = σ(W_fc h'_{L−1} + b_fc)` of the last layer, in PyTorch's
//! parameter names and layouts, initialised as MotorNet initialises its `PolicyGRU`.

use dfdx::tensor::{Cpu, Tape, WithEmptyTape};
use dfdx::tensor_ops::Device;
use motornet_policy::{init, ParamLayout, PolicyError, Real};
use rand::Rng;

use crate::cell::{AutodiffCell, Params};
use crate::ops::{
    add, chunk_cols, concat_cols, linear, linear2, mul, sigmoid, sub, tanh, Float, Tensor2,
};
use crate::DfdxPolicy;

/// Sizes and parameter layout shared by the stacked cells.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stacked {
    input: usize,
    hidden: usize,
    layers: usize,
    output: usize,
    /// Gate blocks per layer: 1 (RNN), 3 (GRU), 4 (LSTM).
    gates: usize,
    layout: ParamLayout,
}

impl Stacked {
    /// Validates the sizes (`config` names the configuration type in errors) and lays out, per
    /// layer `l`: `{prefix}.weight_ih_l{l}` `[gH, in_l]`, `{prefix}.weight_hh_l{l}` `[gH, H]`,
    /// `{prefix}.bias_ih_l{l}` `[gH]`, `{prefix}.bias_hh_l{l}` `[gH]`; then `fc.weight`
    /// `[output, H]`, `fc.bias` `[output]`.
    fn new(
        config: &str,
        prefix: &str,
        gates: usize,
        [input, hidden, layers, output]: [usize; 4],
    ) -> Result<Self, PolicyError> {
        for (field, value) in [
            ("input", input),
            ("hidden", hidden),
            ("layers", layers),
            ("output", output),
        ] {
            if value == 0 {
                return Err(PolicyError::ZeroSize {
                    field: format!("{config}.{field}"),
                });
            }
        }
        let (g, i, h, l, o) = (
            gates as f64,
            input as f64,
            hidden as f64,
            layers as f64,
            output as f64,
        );
        PolicyError::check_count(
            || {
                format!(
                    "{config} (input {input}, hidden {hidden}, layers {layers}, output {output})"
                )
            },
            g * h * (i + h + 2.0) + (l - 1.0) * g * h * (2.0 * h + 2.0) + o * (h + 1.0),
        )?;
        let gh = gates * hidden;
        let mut layout = ParamLayout::new();
        for l in 0..layers {
            let in_l = if l == 0 { input } else { hidden };
            layout.push(format!("{prefix}.weight_ih_l{l}"), &[gh, in_l]);
            layout.push(format!("{prefix}.weight_hh_l{l}"), &[gh, hidden]);
            layout.push(format!("{prefix}.bias_ih_l{l}"), &[gh]);
            layout.push(format!("{prefix}.bias_hh_l{l}"), &[gh]);
        }
        layout.push("fc.weight", &[output, hidden]);
        layout.push("fc.bias", &[output]);
        Ok(Self {
            input,
            hidden,
            layers,
            output,
            gates,
            layout,
        })
    }

    /// MotorNet's initialisation (as `motornet_policy::Gru`): layer by layer `weight_ih`
    /// Xavier-uniform then `weight_hh` orthogonal (the whole `[gH, H]` matrix), biases 0; then
    /// `fc.weight` Xavier-uniform and `fc.bias` −5. Same draws, in the same order, as
    /// `motornet_policy::Gru` for `gates = 3`.
    fn init<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        let mut p = vec![T::zero(); self.layout.len()];
        let blocks = self.layout.blocks();
        for l in 0..self.layers {
            let [w_ih, w_hh, b_ih, b_hh] = [0, 1, 2, 3].map(|k| &blocks[4 * l + k]);
            init::xavier_uniform(rng, w_ih.shape[0], w_ih.shape[1], &mut p[w_ih.range()]);
            init::orthogonal(rng, w_hh.shape[0], w_hh.shape[1], &mut p[w_hh.range()]);
            init::constant(&mut p[b_ih.range()], 0.0);
            init::constant(&mut p[b_hh.range()], 0.0);
        }
        let (fc_w, fc_b) = (&blocks[4 * self.layers], &blocks[4 * self.layers + 1]);
        init::xavier_uniform(rng, self.output, self.hidden, &mut p[fc_w.range()]);
        init::constant(&mut p[fc_b.range()], -5.0);
        p
    }

    /// Layer `l`'s blocks: `(weight_ih, weight_hh, bias_ih, bias_hh)` indices.
    fn layer(&self, l: usize) -> [usize; 4] {
        [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]
    }

    /// `u = σ(W_fc h + b_fc)`.
    fn readout<E: Float, T: Tape<E, Cpu>>(&self, p: &Params<E>, h: Tensor2<E, T>) -> Tensor2<E, T>
    where
        Cpu: Device<E>,
    {
        let fc = 4 * self.layers;
        sigmoid(linear(h, p.matrix(fc), p.vector(fc + 1)))
    }

    /// The per-layer parts of a hidden state of `parts` equal blocks (one per layer for the
    /// RNN and GRU, `[h, c]` per layer for the LSTM).
    fn split<E: Float, T: Tape<E, Cpu>>(h: Tensor2<E, T>, parts: usize) -> Vec<Tensor2<E, T>>
    where
        Cpu: Device<E>,
    {
        if parts == 1 {
            vec![h]
        } else {
            chunk_cols(h, parts)
        }
    }

    fn join<E: Float, T: Tape<E, Cpu>>(mut parts: Vec<Tensor2<E, T>>) -> Tensor2<E, T>
    where
        Cpu: Device<E>,
    {
        if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            concat_cols(parts)
        }
    }
}

/// The four numbers of a stacked cell's configuration, with the builder methods.
macro_rules! stacked_config {
    ($(#[$meta:meta])* $config:ident => $cell:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $config {
            /// Inputs per batch element (observation size).
            pub input: usize,
            /// Units per layer, `H`.
            pub hidden: usize,
            /// Number of stacked layers, `L` (default 1).
            pub layers: usize,
            /// Outputs per batch element (muscle excitations).
            pub output: usize,
        }

        impl $config {
            /// One layer of `hidden` units between `input` inputs and `output` outputs.
            pub fn new(input: usize, hidden: usize, output: usize) -> Self {
                Self { input, hidden, layers: 1, output }
            }

            /// The same configuration with `layers` stacked layers.
            pub fn with_layers(mut self, layers: usize) -> Self {
                self.layers = layers;
                self
            }

            /// Checks the sizes (all at least 1; [`PolicyError::ZeroSize`] names the field)
            /// and makes the cell.
            pub fn build_cell(&self) -> Result<$cell, PolicyError> {
                $cell::new(self)
            }

            /// [`build_cell`](Self::build_cell) wrapped in a [`DfdxPolicy`], ready to train.
            pub fn build(&self) -> Result<DfdxPolicy<$cell>, PolicyError> {
                Ok(DfdxPolicy::new(self.build_cell()?))
            }

            /// [`build`](Self::build), then MotorNet-style initial parameters drawn from
            /// `rng`.
            pub fn init<T: Real, R: Rng + ?Sized>(
                &self,
                rng: &mut R,
            ) -> Result<(DfdxPolicy<$cell>, Vec<T>), PolicyError> {
                let cell = self.build_cell()?;
                let params = cell.init_params(rng);
                Ok((DfdxPolicy::new(cell), params))
            }
        }

        impl $cell {
            /// The configuration this cell was built from.
            pub fn config(&self) -> $config {
                $config {
                    input: self.s.input,
                    hidden: self.s.hidden,
                    layers: self.s.layers,
                    output: self.s.output,
                }
            }
        }
    };
}

stacked_config!(
    /// The size of a [`TanhRnn`]; [`TanhRnnConfig::build`] checks it and makes the policy.
    TanhRnnConfig => TanhRnn
);
stacked_config!(
    /// The size of an [`Lstm`]; [`LstmConfig::build`] checks it and makes the policy.
    LstmConfig => Lstm
);
stacked_config!(
    /// The size of a [`DfdxGru`] (the same fields as `motornet_policy::GruConfig`);
    /// [`DfdxGruConfig::build`] checks it and makes the policy.
    DfdxGruConfig => DfdxGru
);

/// A stacked vanilla (Elman) RNN with tanh units and a sigmoid readout. For each layer `l` with
/// input `x` (the policy input for `l = 0`, layer `l − 1`'s new state above) and state `h`:
///
/// ```text
/// h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
/// ```
///
/// then `u = σ(W_fc h'_{L−1} + b_fc)`. Parameter blocks (PyTorch's `nn.RNN` names), per layer:
/// `rnn.weight_ih_l{l}` `[H, in_l]`, `rnn.weight_hh_l{l}` `[H, H]`, `rnn.bias_ih_l{l}` `[H]`,
/// `rnn.bias_hh_l{l}` `[H]`; then `fc.weight` `[output, H]`, `fc.bias` `[output]`. The hidden
/// state is the layers' states concatenated, `[L·H]`, layer 0 first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TanhRnn {
    s: Stacked,
}

impl TanhRnn {
    fn new(c: &TanhRnnConfig) -> Result<Self, PolicyError> {
        let s = Stacked::new(
            "TanhRnnConfig",
            "rnn",
            1,
            [c.input, c.hidden, c.layers, c.output],
        )?;
        Ok(Self { s })
    }
}

impl AutodiffCell for TanhRnn {
    fn input_size(&self) -> usize {
        self.s.input
    }
    fn hidden_size(&self) -> usize {
        self.s.layers * self.s.hidden
    }
    fn output_size(&self) -> usize {
        self.s.output
    }
    fn layout(&self) -> &ParamLayout {
        &self.s.layout
    }
    /// MotorNet's initialisation: `weight_ih` Xavier-uniform, `weight_hh` orthogonal, biases 0,
    /// `fc.weight` Xavier-uniform, `fc.bias` −5.
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        self.s.init(rng)
    }
    fn forward<E: Float, T: Tape<E, Cpu>>(
        &self,
        p: &Params<E>,
        x: Tensor2<E, T>,
        h: Tensor2<E, T>,
    ) -> (Tensor2<E, T>, Tensor2<E, T>)
    where
        Cpu: Device<E>,
    {
        let mut input = x;
        let mut new = Vec::with_capacity(self.s.layers);
        for (l, h_l) in Stacked::split(h, self.s.layers).into_iter().enumerate() {
            let [w_ih, w_hh, b_ih, b_hh] = self.s.layer(l);
            let pre = linear2(
                input,
                p.matrix(w_ih),
                p.vector(b_ih),
                h_l,
                p.matrix(w_hh),
                p.vector(b_hh),
            );
            let h_new = tanh(pre);
            input = h_new.with_empty_tape();
            new.push(h_new);
        }
        (self.s.readout(p, input), Stacked::join(new))
    }
}

/// A stacked LSTM in PyTorch's gate order (i, f, g, o) with a sigmoid readout. For each layer
/// `l` with input `x` and state `(h, c)`:
///
/// ```text
/// i  = σ(W_ii x + b_ii + W_hi h + b_hi)
/// f  = σ(W_if x + b_if + W_hf h + b_hf)
/// g  = tanh(W_ig x + b_ig + W_hg h + b_hg)
/// o  = σ(W_io x + b_io + W_ho h + b_ho)
/// c' = f ⊙ c + i ⊙ g
/// h' = o ⊙ tanh(c')
/// ```
///
/// and the next layer's input is `h'`; then `u = σ(W_fc h'_{L−1} + b_fc)`.
///
/// **Hidden state layout:** per batch element `[h_0, c_0, h_1, c_1, …]`, each `[H]`: the
/// layers' `[h, c]` pairs concatenated, layer 0 first, so
/// [`hidden_size`](AutodiffCell::hidden_size) is `2·L·H`. A zero hidden state starts both `h`
/// and `c` at 0, as PyTorch does.
///
/// Parameter blocks (PyTorch's `nn.LSTM` names), per layer: `lstm.weight_ih_l{l}`
/// `[4H, in_l]` (the rows of `W_ii`, `W_if`, `W_ig`, `W_io` stacked), `lstm.weight_hh_l{l}`
/// `[4H, H]`, `lstm.bias_ih_l{l}` `[4H]`, `lstm.bias_hh_l{l}` `[4H]`; then `fc.weight`
/// `[output, H]`, `fc.bias` `[output]`. Initialised as MotorNet's GRU (biases 0, including the
/// forget gate's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lstm {
    s: Stacked,
}

impl Lstm {
    fn new(c: &LstmConfig) -> Result<Self, PolicyError> {
        let s = Stacked::new(
            "LstmConfig",
            "lstm",
            4,
            [c.input, c.hidden, c.layers, c.output],
        )?;
        Ok(Self { s })
    }
}

impl AutodiffCell for Lstm {
    fn input_size(&self) -> usize {
        self.s.input
    }
    /// `2·L·H`: `[h, c]` per layer.
    fn hidden_size(&self) -> usize {
        2 * self.s.layers * self.s.hidden
    }
    fn output_size(&self) -> usize {
        self.s.output
    }
    fn layout(&self) -> &ParamLayout {
        &self.s.layout
    }
    /// MotorNet's initialisation: `weight_ih` Xavier-uniform, `weight_hh` orthogonal, biases 0,
    /// `fc.weight` Xavier-uniform, `fc.bias` −5.
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        self.s.init(rng)
    }
    fn forward<E: Float, T: Tape<E, Cpu>>(
        &self,
        p: &Params<E>,
        x: Tensor2<E, T>,
        h: Tensor2<E, T>,
    ) -> (Tensor2<E, T>, Tensor2<E, T>)
    where
        Cpu: Device<E>,
    {
        let mut input = x;
        let mut new = Vec::with_capacity(2 * self.s.layers);
        let mut state = chunk_cols(h, 2 * self.s.layers).into_iter();
        for l in 0..self.s.layers {
            let (h_l, c_l) = (state.next().expect("h"), state.next().expect("c"));
            let [w_ih, w_hh, b_ih, b_hh] = self.s.layer(l);
            let pre = linear2(
                input,
                p.matrix(w_ih),
                p.vector(b_ih),
                h_l,
                p.matrix(w_hh),
                p.vector(b_hh),
            );
            let [i, f, g, o] = gates4(pre);
            let c_new = add(mul(sigmoid(f), c_l), mul(sigmoid(i), tanh(g)));
            let h_new = mul(sigmoid(o), tanh(c_new.with_empty_tape()));
            input = h_new.with_empty_tape();
            new.push(h_new);
            new.push(c_new);
        }
        (self.s.readout(p, input), concat_cols(new))
    }
}

fn gates4<E: Float, T: Tape<E, Cpu>>(pre: Tensor2<E, T>) -> [Tensor2<E, T>; 4]
where
    Cpu: Device<E>,
{
    let mut g = chunk_cols(pre, 4).into_iter();
    let mut next = || g.next().expect("four gates");
    [next(), next(), next(), next()]
}

/// A stacked GRU in PyTorch's gate order (r, z, n), written in dfdx ops: the same network as
/// `motornet_policy::Gru`, with the **same parameter layout** (block names, order and shapes:
/// `gru.weight_ih_l{l}` `[3H, in_l]`, `gru.weight_hh_l{l}` `[3H, H]`, `gru.bias_ih_l{l}`
/// `[3H]`, `gru.bias_hh_l{l}` `[3H]`, then `fc.weight` `[output, H]`, `fc.bias` `[output]`) and
/// the same initialisation draws, so one flat parameter vector works for both. Per layer:
///
/// ```text
/// r  = σ(W_ir x + b_ir + W_hr h + b_hr)
/// z  = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h
/// ```
///
/// then `u = σ(W_fc h'_{L−1} + b_fc)`; the hidden state is `[L·H]`, layer 0 first. It exists
/// as the reference that the automatic path reproduces the hand-written `Gru` (which is faster:
/// use that one to train a GRU).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DfdxGru {
    s: Stacked,
}

impl DfdxGru {
    fn new(c: &DfdxGruConfig) -> Result<Self, PolicyError> {
        let s = Stacked::new(
            "DfdxGruConfig",
            "gru",
            3,
            [c.input, c.hidden, c.layers, c.output],
        )?;
        Ok(Self { s })
    }
}

impl AutodiffCell for DfdxGru {
    fn input_size(&self) -> usize {
        self.s.input
    }
    fn hidden_size(&self) -> usize {
        self.s.layers * self.s.hidden
    }
    fn output_size(&self) -> usize {
        self.s.output
    }
    fn layout(&self) -> &ParamLayout {
        &self.s.layout
    }
    /// MotorNet's initialisation, draw for draw as `motornet_policy::Gru::init_params`.
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
        self.s.init(rng)
    }
    fn forward<E: Float, T: Tape<E, Cpu>>(
        &self,
        p: &Params<E>,
        x: Tensor2<E, T>,
        h: Tensor2<E, T>,
    ) -> (Tensor2<E, T>, Tensor2<E, T>)
    where
        Cpu: Device<E>,
    {
        let mut input = x;
        let mut new = Vec::with_capacity(self.s.layers);
        for (l, h_l) in Stacked::split(h, self.s.layers).into_iter().enumerate() {
            let [w_ih, w_hh, b_ih, b_hh] = self.s.layer(l);
            let [i_r, i_z, i_n] = gates3(linear(input, p.matrix(w_ih), p.vector(b_ih)));
            let [h_r, h_z, h_n] = gates3(linear(
                h_l.with_empty_tape(),
                p.matrix(w_hh),
                p.vector(b_hh),
            ));
            let r = sigmoid(add(i_r, h_r));
            let z = sigmoid(add(i_z, h_z));
            let n = tanh(add(i_n, mul(r, h_n)));
            // (1 − z) ⊙ n + z ⊙ h, as n + z ⊙ (h − n)
            let h_new = add(n.with_empty_tape(), mul(z, sub(h_l, n)));
            input = h_new.with_empty_tape();
            new.push(h_new);
        }
        (self.s.readout(p, input), Stacked::join(new))
    }
}

fn gates3<E: Float, T: Tape<E, Cpu>>(pre: Tensor2<E, T>) -> [Tensor2<E, T>; 3]
where
    Cpu: Device<E>,
{
    let mut g = chunk_cols(pre, 3).into_iter();
    let mut next = || g.next().expect("three gates");
    [next(), next(), next()]
}
