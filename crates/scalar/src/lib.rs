//! The number type every motornet-rs model is written over.
//!
//! Model code (muscles, skeletons, geometry) is written once, generic over [`Scalar`], and runs
//! unchanged on
//! - `f32`: fast batched simulation and training,
//! - `f64`: reference-precision simulation (MotorNet parity is checked in `f64`),
//! - [`Dual64`] (forward-mode dual numbers from `num-dual`): exact first derivatives.
//!
//! # Branches carry the derivative of the branch they select
//!
//! MotorNet writes its models with `torch.where` and `torch.clip`. Under autodiff those select a
//! branch *by value* and propagate the derivative of the selected branch only. The helpers here
//! ([`Scalar::clamp_min`], [`Scalar::clamp_max`], [`Scalar::clamp`], [`select`]) do the same:
//! comparisons read [`Scalar::re`] and the returned number is one of the inputs, derivative and
//! all. At a tie `clamp_*` returns the input (PyTorch's `clamp` also passes the gradient through
//! when the input equals the bound).
//!
//! ```
//! use motornet_scalar::{Dual64, Scalar};
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
//! ```
#![warn(missing_docs)]

use std::fmt::{Debug, Display};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

pub use num_dual::{Dual, Dual64};

/// A real number type the models can be evaluated in: `f32`, `f64` or a dual number.
///
/// Implementors must make [`Scalar::re`] return the real (value) part, which is what every
/// comparison inside the models reads.
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
    /// A constant: the `f64` rounded to this type (derivative part zero).
    fn c(x: f64) -> Self;
    /// The real (value) part, as `f64`. Branches select on this.
    fn re(&self) -> f64;
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
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Integer power.
    fn powi(self, n: i32) -> Self;
    /// Whether the real part is finite (not NaN, not ±∞).
    #[inline]
    fn is_finite(&self) -> bool {
        self.re().is_finite()
    }
    /// `max(self, lo)` by value; at a tie returns `self` (and its derivative).
    #[inline]
    fn clamp_min(self, lo: Self) -> Self {
        if self.re() < lo.re() {
            lo
        } else {
            self
        }
    }
    /// `min(self, hi)` by value; at a tie returns `self` (and its derivative).
    #[inline]
    fn clamp_max(self, hi: Self) -> Self {
        if self.re() > hi.re() {
            hi
        } else {
            self
        }
    }
    /// `clamp_max(clamp_min(self, lo), hi)`, as `torch.clamp(x, lo, hi)`.
    #[inline]
    fn clamp(self, lo: Self, hi: Self) -> Self {
        self.clamp_min(lo).clamp_max(hi)
    }
}

/// `if cond { a } else { b }`: the `torch.where` of the models, spelled as a function so that
/// model code reads like the equations it implements.
#[inline(always)]
pub fn select<S: Scalar>(cond: bool, a: S, b: S) -> S {
    if cond {
        a
    } else {
        b
    }
}

macro_rules! impl_float {
    ($t:ty) => {
        impl Scalar for $t {
            #[inline(always)]
            fn c(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn re(&self) -> f64 {
                *self as f64
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
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
        }
    };
}
impl_float!(f32);
impl_float!(f64);

impl Scalar for Dual64 {
    #[inline]
    fn c(x: f64) -> Self {
        Dual64::new(x, 0.0)
    }
    #[inline]
    fn re(&self) -> f64 {
        self.re
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

    #[test]
    fn dual_derivative_matches_finite_difference() {
        for &x in &[0.3, 1.0, 2.5] {
            let d = poly(Dual64::new(x, 1.0));
            let fd = central_difference(poly::<f64>, x, 1e-5);
            assert!((d.eps - fd).abs() <= 1e-8 * fd.abs().max(1.0), "x={x}");
            assert!((d.re - poly(x)).abs() <= 1e-14 * poly(x).abs().max(1.0));
        }
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
}
