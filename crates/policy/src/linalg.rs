//! Row-major matrix products over slices.
//!
//! The buffers of this crate are row-major and batch-major. A matrix here is a slice with a
//! shape and two strides ([`Mat`], [`MatMut`]): a row-major `[rows, cols]` matrix with row
//! stride `ld` has strides `(ld, 1)`, and its transpose is the same numbers with the strides
//! swapped, so no product needs a transposed copy.
//!
//! [`gemm`] runs products whose three dimensions all exceed [`SMALL_DIM`] and whose operands
//! and output are all row-major in [`tiled_gemm`] (on CPUs with fused multiply–add), which
//! needs no packing; the GRU stores transposed weights ([`crate::Policy::prepare_caches`]) so
//! that its forward products take that path. Other large products go to nalgebra's `gemm`
//! on strided views, which passes them, strides and all, to the `matrixmultiply` crate's packed,
//! vectorised kernels (nalgebra 0.34 does this for `f32`/`f64` when every dimension is above 5).
//! Smaller products run in the loops below instead of nalgebra's own small-matrix fallback:
//! that fallback (`gemv` → `axcpy`) iterates over the *memory extent* of a strided vector rather
//! than its length, indexing out of bounds for any view whose rows are not contiguous (seen
//! with nalgebra 0.34.2 as a failed `get_unchecked_mut` precondition in debug builds).

use nalgebra::{Dyn, MatrixView, MatrixViewMut};

use crate::Real;

/// Products with a dimension at or below this run in [`small_gemm`]; nalgebra only hands
/// products with every dimension above 5 to `matrixmultiply`.
pub(crate) const SMALL_DIM: usize = 5;

/// A read-only matrix: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mat<'a, T> {
    data: &'a [T],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

/// A mutable matrix: element `(i, j)` is `data[i * rs + j * cs]`.
#[derive(Debug)]
pub(crate) struct MatMut<'a, T> {
    data: &'a mut [T],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

/// Index one past the last element of a `rows × cols` matrix with strides `(rs, cs)`.
#[inline]
fn extent(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * rs + (cols - 1) * cs + 1
    }
}

/// The row-major `[rows, cols]` matrix at the start of `data`, row stride `ld`: element
/// `(i, j)` is `data[i * ld + j]`.
///
/// # Panics
/// If `data` is too short.
#[inline]
pub(crate) fn rm<T>(data: &[T], rows: usize, cols: usize, ld: usize) -> Mat<'_, T> {
    let data = &data[..extent(rows, cols, ld, 1)];
    Mat {
        data,
        rows,
        cols,
        rs: ld,
        cs: 1,
    }
}

/// The transpose, `[rows, cols]`, of the row-major `[cols, rows]` matrix at the start of `data`
/// with row stride `ld`: element `(i, j)` is `data[j * ld + i]`.
///
/// # Panics
/// If `data` is too short.
#[inline]
pub(crate) fn rm_t<T>(data: &[T], rows: usize, cols: usize, ld: usize) -> Mat<'_, T> {
    let data = &data[..extent(rows, cols, 1, ld)];
    Mat {
        data,
        rows,
        cols,
        rs: 1,
        cs: ld,
    }
}

/// Mutable row-major `[rows, cols]` matrix at the start of `data`, row stride `ld` (`ld ≥ cols`).
///
/// # Panics
/// If `data` is too short.
#[inline]
pub(crate) fn rm_mut<T>(data: &mut [T], rows: usize, cols: usize, ld: usize) -> MatMut<'_, T> {
    debug_assert!(rows <= 1 || ld >= cols, "rm_mut: rows overlap");
    let data = &mut data[..extent(rows, cols, ld, 1)];
    MatMut {
        data,
        rows,
        cols,
        rs: ld,
        cs: 1,
    }
}

