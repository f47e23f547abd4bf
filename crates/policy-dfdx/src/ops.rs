//! Helpers for writing a cell's forward step in dfdx 0.13 ops on runtime-sized tensors.
//!
//! Every function here is generic over the dtype `E` (`f32`, `f64`) and the tape `T`
//! ([`NoneTape`] for the forward pass, [`OwnedTape`](dfdx::tensor::OwnedTape) when
//! [`DfdxPolicy`](crate::DfdxPolicy) records the step for its backward pass), and takes the
//! taped operand first, which is the order dfdx needs (`taped + plain` compiles, `plain + taped`
//! does not). Parameters are plain (untaped) tensors: an op with one taped operand records the
//! gradients of all its operands.
//!
//! [`split_cols`] and [`concat_cols`] are this crate's own ops (with an additive backward
//! pass): use them instead of dfdx's `slice`, whose backward pass in 0.13 *assigns* the input's
//! gradient, so that a tensor sliced twice, or sliced and used elsewhere, gets a wrong gradient.

use dfdx::prelude::{Axes2, Axis, BroadcastTo, PermuteTo, TryMatMul};
use dfdx::shapes::{Dtype, HasShape, Unit};
use dfdx::tensor::{
    Cpu, CpuError, NoneTape, PutTape, SplitTape, Storage, Tape, Tensor, TensorFromVec,
};
use dfdx::tensor_ops::Device;

/// A runtime-sized matrix on the CPU, row-major: `[rows, cols]` (a batch is `[B, n]`).
pub type Tensor2<E, T = NoneTape> = Tensor<(usize, usize), E, Cpu, T>;

/// A runtime-sized vector on the CPU, `[n]` (a bias).
pub type Tensor1<E, T = NoneTape> = Tensor<(usize,), E, Cpu, T>;

/// A CPU gradient buffer as a slice. (Written without a `Cpu: Device<E>` bound, under which
/// the compiler cannot see that the buffer is a vector.)
pub(crate) fn grad_slice<E: Unit>(v: &mut <Cpu as Storage<E>>::Vec) -> &mut [E] {
    v
}

/// `x · wᵀ`: `x [B, in]` (taped or not) times the transpose of a weight `w [out, in]` (PyTorch's
/// layout), `[B, out]`.
///
/// # Panics
/// If the inner sizes differ (dfdx's message).
pub fn matmul_t<E: Dtype, T: Tape<E, Cpu>>(x: Tensor2<E, T>, w: &Tensor2<E>) -> Tensor2<E, T>
where
    Cpu: Device<E>,
{
    x.matmul(w.clone().permute::<(usize, usize), Axes2<1, 0>>())
}

/// `y + b` with the bias `b [n]` added to every row of `y [B, n]`.
///
/// # Panics
/// If `b` does not have `n` elements.
pub fn add_bias<E: Dtype, T: Tape<E, Cpu>>(y: Tensor2<E, T>, b: &Tensor1<E>) -> Tensor2<E, T>
where
    Cpu: Device<E>,
{
    let shape = *y.shape();
    y + b.clone().broadcast_like::<_, Axis<0>>(&shape)
}

/// PyTorch's `Linear`: `x · wᵀ + b` for `x [B, in]`, `w [out, in]`, `b [out]`; `[B, out]`.
///
/// ```
/// use motornet_policy_dfdx::ops::{linear, Tensor1, Tensor2};
/// use dfdx::prelude::*;
///
/// let dev = Cpu::default();
/// let x: Tensor2<f64> = dev.tensor_from_vec(vec![1.0, 2.0], (1, 2));
/// let w: Tensor2<f64> = dev.tensor_from_vec(vec![1.0, 0.0, 3.0, -1.0], (2, 2));
/// let b: Tensor1<f64> = dev.tensor_from_vec(vec![0.5, 0.0], (2,));
/// assert_eq!(linear(x, &w, &b).as_vec(), vec![1.5, 1.0]);
/// ```
///
/// # Panics
/// If the sizes do not fit (dfdx's message).
pub fn linear<E: Dtype, T: Tape<E, Cpu>>(
    x: Tensor2<E, T>,
    w: &Tensor2<E>,
    b: &Tensor1<E>,
) -> Tensor2<E, T>
where
    Cpu: Device<E>,
{
    add_bias(matmul_t(x, w), b)
}

