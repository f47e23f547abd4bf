//! Parameter initialisers, as PyTorch's `torch.nn.init` defines them (the ones MotorNet uses).
//!
//! Every function fills a row-major `[rows, cols]` block in place. Draws are made in `f64` and
//! rounded to `T`, in a fixed order (row-major, one draw per element), so a seeded generator
//! gives the same parameters on every run and platform. The random streams are not PyTorch's:
//! the distributions are.

use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal, Uniform};

use crate::Real;

/// Xavier (Glorot) uniform initialisation of a `[rows, cols]` weight, as
/// `torch.nn.init.xavier_uniform_` with gain 1: every element drawn from `U(−a, a)` with
/// `a = sqrt(6 / (fan_in + fan_out))`, where `fan_in = cols` and `fan_out = rows` (PyTorch's
/// fans of a 2-D tensor). Returns `a`.
///
/// Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward neural
/// networks".
///
/// # Panics
/// If `out.len() != rows * cols` or `rows + cols == 0`.
pub fn xavier_uniform<T: Real, R: Rng + ?Sized>(
    rng: &mut R,
    rows: usize,
    cols: usize,
    out: &mut [T],
) -> f64 {
    assert_eq!(
        out.len(),
        rows * cols,
        "xavier_uniform: out has the wrong length"
    );
    assert!(rows + cols > 0, "xavier_uniform: empty fans");
    let a = (6.0 / (rows + cols) as f64).sqrt();
    let dist = Uniform::new_inclusive(-a, a);
    for v in out.iter_mut() {
        *v = T::c(dist.sample(rng));
    }
    a
}

/// Orthogonal initialisation of a `[rows, cols]` weight, as `torch.nn.init.orthogonal_` with
/// gain 1: the QR decomposition `A = QR` of a matrix `A` of standard normal draws (transposed
/// first when `rows < cols`), with each column of `Q` multiplied by the sign of the matching
/// diagonal element of `R`, which makes the result uniformly (Haar) distributed.
///
/// For `rows ≥ cols` (a GRU's `[3H, H]` `weight_hh`) the columns are orthonormal (`WᵀW = I`);
/// for `rows < cols` the rows are (`WWᵀ = I`).
///
/// Saxe, McClelland & Ganguli (2014), "Exact solutions to the nonlinear dynamics of learning in
/// deep linear neural networks".
///
/// # Panics
/// If `out.len() != rows * cols`.
pub fn orthogonal<T: Real, R: Rng + ?Sized>(rng: &mut R, rows: usize, cols: usize, out: &mut [T]) {
    assert_eq!(
        out.len(),
        rows * cols,
        "orthogonal: out has the wrong length"
    );
    if out.is_empty() {
        return;
    }
    let draws: Vec<f64> = (0..rows * cols)
        .map(|_| StandardNormal.sample(&mut *rng))
        .collect();
    // The draws as the row-major [rows, cols] matrix, transposed when it is wide, so that `a` is
    // tall (or square) and its reduced QR has `Q` of `a`'s shape.
    let transposed = rows < cols;
    let a = if transposed {
        DMatrix::from_row_slice(rows, cols, &draws).transpose()
    } else {
        DMatrix::from_row_slice(rows, cols, &draws)
    };
    let qr = a.qr();
    let mut q = qr.q();
    let r = qr.r();
    for k in 0..q.ncols() {
        // sign(0) = 1 here (torch's sign gives 0; a zero diagonal has probability zero).
        if r[(k, k)] < 0.0 {
            q.column_mut(k).neg_mut();
        }
    }
    let w = if transposed { q.transpose() } else { q };
    for i in 0..rows {
        for j in 0..cols {
            out[i * cols + j] = T::c(w[(i, j)]);
        }
    }
}

/// Sets every element of `out` to `value` (`torch.nn.init.constant_`; zeros for biases).
pub fn constant<T: Real>(out: &mut [T], value: f64) {
    out.fill(T::c(value));
}
