//! The number type every motornet-rs model is written over.
//!
//! Model code (muscles, skeletons, geometry) is written once, generic over [`Scalar`], and runs
//! unchanged on
//! - `f32`: fast simulation and training,
//! - `f64`: reference-precision simulation (MotorNet parity is checked in `f64`),
//! - [`Dual64`] (forward-mode dual numbers from `num-dual`): exact first derivatives,
//! - [`DualN`]`<N>`: N directional derivatives per evaluation (Jacobian columns, in `f64`),
//! - [`DualLanes`]`<N, L>`: the same for L batch elements at once (struct-of-arrays),
//! - [`Lanes`]`<f32, N>` / `Lanes<f64, N>`: N independent batch elements at once, laid out
//!   struct-of-arrays so that the compiler vectorises the model code (SIMD),
//! - [`Rev`] (module [`rev`]): reverse mode, the gradient of one output with respect to any
//!   number of inputs in one backward sweep over a per-thread tape (losses over whole episodes).
//!
//! # Branches are masks, and carry the derivative of the branch they select
//!
//! MotorNet writes its models with `torch.where` and `torch.clip`. Under autodiff those select a
//! branch *by value* and propagate the derivative of the selected branch only. Model code here
//! does the same with comparisons that return a [`Scalar::Mask`] (`bool` for single numbers, one
//! flag per lane for [`Lanes`]) and [`Scalar::select`]; [`Scalar::clamp_min`],
//! [`Scalar::clamp_max`] and [`Scalar::clamp`] are built on them. At a tie `clamp_*` returns the
//! input (PyTorch's `clamp` also passes the gradient through when the input equals the bound).
//! Model code never reads a value to branch with `if`: that is what lets one code path serve
//! single numbers and lanes alike.
//!
//! ```
//! use motornet_scalar::{Dual64, Lanes, Real, Scalar};
//!
//! fn f<S: Scalar>(x: S) -> S {
//!     // 3 x², clipped below at 1.0
//!     (S::c(3.0) * x * x).clamp_min(S::c(1.0))
//! }
//! assert_eq!(f(2.0_f64), 12.0);
//! assert_eq!(f(2.0_f32), 12.0);
//! let d = f(Dual64::new(2.0, 1.0)); // seed dx = 1
//! assert_eq!((d.re, d.eps), (12.0, 12.0)); // d/dx 3x² = 6x
//! let d = f(Dual64::new(0.1, 1.0)); // clipped branch: constant
//! assert_eq!((d.re, d.eps), (1.0, 0.0));
//! let four = f(Lanes([0.1_f32, 1.0, 2.0, 3.0]));
//! assert_eq!(four.0, [1.0, 3.0, 12.0, 27.0]);
//! assert_eq!(f(2.0_f64).re(), 12.0);
//! ```
#![warn(missing_docs)]

use std::fmt::{Debug, Display};
use std::ops::{
    Add, AddAssign, BitAnd, BitOr, Div, DivAssign, Mul, MulAssign, Neg, Not, Sub, SubAssign,
};

#[macro_use]
mod dual_macros;
mod dual_lanes;
mod dual_n;
mod lanes;
pub mod params;
pub mod rev;
mod splitmix;

pub use dual_lanes::DualLanes;
pub use dual_n::DualN;
pub use lanes::{LaneMask, Lanes};
pub use num_dual::{Dual, Dual64};
pub use rev::{Rev, RevError, RevTape};
pub use splitmix::SplitMix;

/// The result of comparing two [`Scalar`]s: `bool`, or one flag per lane.
pub trait Mask:
    Copy
    + Debug
    + Send
    + Sync
    + 'static
    + BitAnd<Output = Self>
    + BitOr<Output = Self>
    + Not<Output = Self>
{
    /// True if the flag is set in any lane.
    fn any(self) -> bool;
    /// True if the flag is set in every lane.
    fn all(self) -> bool;
}