/// Splits `x [B, Σ sizes]` into column blocks `[B, sizes[k]]`, left to right (the gates of a
/// GRU or LSTM, the layers of a stacked hidden state). One op with an additive backward pass:
/// `x` may be used elsewhere too, and any subset of the parts may be used.
///
/// `x` must be stored row-major, which every op's result and every tensor made from a
/// vector is; a transposed (`permute`) or broadcast *view* is not (its gradient would be
/// misplaced; a broadcast view makes the backward pass fail with a dfdx error).
///
/// ```
/// use motornet_policy_dfdx::ops::{split_cols, Tensor2};
/// use dfdx::prelude::*;
///
/// let dev = Cpu::default();
/// let x: Tensor2<f32> = dev.tensor_from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], (2, 3));
/// let parts = split_cols(x, &[1, 2]);
/// assert_eq!(parts[0].as_vec(), vec![1.0, 4.0]);
/// assert_eq!(parts[1].as_vec(), vec![2.0, 3.0, 5.0, 6.0]);
/// ```
///
/// # Panics
/// If `sizes` do not add up to the columns of `x`.
pub fn split_cols<E: Dtype, T: Tape<E, Cpu>>(x: Tensor2<E, T>, sizes: &[usize]) -> Vec<Tensor2<E, T>>
where
    Cpu: Device<E>,
{
    let (rows, cols) = *x.shape();
    assert_eq!(
        sizes.iter().sum::<usize>(),
        cols,
        "split_cols: the sizes {sizes:?} do not add up to the {cols} columns"
    );
    let (x, mut tape) = x.split_tape();
    let data = x.as_vec();
    let dev = x.device().clone();
    let mut parts = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for &n in sizes {
        let mut v = Vec::with_capacity(rows * n);
        for r in 0..rows {
            v.extend_from_slice(&data[r * cols + start..][..n]);
        }
        parts.push(dev.tensor_from_vec(v, (rows, n)));
        start += n;
    }
    if T::OWNS_TAPE {
        let x_ghost = x.ghost();
        let ghosts: Vec<_> = parts.iter().map(|p| p.ghost()).collect();
        let sizes = sizes.to_vec();
        tape.add_backward_op(move |grads| {
            let mut acc = vec![E::default(); rows * cols];
            let mut start = 0;
            for (ghost, &n) in ghosts.iter().zip(&sizes) {
                let g = grad_slice::<E>(grads.get_or_alloc_mut(ghost)?);
                for r in 0..rows {
                    acc[r * cols + start..][..n].copy_from_slice(&g[r * n..][..n]);
                }
                start += n;
            }
            let gx = grad_slice::<E>(grads.get_or_alloc_mut(&x_ghost)?);
            if gx.len() != acc.len() {
                return Err(CpuError::WrongNumElements);
            }
            for (g, a) in gx.iter_mut().zip(&acc) {
                *g += *a;
            }
            Ok(())
        });
    }
    let mut out = Vec::with_capacity(parts.len());
    let mut tape = Some(tape);
    for p in parts {
        // The op's backward pass lives on the first part's tape; the other parts start empty
        // tapes that merge with it wherever the parts meet again.
        out.push(p.put_tape(tape.take().unwrap_or_default()));
    }
    out
}

/// Splits `x [B, k·n]` into `k` equal column blocks `[B, n]`; see [`split_cols`].
///
/// # Panics
/// If `k` is 0 or does not divide the columns of `x`.
pub fn chunk_cols<E: Dtype, T: Tape<E, Cpu>>(x: Tensor2<E, T>, k: usize) -> Vec<Tensor2<E, T>>
where
    Cpu: Device<E>,
{
    let cols = x.shape().1;
    assert!(
        k > 0 && cols % k == 0,
        "chunk_cols: {cols} columns do not split into {k} equal parts"
    );
    split_cols(x, &vec![cols / k; k])
}

/// Joins `[B, n_k]` blocks side by side into `[B, Σ n_k]` (the inverse of [`split_cols`]), one
/// op with an additive backward pass. The parts must be stored row-major (see [`split_cols`]).
///
/// # Panics
/// If `parts` is empty or the parts have different numbers of rows.
pub fn concat_cols<E: Dtype, T: Tape<E, Cpu>>(parts: Vec<Tensor2<E, T>>) -> Tensor2<E, T>
where
    Cpu: Device<E>,
{
    assert!(!parts.is_empty(), "concat_cols: no parts");
    let rows = parts[0].shape().0;
    let sizes: Vec<usize> = parts.iter().map(|p| p.shape().1).collect();
    let cols: usize = sizes.iter().sum();
    let mut tape = T::default();
    let mut plain = Vec::with_capacity(parts.len());
    for p in parts {
        assert_eq!(
            p.shape().0,
            rows,
            "concat_cols: parts with {} and {rows} rows",
            p.shape().0
        );
        let (p, t) = p.split_tape();
        tape = tape.merge(t);
        plain.push(p);
    }
    let mut data = vec![E::default(); rows * cols];
    let mut start = 0;
    for (p, &n) in plain.iter().zip(&sizes) {
        let v = p.as_vec();
        for r in 0..rows {
            data[r * cols + start..][..n].copy_from_slice(&v[r * n..][..n]);
        }
        start += n;
    }
    let dev = plain[0].device().clone();
    let out = dev.tensor_from_vec(data, (rows, cols));
    if T::OWNS_TAPE {
        let out_ghost = out.ghost();
        let ghosts: Vec<_> = plain.iter().map(|p| p.ghost()).collect();
        tape.add_backward_op(move |grads| {
            let g_out = grad_slice::<E>(grads.get_or_alloc_mut(&out_ghost)?).to_vec();
            let mut start = 0;
            for (ghost, &n) in ghosts.iter().zip(&sizes) {
                let g = grad_slice::<E>(grads.get_or_alloc_mut(ghost)?);
                if g.len() != rows * n {
                    return Err(CpuError::WrongNumElements);
                }
                for r in 0..rows {
                    for (a, b) in g[r * n..][..n].iter_mut().zip(&g_out[r * cols + start..][..n]) {
                        *a += *b;
                    }
                }
                start += n;
            }
            Ok(())
        });
    }
    out.put_tape(tape)
}
