//! Helpers for writing a cell's forward step in dfdx 0.13 ops on runtime-sized tensors.
//!
//! Every function here is generic over the dtype `E` (`f32`, `f64`) and the tape `T`
//! ([`NoneTape`] for the forward pass, [`OwnedTape`](dfdx::tensor::OwnedTape) when
//! [`DfdxPolicy`](crate::DfdxPolicy) records the step for its backward pass), and takes the
//! taped operand first, which is the order dfdx needs (`taped + plain` compiles, `plain + taped`
//! does not). Parameters are plain (untaped) tensors: an op with one taped operand records the
//! gradients of all its operands.
//!
//! The functions here are this crate's own ops (custom dfdx ops: plain loops over contiguous
//! buffers, with an additive backward pass), and faster than their dfdx equivalents:
//!
//! - [`linear`] is one op where dfdx needs a matmul, a broadcast and an add ([`linear2`]: two
//!   of them summed, an RNN layer's pre-activation);
//! - [`add`], [`sub`], [`mul`], [`sigmoid`], [`tanh`] run simple loops the compiler vectorises
//!   (`f32` activations use `motornet_policy::Real`'s vectorisable approximations, relative
//!   error below 1e-6; `f64` the standard library), where dfdx 0.13's CPU kernels compute a
//!   strided index per element and call the C maths library; a GRU step written with them runs
//!   about 3x faster than with dfdx's operators;
//! - [`split_cols`] and [`concat_cols`] replace dfdx's `slice`, whose backward pass in 0.13
//!   *assigns* the input's gradient, so that a tensor sliced twice, or sliced and used
//!   elsewhere, gets a wrong gradient.
//!
//! Mixing them with dfdx's own ops is fine. **Their tensor arguments must be stored row-major**,
//! which every op's result and every tensor made from a vector is; a transposed (`permute`) or
//! broadcast *view* is not (a broadcast view panics; a transposed one would be read in its
//! storage order).

use dfdx::prelude::{Axes2, Axis, BroadcastTo, PermuteTo, TryMatMul};
use dfdx::shapes::{Dtype, HasShape, Shape, Unit};
use dfdx::tensor::{
    Cpu, CpuError, Merge, NoneTape, PutTape, SplitTape, Storage, Tape, Tensor, TensorFromVec,
};
use dfdx::tensor_ops::Device;
use motornet_policy::Real;

/// The element types a cell computes in: `f32` and `f64` (dfdx's [`Dtype`] and motornet's
/// [`Real`] at once, so that both dfdx's ops and this module's work).
pub trait Float: Dtype + Real {}

impl<E: Dtype + Real> Float for E {}

/// A runtime-sized matrix on the CPU, row-major: `[rows, cols]` (a batch is `[B, n]`).
pub type Tensor2<E, T = NoneTape> = Tensor<(usize, usize), E, Cpu, T>;

/// A runtime-sized vector on the CPU, `[n]` (a bias).
pub type Tensor1<E, T = NoneTape> = Tensor<(usize,), E, Cpu, T>;

/// A CPU gradient buffer as a slice. (Written without a `Cpu: Device<E>` bound, under which
/// the compiler cannot see that the buffer is a vector.)
pub(crate) fn grad_slice<E: Unit>(v: &mut <Cpu as Storage<E>>::Vec) -> &mut [E] {
    v
}

/// The numbers of `t` in storage order (row-major for every tensor this module accepts).
fn read<S: Shape, E: Float, T>(t: &Tensor<S, E, Cpu, T>) -> Vec<E>
where
    Cpu: Device<E>,
{
    let mut v = vec![E::zero(); t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}

/// Adds `src` into the gradient buffer `dst`, failing (instead of misplacing numbers) when the
/// buffer is not of the logical size (a broadcast view).
fn add_into<E: Float>(dst: &mut [E], src: &[E]) -> Result<(), CpuError> {
    if dst.len() != src.len() {
        return Err(CpuError::WrongNumElements);
    }
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += s;
    }
    Ok(())
}

