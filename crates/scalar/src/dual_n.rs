//! [`DualN`]: a forward-mode dual number carrying N directional derivatives at once.

use crate::dual_macros::Part;
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
    /// The rows of the N × N identity: `UNITS[i]` is the derivative part of variable `i`.
    const UNITS: [[f64; N]; N] = identity_rows::<N>();

    /// The input variable number `i`: derivative 1 along direction `i` (none if `i >= N`).
    #[inline]
    pub fn variable(re: f64, i: usize) -> Self {
        Self {
            re,
            eps: Self::unit(i),
        }
    }

    /// The derivative part of input variable number `i`: 1 along direction `i`, 0 along the
    /// others (all 0 if `i >= N`).
    ///
    /// Read whole from a table rather than written one entry into a zeroed array: code that
    /// loads the array as vectors right after would otherwise wait for the narrow store to
    /// retire (a failed store-to-load forwarding, about 15 cycles each time; measured as 16 %
    /// of a training batch of arm26 when the proprioception VJP seeded its 9 directions so).
    #[inline]
    pub fn unit(i: usize) -> [f64; N] {
        if i < N {
            Self::UNITS[i]
        } else {
            [0.0; N]
        }
    }
    /// Chain rule: f(self) with f(re) = `value` and f'(re) = `slope`.
    #[inline(always)]
    fn chain(self, value: f64, slope: f64) -> Self {
        Self {
            re: value,
            eps: eps_from!(self.eps, |i| self.eps[i] * slope),
        }
    }
}

/// The rows of the N × N identity matrix.
const fn identity_rows<const N: usize>() -> [[f64; N]; N] {
    let mut rows = [[0.0; N]; N];
    let mut i = 0;
    while i < N {
        rows[i][i] = 1.0;
        i += 1;
    }
    rows
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
