//! Policy networks with automatic gradients: write one forward step of a cell in dfdx 0.13
//! tensor ops ([`AutodiffCell`]) and get a [`motornet_policy::Policy`] — forward and backward
//! step — from [`DfdxPolicy`], ready for motornet's BPTT training.
//!
//! Built in, through the same path: [`TanhRnn`] (vanilla RNN), [`Lstm`] and [`DfdxGru`] (the
//! same network and parameter layout as the hand-written `motornet_policy::Gru`), all with
//! stacked layers and MotorNet's sigmoid readout and initialisation, made from
//! [`TanhRnnConfig`], [`LstmConfig`] and [`DfdxGruConfig`].
//!
//! # How the backward step works
//!
//! [`Policy::forward_step`](motornet_policy::Policy::forward_step) runs the cell without a tape
//! and caches the step's `x` and `h`. [`Policy::backward_step`](motornet_policy::Policy::backward_step)
//! re-runs the step on a dfdx tape from the cache and seeds the reverse pass with `g_u` and
//! `g_h_new` (the gradient of `⟨u, g_u⟩ + ⟨h_new, g_h_new⟩`), then adds the parameter gradients
//! into `g_params` and writes `g_x`, `g_h`. Each parameter block is its own tensor
//! ([`Params`]), so gradients of a block used several times add up.
//!
//! # Checking a new cell
//!
//! Run `motornet_policy::testing::conformance` on `DfdxPolicy::new(your_cell)`: it checks the
//! layout, batch independence, `f32` against `f64`, reproducible initialisation and the
//! gradients against finite differences.
//!
//! # Speed
//!
//! Each op records a closure and allocates its output, so a cell of ~15 ops costs a few times
//! a hand-written step; [`ops`] has custom ops that avoid dfdx 0.13's slow elementwise kernels
//! (a GRU step in them is ~3x faster than in dfdx's operators). `cargo run --release -p
//! motornet-policy-dfdx --example speed` times a training-sized BPTT (f32, 100 steps, batch 32,
//! 16 inputs, 32 hidden units, 4 outputs, forward then backward) against the hand-written GRU.
//! Measured on the 2-core project machine, best of 15 (ms per pass, forward + backward):
//! hand-written `Gru` 1.97–2.04, [`TanhRnn`] 2.14–2.16 (1.1x), [`DfdxGru`] 5.34–5.38 (2.7x),
//! [`Lstm`] 6.42–6.53 (3.2x). A training batch adds the effector's forward and backward
//! passes, which are the same for every network, so per batch the ratio is smaller.

#![warn(missing_docs)]

mod cell;
mod cells;
pub mod ops;
mod policy;

pub use cell::{AutodiffCell, Params};
pub use cells::{DfdxGru, DfdxGruConfig, Lstm, LstmConfig, TanhRnn, TanhRnnConfig};
/// The dfdx 0.13 this crate's public signatures use: write cells with it (`motornet_policy_dfdx::dfdx`)
/// rather than a `cargo add dfdx` of your own, which may pick another version.
pub use dfdx;
pub use policy::{DfdxCache, DfdxPolicy, DfdxWorkspace};

/// What a cell's `forward` needs in scope: the dfdx prelude (tensors, tapes, ops, `Device`),
/// [`AutodiffCell`], [`DfdxPolicy`], [`Params`] and all of [`ops`]. This crate's `add`, `sub`,
/// `mul`, `sigmoid`, `tanh` and [`Float`](ops::Float) shadow dfdx's items of the same names.
pub mod prelude {
    pub use crate::ops::{
        add, add_bias, chunk_cols, concat_cols, linear, linear2, matmul_t, mul, sigmoid,
        split_cols, sub, tanh, Float, Tensor1, Tensor2,
    };
    pub use crate::{AutodiffCell, DfdxPolicy, Params};
    pub use dfdx::prelude::*;
}