/// `c ← a · b + beta · c` (with `beta = 0`, `c` is only written).
///
/// # Panics
/// If the shapes do not match.
#[inline]
pub(crate) fn gemm<T: Real>(c: MatMut<'_, T>, a: Mat<'_, T>, b: Mat<'_, T>, beta: T) {
    assert!(
        a.rows == c.rows && b.cols == c.cols && a.cols == b.rows,
        "gemm: [{}, {}] · [{}, {}] into [{}, {}]",
        a.rows,
        a.cols,
        b.rows,
        b.cols,
        c.rows,
        c.cols
    );
    if c.rows > SMALL_DIM && c.cols > SMALL_DIM && a.cols > SMALL_DIM {
        if TILED && c.cs == 1 && b.cs == 1 {
            tiled_gemm(c, a, b, beta);
        } else {
            nalgebra_gemm(c, a, b, beta);
        }
    } else {
        small_gemm(c, a, b, beta);
    }
}

/// Whether [`gemm`] runs products with row-major `b` and `c` in [`tiled_gemm`]: on CPUs with
/// fused multiply–add, for which it is built (`.cargo/config.toml` builds for the building
/// machine's CPU). Without it, `mul_add` would be a library call, so `matrixmultiply` (which
/// picks its kernel at run time) takes every large product.
const TILED: bool = cfg!(target_feature = "fma");

/// Rows of `c` per tile of [`tiled_gemm`].
const TILE_ROWS: usize = 4;
/// Columns of `c` per full tile of [`tiled_gemm`]: for `f32`, four 512-bit vectors per row,
/// so that a tile's 16 accumulators stay in registers.
const TILE_COLS: usize = 64;
/// Columns per tile where fewer than [`TILE_COLS`] are left.
const TILE_COLS_TAIL: usize = 16;

/// [`gemm`] for row-major `b` and `c` (unit column strides), without packing: `c` is covered
/// by tiles of [`TILE_ROWS`] × [`TILE_COLS`], each accumulated over `k` in registers as
/// `acc[r][:] += a[i + r, p] · b[p, j..j + TILE_COLS]` (fused multiply–adds, `p` in order) and
/// then added to `beta · c`. `a` may have any strides: its entries are broadcast one at a
/// time, so a transposed `a` (the weight gradients' `gᵀ · x`, whose `a[i..i + 4, p]` are
/// contiguous) is as fast as a row-major one. The same sums in the same order as
/// `matrixmultiply`'s kernels, so usually the same bits; what it saves is their packing of both
/// operands at every call, which costs as much as the arithmetic for the policies' products of
/// a few dozen rows by a weight matrix (the weight gradients, over a batch of 32, took 15 % of a
/// GRU 128 batch through `matrixmultiply`).
fn tiled_gemm<T: Real>(c: MatMut<'_, T>, a: Mat<'_, T>, b: Mat<'_, T>, beta: T) {
    let MatMut {
        data: cd,
        rows: m,
        cols: n,
        rs: rsc,
        ..
    } = c;
    if beta != T::zero() {
        for i in 0..m {
            scale(&mut cd[i * rsc..][..n], beta);
        }
    }
    let mut j = T::simd_tiles(
        cd,
        rsc,
        m,
        n,
        a.data,
        a.rs,
        a.cs,
        b.data,
        b.rs,
        a.cols,
        beta != T::zero(),
    );
    while j + TILE_COLS <= n {
        tile_column::<TILE_COLS, T>(cd, rsc, m, &a, &b, j, beta);
        j += TILE_COLS;
    }
    while j + TILE_COLS_TAIL <= n {
        tile_column::<TILE_COLS_TAIL, T>(cd, rsc, m, &a, &b, j, beta);
        j += TILE_COLS_TAIL;
    }
    if j + 8 <= n {
        tile_column::<8, T>(cd, rsc, m, &a, &b, j, beta);
        j += 8;
    }
    if j + 4 <= n {
        tile_column::<4, T>(cd, rsc, m, &a, &b, j, beta);
        j += 4;
    }
    while j < n {
        tile_column::<1, T>(cd, rsc, m, &a, &b, j, beta);
        j += 1;
    }
}

