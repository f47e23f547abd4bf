//! The trait a user's network implements: sizes, a parameter layout, initialisation and one
//! forward step in dfdx ops.

use dfdx::tensor::{Cpu, Tape, TensorFromVec};
use dfdx::tensor_ops::Device;
use motornet_policy::{ParamLayout, Real};
use rand::Rng;

use crate::ops::{Float, Tensor1, Tensor2};

/// A recurrent or feed-forward network step written once in dfdx tensor ops; wrap it in
/// [`DfdxPolicy`](crate::DfdxPolicy) to get a [`motornet_policy::Policy`] whose backward step
/// comes from dfdx's automatic differentiation.
///
/// Sizes per batch element: `in = input_size()`, `hid = hidden_size()` (0 for a network without
/// hidden state), `out = output_size()`. The parameters are one flat vector described by
/// [`layout`](AutodiffCell::layout); [`forward`](AutodiffCell::forward) receives each block as
/// its own tensor ([`Params`]), in layout order.
///
/// # Example: an Elman RNN with a sigmoid readout, in a dozen lines
///
/// ```
/// use dfdx::prelude::*;
/// use motornet_policy::{init, ParamLayout, Policy, Real};
/// use motornet_policy_dfdx::ops::{linear, Float, Tensor2};
/// use motornet_policy_dfdx::{AutodiffCell, DfdxPolicy, Params};
/// use rand::Rng;
///
/// #[derive(Clone)]
/// struct Elman { sizes: [usize; 3], layout: ParamLayout }
///
/// impl Elman {
///     fn new(input: usize, hidden: usize, output: usize) -> Self {
///         let mut layout = ParamLayout::new();
///         layout.push("w_ih", &[hidden, input]);   // block 0
///         layout.push("w_hh", &[hidden, hidden]);  // block 1
///         layout.push("b_h", &[hidden]);           // block 2
///         layout.push("w_out", &[output, hidden]); // block 3
///         layout.push("b_out", &[output]);         // block 4
///         Self { sizes: [input, hidden, output], layout }
///     }
/// }
///
/// impl AutodiffCell for Elman {
///     fn input_size(&self) -> usize { self.sizes[0] }
///     fn hidden_size(&self) -> usize { self.sizes[1] }
///     fn output_size(&self) -> usize { self.sizes[2] }
///     fn layout(&self) -> &ParamLayout { &self.layout }
///     fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T> {
///         let mut p = vec![T::zero(); self.layout.len()];
///         for (i, block) in self.layout.blocks().iter().enumerate() {
///             if let [rows, cols] = block.shape[..] {
///                 init::xavier_uniform(rng, rows, cols, &mut p[block.range()]);
///             }
///         }
///         p
///     }
///     fn forward<E: Float, T: Tape<E, Cpu>>(
///         &self,
///         p: &Params<E>,
///         x: Tensor2<E, T>,
///         h: Tensor2<E, T>,
///     ) -> (Tensor2<E, T>, Tensor2<E, T>)
///     where
///         Cpu: Device<E>,
///     {
///         // h' = tanh(W_ih x + W_hh h + b_h); u = σ(W_out h' + b_out)
///         let pre = linear(x, p.matrix(0), p.vector(2)) + h.matmul(p.matrix(1).clone().permute());
///         let h_new = pre.tanh();
///         let u = linear(h_new.with_empty_tape(), p.matrix(3), p.vector(4)).sigmoid();
///         (u, h_new)
///     }
/// }
///
/// let net = DfdxPolicy::new(Elman::new(3, 5, 2));
/// let params: Vec<f64> = net.init_params(&mut rand::thread_rng());
/// let (x, h) = (vec![0.1; 4 * 3], vec![0.0; 4 * 5]);
/// let (mut u, mut h_new) = (vec![0.0; 4 * 2], vec![0.0; 4 * 5]);
/// net.forward_step(&params, &x, &h, &mut u, &mut h_new, &mut net.new_cache(4));
/// assert!(u.iter().all(|&v| v > 0.0 && v < 1.0));
/// ```
///
/// # Writing `forward`
///
/// - Use ops on runtime-sized tensors ([`Tensor2`], `(usize, usize)` shapes): dfdx 0.13's `nn`
///   modules have compile-time sizes. [`crate::ops`] has `linear`, `split_cols`,
///   `concat_cols`, and `add`, `sub`, `mul`, `sigmoid`, `tanh`, which run several times faster
///   than dfdx's `+ − ×`, `.sigmoid()`, `.tanh()` (those work too, as do `matmul`, `relu`, …).
/// - Put the taped tensor first in binary ops (`taped + plain`).
/// - A tensor that carries the tape is moved by an op; to use it again, take
///   `t.with_empty_tape()` (a copy with its own empty tape that merges back later) for all but
///   one use. A dropped tape loses its operations, so every op must end up on the tape of `u`
///   or `h_new`.
/// - Do not use dfdx's `slice` (its backward pass in 0.13 overwrites gradients); use
///   [`split_cols`](crate::ops::split_cols).
/// - Return tensors that are results of ops (or `x`, `h` themselves), not transposed or
///   broadcast views.
pub trait AutodiffCell: Clone + Send + Sync + 'static {
    /// Inputs per batch element, `in`.
    fn input_size(&self) -> usize;

    /// Hidden-state numbers per batch element, `hid` (0 for a network without hidden state).
    fn hidden_size(&self) -> usize;

    /// Outputs per batch element, `out`.
    fn output_size(&self) -> usize;

    /// The named blocks of the flat parameter vector, in the order [`Params`] hands them to
    /// [`forward`](AutodiffCell::forward). Blocks of shape `[rows, cols]` become matrices,
    /// every other shape a vector of all its elements.
    fn layout(&self) -> &ParamLayout;

    /// Initial parameters drawn from `rng`, `[layout().len()]`; the same generator state gives
    /// the same parameters. [`motornet_policy::init`] has PyTorch's initialisers.
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T>;

    /// One step for a batch of `B` elements: from the input `x [B, in]` and hidden state
    /// `h [B, hid]`, the output `u [B, out]` and new hidden state `h_new [B, hid]`.
    ///
    /// Generic over the dtype `E` ([`Float`]: `f32`, `f64`) and the tape `T`: the forward pass runs with
    /// [`NoneTape`](dfdx::tensor::NoneTape), the backward pass re-runs the step with an
    /// [`OwnedTape`](dfdx::tensor::OwnedTape) on `x` and `h`. When `hid = 0`, `h` is a `[B, 0]`
    /// tensor and `h_new` may be `h` itself.
    fn forward<E: Float, T: Tape<E, Cpu>>(
        &self,
        params: &Params<E>,
        x: Tensor2<E, T>,
        h: Tensor2<E, T>,
    ) -> (Tensor2<E, T>, Tensor2<E, T>)
    where
        Cpu: Device<E>;
}