/// An elementwise op of one input whose derivative is a function of its output (sigmoid,
/// tanh): `forward` turns a copy of the input into the output in place; `backward(y, g_y, g_x)`
/// adds the input's gradient.
fn unary_op<S: Shape, E: Float, T: Tape<E, Cpu>>(
    x: Tensor<S, E, Cpu, T>,
    forward: fn(&mut [E]),
    backward: fn(&[E], &[E], &mut [E]),
) -> Tensor<S, E, Cpu, T>
where
    Cpu: Device<E>,
{
    let shape = *x.shape();
    let (x, mut tape) = x.split_tape();
    let mut yv = read(&x);
    forward(&mut yv);
    if !T::OWNS_TAPE {
        return x.device().tensor_from_vec(yv, shape).put_tape(tape);
    }
    let y = x.device().tensor_from_vec(yv.clone(), shape);
    let (x_ghost, y_ghost) = (x.ghost(), y.ghost());
    tape.add_backward_op(move |grads| {
        let g = grad_slice::<E>(grads.get_or_alloc_mut(&y_ghost)?).to_vec();
        let gx = grad_slice::<E>(grads.get_or_alloc_mut(&x_ghost)?);
        if gx.len() != g.len() {
            return Err(CpuError::WrongNumElements);
        }
        backward(&yv, &g, gx);
        Ok(())
    });
    y.put_tape(tape)
}

/// `(a, b, g_out, g_input)`: adds one input's gradient of a binary elementwise op.
type BinaryVjp<E> = fn(&[E], &[E], &[E], &mut [E]);

/// An elementwise op of two inputs of the same shape: `forward(a, b, out)`;
/// `backward_a(a, b, g, g_a)` and `backward_b(a, b, g, g_b)` add the inputs' gradients.
fn binary_op<S: Shape, E: Float, L: Tape<E, Cpu> + Merge<R>, R: Tape<E, Cpu>>(
    a: Tensor<S, E, Cpu, L>,
    b: Tensor<S, E, Cpu, R>,
    what: &str,
    forward: fn(&[E], &[E], &mut [E]),
    backward_a: BinaryVjp<E>,
    backward_b: BinaryVjp<E>,
) -> Tensor<S, E, Cpu, L>
where
    Cpu: Device<E>,
{
    let shape = *a.shape();
    assert!(
        shape.concrete() == b.shape().concrete(),
        "ops::{what}: shapes {:?} and {:?} differ",
        shape.concrete(),
        b.shape().concrete()
    );
    let (a, tape_a) = a.split_tape();
    let (b, tape_b) = b.split_tape();
    let mut tape = tape_a.merge(tape_b);
    let (av, bv) = (read(&a), read(&b));
    let mut out = vec![E::zero(); av.len()];
    forward(&av, &bv, &mut out);
    let y = a.device().tensor_from_vec(out, shape);
    if L::OWNS_TAPE {
        let (a_ghost, b_ghost, y_ghost) = (a.ghost(), b.ghost(), y.ghost());
        tape.add_backward_op(move |grads| {
            let g = grad_slice::<E>(grads.get_or_alloc_mut(&y_ghost)?).to_vec();
            for (ghost, backward) in [(&a_ghost, backward_a), (&b_ghost, backward_b)] {
                let gi = grad_slice::<E>(grads.get_or_alloc_mut(ghost)?);
                if gi.len() != g.len() {
                    return Err(CpuError::WrongNumElements);
                }
                backward(&av, &bv, &g, gi);
            }
            Ok(())
        });
    }
    y.put_tape(tape)
}

/// `g_x += g` (the derivative of a sum).
fn pass<E: Float>(_: &[E], _: &[E], g: &[E], gx: &mut [E]) {
    for (o, &g) in gx.iter_mut().zip(g) {
        *o += g;
    }
}

/// `a + b`, elementwise (same shapes). Put the taped operand first.
///
/// # Panics
/// If the shapes differ.
pub fn add<S: Shape, E: Float, L: Tape<E, Cpu> + Merge<R>, R: Tape<E, Cpu>>(
    a: Tensor<S, E, Cpu, L>,
    b: Tensor<S, E, Cpu, R>,
) -> Tensor<S, E, Cpu, L>
where
    Cpu: Device<E>,
{
    binary_op(
        a,
        b,
        "add",
        |a, b, o| {
            for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
                *o = a + b;
            }
        },
        pass,
        pass,
    )
}