impl Mask for bool {
    #[inline(always)]
    fn any(self) -> bool {
        self
    }
    #[inline(always)]
    fn all(self) -> bool {
        self
    }
}

/// `x^n` for an `f32` or `f64` `x`, by binary exponentiation in a fixed order (`1/x^|n|` for
/// negative `n`). `f64::powi` leaves the rounding to the compiler, which expands it inline in some
/// builds and calls a library routine in others (they multiply in different orders): one
/// `powi` here gives the same bits in single numbers and in every lane of [`Lanes`], whatever the
/// build (regression: `lanes_compute_each_lane_like_a_single_number` failed by one unit in the
/// last place with `CARGO_INCREMENTAL=0`).
macro_rules! powi_fixed {
    ($t:ty, $x:expr, $n:expr) => {{
        let (x, n): ($t, i32) = ($x, $n);
        let mut base = x;
        let mut e = n.unsigned_abs();
        let mut acc: $t = 1.0;
        while e > 0 {
            if e & 1 == 1 {
                acc *= base;
            }
            e >>= 1;
            if e > 0 {
                base *= base;
            }
        }
        if n < 0 {
            1.0 / acc
        } else {
            acc
        }
    }};
}
pub(crate) use powi_fixed;

/// A real number type the models can be evaluated in: `f32`, `f64`, a dual number, or a pack of
/// lanes of them.
pub trait Scalar:
    Copy
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
{
    /// Comparison result: `bool`, or one flag per lane.
    type Mask: Mask;
    /// Number of independent values held (1, or N for [`Lanes`]).
    const LANES: usize;

    /// A constant: the `f64` rounded to this type (derivative part zero), in every lane.
    fn c(x: f64) -> Self;
    /// Zero.
    #[inline]
    fn zero() -> Self {
        Self::c(0.0)
    }
    /// One.
    #[inline]
    fn one() -> Self {
        Self::c(1.0)
    }
    /// The value (real part) of lane `i`, as `f64`. For reading results, not for branching.
    fn lane(&self, i: usize) -> f64;
    /// A number whose lane `i` holds the constant `value(i)`.
    fn from_lanes(value: impl Fn(usize) -> f64) -> Self;

    /// `self < other`, by value.
    fn lt(self, other: Self) -> Self::Mask;
    /// `self <= other`, by value.
    fn le(self, other: Self) -> Self::Mask;
    /// `self > other`, by value.
    #[inline]
    fn gt(self, other: Self) -> Self::Mask {
        other.lt(self)
    }
    /// `self >= other`, by value.
    #[inline]
    fn ge(self, other: Self) -> Self::Mask {
        other.le(self)
    }
    /// `if mask { a } else { b }`, lane by lane, derivative and all: the `torch.where` of the
    /// models.
    fn select(mask: Self::Mask, a: Self, b: Self) -> Self;

    /// eˣ.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Sine (argument in rad).
    fn sin(self) -> Self;
    /// Cosine (argument in rad).
    fn cos(self) -> Self;
    /// Sine and cosine together (one call where the platform has one).
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Integer power.
    fn powi(self, n: i32) -> Self;
    /// Whether every lane (value and derivative parts) is finite: not NaN, not ±∞.
    fn is_finite(&self) -> bool;

    /// `self · k` for a plain number `k`: the same value as `self * Self::c(k)`, written so
    /// that dual numbers skip the product rule against a zero derivative (model code that
    /// multiplies by parameters uses it in its hot paths).
    #[inline(always)]
    fn scale(self, k: f64) -> Self {
        self * Self::c(k)
    }
    /// `self + k` for a plain number `k`: the same value as `self + Self::c(k)`, without
    /// adding a zero derivative for dual numbers.
    #[inline(always)]
    fn shift(self, k: f64) -> Self {
        self + Self::c(k)
    }

    /// `max(self, lo)` by value; at a tie returns `self` (and its derivative).
    #[inline]
    fn clamp_min(self, lo: Self) -> Self {
        Self::select(self.lt(lo), lo, self)
    }
    /// `min(self, hi)` by value; at a tie returns `self` (and its derivative).
    #[inline]
    fn clamp_max(self, hi: Self) -> Self {
        Self::select(self.gt(hi), hi, self)
    }
    /// `clamp_max(clamp_min(self, lo), hi)`, as `torch.clamp(x, lo, hi)`.
    #[inline]
    fn clamp(self, lo: Self, hi: Self) -> Self {
        self.clamp_min(lo).clamp_max(hi)
    }
}

