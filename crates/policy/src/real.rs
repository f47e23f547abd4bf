//! The number type of parameters, activations and gradients.

use nalgebra::RealField;

/// A floating-point number the networks compute in: implemented for `f32` (training speed) and
/// `f64` (gradient checks, reference precision).
///
/// It is nalgebra's [`RealField`] (so that matrix products go through nalgebra's `gemm`, which
/// hands `f32` and `f64` products to the `matrixmultiply` crate) plus `Copy`, two conversions
/// and the two activation functions of the networks, each also over a slice.
///
/// The activations are the hot loop of a forward step: `f64` uses the standard library's
/// `exp`/`tanh`; `f32` uses branch-free approximations written over plain arithmetic (relative
/// error below 1e-6, see [`Real::act_sigmoid`]), which the compiler vectorises where
/// calls into the C maths library would not be.
pub trait Real: RealField + Copy + Default + Send + Sync {
    /// The number closest to the `f64` constant `x` (`x as f32` for `f32`).
    fn c(x: f64) -> Self;
    /// This number as an `f64` (exact for both implementors).
    fn to_f64(self) -> f64;
    /// The logistic sigmoid `σ(x) = 1 / (1 + e^(−x))`. For `f32`, computed with a vectorisable
    /// `e^x` (a Taylor polynomial after range reduction): relative error below 1e-6 (checked on a
    /// dense grid over [−100, 100] against `f64`). NaN propagates.
    fn act_sigmoid(self) -> Self;
    /// The hyperbolic tangent. For `f32`, computed from that `e^x` (`|x| ≥ 0.25`) or its
    /// Taylor series (`|x| < 0.25`): relative error below 1e-6. NaN propagates.
    fn act_tanh(self) -> Self;
    /// [`Real::act_sigmoid`] of every element, in place: one simple loop, which the compiler
    /// vectorises for `f32`.
    #[inline]
    fn sigmoid_slice(xs: &mut [Self]) {
        for x in xs {
            *x = x.act_sigmoid();
        }
    }
    /// [`Real::act_tanh`] of every element, in place (vectorised for `f32`).
    #[inline]
    fn tanh_slice(xs: &mut [Self]) {
        for x in xs {
            *x = x.act_tanh();
        }
    }
    /// An implementation detail of the networks' matrix products, not meant to be called:
    /// covers the first columns of `c ← a · b` (or `c += a · b` when `add`) with explicit SIMD
    /// tiles and returns how many it covered; the rest go through the generic kernel. `c` is
    /// row-major `[m, n]` with row stride `c_rs`, `a` is `[m, k]` with strides
    /// `(a_rs, a_cs)`, `b` is row-major `[k, n]` with row stride `b_rs`. The default covers
    /// none; `f32` and `f64` use [`wide`]'s vectors (512-bit with AVX-512).
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn simd_tiles(
        _c: &mut [Self],
        _c_rs: usize,
        _m: usize,
        _n: usize,
        _a: &[Self],
        _a_rs: usize,
        _a_cs: usize,
        _b: &[Self],
        _b_rs: usize,
        _k: usize,
        _add: bool,
    ) -> usize {
        0
    }
}

/// Implements [`Real::simd_tiles`] for a type with the `wide` vector `$w`, tiles of `$r` rows
/// by `$v` vectors (then narrower and shorter tiles for what is left), and the columns left
/// over from those in vectors `$half` of half the width.
macro_rules! simd_tiles_impl {
    ($w:ty, $half:ty, $v:expr, $r:expr) => {
        #[inline]
        fn simd_tiles(
            c: &mut [Self],
            c_rs: usize,
            m: usize,
            n: usize,
            a: &[Self],
            a_rs: usize,
            a_cs: usize,
            b: &[Self],
            b_rs: usize,
            k: usize,
            add: bool,
        ) -> usize {
            crate::linalg::simd_tiles::<Self, $w, $half, { $v }, { $r }>(
                c, c_rs, m, n, a, a_rs, a_cs, b, b_rs, k, add,
            )
        }
    };
}