/// `a − b`, elementwise (same shapes). Put the taped operand first.
///
/// # Panics
/// If the shapes differ.
pub fn sub<S: Shape, E: Float, L: Tape<E, Cpu> + Merge<R>, R: Tape<E, Cpu>>(
    a: Tensor<S, E, Cpu, L>,
    b: Tensor<S, E, Cpu, R>,
) -> Tensor<S, E, Cpu, L>
where
    Cpu: Device<E>,
{
    binary_op(
        a,
        b,
        "sub",
        |a, b, o| {
            for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
                *o = a - b;
            }
        },
        pass,
        |_, _, g, gb| {
            for (o, &g) in gb.iter_mut().zip(g) {
                *o -= g;
            }
        },
    )
}

/// `a ⊙ b`, elementwise (same shapes). Put the taped operand first.
///
/// # Panics
/// If the shapes differ.
pub fn mul<S: Shape, E: Float, L: Tape<E, Cpu> + Merge<R>, R: Tape<E, Cpu>>(
    a: Tensor<S, E, Cpu, L>,
    b: Tensor<S, E, Cpu, R>,
) -> Tensor<S, E, Cpu, L>
where
    Cpu: Device<E>,
{
    binary_op(
        a,
        b,
        "mul",
        |a, b, o| {
            for ((o, &a), &b) in o.iter_mut().zip(a).zip(b) {
                *o = a * b;
            }
        },
        |_, b, g, ga| {
            for i in 0..g.len() {
                ga[i] += g[i] * b[i];
            }
        },
        |a, _, g, gb| {
            for i in 0..g.len() {
                gb[i] += g[i] * a[i];
            }
        },
    )
}

/// The logistic sigmoid `1 / (1 + e^(−x))`, elementwise (`f32`: `Real::act_sigmoid`'s
/// vectorised approximation, relative error below 1e-6).
pub fn sigmoid<S: Shape, E: Float, T: Tape<E, Cpu>>(x: Tensor<S, E, Cpu, T>) -> Tensor<S, E, Cpu, T>
where
    Cpu: Device<E>,
{
    unary_op(x, E::sigmoid_slice, |y, g, gx| {
        for i in 0..g.len() {
            gx[i] += g[i] * y[i] * (E::one() - y[i]);
        }
    })
}

/// `tanh(x)`, elementwise (`f32`: `Real::act_tanh`'s vectorised approximation, relative error
/// below 1e-6).
pub fn tanh<S: Shape, E: Float, T: Tape<E, Cpu>>(x: Tensor<S, E, Cpu, T>) -> Tensor<S, E, Cpu, T>
where
    Cpu: Device<E>,
{
    unary_op(x, E::tanh_slice, |y, g, gx| {
        for i in 0..g.len() {
            gx[i] += g[i] * (E::one() - y[i] * y[i]);
        }
    })
}

/// `x · wᵀ`: `x [B, in]` (taped or not) times the transpose of a weight `w [out, in]` (PyTorch's
/// layout), `[B, out]`, with dfdx's matmul.
///
/// # Panics
/// If the inner sizes differ (dfdx's message).
pub fn matmul_t<E: Float, T: Tape<E, Cpu>>(x: Tensor2<E, T>, w: &Tensor2<E>) -> Tensor2<E, T>
where
    Cpu: Device<E>,
{
    x.matmul(w.clone().permute::<(usize, usize), Axes2<1, 0>>())
}

/// `y + b` with the bias `b [n]` added to every row of `y [B, n]`, with dfdx's broadcast and
/// add.
///
/// # Panics
/// If `b` does not have `n` elements.
pub fn add_bias<E: Float, T: Tape<E, Cpu>>(y: Tensor2<E, T>, b: &Tensor1<E>) -> Tensor2<E, T>
where
    Cpu: Device<E>,
{
    let shape = *y.shape();
    y + b.clone().broadcast_like::<_, Axis<0>>(&shape)
}