/// One parameter block as a dfdx tensor.
#[derive(Clone, Debug)]
enum Block<E: Float> {
    Matrix(Tensor2<E>),
    Vector(Tensor1<E>),
}

/// The parameter blocks of an [`AutodiffCell`], each its own (untaped) dfdx tensor, in the
/// order of the cell's [`ParamLayout`]: `[rows, cols]` blocks as [`Tensor2`], all others as
/// [`Tensor1`] of all their elements.
///
/// Each block is a separate tensor (not a slice of one flat tensor), so that the gradients of
/// a block used several times add up.
#[derive(Clone, Debug)]
pub struct Params<E: Float> {
    blocks: Vec<Block<E>>,
    names: Vec<String>,
}

impl<E: Float> Params<E>
where
    Cpu: Device<E>,
{
    /// The blocks of `layout` filled from `values [layout.len()]`, as tensors on `dev`.
    ///
    /// # Panics
    /// If `values.len() != layout.len()`.
    pub fn from_slice(dev: &Cpu, layout: &ParamLayout, values: &[E]) -> Self {
        Self::from_fn(dev, layout, values.len(), |range| values[range].to_vec())
    }

    /// As [`Params::from_slice`], with each block's numbers made by `block(range)` from the
    /// range of the flat vector it covers.
    pub(crate) fn from_fn(
        dev: &Cpu,
        layout: &ParamLayout,
        len: usize,
        mut block: impl FnMut(std::ops::Range<usize>) -> Vec<E>,
    ) -> Self {
        assert_eq!(
            len,
            layout.len(),
            "Params: {len} numbers for a layout of {}",
            layout.len()
        );
        let blocks = layout
            .blocks()
            .iter()
            .map(|b| match b.shape[..] {
                [rows, cols] => Block::Matrix(dev.tensor_from_vec(block(b.range()), (rows, cols))),
                _ => Block::Vector(dev.tensor_from_vec(block(b.range()), (b.len(),))),
            })
            .collect();
        let names = layout.blocks().iter().map(|b| b.name.clone()).collect();
        Self { blocks, names }
    }
}

impl<E: Float> Params<E> {
    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether there are no blocks.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Block `i` (layout order), a `[rows, cols]` matrix. Clone it to pass it to a dfdx op
    /// (cheap: the data are shared).
    ///
    /// # Panics
    /// If there is no block `i` or it is not a matrix (a bug in the cell; the message names
    /// the block).
    pub fn matrix(&self, i: usize) -> &Tensor2<E> {
        match self.blocks.get(i) {
            Some(Block::Matrix(t)) => t,
            _ => panic!("{}", self.misuse(i, "a [rows, cols] matrix")),
        }
    }

    /// Block `i` (layout order) as a vector of all its elements.
    ///
    /// # Panics
    /// If there is no block `i` or it is a matrix.
    pub fn vector(&self, i: usize) -> &Tensor1<E> {
        match self.blocks.get(i) {
            Some(Block::Vector(t)) => t,
            _ => panic!("{}", self.misuse(i, "a vector")),
        }
    }

    /// The index of the block called `name`, if there is one (look it up once, outside the
    /// step).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn misuse(&self, i: usize, want: &str) -> String {
        match self.names.get(i) {
            Some(name) => format!("parameter block {i} ({name:?}) is not {want}"),
            None => format!(
                "no parameter block {i}: the layout has {} blocks",
                self.names.len()
            ),
        }
    }

    /// The tensors, in layout order, for reading their gradients.
    pub(crate) fn for_each_block(&self, mut f: impl FnMut(usize, BlockRef<'_, E>)) {
        for (i, b) in self.blocks.iter().enumerate() {
            match b {
                Block::Matrix(t) => f(i, BlockRef::Matrix(t)),
                Block::Vector(t) => f(i, BlockRef::Vector(t)),
            }
        }
    }
}

/// A borrowed block, for the gradient readout.
pub(crate) enum BlockRef<'a, E: Float> {
    Matrix(&'a Tensor2<E>),
    Vector(&'a Tensor1<E>),
}