/// Columns `j..j + NC` of every row of `c`, in tiles of [`TILE_ROWS`] rows then single rows.
#[inline(always)]
fn tile_column<const NC: usize, T: Real>(
    cd: &mut [T],
    rsc: usize,
    m: usize,
    a: &Mat<'_, T>,
    b: &Mat<'_, T>,
    j: usize,
    beta: T,
) {
    let mut i = 0;
    while i + TILE_ROWS <= m {
        tile::<TILE_ROWS, NC, T>(cd, rsc, a, b, i, j, beta);
        i += TILE_ROWS;
    }
    while i < m {
        tile::<1, NC, T>(cd, rsc, a, b, i, j, beta);
        i += 1;
    }
}

/// `c[i..i + R, j..j + NC] += a[i..i + R, :] · b[:, j..j + NC]`, accumulated in registers
/// (with `beta = 0`, written instead of added: `c` was not scaled and may hold anything).
#[inline(always)]
fn tile<const R: usize, const NC: usize, T: Real>(
    cd: &mut [T],
    rsc: usize,
    a: &Mat<'_, T>,
    b: &Mat<'_, T>,
    i: usize,
    j: usize,
    beta: T,
) {
    let mut acc = [[T::zero(); NC]; R];
    for p in 0..a.cols {
        let brow: &[T; NC] = b.data[p * b.rs + j..][..NC]
            .try_into()
            .expect("a slice of NC numbers");
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let av = a.data[(i + r) * a.rs + p * a.cs];
            for (acc_rj, &bj) in acc_r.iter_mut().zip(brow) {
                *acc_rj = av.mul_add(bj, *acc_rj);
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        let crow = &mut cd[(i + r) * rsc + j..][..NC];
        if beta == T::zero() {
            crow.copy_from_slice(acc_r);
        } else {
            for (cv, &v) in crow.iter_mut().zip(acc_r) {
                *cv += v;
            }
        }
    }
}

/// A SIMD vector of `LANES` numbers of type `T` ([`wide`]'s), as [`simd_tiles`] uses it.
pub(crate) trait Vector<T>: Copy {
    /// Numbers per vector.
    const LANES: usize;
    /// `x` in every lane.
    fn splat(x: T) -> Self;
    /// The first `LANES` numbers of `s`.
    fn load(s: &[T]) -> Self;
    /// `self · a + b`, fused (one rounding), lane by lane.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// Writes the lanes to the first `LANES` numbers of `s`.
    fn store(self, s: &mut [T]);
    /// Adds the lanes to the first `LANES` numbers of `s`.
    fn add_to(self, s: &mut [T]);
}

macro_rules! vector_impl {
    ($w:ty, $t:ty, $n:expr) => {
        impl Vector<$t> for $w {
            const LANES: usize = $n;
            #[inline(always)]
            fn splat(x: $t) -> Self {
                <$w>::splat(x)
            }
            #[inline(always)]
            fn load(s: &[$t]) -> Self {
                let a: [$t; $n] = s[..$n].try_into().expect("a slice of LANES numbers");
                <$w>::new(a)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$w>::mul_add(self, a, b)
            }
            #[inline(always)]
            fn store(self, s: &mut [$t]) {
                s[..$n].copy_from_slice(self.as_array());
            }
            #[inline(always)]
            fn add_to(self, s: &mut [$t]) {
                let sum = Self::load(s) + self;
                sum.store(s);
            }
        }
    };
}

vector_impl!(wide::f32x16, f32, 16);
vector_impl!(wide::f32x8, f32, 8);
vector_impl!(wide::f64x8, f64, 8);
vector_impl!(wide::f64x4, f64, 4);
vector_impl!(wide::f32x4, f32, 4);
vector_impl!(wide::f64x2, f64, 2);

/// [`Real::simd_tiles`] for `f32` and `f64`: [`tiled_gemm`]'s tiles written with explicit
/// vectors `W`, `R` rows by `V` vectors, then tiles one vector wide, then (for the columns
/// left, the 8 of a 24-wide `f32` product) tiles one vector `H` of half the width wide;
/// returns the columns covered (a multiple of `H::LANES`). Each entry of `c` is the same
/// chain of fused multiply–adds as in [`tile`], so the same bits. Explicit vectors because the
/// auto-vectoriser's choice depends on the CPU's tuning: on CPUs that LLVM tunes for 256-bit
/// vectors (Intel's with AVX-512), [`tile`]'s 4 × 64 `f32` tile takes 32 ymm accumulators and
/// spills, at a third of the speed of these 512-bit tiles.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn simd_tiles<T: Real, W: Vector<T>, H: Vector<T>, const V: usize, const R: usize>(
    c: &mut [T],
    c_rs: usize,
    m: usize,
    n: usize,
    a: &[T],
    a_rs: usize,
    a_cs: usize,
    b: &[T],
    b_rs: usize,
    k: usize,
    add: bool,
) -> usize {
    let a = Mat {
        data: a,
        rows: m,
        cols: k,
        rs: a_rs,
        cs: a_cs,
    };
    let b = Mat {
        data: b,
        rows: k,
        cols: n,
        rs: b_rs,
        cs: 1,
    };
    let mut j = 0;
    while j + V * W::LANES <= n {
        simd_column::<T, W, V, R>(c, c_rs, m, &a, &b, j, add);
        j += V * W::LANES;
    }
    while j + W::LANES <= n {
        simd_column::<T, W, 1, R>(c, c_rs, m, &a, &b, j, add);
        j += W::LANES;
    }
    if j + H::LANES <= n {
        simd_column::<T, H, 1, R>(c, c_rs, m, &a, &b, j, add);
        j += H::LANES;
    }
    j
}