/// PyTorch's `Linear`, `x · wᵀ + b` for `x [B, in]`, `w [out, in]`, `b [out]`: `[B, out]`, as
/// one op (dfdx's matmul inside; the bias added in the same pass).
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
/// If the sizes do not fit (the message names them).
pub fn linear<E: Float, T: Tape<E, Cpu>>(
    x: Tensor2<E, T>,
    w: &Tensor2<E>,
    b: &Tensor1<E>,
) -> Tensor2<E, T>
where
    Cpu: Device<E>,
{
    let (rows, nin) = *x.shape();
    let (nout, w_in) = *w.shape();
    assert!(
        w_in == nin && b.shape().0 == nout,
        "ops::linear: x [{rows}, {nin}], w [{nout}, {w_in}] and b [{}] do not fit",
        b.shape().0
    );
    let (x, mut tape) = x.split_tape();
    let wt = w.clone().permute::<(usize, usize), Axes2<1, 0>>();
    let mut y = read(&x.clone().matmul(wt));
    let bias = read(b);
    for row in y.chunks_exact_mut(nout) {
        for (v, &c) in row.iter_mut().zip(&bias) {
            *v += c;
        }
    }
    let dev = x.device().clone();
    let y = dev.tensor_from_vec(y, (rows, nout));
    if T::OWNS_TAPE {
        let (x_ghost, w_ghost, b_ghost, y_ghost) = (x.ghost(), w.ghost(), b.ghost(), y.ghost());
        let w = w.clone();
        tape.add_backward_op(move |grads| {
            let g = grad_slice::<E>(grads.get_or_alloc_mut(&y_ghost)?).to_vec();
            let mut gb = vec![E::zero(); nout];
            for row in g.chunks_exact(nout) {
                for (s, &v) in gb.iter_mut().zip(row) {
                    *s += v;
                }
            }
            add_into(grad_slice::<E>(grads.get_or_alloc_mut(&b_ghost)?), &gb)?;
            let g = dev.tensor_from_vec(g, (rows, nout));
            // dL/dx [B, in] = g [B, out] · w [out, in]; dL/dw [out, in] = gᵀ [out, B] · x [B, in]
            let gx = read(&g.clone().matmul(w));
            add_into(grad_slice::<E>(grads.get_or_alloc_mut(&x_ghost)?), &gx)?;
            let gw = read(&g.permute::<(usize, usize), Axes2<1, 0>>().matmul(x));
            add_into(grad_slice::<E>(grads.get_or_alloc_mut(&w_ghost)?), &gw)
        });
    }
    y.put_tape(tape)
}

/// Two [`linear`] maps of two inputs, summed: `x · w_xᵀ + b_x + h · w_hᵀ + b_h` for
/// `x [B, in]`, `w_x [out, in]`, `h [B, hid]`, `w_h [out, hid]`, biases `[out]`: `[B, out]`, as
/// one op (the pre-activation of an RNN or LSTM layer). Put the taped input first.
///
/// # Panics
/// If the sizes do not fit (the message names them).
pub fn linear2<E: Float, L: Tape<E, Cpu> + Merge<R>, R: Tape<E, Cpu>>(
    x: Tensor2<E, L>,
    w_x: &Tensor2<E>,
    b_x: &Tensor1<E>,
    h: Tensor2<E, R>,
    w_h: &Tensor2<E>,
    b_h: &Tensor1<E>,
) -> Tensor2<E, L>
where
    Cpu: Device<E>,
{
    let (rows, nin) = *x.shape();
    let (rows_h, nhid) = *h.shape();
    let nout = w_x.shape().0;
    assert!(
        rows_h == rows
            && *w_x.shape() == (nout, nin)
            && *w_h.shape() == (nout, nhid)
            && b_x.shape().0 == nout
            && b_h.shape().0 == nout,
        "ops::linear2: x [{rows}, {nin}], w_x {:?}, b_x [{}], h [{rows_h}, {nhid}], w_h {:?}, \
         b_h [{}] do not fit",
        w_x.shape(),
        b_x.shape().0,
        w_h.shape(),
        b_h.shape().0
    );
    let (x, tape_x) = x.split_tape();
    let (h, tape_h) = h.split_tape();
    let mut tape = tape_x.merge(tape_h);
    let t = |w: &Tensor2<E>| w.clone().permute::<(usize, usize), Axes2<1, 0>>();
    let mut y = read(&x.clone().matmul(t(w_x)));
    let yh = read(&h.clone().matmul(t(w_h)));
    let (bx, bh) = (read(b_x), read(b_h));
    for (row, row_h) in y.chunks_exact_mut(nout).zip(yh.chunks_exact(nout)) {
        for o in 0..nout {
            row[o] += row_h[o] + bx[o] + bh[o];
        }
    }
    let dev = x.device().clone();
    let y = dev.tensor_from_vec(y, (rows, nout));
    if L::OWNS_TAPE {
        let ghosts = (x.ghost(), h.ghost(), y.ghost());
        let (wx_ghost, wh_ghost, bx_ghost, bh_ghost) =
            (w_x.ghost(), w_h.ghost(), b_x.ghost(), b_h.ghost());
        let (w_x, w_h) = (w_x.clone(), w_h.clone());
        tape.add_backward_op(move |grads| {
            let (x_ghost, h_ghost, y_ghost) = ghosts;
            let g = grad_slice::<E>(grads.get_or_alloc_mut(&y_ghost)?).to_vec();
            let mut gb = vec![E::zero(); nout];
            for row in g.chunks_exact(nout) {
                for (s, &v) in gb.iter_mut().zip(row) {
                    *s += v;
                }
            }
            add_into(grad_slice::<E>(grads.get_or_alloc_mut(&bx_ghost)?), &gb)?;
            add_into(grad_slice::<E>(grads.get_or_alloc_mut(&bh_ghost)?), &gb)?;
            let g = dev.tensor_from_vec(g, (rows, nout));
            let gt = || g.clone().permute::<(usize, usize), Axes2<1, 0>>();
            add_into(
                grad_slice::<E>(grads.get_or_alloc_mut(&x_ghost)?),
                &read(&g.clone().matmul(w_x)),
            )?;
            add_into(
                grad_slice::<E>(grads.get_or_alloc_mut(&h_ghost)?),
                &read(&g.clone().matmul(w_h)),
            )?;
            add_into(
                grad_slice::<E>(grads.get_or_alloc_mut(&wx_ghost)?),
                &read(&gt().matmul(x)),
            )?;
            add_into(
                grad_slice::<E>(grads.get_or_alloc_mut(&wh_ghost)?),
                &read(&gt().matmul(h)),
            )
        });
    }
    y.put_tape(tape)
}

