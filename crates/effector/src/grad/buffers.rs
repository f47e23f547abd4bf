//! The slices a VJP reads ([`Parts`]) and adds into ([`GradOut`]), for [`State`]s and
//! flattened state rows alike, and the accumulation every VJP of this module goes through
//! ([`add_weighted_eps`]).

use super::StepGradient;
use crate::effector::State;
use motornet_scalar::DualN;

/// Resize `out` for `state` and zero it, keeping its allocations.
pub(super) fn reset_gradient(
    out: &mut StepGradient,
    state: &State<f64>,
    m: usize,
    el: usize,
    jl: usize,
) {
    for (v, n) in [
        (&mut out.state.joint, state.joint.len()),
        (&mut out.state.muscle, state.muscle.len()),
        (&mut out.state.geometry, state.geometry.len()),
        (&mut out.excitation, m),
        (&mut out.endpoint_load, el),
        (&mut out.joint_load, jl),
    ] {
        v.clear();
        v.resize(n, 0.0);
    }
}

/// A state read in place: the three parts of a [`State`] or of a flattened state row
/// (`[joint | muscle | geometry]`).
#[derive(Clone, Copy)]
pub(super) struct Parts<'a> {
    pub(super) joint: &'a [f64],
    pub(super) muscle: &'a [f64],
    pub(super) geometry: &'a [f64],
}

impl<'a> Parts<'a> {
    pub(super) fn of(s: &'a State<f64>) -> Self {
        Self {
            joint: &s.joint,
            muscle: &s.muscle,
            geometry: &s.geometry,
        }
    }

    /// Split a flattened row with parts of `j` and `m` numbers (the geometry is the rest).
    pub(super) fn of_row(row: &'a [f64], j: usize, m: usize) -> Self {
        let (joint, rest) = row.split_at(j);
        let (muscle, geometry) = rest.split_at(m);
        Self {
            joint,
            muscle,
            geometry,
        }
    }
}

/// Where a VJP adds its gradients (`+=`, never `=`): with respect to the state's parts, the
/// excitation and the loads.
pub(super) struct GradOut<'a> {
    pub(super) joint: &'a mut [f64],
    pub(super) muscle: &'a mut [f64],
    pub(super) geometry: &'a mut [f64],
    pub(super) excitation: &'a mut [f64],
    pub(super) endpoint_load: &'a mut [f64],
    pub(super) joint_load: &'a mut [f64],
}

impl<'a> GradOut<'a> {
    pub(super) fn of(g: &'a mut StepGradient) -> Self {
        Self {
            joint: &mut g.state.joint,
            muscle: &mut g.state.muscle,
            geometry: &mut g.state.geometry,
            excitation: &mut g.excitation,
            endpoint_load: &mut g.endpoint_load,
            joint_load: &mut g.joint_load,
        }
    }

    /// Split a flattened state-gradient row with parts of `j` and `m` numbers.
    pub(super) fn of_row(
        row: &'a mut [f64],
        j: usize,
        m: usize,
        excitation: &'a mut [f64],
        endpoint_load: &'a mut [f64],
        joint_load: &'a mut [f64],
    ) -> Self {
        let (joint, rest) = row.split_at_mut(j);
        let (muscle, geometry) = rest.split_at_mut(m);
        Self {
            joint,
            muscle,
            geometry,
            excitation,
            endpoint_load,
            joint_load,
        }
    }
}

/// `acc[i] += Σ_o g[o] · ∂y_o/∂(direction i)` for the first `acc.len()` (≤ `N`) directions:
/// the VJP contribution of one forward-mode pass, outputs `ys` weighted by their gradients `g`
/// (outputs with a zero gradient skipped). Every VJP in this crate accumulates through it.
#[inline(always)]
pub(super) fn add_weighted_eps<const N: usize>(acc: &mut [f64], ys: &[DualN<N>], g: &[f64]) {
    for (y, &go) in ys.iter().zip(g) {
        if go != 0.0 {
            for (a, e) in acc.iter_mut().zip(&y.eps) {
                *a += go * e;
            }
        }
    }
}

/// `dst += src` element by element.
pub(super) fn add_into(dst: &mut [f64], src: &[f64]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}