/// A single real number (not a pack of lanes): its value can be read as one `f64`.
pub trait Real: Scalar<Mask = bool> {
    /// The real (value) part, as `f64`.
    #[inline]
    fn re(&self) -> f64 {
        self.lane(0)
    }
}

/// `if cond { a } else { b }`, lane by lane: [`Scalar::select`] as a free function, so that
/// model code reads like the equations it implements.
#[inline(always)]
pub fn select<S: Scalar>(cond: S::Mask, a: S, b: S) -> S {
    S::select(cond, a, b)
}

macro_rules! impl_float {
    ($t:ty) => {
        impl Scalar for $t {
            type Mask = bool;
            const LANES: usize = 1;
            #[inline(always)]
            fn c(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn lane(&self, _i: usize) -> f64 {
                *self as f64
            }
            #[inline(always)]
            fn from_lanes(value: impl Fn(usize) -> f64) -> Self {
                value(0) as $t
            }
            #[inline(always)]
            fn lt(self, other: Self) -> bool {
                self < other
            }
            #[inline(always)]
            fn le(self, other: Self) -> bool {
                self <= other
            }
            #[inline(always)]
            fn select(mask: bool, a: Self, b: Self) -> Self {
                if mask {
                    a
                } else {
                    b
                }
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline(always)]
            fn sin_cos(self) -> (Self, Self) {
                <$t>::sin_cos(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                powi_fixed!($t, self, n)
            }
            #[inline(always)]
            fn is_finite(&self) -> bool {
                <$t>::is_finite(*self)
            }
        }
        impl Real for $t {}
    };
}
impl_float!(f32);
impl_float!(f64);

impl Scalar for Dual64 {
    type Mask = bool;
    const LANES: usize = 1;
    #[inline]
    fn c(x: f64) -> Self {
        Dual64::new(x, 0.0)
    }
    #[inline]
    fn lane(&self, _i: usize) -> f64 {
        self.re
    }
    #[inline]
    fn from_lanes(value: impl Fn(usize) -> f64) -> Self {
        Dual64::new(value(0), 0.0)
    }
    #[inline]
    fn lt(self, other: Self) -> bool {
        self.re < other.re
    }
    #[inline]
    fn le(self, other: Self) -> bool {
        self.re <= other.re
    }
    #[inline]
    fn select(mask: bool, a: Self, b: Self) -> Self {
        if mask {
            a
        } else {
            b
        }
    }
    #[inline]
    fn exp(self) -> Self {
        num_dual::DualNum::exp(&self)
    }
    #[inline]
    fn ln(self) -> Self {
        num_dual::DualNum::ln(&self)
    }
    #[inline]
    fn sqrt(self) -> Self {
        num_dual::DualNum::sqrt(&self)
    }
    #[inline]
    fn sin(self) -> Self {
        num_dual::DualNum::sin(&self)
    }
    #[inline]
    fn cos(self) -> Self {
        num_dual::DualNum::cos(&self)
    }
    #[inline]
    fn tanh(self) -> Self {
        num_dual::DualNum::tanh(&self)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        num_dual::DualNum::powi(&self, n)
    }
    #[inline]
    fn is_finite(&self) -> bool {
        self.re.is_finite() && self.eps.is_finite()
    }
}
impl Real for Dual64 {}

/// Central finite difference of `f` at `x` with step `h`, in `f64`: the reference the
/// dual-number derivatives are tested against.
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    (f(x + h) - f(x - h)) / (2.0 * h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poly<S: Scalar>(x: S) -> S {
        S::c(2.0) * x.powi(3) - x.exp() + x.sin() * x.cos() + x.sqrt().ln() + x.tanh()
    }

    /// A function with a kink and two branches, as model code writes them.
    fn branchy<S: Scalar>(x: S) -> S {
        let y = select(x.lt(S::c(1.0)), x * x, S::c(2.0) * x - S::one());
        y.clamp(S::c(0.25), S::c(3.0))
    }

    #[test]
    fn dual_derivative_matches_finite_difference() {
        for &x in &[0.3, 1.0, 2.5] {
            let d = poly(Dual64::new(x, 1.0));
            let fd = central_difference(poly::<f64>, x, 1e-5);
            assert!((d.eps - fd).abs() <= 1e-8 * fd.abs().max(1.0), "x={x}");
            assert!((d.re - poly(x)).abs() <= 1e-14 * poly(x).abs().max(1.0));
        }
    }

    /// Each lane of a `DualLanes` evaluation is exactly the `DualN` evaluation of that lane's
    /// element: values and derivatives, through every elementary function and along the branch
    /// each element takes (the four inputs cover both branches of `branchy` and its clamps).
    #[test]
    fn dual_lanes_give_dual_n_lane_by_lane() {
        let xs = [0.3, 0.9, 1.4, 2.5];
        let ys = [1.1, 0.7, 2.0, 0.4];
        fn both<S: Scalar>(x: S, y: S) -> S {
            poly(x) / (y * y + S::one()) + branchy(x * y) - x.scale(3.0).shift(-1.0) * y
        }
        let lanes = both(
            DualLanes::<2, 4>::variable(Lanes(xs), 0),
            DualLanes::<2, 4>::variable(Lanes(ys), 1),
        );
        for l in 0..4 {
            let one = both(
                DualN::<2>::variable(xs[l], 0),
                DualN::<2>::variable(ys[l], 1),
            );
            assert_eq!(lanes.re.0[l], one.re, "value, lane {l}");
            for i in 0..2 {
                assert_eq!(lanes.eps[i].0[l], one.eps[i], "direction {i}, lane {l}");
            }
        }
        // the lanes do take different branches of `branchy` (x·y below and above 1)
        let prods: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| x * y).collect();
        assert!(prods.iter().any(|&p| p < 1.0) && prods.iter().any(|&p| p > 1.0));
    }

    #[test]
    fn f32_and_f64_agree_to_f32_precision() {
        for &x in &[0.3, 1.0, 2.5] {
            let a = poly(x as f32) as f64;
            let b = poly(x);
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0));
        }
    }

    #[test]
    fn clamp_selects_branch_and_its_derivative() {
        let x = Dual64::new(0.5, 1.0);
        let lo = Dual64::c(1.0);
        assert_eq!(x.clamp_min(lo).eps, 0.0);
        assert_eq!(x.clamp_max(lo).eps, 1.0);
        // at a tie the input (and its derivative) passes through, as torch.clamp does
        let tie = Dual64::new(1.0, 1.0);
        assert_eq!(tie.clamp_min(lo).eps, 1.0);
        assert_eq!(tie.clamp(Dual64::c(0.0), lo).eps, 1.0);
        assert_eq!(select(false, x, lo).re, 1.0);
    }

    #[test]
    fn dual_non_finite_derivative_is_reported() {
        let d = Dual64::new(0.0, 1.0).sqrt();
        assert!(!Scalar::is_finite(&d));
    }

    #[test]
    fn dual_n_variables_are_identity_rows() {
        for i in 0..12 {
            let x = DualN::<10>::variable(2.5, i);
            assert_eq!(x.re, 2.5);
            for (j, &e) in x.eps.iter().enumerate() {
                assert_eq!(
                    e,
                    if i == j { 1.0 } else { 0.0 },
                    "variable {i}, direction {j}"
                );
            }
            assert_eq!(DualN::<10>::unit(i), x.eps);
        }
    }

    #[test]
    fn dual_n_matches_dual64_direction_by_direction() {
        let f = |x: DualN<3>, y: DualN<3>, z: DualN<3>| {
            branchy(x) * poly(y) / (z.exp() + z.tanh()) - (x * y).sqrt() + z.powi(3)
        };
        let g = |x: Dual64, y: Dual64, z: Dual64| {
            branchy(x) * poly(y) / (z.exp() + z.tanh()) - (x * y).sqrt() + z.powi(3)
        };
        for &(a, b, c) in &[(0.7, 1.3, 0.2), (1.5, 2.0, -0.4), (2.9, 0.4, 1.1)] {
            let d = f(
                DualN::variable(a, 0),
                DualN::variable(b, 1),
                DualN::variable(c, 2),
            );
            for k in 0..3 {
                let seed = |i: usize, v: f64| Dual64::new(v, if i == k { 1.0 } else { 0.0 });
                let e = g(seed(0, a), seed(1, b), seed(2, c));
                assert!((d.re - e.re).abs() <= 1e-14 * e.re.abs().max(1.0));
                assert!(
                    (d.eps[k] - e.eps).abs() <= 1e-12 * e.eps.abs().max(1.0),
                    "direction {k}"
                );
            }
        }
    }

    #[test]
    fn powi_is_binary_exponentiation_in_single_numbers_and_lanes() {
        let xs = [0.3, -1.7, 2.5, 1e-3, -0.9, 7.0, 1.0, 0.0];
        for n in -5..=9 {
            let l = Lanes::<f64, 8>::from_lanes(|i| xs[i]).powi(n);
            for (i, &x) in xs.iter().enumerate() {
                let got = Scalar::powi(x, n);
                // within an ulp or two of the library's value, and the same bits in every lane
                let want = x.powi(n);
                assert!(
                    got == want || (got - want).abs() <= 4.0 * f64::EPSILON * want.abs(),
                    "{x}^{n}: {got} vs {want}"
                );
                assert_eq!(l.lane(i).to_bits(), got.to_bits(), "lane {i}: {x}^{n}");
                let g32 = Scalar::powi(x as f32, n);
                let l32 = Lanes::<f32, 8>::from_lanes(|i| xs[i]).powi(n);
                assert_eq!(l32.lane(i) as f32, g32, "f32 lane {i}: {x}^{n}");
            }
        }
        assert_eq!(Scalar::powi(3.0_f64, 3), 27.0);
        assert_eq!(Scalar::powi(2.0_f64, -2), 0.25);
        assert_eq!(Scalar::powi(f64::NAN, 0), 1.0);
    }

    #[test]
    fn lanes_compute_each_lane_like_a_single_number() {
        let xs = [0.1, 0.5, 0.99, 1.0, 1.01, 1.7, 2.5, 4.0];
        let lanes = Lanes::<f64, 8>::from_lanes(|i| xs[i]);
        let p = poly(lanes);
        let b = branchy(lanes);
        for (i, &x) in xs.iter().enumerate() {
            assert_eq!(p.lane(i), poly(x), "poly lane {i}");
            assert_eq!(b.lane(i), branchy(x), "branchy lane {i}");
        }
        let l32 = Lanes::<f32, 8>::from_lanes(|i| xs[i]);
        for (i, &x) in xs.iter().enumerate() {
            assert_eq!(branchy(l32).lane(i), branchy(x as f32) as f64);
        }
    }

    #[test]
    fn lane_masks_combine() {
        let x = Lanes([1.0f32, 2.0, 3.0, 4.0]);
        let m = x.gt(Lanes::c(1.5)) & !x.ge(Lanes::c(4.0));
        assert!(m.any() && !m.all());
        assert_eq!(select(m, x, Lanes::zero()).0, [0.0, 2.0, 3.0, 0.0]);
        assert!(x.is_finite());
        assert!(!Lanes([1.0f32, f32::NAN, 0.0, 0.0]).is_finite());
    }
}