/// Splits `x [B, Σ sizes]` into column blocks `[B, sizes[k]]`, left to right (the gates of a
/// GRU or LSTM, the layers of a stacked hidden state). One op with an additive backward pass:
/// `x` may be used elsewhere too, and any subset of the parts may be used.
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
pub fn split_cols<E: Float, T: Tape<E, Cpu>>(
    x: Tensor2<E, T>,
    sizes: &[usize],
) -> Vec<Tensor2<E, T>>
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
    let data = read(&x);
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
            let mut acc = vec![E::zero(); rows * cols];
            let mut start = 0;
            for (ghost, &n) in ghosts.iter().zip(&sizes) {
                let g = grad_slice::<E>(grads.get_or_alloc_mut(ghost)?);
                for r in 0..rows {
                    acc[r * cols + start..][..n].copy_from_slice(&g[r * n..][..n]);
                }
                start += n;
            }
            add_into(grad_slice::<E>(grads.get_or_alloc_mut(&x_ghost)?), &acc)
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
pub fn chunk_cols<E: Float, T: Tape<E, Cpu>>(x: Tensor2<E, T>, k: usize) -> Vec<Tensor2<E, T>>
where
    Cpu: Device<E>,
{
    let cols = x.shape().1;
    assert!(
        k > 0 && cols.is_multiple_of(k),
        "chunk_cols: {cols} columns do not split into {k} equal parts"
    );
    split_cols(x, &vec![cols / k; k])
}

/// Joins `[B, n_k]` blocks side by side into `[B, Σ n_k]` (the inverse of [`split_cols`]), one
/// op with an additive backward pass. The parts must be stored row-major (see the module docs).
///
/// # Panics
/// If `parts` is empty or the parts have different numbers of rows.
pub fn concat_cols<E: Float, T: Tape<E, Cpu>>(parts: Vec<Tensor2<E, T>>) -> Tensor2<E, T>
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
    let mut data = vec![E::zero(); rows * cols];
    let mut start = 0;
    for (p, &n) in plain.iter().zip(&sizes) {
        let v = read(p);
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
                    for (a, b) in g[r * n..][..n]
                        .iter_mut()
                        .zip(&g_out[r * cols + start..][..n])
                    {
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