/// Columns `j..j + V·W::LANES` of every row of `c`, in tiles of `R` rows, then (for `R` above
/// [`TILE_ROWS`]) of [`TILE_ROWS`] rows, then single rows.
#[inline(always)]
fn simd_column<T: Real, W: Vector<T>, const V: usize, const R: usize>(
    cd: &mut [T],
    rsc: usize,
    m: usize,
    a: &Mat<'_, T>,
    b: &Mat<'_, T>,
    j: usize,
    add: bool,
) {
    let mut i = 0;
    while i + R <= m {
        simd_tile::<T, W, R, V>(cd, rsc, a, b, i, j, add);
        i += R;
    }
    while R > TILE_ROWS && i + TILE_ROWS <= m {
        simd_tile::<T, W, TILE_ROWS, V>(cd, rsc, a, b, i, j, add);
        i += TILE_ROWS;
    }
    while i < m {
        simd_tile::<T, W, 1, V>(cd, rsc, a, b, i, j, add);
        i += 1;
    }
}

/// [`tile`] in explicit vectors: `c[i..i + R, j..j + V·W::LANES] (+)= a[i..i + R, :] ·
/// b[:, j..j + V·W::LANES]`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn simd_tile<T: Real, W: Vector<T>, const R: usize, const V: usize>(
    cd: &mut [T],
    rsc: usize,
    a: &Mat<'_, T>,
    b: &Mat<'_, T>,
    i: usize,
    j: usize,
    add: bool,
) {
    let width = V * W::LANES;
    let k = a.cols;
    let mut acc = [[W::splat(T::zero()); V]; R];
    // `a`'s entries read through slices whose lengths the loop bounds prove, so that the hot
    // loop has no bounds check per entry: rows of a row-major `a`, `R`-long pieces of the
    // columns of a column-major one (the weight gradients' `gᵀ`)
    let mut step = |p: usize, av: &dyn Fn(usize) -> T| {
        let brow = &b.data[p * b.rs + j..][..width];
        let bv: [W; V] = std::array::from_fn(|v| W::load(&brow[v * W::LANES..]));
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let av = W::splat(av(r));
            for (acc_rv, &bvv) in acc_r.iter_mut().zip(&bv) {
                *acc_rv = av.mul_add(bvv, *acc_rv);
            }
        }
    };
    if a.cs == 1 {
        let rows: [&[T]; R] = std::array::from_fn(|r| &a.data[(i + r) * a.rs..][..k]);
        for p in 0..k {
            step(p, &|r| rows[r][p]);
        }
    } else if a.rs == 1 {
        for p in 0..k {
            let col: &[T; R] = a.data[p * a.cs + i..][..R]
                .try_into()
                .expect("a slice of R numbers");
            step(p, &|r| col[r]);
        }
    } else {
        for p in 0..k {
            step(p, &|r| a.data[(i + r) * a.rs + p * a.cs]);
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        let crow = &mut cd[(i + r) * rsc + j..][..width];
        for (v, x) in acc_r.iter().enumerate() {
            let s = &mut crow[v * W::LANES..];
            if add {
                x.add_to(s);
            } else {
                x.store(s);
            }
        }
    }
}

