//! Policy networks for motornet-rs: a stacked GRU (MotorNet's `PolicyGRU`) and an MLP, written
//! in plain Rust with a hand-written backward pass, for training by backpropagation through
//! time (BPTT) over whole closed-loop episodes.
//!
//! # Design
//!
//! - **One flat parameter vector.** All parameters of a network live in one `Vec<T>` (`T` is
//!   `f32` or `f64`, see [`Real`]), so a caller can keep them as a single tensor and run an
//!   optimiser on it. [`ParamLayout`] names each block (PyTorch names: `gru.weight_ih_l0`,
//!   `fc.bias`, …) with its offset and shape. Gradients have the same layout.
//! - **The network holds no numbers.** [`Gru`] and [`Mlp`] hold sizes and offsets only; every
//!   step method takes the parameters as a slice.
//! - **Batched steps, no allocation in this crate.** [`Policy::forward_step`] advances a whole batch by one
//!   step and records what the backward pass needs in a cache ([`Policy::new_cache`]; keep one
//!   per time step). [`Policy::backward_step`] takes the gradients of the loss with respect to
//!   that step's outputs, *adds* the parameter gradients into a gradient vector and writes the
//!   gradients with respect to the step's input and previous hidden state, using a reusable
//!   scratch [`Policy::new_workspace`]. Neither step allocates (but see matrix products below).
//! - **Buffers are row-major and batch-major**: element `b`'s input is
//!   `x[b·input..(b+1)·input]`, its hidden state `h[b·hidden..(b+1)·hidden]` (for stacked GRU
//!   layers, the layers' states concatenated, layer 0 first).
//! - **Matrix products** go through nalgebra's `gemm` on strided views of the slices, which
//!   hands `f32`/`f64` products with every dimension above 5 to the `matrixmultiply` crate
//!   (packed kernels, AVX/AVX-512 chosen at run time); smaller products (a readout of 4
//!   muscles, say) run in this crate's own loops. The crate allocates nothing per step, but
//!   `matrixmultiply` allocates and frees a packing buffer inside each product it runs.
//! - **Activations** in `f32` use vectorisable approximations of `exp` and `tanh` (relative
//!   error below 1e-6, see [`Real`]); `f64` uses the standard library.
//!
//! # Speed
//!
//! `cargo run --release -p motornet-policy --example gru_speed` times 100 forward and 100
//! backward steps in `f32` on one thread.
//!
//! # Example: one BPTT pass
//!
//! ```
//! use motornet_policy::{GruConfig, Policy};
//! use rand::{rngs::StdRng, SeedableRng};
//!
//! let (gru, params) = GruConfig::new(3, 8, 2).init::<f64, _>(&mut StdRng::seed_from_u64(0))?;
//! let (batch, steps) = (4, 5);
//! let (nin, nh, nout) = (gru.input_size(), gru.hidden_size(), gru.output_size());
//! let x = vec![0.1; batch * nin];
//!
//! // Forward: one cache per step.
//! let mut caches: Vec<_> = (0..steps).map(|_| gru.new_cache::<f64>(batch)).collect();
//! let mut h = vec![0.0; batch * nh];
//! let (mut u, mut h_new) = (vec![0.0; batch * nout], vec![0.0; batch * nh]);
//! for cache in &mut caches {
//!     gru.forward_step(&params, &x, &h, &mut u, &mut h_new, cache);
//!     std::mem::swap(&mut h, &mut h_new);
//! }
//!
//! // Backward for L = Σ_t Σ u_t: dL/du_t = 1 at every step.
//! let mut ws = gru.new_workspace::<f64>(batch);
//! let mut g_params = vec![0.0; gru.n_params()];
//! let g_u = vec![1.0; batch * nout];
//! let mut g_h_new = vec![0.0; batch * nh]; // dL/dh_T = 0: the last state is not in the loss
//! let (mut g_x, mut g_h) = (vec![0.0; batch * nin], vec![0.0; batch * nh]);
//! for cache in caches.iter().rev() {
//!     gru.backward_step(&params, cache, &g_u, &g_h_new, &mut g_params, &mut g_x, &mut g_h, &mut ws);
//!     std::mem::swap(&mut g_h_new, &mut g_h); // dL/dh_{t−1} feeds step t − 1
//! }
//! assert!(g_params.iter().any(|&g| g != 0.0));
//! # Ok::<(), motornet_policy::PolicyError>(())
//! ```

#![warn(missing_docs)]

mod error;
mod gru;
pub mod init;
mod kernels;
mod layout;
mod linalg;
mod mlp;
mod real;
pub mod testing;

pub use error::PolicyError;
pub use gru::{Gru, GruCache, GruConfig, GruWorkspace};
pub use layout::{ParamBlock, ParamLayout};
pub use mlp::{Activation, Mlp, MlpCache, MlpConfig, MlpWorkspace};
/// The random-number crate of the public signatures ([`Policy::init_params`] takes an
/// `R: rand::Rng`): rand 0.8. Use this re-export (`motornet_policy::rand`, or `motornet::rand`)
/// to make the generator, so that it implements the trait version the signature names even
/// when your crate depends on another version of rand.
pub use rand;
/// The distributions crate matching [`rand`] (rand_distr 0.4).
pub use rand_distr;
pub use real::Real;

use rand::Rng;

