//! [`Lanes`]: N independent numbers processed together (struct-of-arrays), so that model code
//! written over [`Scalar`] runs on N batch elements at once and the compiler can vectorise it.

use crate::{Mask, Scalar};
use std::fmt;
use std::ops::{
    Add, AddAssign, BitAnd, BitOr, Div, DivAssign, Mul, MulAssign, Neg, Not, Sub, SubAssign,
};

/// `N` independent values of `T` (`f32` or `f64`), one per batch element. Arithmetic is lane by
/// lane; comparisons give a [`LaneMask`] and [`Scalar::select`] blends lane by lane, so the
/// branches of the models are evaluated for every lane and each lane keeps its own.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(transparent)]
pub struct Lanes<T, const N: usize>(pub [T; N]);

/// One flag per lane, the result of comparing two [`Lanes`]: all bits set (true) or clear
/// (false) in an integer as wide as the lane's float, so that a comparison and a blend compile
/// to the processor's packed compare and bitwise select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct LaneMask<B, const N: usize>(pub [B; N]);

macro_rules! impl_mask {
    ($b:ty) => {
        impl<const N: usize> Mask for LaneMask<$b, N> {
            #[inline(always)]
            fn any(self) -> bool {
                self.0.iter().any(|&b| b != 0)
            }
            #[inline(always)]
            fn all(self) -> bool {
                self.0.iter().all(|&b| b != 0)
            }
        }
        impl<const N: usize> BitAnd for LaneMask<$b, N> {
            type Output = Self;
            #[inline(always)]
            fn bitand(self, o: Self) -> Self {
                LaneMask(std::array::from_fn(|i| self.0[i] & o.0[i]))
            }
        }
        impl<const N: usize> BitOr for LaneMask<$b, N> {
            type Output = Self;
            #[inline(always)]
            fn bitor(self, o: Self) -> Self {
                LaneMask(std::array::from_fn(|i| self.0[i] | o.0[i]))
            }
        }
        impl<const N: usize> Not for LaneMask<$b, N> {
            type Output = Self;
            #[inline(always)]
            fn not(self) -> Self {
                LaneMask(std::array::from_fn(|i| !self.0[i]))
            }
        }
    };
}
impl_mask!(u32);
impl_mask!(u64);

macro_rules! binop {
    ($t:ty, $tr:ident, $f:ident, $atr:ident, $af:ident, $op:tt) => {
        impl<const N: usize> $tr for Lanes<$t, N> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, o: Self) -> Self {
                Lanes(std::array::from_fn(|i| self.0[i] $op o.0[i]))
            }
        }
        impl<const N: usize> $atr for Lanes<$t, N> {
            #[inline(always)]
            fn $af(&mut self, o: Self) {
                for i in 0..N {
                    self.0[i] = self.0[i] $op o.0[i];
                }
            }
        }
    };
}

macro_rules! map {
    ($s:expr, $f:expr) => {
        Lanes(std::array::from_fn(|i| $f($s.0[i])))
    };
}

macro_rules! impl_lanes {
    ($t:ty, $b:ty) => {
        binop!($t, Add, add, AddAssign, add_assign, +);
        binop!($t, Sub, sub, SubAssign, sub_assign, -);
        binop!($t, Mul, mul, MulAssign, mul_assign, *);
        binop!($t, Div, div, DivAssign, div_assign, /);

        impl<const N: usize> Neg for Lanes<$t, N> {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                map!(self, |x: $t| -x)
            }
        }

        impl<const N: usize> fmt::Display for Lanes<$t, N> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }

        impl<const N: usize> Scalar for Lanes<$t, N> {
            type Mask = LaneMask<$b, N>;
            const LANES: usize = N;
            #[inline(always)]
            fn c(x: f64) -> Self {
                Lanes([x as $t; N])
            }
            #[inline(always)]
            fn lane(&self, i: usize) -> f64 {
                self.0[i] as f64
            }
            #[inline(always)]
            fn from_lanes(value: impl Fn(usize) -> f64) -> Self {
                Lanes(std::array::from_fn(|i| value(i) as $t))
            }
            #[inline(always)]
            fn lt(self, o: Self) -> LaneMask<$b, N> {
                LaneMask(std::array::from_fn(|i| if self.0[i] < o.0[i] { <$b>::MAX } else { 0 }))
            }
            #[inline(always)]
            fn le(self, o: Self) -> LaneMask<$b, N> {
                LaneMask(std::array::from_fn(|i| if self.0[i] <= o.0[i] { <$b>::MAX } else { 0 }))
            }
            #[inline(always)]
            fn select(m: LaneMask<$b, N>, a: Self, b: Self) -> Self {
                Lanes(std::array::from_fn(|i| {
                    <$t>::from_bits((a.0[i].to_bits() & m.0[i]) | (b.0[i].to_bits() & !m.0[i]))
                }))
            }
            #[inline(always)]
            fn exp(self) -> Self {
                map!(self, <$t>::exp)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                map!(self, <$t>::ln)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                map!(self, <$t>::sqrt)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                map!(self, <$t>::sin)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                map!(self, <$t>::cos)
            }
            #[inline(always)]
            fn sin_cos(self) -> (Self, Self) {
                let mut s = self;
                let mut c = self;
                for i in 0..N {
                    (s.0[i], c.0[i]) = self.0[i].sin_cos();
                }
                (s, c)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                map!(self, <$t>::tanh)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                map!(self, |x: $t| crate::powi_fixed!($t, x, n))
            }
            #[inline(always)]
            fn is_finite(&self) -> bool {
                self.0.iter().all(|x| x.is_finite())
            }
        }
    };
}

impl_lanes!(f32, u32);
impl_lanes!(f64, u64);