/// [`gemm`] through nalgebra (and so `matrixmultiply`, for `f32`/`f64` with every dimension
/// above 5).
fn nalgebra_gemm<T: Real>(c: MatMut<'_, T>, a: Mat<'_, T>, b: Mat<'_, T>, beta: T) {
    type ViewMut<'a, T> = MatrixViewMut<'a, T, Dyn, Dyn, Dyn, Dyn>;
    let (a, b) = (view(a), view(b));
    let mut c = ViewMut::from_slice_with_strides_generic(
        c.data,
        Dyn(c.rows),
        Dyn(c.cols),
        Dyn(c.rs),
        Dyn(c.cs),
    );
    c.gemm(T::one(), &a, &b, beta);
}

/// [`gemm`] by loops, for small products. Row-major `c` (unit column stride) takes one of two
/// vectorisable forms: rows of `c` updated by multiples of rows of `b` when `b` is row-major,
/// dot products of rows of `a` with columns of `b` when those are contiguous.
pub(crate) fn small_gemm<T: Real>(c: MatMut<'_, T>, a: Mat<'_, T>, b: Mat<'_, T>, beta: T) {
    let MatMut {
        data: cd,
        rows: m,
        cols: n,
        rs: rsc,
        cs: csc,
    } = c;
    let k = a.cols;
    if m == 0 || n == 0 {
        return;
    }
    if csc == 1 && b.cs == 1 {
        for i in 0..m {
            let crow = &mut cd[i * rsc..][..n];
            scale(crow, beta);
            let ai = |p: usize| a.data[i * a.rs + p * a.cs];
            let brow = |p: usize| &b.data[p * b.rs..][..n];
            // Four rows of `b` per pass over the row of `c`: a quarter of the loads and stores
            // of `c`.
            let mut p = 0;
            while p + 4 <= k {
                let (a0, a1, a2, a3) = (ai(p), ai(p + 1), ai(p + 2), ai(p + 3));
                let (b0, b1, b2, b3) = (brow(p), brow(p + 1), brow(p + 2), brow(p + 3));
                for j in 0..n {
                    crow[j] += (a0 * b0[j] + a1 * b1[j]) + (a2 * b2[j] + a3 * b3[j]);
                }
                p += 4;
            }
            while p < k {
                let (a0, b0) = (ai(p), brow(p));
                for j in 0..n {
                    crow[j] += a0 * b0[j];
                }
                p += 1;
            }
        }
    } else if csc == 1 && a.cs == 1 && b.rs == 1 {
        for i in 0..m {
            let arow = &a.data[i * a.rs..][..k];
            let crow = &mut cd[i * rsc..][..n];
            for (j, cv) in crow.iter_mut().enumerate() {
                let d = dot(arow, &b.data[j * b.cs..][..k]);
                *cv = if beta == T::zero() { d } else { beta * *cv + d };
            }
        }
    } else {
        for i in 0..m {
            for j in 0..n {
                let mut d = T::zero();
                for p in 0..k {
                    d += a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs];
                }
                let cv = &mut cd[i * rsc + j * csc];
                *cv = if beta == T::zero() { d } else { beta * *cv + d };
            }
        }
    }
}

