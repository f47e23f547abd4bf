//! [`DualLanes`]: forward-mode dual numbers for several batch elements at once.

use crate::{LaneMask, Lanes, Scalar};
use std::fmt;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// `L` batch elements' values (`re`) and their derivatives along `N` input directions (`eps`),
/// in `f64`, laid out struct-of-arrays: one evaluation of model code on `DualLanes<N, L>` gives
/// N Jacobian columns for each of L elements, with every operation a [`Lanes`] operation the
/// compiler can vectorise. Lane `l` of every part belongs to element `l`; comparisons give one
/// flag per lane and [`Scalar::select`] blends lane by lane, so each element follows its own
/// branch (derivative included), as [`DualN`](crate::DualN) does for one element.
///
/// ```
/// use motornet_scalar::{DualLanes, Lanes, Scalar};
/// // f(x, y) = x·y + sin x for two elements: (2, 3) and (1, 5)
/// let x = DualLanes::<2, 2>::variable(Lanes([2.0, 1.0]), 0);
/// let y = DualLanes::<2, 2>::variable(Lanes([3.0, 5.0]), 1);
/// let f = x * y + x.sin();
/// assert_eq!(f.re.0, [6.0 + 2f64.sin(), 5.0 + 1f64.sin()]);
/// assert_eq!(f.eps[0].0, [3.0 + 2f64.cos(), 5.0 + 1f64.cos()]); // ∂f/∂x = y + cos x
/// assert_eq!(f.eps[1].0, [2.0, 1.0]); // ∂f/∂y = x
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DualLanes<const N: usize, const L: usize> {
    /// The values, one per element.
    pub re: Lanes<f64, L>,
    /// Derivatives along each direction, one per element.
    pub eps: [Lanes<f64, L>; N],
}

type V<const L: usize> = Lanes<f64, L>;

impl<const N: usize, const L: usize> DualLanes<N, L> {
    /// Constants (all derivatives zero).
    #[inline(always)]
    pub fn constant(re: Lanes<f64, L>) -> Self {
        Self {
            re,
            eps: [V::c(0.0); N],
        }
    }
    /// Input variable number `i` in every lane: derivative 1 along direction `i` (none if
    /// `i >= N`).
    #[inline]
    pub fn variable(re: Lanes<f64, L>, i: usize) -> Self {
        let mut x = Self::constant(re);
        if i < N {
            x.eps[i] = V::c(1.0);
        }
        x
    }
    /// Chain rule: f(self) with f(re) = `value` and f'(re) = `slope`, lane by lane.
    #[inline(always)]
    fn chain(self, value: V<L>, slope: V<L>) -> Self {
        Self {
            re: value,
            eps: std::array::from_fn(|i| self.eps[i] * slope),
        }
    }
}

impl<const N: usize, const L: usize> Add for DualLanes<N, L> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Self {
            re: self.re + o.re,
            eps: std::array::from_fn(|i| self.eps[i] + o.eps[i]),
        }
    }
}

impl<const N: usize, const L: usize> Sub for DualLanes<N, L> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Self {
            re: self.re - o.re,
            eps: std::array::from_fn(|i| self.eps[i] - o.eps[i]),
        }
    }
}

impl<const N: usize, const L: usize> Mul for DualLanes<N, L> {
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

impl<const N: usize, const L: usize> Div for DualLanes<N, L> {
    type Output = Self;
    // the quotient rule subtracts and multiplies
    #[allow(clippy::suspicious_arithmetic_impl)]
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        let inv = V::c(1.0) / o.re;
        let re = self.re * inv;
        Self {
            re,
            eps: std::array::from_fn(|i| (self.eps[i] - re * o.eps[i]) * inv),
        }
    }
}

impl<const N: usize, const L: usize> Neg for DualLanes<N, L> {
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
        impl<const N: usize, const L: usize> $tr for DualLanes<N, L> {
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

impl<const N: usize, const L: usize> fmt::Display for DualLanes<N, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} + {:?}ε", self.re, self.eps)
    }
}

impl<const N: usize, const L: usize> Scalar for DualLanes<N, L> {
    type Mask = LaneMask<u64, L>;
    const LANES: usize = L;
    #[inline(always)]
    fn c(x: f64) -> Self {
        Self::constant(V::c(x))
    }
    #[inline(always)]
    fn lane(&self, i: usize) -> f64 {
        self.re.0[i]
    }
    #[inline(always)]
    fn from_lanes(value: impl Fn(usize) -> f64) -> Self {
        Self::constant(V::from_lanes(value))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Self::Mask {
        self.re.lt(o.re)
    }
    #[inline(always)]
    fn le(self, o: Self) -> Self::Mask {
        self.re.le(o.re)
    }
    #[inline(always)]
    fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        Self {
            re: V::select(m, a.re, b.re),
            eps: std::array::from_fn(|i| V::select(m, a.eps[i], b.eps[i])),
        }
    }
    #[inline(always)]
    fn scale(self, k: f64) -> Self {
        Self {
            re: self.re.scale(k),
            eps: std::array::from_fn(|i| self.eps[i].scale(k)),
        }
    }
    #[inline(always)]
    fn shift(self, k: f64) -> Self {
        Self {
            re: self.re.shift(k),
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
        self.chain(self.re.ln(), V::c(1.0) / self.re)
    }
    #[inline]
    fn sqrt(self) -> Self {
        let s = self.re.sqrt();
        self.chain(s, V::c(0.5) / s)
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
        self.chain(t, V::c(1.0) - t * t)
    }
    #[inline]
    fn powi(self, n: i32) -> Self {
        match n {
            0 => Self::c(1.0),
            _ => self.chain(self.re.powi(n), self.re.powi(n - 1).scale(n as f64)),
        }
    }
    #[inline]
    fn is_finite(&self) -> bool {
        self.re.is_finite() && self.eps.iter().all(|e| e.is_finite())
    }
}
