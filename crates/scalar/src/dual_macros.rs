//! The arithmetic and chain rules that [`DualN`](crate::DualN) (one element, `f64` parts) and
//! [`DualLanes`](crate::DualLanes) (several elements, `Lanes<f64, L>` parts) share: written once,
//! over the type `$r` of their value and derivative parts, which implements [`Scalar`](crate::Scalar)
//! and [`Part`].
//!
//! The derivative parts are computed by loops ([`eps_from!`], [`Part`]) rather than by
//! `std::array::from_fn` and `Lanes`' operators: with `Lanes` parts (64-byte vectors), those
//! were compiled as out-of-line calls that return their arrays through memory, about a third
//! of the time of a `DualLanes<4, 8>` residual in the compliant muscle's VJP. (`Lanes`' own
//! operators keep `from_fn`, which vectorises the plain `f64` lanes better.)

/// The operations of a dual number's value and derivative parts (`f64`, or `Lanes<f64, L>`
/// by loops over the lanes).
pub(crate) trait Part: Copy {
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn neg(self) -> Self;
    fn scale(self, k: f64) -> Self;
    /// `1 / self`.
    fn recip(self) -> Self;
}

impl Part for f64 {
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self + o
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self - o
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self * o
    }
    #[inline(always)]
    fn neg(self) -> Self {
        -self
    }
    #[inline(always)]
    fn scale(self, k: f64) -> Self {
        self * k
    }
    #[inline(always)]
    fn recip(self) -> Self {
        1.0 / self
    }
}

/// `[f(0), …, f(N − 1)]` for a derivative part `like` (an array of N entries, copied as the
/// output's storage): a loop rather than `std::array::from_fn` (see the module's doc).
macro_rules! eps_from {
    ($like:expr, |$i:ident| $e:expr) => {{
        let mut out = $like;
        for $i in 0..out.len() {
            out[$i] = $e;
        }
        out
    }};
}

/// [`eps_from!`] over the lanes of a `Lanes` value `a`.
macro_rules! lanes_loop {
    ($a:expr, |$l:ident| $e:expr) => {
        $crate::Lanes(eps_from!($a.0, |$l| $e))
    };
}

impl<const L: usize> Part for crate::Lanes<f64, L> {
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        lanes_loop!(self, |l| self.0[l] + o.0[l])
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        lanes_loop!(self, |l| self.0[l] - o.0[l])
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        lanes_loop!(self, |l| self.0[l] * o.0[l])
    }
    #[inline(always)]
    fn neg(self) -> Self {
        lanes_loop!(self, |l| -self.0[l])
    }
    #[inline(always)]
    fn scale(self, k: f64) -> Self {
        lanes_loop!(self, |l| self.0[l] * k)
    }
    #[inline(always)]
    fn recip(self) -> Self {
        lanes_loop!(self, |l| 1.0 / self.0[l])
    }
}

