//! [`DualLanes`]: forward-mode dual numbers for several batch elements at once.

use crate::dual_macros::Part;
use crate::{LaneMask, Lanes, Scalar};
use std::fmt;

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
            eps: eps_from!(self.eps, |i| Part::mul(self.eps[i], slope)),
        }
    }
}

dual_arithmetic!([const N: usize, const L: usize] DualLanes<N, L>, Lanes<f64, L>);

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
            // lane by lane in one loop nest (`V::select` per direction compiled poorly: see
            // `dual_macros`)
            eps: eps_from!(a.eps, |i| {
                lanes_loop!(a.eps[i], |l| {
                    let bits =
                        (a.eps[i].0[l].to_bits() & m.0[l]) | (b.eps[i].0[l].to_bits() & !m.0[l]);
                    f64::from_bits(bits)
                })
            }),
        }
    }
    dual_chain_rules!(Lanes<f64, L>);
}