impl Real for f32 {
    // 8 × 32 tiles in 16 zmm accumulators with AVX-512 (8 % faster than 4 × 64 on an Intel
    // Xeon: half the loads of `b` per multiply–add); 4 × 16 in 8 ymm ones otherwise
    #[cfg(target_feature = "avx512f")]
    simd_tiles_impl!(wide::f32x16, wide::f32x8, 2, 8);
    #[cfg(not(target_feature = "avx512f"))]
    simd_tiles_impl!(wide::f32x8, wide::f32x4, 2, 4);
    #[inline(always)]
    fn c(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn act_sigmoid(self) -> Self {
        1.0 / (1.0 + exp_f32(-self))
    }
    #[inline(always)]
    fn act_tanh(self) -> Self {
        let a = self.abs();
        // |x| ≥ 0.25: tanh|x| = (1 − e^(−2|x|)) / (1 + e^(−2|x|)); the subtraction amplifies the
        // error of e^(−2|x|) at most 1.6 times.
        let e = exp_f32(-2.0 * a);
        let big = (1.0 - e) / (1.0 + e);
        // |x| < 0.25: x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835 (the next term is below 1e-8
        // relative).
        let x2 = self * self;
        let poly = 62.0 / 2835.0;
        let poly = poly * x2 - 17.0 / 315.0;
        let poly = poly * x2 + 2.0 / 15.0;
        let poly = poly * x2 - 1.0 / 3.0;
        let small = a * (1.0 + x2 * poly);
        let t = if a < 0.25 { small } else { big };
        t.copysign(self)
    }
}

impl Real for f64 {
    // 8 × 16 tiles in 16 zmm accumulators with AVX-512; 4 × 8 in 8 ymm ones otherwise
    #[cfg(target_feature = "avx512f")]
    simd_tiles_impl!(wide::f64x8, wide::f64x4, 2, 8);
    #[cfg(not(target_feature = "avx512f"))]
    simd_tiles_impl!(wide::f64x4, wide::f64x2, 2, 4);
    #[inline(always)]
    fn c(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn act_sigmoid(self) -> Self {
        1.0 / (1.0 + (-self).exp())
    }
    #[inline(always)]
    fn act_tanh(self) -> Self {
        self.tanh()
    }
}

/// `e^x` for `f32` in plain arithmetic, so that loops calling it vectorise.
///
/// Range reduction `x = n·ln 2 + r`, `|r| ≤ ln 2 / 2` (`n` rounded to nearest by the
/// `1.5·2²³` trick, `ln 2` split in two parts for an exact product), the degree-6 Taylor
/// polynomial of `e^r` (truncation below 1.7e-7 relative; degree 7 costs 3 % more forward
/// time for no gain that matters in `f32` training), and `2^n` built from its bits. Inputs
/// are clamped to `[−87, 88]` (results from about 1.6e-38 to 1.7e38, never subnormal or
/// infinite); NaN propagates. Relative error below 3e-7 (a few units in the last place).
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2²³
    const LN2_HI: f32 = 0.693_145_75; // ln 2 with 12 low mantissa bits zero: n·LN2_HI is exact
    const LN2_LO: f32 = 1.428_606_8e-6; // ln 2 − LN2_HI
                                        // Comparisons are false for NaN, which passes through.
    let x = if x < -87.0 { -87.0 } else { x };
    let x = if x > 88.0 { 88.0 } else { x };
    let k = x * std::f32::consts::LOG2_E + MAGIC;
    // The low mantissa bits of k are n (two's complement); 2^n has exponent bits n + 127.
    let pow2n = f32::from_bits(k.to_bits().wrapping_sub(MAGIC.to_bits()).wrapping_add(127) << 23);
    let n = k - MAGIC;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.0f32 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    p * pow2n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative error of the f32 activations against the f64 standard library, on a dense grid
    /// over the range that matters and far out.
    #[test]
    fn f32_activations_are_accurate() {
        let mut worst = [0.0f64; 3];
        let mut x = -100.0f64;
        while x <= 100.0 {
            let xf = x as f32;
            let xd = f64::from(xf);
            let cases = [
                (f64::from(exp_f32(xf)), xd.clamp(-87.0, 88.0).exp()),
                (f64::from(xf.act_sigmoid()), 1.0 / (1.0 + (-xd).exp())),
                (f64::from(xf.act_tanh()), xd.tanh()),
            ];
            for (k, (got, want)) in cases.into_iter().enumerate() {
                let err = if want == 0.0 {
                    got.abs()
                } else {
                    ((got - want) / want).abs()
                };
                // sigmoid underflows to subnormal below x ≈ −87: compare absolutely there.
                let err = if k == 1 && want < 1e-30 {
                    (got - want).abs()
                } else {
                    err
                };
                assert!(
                    err < 1e-6,
                    "{}({x}) = {got:e}, expected {want:e} (relative error {err:e})",
                    ["exp", "sigmoid", "tanh"][k]
                );
                worst[k] = worst[k].max(err);
            }
            x += if x.abs() < 1.0 { 1e-4 } else { 1e-2 };
        }
        eprintln!(
            "worst relative errors: exp {:.1e}, sigmoid {:.1e}, tanh {:.1e}",
            worst[0], worst[1], worst[2]
        );
        // Tiny and signed arguments.
        for xf in [
            0.0f32, -0.0, 1e-30, -1e-30, 1e-8, -3e-5, 0.2499, 0.25, -0.2501,
        ] {
            let want = f64::from(xf).tanh();
            let got = f64::from(xf.act_tanh());
            assert!(
                (got - want).abs() <= 1e-6 * want.abs(),
                "tanh({xf:e}) = {got:e}, expected {want:e}"
            );
            assert_eq!(
                got.is_sign_negative(),
                xf.is_sign_negative(),
                "tanh({xf:e}) sign"
            );
        }
        assert!(f32::NAN.act_sigmoid().is_nan());
        assert!(f32::NAN.act_tanh().is_nan());
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(0.0), 1.0);
    }
}
