//! [`DualN`]: a forward-mode dual number carrying N directional derivatives at once.

use crate::{Real, Scalar};
use std::fmt;

/// A value (`re`) and its derivatives along `N` input directions (`eps`), in `f64`: one
/// evaluation of model code on `DualN<N>` gives N columns of its Jacobian. The effector's
/// vector–Jacobian products use it, a few directions at a time.
///
/// ```
/// use motornet_scalar::{DualN, Real, Scalar};
/// // f(x, y) = x·y + sin x, at (2, 3): ∂f/∂x = y + cos x, ∂f/∂y = x
/// let x = DualN::<2>::variable(2.0, 0);
/// let y = DualN::<2>::variable(3.0, 1);
/// let f = x * y + x.sin();
/// assert_eq!(f.re(), 6.0 + 2f64.sin());
/// assert_eq!(f.eps, [3.0 + 2f64.cos(), 2.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DualN<const N: usize> {
    /// The value.
    pub re: f64,
    /// Derivatives along each direction.
    pub eps: [f64; N],
}

impl<const N: usize> DualN<N> {
    /// A constant (all derivatives zero).
    #[inline(always)]
    pub fn constant(re: f64) -> Self {
        Self { re, eps: [0.0; N] }
    }
    /// The input variable number `i`: derivative 1 along direction `i` (none if `i >= N`).
    #[inline]
    pub fn variable(re: f64, i: usize) -> Self {
        let mut eps = [0.0; N];
        if i < N {
            eps[i] = 1.0;
        }
        Self { re, eps }
    }
    /// Chain rule: f(self) with f(re) = `value` and f'(re) = `slope`.
    #[inline(always)]
    fn chain(self, value: f64, slope: f64) -> Self {
        Self {
            re: value,
            eps: std::array::from_fn(|i| self.eps[i] * slope),
        }
    }
}

dual_arithmetic!([const N: usize] DualN<N>, f64);

impl<const N: usize> fmt::Display for DualN<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} + {:?}ε", self.re, self.eps)
    }
}

impl<const N: usize> Scalar for DualN<N> {
    type Mask = bool;
    const LANES: usize = 1;
    #[inline(always)]
    fn c(x: f64) -> Self {
        Self::constant(x)
    }
    #[inline(always)]
    fn lane(&self, _i: usize) -> f64 {
        self.re
    }
    #[inline(always)]
    fn from_lanes(value: impl Fn(usize) -> f64) -> Self {
        Self::constant(value(0))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> bool {
        self.re < o.re
    }
    #[inline(always)]
    fn le(self, o: Self) -> bool {
        self.re <= o.re
    }
    #[inline(always)]
    fn select(m: bool, a: Self, b: Self) -> Self {
        if m {
            a
        } else {
            b
        }
    }
    dual_chain_rules!(f64);
}

impl<const N: usize> Real for DualN<N> {}