/// `m` as a nalgebra view.
fn view<T: Real>(m: Mat<'_, T>) -> MatrixView<'_, T, Dyn, Dyn, Dyn, Dyn> {
    MatrixView::from_slice_with_strides_generic(
        m.data,
        Dyn(m.rows),
        Dyn(m.cols),
        Dyn(m.rs),
        Dyn(m.cs),
    )
}

/// `x ← beta · x`, writing zeros (not reading `x`) when `beta = 0`.
#[inline]
fn scale<T: Real>(x: &mut [T], beta: T) {
    if beta == T::zero() {
        x.fill(T::zero());
    } else if beta != T::one() {
        for v in x {
            *v *= beta;
        }
    }
}

/// `Σ x_i y_i`, in eight interleaved partial sums so that it vectorises.
#[inline]
fn dot<T: Real>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += xs[l] * ys[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (&a, &b) in xr.iter().zip(yr) {
        s += a * b;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `c ← a · b + beta · c` by the definition, in f64.
    fn reference(
        c: &mut [f64],
        cm: (usize, usize, usize, usize),
        a: &[f64],
        am: (usize, usize),
        b: &[f64],
        bm: (usize, usize),
        k: usize,
        beta: f64,
    ) {
        let (m, n, rsc, csc) = cm;
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for p in 0..k {
                    s += a[i * am.0 + p * am.1] * b[p * bm.0 + j * bm.1];
                }
                let v = &mut c[i * rsc + j * csc];
                *v = beta * *v + s;
            }
        }
    }

    /// The tiled kernel (row-major `b` and `c`, every dimension above `SMALL_DIM`) on sizes
    /// around its tile sizes (8, 4 and single rows; 64, 32, 16, 8, 4 and single columns), with
    /// `a` row-major or transposed: equal to the definition, as is the `matrixmultiply` path on
    /// the same products with `b` transposed.
    #[test]
    fn tiled_gemm_matches_the_definition_around_its_tile_sizes() {
        let val = |i: usize| ((i * 7919 % 211) as f64 - 105.0) / 50.0;
        for m in [6, 7, 8, 9, 13, 33] {
            for n in [6, 7, 12, 16, 24, 31, 64, 70, 130] {
                for k in [6, 17, 128] {
                    for beta in [0.0, 1.0, 0.5] {
                        let (lda, ldb, ldc) = (k + 2, n + 3, n + 1);
                        let a: Vec<f64> = (0..m * lda).map(val).collect();
                        let b: Vec<f64> = (0..k * ldb).map(|i| val(i + 13)).collect();
                        let c0: Vec<f64> = (0..m * ldc).map(|i| val(i + 29)).collect();
                        let mut want = c0.clone();
                        reference(
                            &mut want,
                            (m, n, ldc, 1),
                            &a,
                            (lda, 1),
                            &b,
                            (ldb, 1),
                            k,
                            beta,
                        );
                        let mut got = c0.clone();
                        gemm(
                            rm_mut(&mut got, m, n, ldc),
                            rm(&a, m, k, lda),
                            rm(&b, k, n, ldb),
                            beta,
                        );
                        // the same product with b stored transposed, through matrixmultiply
                        let mut bt = vec![0.0; n * k];
                        for p in 0..k {
                            for j in 0..n {
                                bt[j * k + p] = b[p * ldb + j];
                            }
                        }
                        let mut other = c0.clone();
                        gemm(
                            rm_mut(&mut other, m, n, ldc),
                            rm(&a, m, k, lda),
                            rm_t(&bt, k, n, k),
                            beta,
                        );
                        // and with a stored transposed (the weight gradients' gᵀ · x), tiled too
                        let mut at = vec![0.0; k * m];
                        for i in 0..m {
                            for p in 0..k {
                                at[p * m + i] = a[i * lda + p];
                            }
                        }
                        let mut by_at = c0.clone();
                        gemm(
                            rm_mut(&mut by_at, m, n, ldc),
                            rm_t(&at, m, k, m),
                            rm(&b, k, n, ldb),
                            beta,
                        );
                        for (idx, (((g, o), t), w)) in
                            got.iter().zip(&other).zip(&by_at).zip(&want).enumerate()
                        {
                            let close = |x: f64| (x - w).abs() <= 1e-12 * (1.0 + w.abs());
                            assert!(
                                close(*g) && close(*o) && close(*t),
                                "m={m} n={n} k={k} beta={beta}: c[{idx}] = {g} (tiled), {o} \
                                 (transposed b), {t} (transposed a), expected {w}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// The `f32` tiles (16-lane vectors with AVX-512, 8-lane otherwise; 64, 16 and fewer
    /// columns), with `a` row-major and transposed, `beta` 0 and 1: each entry is a chain of
    /// fused multiply–adds over `p` in order, so it equals that chain computed one number at a
    /// time, bit for bit.
    #[test]
    fn f32_simd_tiles_equal_the_scalar_fused_chain_bit_for_bit() {
        let val = |i: usize| ((i * 7919 % 211) as f32 - 105.0) / 50.0;
        // every dimension above SMALL_DIM, so that the tiled kernel takes them
        for (m, n, k) in [
            (9, 130, 17),
            (6, 64, 33),
            (7, 80, 8),
            (13, 200, 40),
            (17, 24, 30),
        ] {
            for beta in [0.0f32, 1.0] {
                let a: Vec<f32> = (0..m * k).map(val).collect();
                let b: Vec<f32> = (0..k * n).map(|i| val(i + 13)).collect();
                let c0: Vec<f32> = (0..m * n).map(|i| val(i + 29)).collect();
                let mut want = c0.clone();
                for i in 0..m {
                    for j in 0..n {
                        let mut acc = 0.0f32;
                        for p in 0..k {
                            acc = a[i * k + p].mul_add(b[p * n + j], acc);
                        }
                        let w = &mut want[i * n + j];
                        *w = if beta == 0.0 { acc } else { *w + acc };
                    }
                }
                let mut at = vec![0.0f32; k * m];
                for i in 0..m {
                    for p in 0..k {
                        at[p * m + i] = a[i * k + p];
                    }
                }
                for transposed in [false, true] {
                    let mut got = c0.clone();
                    let av = if transposed {
                        rm_t(&at, m, k, m)
                    } else {
                        rm(&a, m, k, k)
                    };
                    gemm(rm_mut(&mut got, m, n, n), av, rm(&b, k, n, n), beta);
                    if TILED {
                        assert_eq!(got, want, "m={m} n={n} k={k} beta={beta} a^T={transposed}");
                    } else {
                        for (g, w) in got.iter().zip(&want) {
                            assert!((g - w).abs() <= 1e-4 * (1.0 + w.abs()));
                        }
                    }
                }
            }
        }
    }

    /// Every layout the crate uses (row-major or transposed operands, row-major output with a
    /// row stride above its width), on every size from 1 to 8 (both sides of [`SMALL_DIM`]),
    /// through [`gemm`]: the nalgebra path and the loops must both equal the definition.
    #[test]
    fn gemm_matches_the_definition_for_all_layouts_and_small_sizes() {
        let val = |i: usize| ((i * 7919 % 211) as f64 - 105.0) / 50.0;
        for m in 1..=8 {
            for n in 1..=8 {
                for k in 1..=8 {
                    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                        for beta in [0.0, 1.0, 0.5] {
                            let pad = 3;
                            let a: Vec<f64> = (0..(m + pad) * (k + pad)).map(val).collect();
                            let b: Vec<f64> =
                                (0..(k + pad) * (n + pad)).map(|i| val(i + 13)).collect();
                            let (av, astr) = if ta {
                                (rm_t(&a, m, k, m + pad), (1, m + pad))
                            } else {
                                (rm(&a, m, k, k + pad), (k + pad, 1))
                            };
                            let (bv, bstr) = if tb {
                                (rm_t(&b, k, n, k + pad), (1, k + pad))
                            } else {
                                (rm(&b, k, n, n + pad), (n + pad, 1))
                            };
                            let ldc = n + pad;
                            let c0: Vec<f64> = (0..m * ldc).map(|i| val(i + 29)).collect();
                            let mut want = c0.clone();
                            reference(&mut want, (m, n, ldc, 1), &a, astr, &b, bstr, k, beta);
                            let mut got = c0.clone();
                            gemm(rm_mut(&mut got, m, n, ldc), av, bv, beta);
                            for (idx, (g, w)) in got.iter().zip(&want).enumerate() {
                                assert!(
                                    (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
                                    "gemm m={m} n={n} k={k} a transposed {ta} b transposed {tb} \
                                     beta {beta}: c[{idx}] = {g}, expected {w}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