/// `Add`, `Sub`, `Mul` (product rule), `Div` (quotient rule), `Neg` and the assigning
/// operators for a dual number type with fields `re: $r` and `eps: [$r; N]`.
macro_rules! dual_arithmetic {
    ([$($gen:tt)*] $ty:ty, $r:ty) => {
        impl<$($gen)*> std::ops::Add for $ty {
            type Output = Self;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                Self {
                    re: Part::add(self.re, o.re),
                    eps: eps_from!(self.eps, |i| Part::add(self.eps[i], o.eps[i])),
                }
            }
        }

        impl<$($gen)*> std::ops::Sub for $ty {
            type Output = Self;
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                Self {
                    re: Part::sub(self.re, o.re),
                    eps: eps_from!(self.eps, |i| Part::sub(self.eps[i], o.eps[i])),
                }
            }
        }

        impl<$($gen)*> std::ops::Mul for $ty {
            type Output = Self;
            // the product rule adds
            #[allow(clippy::suspicious_arithmetic_impl)]
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                Self {
                    re: Part::mul(self.re, o.re),
                    eps: eps_from!(self.eps, |i| {
                        Part::add(Part::mul(self.eps[i], o.re), Part::mul(self.re, o.eps[i]))
                    }),
                }
            }
        }

        impl<$($gen)*> std::ops::Div for $ty {
            type Output = Self;
            // the quotient rule subtracts and multiplies
            #[allow(clippy::suspicious_arithmetic_impl)]
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                let inv = Part::recip(o.re);
                let re = Part::mul(self.re, inv);
                Self {
                    re,
                    eps: eps_from!(self.eps, |i| {
                        Part::mul(Part::sub(self.eps[i], Part::mul(re, o.eps[i])), inv)
                    }),
                }
            }
        }

        impl<$($gen)*> std::ops::Neg for $ty {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                Self {
                    re: Part::neg(self.re),
                    eps: eps_from!(self.eps, |i| Part::neg(self.eps[i])),
                }
            }
        }

        impl<$($gen)*> std::ops::AddAssign for $ty {
            #[inline(always)]
            fn add_assign(&mut self, o: Self) {
                *self = *self + o;
            }
        }
        impl<$($gen)*> std::ops::SubAssign for $ty {
            #[inline(always)]
            fn sub_assign(&mut self, o: Self) {
                *self = *self - o;
            }
        }
        impl<$($gen)*> std::ops::MulAssign for $ty {
            #[inline(always)]
            fn mul_assign(&mut self, o: Self) {
                *self = *self * o;
            }
        }
        impl<$($gen)*> std::ops::DivAssign for $ty {
            #[inline(always)]
            fn div_assign(&mut self, o: Self) {
                *self = *self / o;
            }
        }
    };
}

/// The `Scalar` methods of a dual number type that follow from the chain rule, for use inside
/// its `impl Scalar` block (the type has `fn chain(self, value: $r, slope: $r) -> Self`), and
/// `scale`, `shift` and `is_finite`.
macro_rules! dual_chain_rules {
    ($r:ty) => {
        #[inline(always)]
        fn scale(self, k: f64) -> Self {
            Self {
                re: Part::scale(self.re, k),
                eps: eps_from!(self.eps, |i| Part::scale(self.eps[i], k)),
            }
        }
        #[inline(always)]
        fn shift(self, k: f64) -> Self {
            Self {
                re: $crate::Scalar::shift(self.re, k),
                eps: self.eps,
            }
        }
        #[inline]
        fn exp(self) -> Self {
            let e = $crate::Scalar::exp(self.re);
            self.chain(e, e)
        }
        #[inline]
        fn ln(self) -> Self {
            let one = <$r as $crate::Scalar>::c(1.0);
            self.chain($crate::Scalar::ln(self.re), one / self.re)
        }
        #[inline]
        fn sqrt(self) -> Self {
            let s = $crate::Scalar::sqrt(self.re);
            self.chain(s, <$r as $crate::Scalar>::c(0.5) / s)
        }
        #[inline]
        fn sin(self) -> Self {
            let (s, c) = $crate::Scalar::sin_cos(self.re);
            self.chain(s, c)
        }
        #[inline]
        fn cos(self) -> Self {
            let (s, c) = $crate::Scalar::sin_cos(self.re);
            self.chain(c, -s)
        }
        #[inline]
        fn sin_cos(self) -> (Self, Self) {
            let (s, c) = $crate::Scalar::sin_cos(self.re);
            (self.chain(s, c), self.chain(c, -s))
        }
        #[inline]
        fn tanh(self) -> Self {
            let t = $crate::Scalar::tanh(self.re);
            self.chain(t, <$r as $crate::Scalar>::c(1.0) - t * t)
        }
        #[inline]
        fn powi(self, n: i32) -> Self {
            match n {
                0 => Self::c(1.0),
                _ => {
                    let slope = $crate::Scalar::powi(self.re, n - 1);
                    self.chain(
                        $crate::Scalar::powi(self.re, n),
                        slope * <$r as $crate::Scalar>::c(n as f64),
                    )
                }
            }
        }
        #[inline]
        fn is_finite(&self) -> bool {
            $crate::Scalar::is_finite(&self.re)
                && self.eps.iter().all(|e| $crate::Scalar::is_finite(e))
        }
    };
}
