//! [`DualN`]: a forward-mode dual number carrying N directional derivatives at once.

use crate::{Real, Scalar};
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

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

impl<const N: usize> Add for DualN<N> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self {
            re: self.re + o.re,
            eps: std::array::from_fn(|i| self.eps[i] + o.eps[i]),
        }
    }
}

impl<const N: usize> Sub for DualN<N> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self {
            re: self.re - o.re,
            eps: std::array::from_fn(|i| self.eps[i] - o.eps[i]),
        }
    }
}

impl<const N: usize> Mul for DualN<N> {
    type Output = Self;
    // the product rule adds
    #[allow(clippy::suspicious_arithmetic_impl)]
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Self {
            re: self.re * o.re,
            eps: std::array::from_fn(|i| self.eps[i] * o.re + self.re * o.eps[i]),
        }
    }
}

impl<const N: usize> Div for DualN<N> {
    type Output = Self;
    // the quotient rule subtracts and multiplies
    #[allow(clippy::suspicious_arithmetic_impl)]
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        let inv = 1.0 / o.re;
        let re = self.re * inv;
        Self {
            re,
            eps: std::array::from_fn(|i| (self.eps[i] - re * o.eps[i]) * inv),
        }
    }
}

impl<const N: usize> Neg for DualN<N> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Self {
            re: -self.re,
            eps: std::array::from_fn(|i| -self.eps[i]),
        }
    }
}

macro_rules! assign {
    ($tr:ident, $f:ident, $op:tt) => {
        impl<const N: usize> $tr for DualN<N> {
            #[inline(always)]
            fn $f(&mut self, o: Self) {
                *self = *self $op o;
            }
        }
    };
}
assign!(AddAssign, add_assign, +);
assign!(SubAssign, sub_assign, -);
assign!(MulAssign, mul_assign, *);
assign!(DivAssign, div_assign, /);

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
    #[inline(always)]
    fn scale(self, k: f64) -> Self {
        Self {
            re: self.re * k,
            eps: std::array::from_fn(|i| self.eps[i] * k),
        }
    }
    #[inline(always)]
    fn shift(self, k: f64) -> Self {
        Self {
            re: self.re + k,
            eps: self.eps,
        }
    }
    #[inline]
    fn exp(self) -> Self {
        let e = self.re.exp();
        self.chain(e, e)
    }
    #[inline]
    fn ln(self) -> Self {
        self.chain(self.re.ln(), 1.0 / self.re)
    }
    #[inline]
    fn sqrt(self) -> Self {
        let s = self.re.sqrt();
        self.chain(s, 0.5 / s)
    }
    #[inline]
    fn sin(self) -> Self {
        let (s, c) = self.re.sin_cos();
        self.chain(s, c)
    }
    #[inline]
    fn cos(self) -> Self {
        let (s, c) = self.re.sin_cos();
        self.chain(c, -s)
    }
    #[inline]
    fn sin_cos(self) -> (Self, Self) {
        let (s, c) = self.re.sin_cos();
        (self.chain(s, c), self.chain(c, -s))
    }
    #[inline]
    fn tanh(self) -> Self {
        let t = self.re.tanh();
        self.chain(t, 1.0 - t * t)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        match n {
            0 => Self::constant(1.0),
            _ => self.chain(self.re.powi(n), n as f64 * self.re.powi(n - 1)),
        }
    }
    #[inline]
    fn is_finite(&self) -> bool {
        self.re.is_finite() && self.eps.iter().all(|e| e.is_finite())
    }
}

impl<const N: usize> Real for DualN<N> {}
