//! The elementwise passes of the GRU step, one small function each.
//!
//! Each pass is a plain indexed loop over slices of one length (checked once up front), taking
//! its outputs as separate `&mut` arguments: the compiler then knows the slices do not alias
//! and that no index is out of bounds, and vectorises the loop. (The same loops written inline
//! over zipped iterators of buffers split from one another stayed scalar.)

use crate::Real;

/// Panics unless every length equals the first.
#[inline(always)]
fn same_len(lens: &[usize]) -> usize {
    let n = lens[0];
    assert!(
        lens.iter().all(|&l| l == n),
        "kernel slices differ in length: {lens:?}"
    );
    n
}

/// `v += a + b`.
#[inline]
pub(crate) fn add2<T: Real>(v: &mut [T], a: &[T], b: &[T]) {
    let n = same_len(&[v.len(), a.len(), b.len()]);
    for j in 0..n {
        v[j] += a[j] + b[j];
    }
}

/// `acc += v`.
#[inline]
pub(crate) fn add_assign<T: Real>(acc: &mut [T], v: &[T]) {
    let n = same_len(&[acc.len(), v.len()]);
    for j in 0..n {
        acc[j] += v[j];
    }
}

/// The candidate's pre-activation: `hn += b_hn` (now `W_hn h + b_hn`), then
/// `n += b_in + r ⊙ hn` (with `n` holding `W_in x` on entry).
#[inline]
pub(crate) fn gru_candidate<T: Real>(hn: &mut [T], n: &mut [T], r: &[T], b_in: &[T], b_hn: &[T]) {
    let len = same_len(&[hn.len(), n.len(), r.len(), b_in.len(), b_hn.len()]);
    for j in 0..len {
        let h = hn[j] + b_hn[j];
        hn[j] = h;
        n[j] += b_in[j] + r[j] * h;
    }
}

/// `out = (1 − z) ⊙ n + z ⊙ h`.
#[inline]
pub(crate) fn gru_output<T: Real>(out: &mut [T], n: &[T], z: &[T], h: &[T]) {
    let len = same_len(&[out.len(), n.len(), z.len(), h.len()]);
    for j in 0..len {
        out[j] = (T::one() - z[j]) * n[j] + z[j] * h[j];
    }
}

/// Backward of `h' = (1 − z) ⊙ n + z ⊙ h` and of the z and n nonlinearities, given
/// `gh = ∂L/∂h'`: `g_h = gh ⊙ z` (the direct part of `∂L/∂h`), `g_az = ∂L/∂(z pre-activation)
/// = gh ⊙ (h − n) ⊙ z(1 − z)`, `g_an = ∂L/∂(n pre-activation) = gh ⊙ (1 − z) ⊙ (1 − n²)`.
#[inline]
pub(crate) fn gru_back_output<T: Real>(
    g_h: &mut [T],
    g_az: &mut [T],
    g_an: &mut [T],
    gh: &[T],
    h: &[T],
    z: &[T],
    n: &[T],
) {
    let len = same_len(&[
        g_h.len(),
        g_az.len(),
        g_an.len(),
        gh.len(),
        h.len(),
        z.len(),
        n.len(),
    ]);
    let one = T::one();
    for j in 0..len {
        let (g, z, n) = (gh[j], z[j], n[j]);
        g_h[j] = g * z;
        g_az[j] = g * (h[j] - n) * z * (one - z);
        g_an[j] = g * (one - z) * (one - n * n);
    }
}

/// Backward of `n = tanh(… + r ⊙ hn)` and of the r nonlinearity, given
/// `an = ∂L/∂(n pre-activation)`: `g_ar = an ⊙ hn ⊙ r(1 − r)`, `g_hn = an ⊙ r`.
#[inline]
pub(crate) fn gru_back_reset<T: Real>(g_ar: &mut [T], g_hn: &mut [T], an: &[T], r: &[T], hn: &[T]) {
    let len = same_len(&[g_ar.len(), g_hn.len(), an.len(), r.len(), hn.len()]);
    let one = T::one();
    for j in 0..len {
        let (a, r) = (an[j], r[j]);
        g_ar[j] = a * hn[j] * r * (one - r);
        g_hn[j] = a * r;
    }
}

/// `v = max(v, 0)` (NaN stays NaN).
#[inline]
pub(crate) fn relu_slice<T: Real>(v: &mut [T]) {
    for x in v {
        if *x < T::zero() {
            *x = T::zero();
        }
    }
}

/// Backward of ReLU from its output `a`: `g = 0` where `a ≤ 0` (derivative 0 at 0, as in
/// PyTorch).
#[inline]
pub(crate) fn relu_backward<T: Real>(g: &mut [T], a: &[T]) {
    let n = same_len(&[g.len(), a.len()]);
    for j in 0..n {
        if a[j] <= T::zero() {
            g[j] = T::zero();
        }
    }
}

/// Backward of tanh from its output `a`: `g ⊙= 1 − a²`.
#[inline]
pub(crate) fn tanh_backward<T: Real>(g: &mut [T], a: &[T]) {
    let n = same_len(&[g.len(), a.len()]);
    for j in 0..n {
        g[j] *= T::one() - a[j] * a[j];
    }
}