/// The most parameters a built-in network may have (2³⁰, 4 GiB as `f32`): a larger size is
/// almost surely a typo, and refusing it at build time is better than an abort when the
/// parameters are allocated.
pub const MAX_PARAMS: usize = 1 << 30;

/// A policy network: sizes, a parameter layout, initialisation, and one batched step forward
/// and backward.
///
/// Sizes per batch element: `in = input_size()`, `hid = hidden_size()` (0 for a network
/// without hidden state), `out = output_size()`. With batch size `B` (fixed by the cache and
/// workspace), every buffer is row-major and batch-major: `x [B, in]`, `h [B, hid]`,
/// `u [B, out]`.
///
/// For BPTT over steps `t = 0..T`: run [`forward_step`](Policy::forward_step) with cache `t`,
/// feeding each step's `h_new` to the next as `h`; then, from `t = T − 1` down to 0, run
/// [`backward_step`](Policy::backward_step) with cache `t`, `g_u = ∂L/∂u_t` and
/// `g_h_new = ∂L/∂h_{t+1}` (the direct part of the loss plus `g_h` returned by step `t + 1`).
/// `g_params` accumulates over the steps; `g_x` is `∂L/∂x_t`, and the last `g_h` is `∂L/∂h_0`.
pub trait Policy {
    /// One step's record for the backward pass, for element type `T`.
    type Cache<T: Real>;
    /// Scratch space of the backward pass, for element type `T`.
    type Workspace<T: Real>;

    /// The named blocks of the flat parameter vector (and of gradients).
    fn layout(&self) -> &ParamLayout;

    /// Length of the flat parameter vector.
    fn n_params(&self) -> usize {
        self.layout().len()
    }

    /// Inputs per batch element, `in`.
    fn input_size(&self) -> usize;

    /// Hidden-state numbers per batch element, `hid` (all layers together; 0 for an MLP).
    fn hidden_size(&self) -> usize;

    /// Outputs per batch element, `out`.
    fn output_size(&self) -> usize;

    /// Initial parameters drawn from `rng`, `[n_params()]`. The same generator state gives the
    /// same parameters (seed with `rand::rngs::StdRng::seed_from_u64` for reproducible runs).
    fn init_params<T: Real, R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<T>;

    /// A cache for one step of a batch of `batch` elements (allocates; make them up front).
    ///
    /// # Panics
    /// If `batch == 0`.
    fn new_cache<T: Real>(&self, batch: usize) -> Self::Cache<T>;

    /// Scratch space for [`backward_step`](Policy::backward_step) with batch size `batch`
    /// (allocates; make one and reuse it).
    ///
    /// # Panics
    /// If `batch == 0`.
    fn new_workspace<T: Real>(&self, batch: usize) -> Self::Workspace<T>;

    /// An optional fast path: the steps recorded in `caches` are about to run with `params`,
    /// so the network may prepare once what every one of those steps would otherwise redo
    /// ([`Gru`] stores its weight matrices transposed, shared by the caches, so that its
    /// products need no repacking). Episode runners call it before an episode's first
    /// [`forward_step`](Policy::forward_step). The default does nothing.
    ///
    /// A step must stay correct without it and after `params` changed: [`Gru`] uses what it
    /// prepared only while the parameter buffer is the same one and a sample of its entries is
    /// unchanged, so call this again after changing `params` (an optimiser step changes them
    /// all).
    fn prepare_caches<'c, T: Real>(
        &self,
        params: &[T],
        caches: impl IntoIterator<Item = &'c mut Self::Cache<T>>,
    ) where
        Self::Cache<T>: 'c,
    {
        let _ = (params, caches);
    }

    /// One step for the batch the cache was made for, `B`: reads `params [n_params()]`,
    /// `x [B, in]` and `h [B, hid]`; writes the output `u [B, out]` and the new hidden state
    /// `h_new [B, hid]`; records the step in `cache`. Allocates nothing itself (the
    /// `matrixmultiply` crate allocates a packing buffer per large product, see the crate docs).
    ///
    /// # Panics
    /// If a buffer has the wrong length (the message names it), or the cache was made by a
    /// network of another size.
    fn forward_step<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        h: &[T],
        u: &mut [T],
        h_new: &mut [T],
        cache: &mut Self::Cache<T>,
    );

    /// The backward pass (vector–Jacobian product) of the step recorded in `cache`, made with
    /// the same `params`.
    ///
    /// Given `g_u = ∂L/∂u [B, out]` and `g_h_new = ∂L/∂h_new [B, hid]`, **adds** `∂L/∂params`
    /// into `g_params [n_params()]` and **overwrites** `g_x [B, in]` with `∂L/∂x` and
    /// `g_h [B, hid]` with `∂L/∂h`. `ws` is scratch space for the same batch size. Allocates
    /// nothing itself (as for [`forward_step`](Policy::forward_step)).
    ///
    /// # Panics
    /// If a buffer has the wrong length (the message names it), or the cache or workspace was
    /// made by a network of another size or for another batch size.
    fn backward_step<T: Real>(
        &self,
        params: &[T],
        cache: &Self::Cache<T>,
        g_u: &[T],
        g_h_new: &[T],
        g_params: &mut [T],
        g_x: &mut [T],
        g_h: &mut [T],
        ws: &mut Self::Workspace<T>,
    );
}
