//! Spatial tendons with wrapping, as MuJoCo's `<tendon><spatial>`: each muscle's path runs
//! through sites fixed on bodies, and between two sites it may wrap around a sphere or an
//! infinite cylinder fixed on a body.
//!
//! Semantics (MuJoCo 4.0.1; MuJoCo documentation, Modeling → Tendons and XML reference →
//! tendon/spatial, and the tendon part of Computation):
//! - The length is the sum of the straight segments between consecutive sites. Where a wrap
//!   geom sits between two sites, the segment is replaced by the shortest path around the geom
//!   when the straight segment would cross it: straight to a tangent point, along the surface,
//!   straight from the second tangent point. Spheres wrap along a great circle in the plane
//!   through the two sites and the centre; cylinders wrap in the plane perpendicular to the axis
//!   as a circle, the axial coordinate of the tangent points interpolated linearly in the
//!   projected path length, so the curved part is a helix.
//! - Without a sidesite the path goes the shorter way and only wraps if the straight segment
//!   crosses the circle. A site inside the circle (|p| < radius, in the wrap plane) never wraps.
//! - With a sidesite (outside the geom), each end takes its tangent point nearer to the sidesite
//!   (projected into the wrap plane). If the straight segment crosses the circle the path wraps
//!   with those tangent points when they go the same way round, else the shorter way. If it does
//!   not cross, the path wraps (possibly the long way round, more than half a turn) only when
//!   both ends' choices go the same way round, the two straight parts do not cross each other
//!   and the sidesite is on the side of the arc's midpoint; otherwise it stays straight. These
//!   rules were measured against MuJoCo 4.0.1 (20 000 random configurations, every one equal).
//! - A sidesite inside the geom (3-D distance from the centre below the radius, also for
//!   cylinders) makes an inverse wrap (MuJoCo ≥ 2.0: "the tendon path is constrained to pass
//!   through the object instead of going around it"): the path touches the circle at the one
//!   point that makes it shortest (equal angles with the surface normal) and has no curved part;
//!   it stays straight if the straight segment already meets the circle or a site is on or
//!   inside it. MuJoCo finds that point by Newton iterations to a tolerance of 1e-6; this code
//!   solves it to machine precision.
//!
//! Moment arms are d(length)/dq, computed as MuJoCo does: the tangent points are treated as
//! fixed on the wrap geom's body (their Jacobian is that body's point Jacobian), which is exact
//! because the tangent points make the length stationary. Velocity = moment arms · q̇.
//!
//! Degenerate input never gives NaN: a zero-length segment (a site on a tangent point, or two
//! coincident sites) contributes no moment arm; two sites on a line through a sphere's centre
//! wrap in the plane whose normal is `(p0/|p0|) × (1, 1, 1)` (MuJoCo's choice, measured); a site
//! exactly at a geom's centre is inside it (no wrap); a sidesite projecting onto the centre of
//! the wrap plane (equidistant from both tangent points) counts as nearer to the first
//! (counter-clockwise) one.

use crate::error::EffectorError;
use crate::fields::{only_fields, read_field, table_field, FieldValue, SpecMap, SpecValue};
use crate::geometry::{BuiltinGeometry, FieldDecl, Geometry, PathPoint};
use crate::{MAX_DOF, SMALL_DOF};
use motornet_scalar::{Mask, Scalar};
use motornet_skeleton::{PosedSkeleton, Skeleton};
use std::collections::BTreeMap;
use std::f64::consts::{PI, TAU};

/// The shape of a wrapping geom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WrapShape {
    /// A sphere of this radius (m) around the centre.
    Sphere {
        /// Radius (m), positive.
        radius: f64,
    },
    /// An infinite cylinder of this radius (m) around the line through the centre along the
    /// axis.
    Cylinder {
        /// Radius (m), positive.
        radius: f64,
    },
}

impl WrapShape {
    /// The radius (m).
    pub fn radius(&self) -> f64 {
        match *self {
            WrapShape::Sphere { radius } | WrapShape::Cylinder { radius } => radius,
        }
    }
}

/// One element of a spatial tendon's path.
#[derive(Debug, Clone, PartialEq)]
pub enum TendonElement {
    /// A site: a point fixed on a body (its coordinates in m, 3 of them).
    Site(PathPoint),
    /// A wrapping geom fixed on a body, between two sites.
    Wrap {
        /// The body the geom is fixed on (0 = world).
        body: usize,
        /// The geom's centre (m) in the body's frame.
        center: [f64; 3],
        /// For cylinders, the direction of the axis in the body's frame (normalized on use; any
        /// non-zero length). Ignored for spheres.
        axis: [f64; 3],
        /// Sphere or cylinder, and its radius.
        shape: WrapShape,
        /// Optional sidesite: the side of the geom the tendon passes on, or, inside the geom,
        /// an inverse wrap (see the module documentation).
        sidesite: Option<PathPoint>,
    },
}

/// Muscles as MuJoCo spatial tendons: paths through sites, wrapping around spheres and
/// infinite cylinders (see the module documentation of `spatial.rs` for the exact rules).
/// Needs a skeleton with `space_dim` 3.
#[derive(Debug, Clone, PartialEq)]
pub struct SpatialTendons {
    tendons: Vec<Vec<TendonElement>>,
}

fn finite3(v: &[f64; 3]) -> bool {
    v.iter().all(|x| x.is_finite())
}

impl SpatialTendons {
    /// Tendons, one per muscle. Each starts and ends with a site, has at least two sites, and
    /// every wrap sits between two sites; radii are positive, centres finite, cylinder axes
    /// finite and non-zero. Bodies and coordinates are checked against a skeleton by
    /// [`Geometry::check`] when the effector is built.
    pub fn new(tendons: Vec<Vec<TendonElement>>) -> Result<Self, EffectorError> {
        if tendons.is_empty() {
            return Err(EffectorError::invalid(
                "geometry.tendons",
                "needs at least one muscle",
            ));
        }
        for (m, t) in tendons.iter().enumerate() {
            let bad = |reason: String| EffectorError::InvalidMuscle {
                index: m,
                muscle: String::new(),
                field: "geometry.tendons".into(),
                reason,
            };
            let n_sites = t
                .iter()
                .filter(|e| matches!(e, TendonElement::Site(_)))
                .count();
            if n_sites < 2 {
                return Err(bad(format!(
                    "a tendon needs at least two sites, got {n_sites}"
                )));
            }
            for (i, e) in t.iter().enumerate() {
                let TendonElement::Wrap {
                    center,
                    axis,
                    shape,
                    ..
                } = e
                else {
                    continue;
                };
                let between = i > 0
                    && i + 1 < t.len()
                    && matches!(t[i - 1], TendonElement::Site(_))
                    && matches!(t[i + 1], TendonElement::Site(_));
                if !between {
                    return Err(bad(format!(
                        "element {i}: a wrap must sit between two sites"
                    )));
                }
                let r = shape.radius();
                if !(r.is_finite() && r > 0.0) {
                    return Err(bad(format!(
                        "element {i}: radius {r} must be positive and finite"
                    )));
                }
                if !finite3(center) {
                    return Err(bad(format!("element {i}: center must be finite")));
                }
                if matches!(shape, WrapShape::Cylinder { .. }) {
                    let n = axis.iter().map(|x| x * x).sum::<f64>().sqrt();
                    if !(finite3(axis) && n > 1e-12) {
                        return Err(bad(format!(
                            "element {i}: a cylinder's axis must be finite and non-zero"
                        )));
                    }
                }
            }
        }
        Ok(Self { tendons })
    }

    /// The tendons, one per muscle.
    pub fn tendons(&self) -> &[Vec<TendonElement>] {
        &self.tendons
    }
}

// ---------------------------------------------------------------------------------------------
// Small vector helpers over Scalar.
// ---------------------------------------------------------------------------------------------

type V3<S> = [S; 3];

fn sub3<S: Scalar>(a: &V3<S>, b: &V3<S>) -> V3<S> {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn dot3<S: Scalar>(a: &V3<S>, b: &V3<S>) -> S {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross3<S: Scalar>(a: &V3<S>, b: &V3<S>) -> V3<S> {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn mask<S: Scalar>(f: impl Fn(usize) -> bool) -> S::Mask {
    S::from_lanes(|i| if f(i) { 1.0 } else { 0.0 }).gt(S::c(0.5))
}
/// `sqrt(x)` for `x > 0`, else 0, with no NaN or infinite derivative in either branch.
fn safe_sqrt<S: Scalar>(x: S) -> S {
    let pos = x.gt(S::zero());
    S::select(pos, S::select(pos, x, S::one()).sqrt(), S::zero())
}
/// `a / b`, or 0 where `b == 0`.
fn safe_div<S: Scalar>(a: S, b: S) -> S {
    let zero = b.le(S::zero()) & b.ge(S::zero());
    S::select(zero, S::zero(), a / S::select(zero, S::one(), b))
}
fn norm3<S: Scalar>(a: &V3<S>) -> S {
    safe_sqrt(dot3(a, a))
}
/// `a / |a|`, or 0 for the zero vector.
fn unit3<S: Scalar>(a: &V3<S>) -> V3<S> {
    let n = norm3(a);
    [safe_div(a[0], n), safe_div(a[1], n), safe_div(a[2], n)]
}
/// The angle of `(x, y)` (rad, in (−π, π]), exact in value and derivative: the value per lane
/// from `f64::atan2`, the derivative carried by one correction step (`tan(θ − θ₀)`, which is
/// zero in value). 0 for the origin.
fn atan2s<S: Scalar>(y: S, x: S) -> S {
    let t0 = S::from_lanes(|i| y.lane(i).atan2(x.lane(i)));
    let (s0, c0) = (
        S::from_lanes(|i| y.lane(i).atan2(x.lane(i)).sin()),
        S::from_lanes(|i| y.lane(i).atan2(x.lane(i)).cos()),
    );
    let num = y * c0 - x * s0;
    let den = x * c0 + y * s0;
    t0 + safe_div(num, den)
}

// ---------------------------------------------------------------------------------------------
// The 2-D wrap decision, in f64 (one lane at a time).
// ---------------------------------------------------------------------------------------------

/// Most lanes a scalar packs (`Lanes<_, 16>` at most; the workspace uses 4 and 8).
const MAX_LANES: usize = 16;

/// What a wrap does for one lane.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Wrap2 {
    /// Straight segment.
    None,
    /// Wrap with tangent point signs `s0 = +1` (counter-clockwise) or `−1` (clockwise).
    Pair(f64),
    /// Inverse wrap through the circle point at this angle (rad).
    Inside(f64),
}

fn cross2(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}
fn dot2(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[0] + a[1] * b[1]
}
fn sub2(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

/// Tangent point on the circle of radius `r` (origin) seen from `d` (outside): `s = +1` is the
/// one with `d × t > 0` (a path arriving there turns counter-clockwise).
fn tangent2(d: [f64; 2], r: f64, s: f64) -> [f64; 2] {
    let d2 = dot2(d, d).max(f64::MIN_POSITIVE);
    let w = (d2 - r * r).max(0.0).sqrt();
    [
        r / d2 * (r * d[0] - s * w * d[1]),
        r / d2 * (r * d[1] + s * w * d[0]),
    ]
}

/// The arc (rad, in [0, 2π)) from `t0` to `t1` going counter-clockwise (`s0 = +1`) or
/// clockwise.
fn arc2(t0: [f64; 2], t1: [f64; 2], s0: f64) -> f64 {
    let a = (s0 * cross2(t0, t1)).atan2(dot2(t0, t1));
    if a < 0.0 {
        a + TAU
    } else {
        a
    }
}

/// Whether segments `a–b` and `c–d` cross.
fn segments_cross(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> bool {
    let d1 = cross2(sub2(b, a), sub2(c, a));
    let d2 = cross2(sub2(b, a), sub2(d, a));
    let d3 = cross2(sub2(d, c), sub2(a, c));
    let d4 = cross2(sub2(d, c), sub2(b, c));
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

/// The point of segment `e0–e1` nearest the origin.
fn nearest_on_segment(e0: [f64; 2], e1: [f64; 2]) -> [f64; 2] {
    let dif = sub2(e1, e0);
    let dd = dot2(dif, dif);
    let a = if dd > 0.0 {
        (-dot2(dif, e0) / dd).clamp(0.0, 1.0)
    } else {
        0.0
    };
    [e0[0] + a * dif[0], e0[1] + a * dif[1]]
}

/// `side`: the sidesite in the wrap plane and its 3-D distance from the centre.
fn decide(e0: [f64; 2], e1: [f64; 2], side: Option<([f64; 2], f64)>, r: f64) -> Wrap2 {
    if let Some((_, s3)) = side {
        if s3 < r {
            return decide_inside(e0, e1, r);
        }
    }
    if dot2(e0, e0) < r * r || dot2(e1, e1) < r * r {
        return Wrap2::None;
    }
    let near = nearest_on_segment(e0, e1);
    let crosses = dot2(near, near) <= r * r;
    let arc_of = |s0: f64| arc2(tangent2(e0, r, s0), tangent2(e1, r, -s0), s0);
    let shorter = if arc_of(1.0) <= arc_of(-1.0) {
        1.0
    } else {
        -1.0
    };
    let Some((sd, _)) = side else {
        return if crosses {
            Wrap2::Pair(shorter)
        } else {
            Wrap2::None
        };
    };
    let nearer = |e: [f64; 2]| {
        let (p, m) = (tangent2(e, r, 1.0), tangent2(e, r, -1.0));
        let (dp, dm) = (sub2(p, sd), sub2(m, sd));
        let (qp, qm) = (dot2(dp, dp), dot2(dm, dm));
        // a tie (to rounding: the sidesite on the wrap plane's normal through the centre)
        // counts as nearer to the first (counter-clockwise) candidate, as in MuJoCo
        if qp <= qm || (qp - qm).abs() <= 1e-12 * (qp + qm) {
            1.0
        } else {
            -1.0
        }
    };
    let (c0, c1) = (nearer(e0), nearer(e1));
    let consistent = c0 == -c1;
    if crosses {
        return Wrap2::Pair(if consistent { c0 } else { shorter });
    }
    if !consistent {
        return Wrap2::None;
    }
    let (t0, t1) = (tangent2(e0, r, c0), tangent2(e1, r, c1));
    if segments_cross(e0, t0, e1, t1) {
        return Wrap2::None;
    }
    let mid = t0[1].atan2(t0[0]) + c0 * arc2(t0, t1, c0) / 2.0;
    if mid.cos() * sd[0] + mid.sin() * sd[1] < 0.0 {
        return Wrap2::None;
    }
    Wrap2::Pair(c0)
}

/// Length of the path `e0 → (r cos θ, r sin θ) → e1` and its first two derivatives in θ.
fn inside_path(e0: [f64; 2], e1: [f64; 2], r: f64, th: f64) -> (f64, f64) {
    let t = [r * th.cos(), r * th.sin()];
    let dt = [-t[1], t[0]];
    let mut g = 0.0;
    let mut h = 0.0;
    for e in [e0, e1] {
        let d = sub2(t, e);
        let n = dot2(d, d).sqrt().max(f64::MIN_POSITIVE);
        let u = [d[0] / n, d[1] / n];
        let ut = dot2(u, dt);
        g += ut;
        h += (dot2(dt, dt) - ut * ut) / n - dot2(u, t);
    }
    (g, h)
}

fn decide_inside(e0: [f64; 2], e1: [f64; 2], r: f64) -> Wrap2 {
    let (l0, l1) = (dot2(e0, e0).sqrt(), dot2(e1, e1).sqrt());
    if l0 <= r || l1 <= r {
        return Wrap2::None;
    }
    let near = nearest_on_segment(e0, e1);
    if dot2(near, near).sqrt() <= r {
        return Wrap2::None;
    }
    let a0 = e0[1].atan2(e0[0]);
    let span = cross2(e0, e1).atan2(dot2(e0, e1)); // signed angle from e0 to e1, (−π, π]
    if span.abs() >= PI - 1e-12 {
        return Wrap2::None;
    }
    if span.abs() < 1e-12 {
        return Wrap2::Inside(a0);
    }
    // dL/dθ · sign(span) goes from negative (at e0's direction) to positive (at e1's):
    // bisection, then Newton steps to machine precision
    let sg = span.signum();
    let (mut lo, mut hi) = (0.0_f64, span.abs());
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if sg * inside_path(e0, e1, r, a0 + sg * mid).0 < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut th = a0 + sg * 0.5 * (lo + hi);
    for _ in 0..2 {
        let (g, h) = inside_path(e0, e1, r, th);
        if h > 0.0 {
            let step = g / h;
            if step.abs() < 1e-6 {
                th -= step;
            }
        }
    }
    Wrap2::Inside(th)
}

// ---------------------------------------------------------------------------------------------
// The generic computation.
// ---------------------------------------------------------------------------------------------

/// A point's world position and Jacobian.
#[derive(Clone, Copy)]
struct Kin<S: Scalar, const J: usize> {
    p: V3<S>,
    j: [S; J],
}

impl<S: Scalar, const J: usize> Kin<S, J> {
    fn of(posed: &dyn PosedSkeleton<S>, dof: usize, body: usize, local: &[f64]) -> Self {
        let mut k = Kin {
            p: [S::zero(); 3],
            j: [S::zero(); J],
        };
        posed.point_kinematics(body, local, &mut k.p, &mut k.j[..3 * dof]);
        k
    }
}

/// Add the straight segment `a → b` to `len` and `arm`.
fn add_segment<S: Scalar, const J: usize>(
    a: &Kin<S, J>,
    b: &Kin<S, J>,
    dof: usize,
    len: &mut S,
    arm: &mut [S],
) {
    let d = sub3(&b.p, &a.p);
    *len += norm3(&d);
    let u = unit3(&d);
    for (j, aj) in arm.iter_mut().enumerate().take(dof) {
        for k in 0..3 {
            *aj += u[k] * (b.j[k * dof + j] - a.j[k * dof + j]);
        }
    }
}

/// A body frame: origin and axes in the world, with their Jacobians.
struct Frame<S: Scalar, const J: usize> {
    o: Kin<S, J>,
    axes: [Kin<S, J>; 3], // world position of e_k minus origin, and J_{e_k} − J_o
}

impl<S: Scalar, const J: usize> Frame<S, J> {
    fn of(posed: &dyn PosedSkeleton<S>, dof: usize, body: usize) -> Self {
        let o = Kin::of(posed, dof, body, &[0.0; 3]);
        let axis = |k: usize| {
            let mut e = [0.0; 3];
            e[k] = 1.0;
            let mut a = Kin::of(posed, dof, body, &e);
            a.p = sub3(&a.p, &o.p);
            for x in 0..3 * dof {
                a.j[x] -= o.j[x];
            }
            a
        };
        Frame {
            axes: [axis(0), axis(1), axis(2)],
            o,
        }
    }
    /// Body-frame coordinates of a world point.
    fn local(&self, p: &V3<S>) -> V3<S> {
        let d = sub3(p, &self.o.p);
        [
            dot3(&self.axes[0].p, &d),
            dot3(&self.axes[1].p, &d),
            dot3(&self.axes[2].p, &d),
        ]
    }
    /// World position and Jacobian of the point with (scalar) body-frame coordinates `l`,
    /// treated as fixed on the body.
    fn point(&self, l: &V3<S>, dof: usize) -> Kin<S, J> {
        let mut k = self.o;
        for (a, &lk) in self.axes.iter().zip(l) {
            for i in 0..3 {
                k.p[i] += lk * a.p[i];
            }
            for x in 0..3 * dof {
                k.j[x] += lk * a.j[x];
            }
        }
        k
    }
}

/// Two unit vectors spanning the plane perpendicular to the unit vector `a`.
fn perpendicular_pair(a: [f64; 3]) -> ([f64; 3], [f64; 3]) {
    let k = (0..3)
        .min_by(|&i, &j| a[i].abs().total_cmp(&a[j].abs()))
        .unwrap_or(0);
    let mut e = [0.0; 3];
    e[k] = 1.0;
    let u = [
        a[1] * e[2] - a[2] * e[1],
        a[2] * e[0] - a[0] * e[2],
        a[0] * e[1] - a[1] * e[0],
    ];
    let n = u.iter().map(|x| x * x).sum::<f64>().sqrt();
    let u = [u[0] / n, u[1] / n, u[2] / n];
    let v = [
        a[1] * u[2] - a[2] * u[1],
        a[2] * u[0] - a[0] * u[2],
        a[0] * u[1] - a[1] * u[0],
    ];
    (u, v)
}

/// The tangent point of `tangent2`, in `S`, for sign mask `ccw` (`s = +1` where set).
fn tangent_s<S: Scalar>(d: [S; 2], r: f64, plus: S::Mask) -> [S; 2] {
    let d2 = d[0] * d[0] + d[1] * d[1];
    let d2s = S::select(d2.gt(S::zero()), d2, S::one());
    let w = safe_sqrt(d2 - S::c(r * r));
    let sw = S::select(plus, w, -w);
    let k = S::c(r) / d2s;
    [
        k * (d[0].scale(r) - sw * d[1]),
        k * (d[1].scale(r) + sw * d[0]),
    ]
}

fn norm2s<S: Scalar>(a: [S; 2]) -> S {
    safe_sqrt(a[0] * a[0] + a[1] * a[1])
}

/// Length and moment arms of the path `x0 → (wrap) → x1`, added to `len` and `arm`.
#[allow(clippy::too_many_arguments)]
fn add_wrap<S: Scalar, const D: usize, const J: usize>(
    posed: &dyn PosedSkeleton<S>,
    dof: usize,
    x0: &Kin<S, J>,
    x1: &Kin<S, J>,
    body: usize,
    center: &[f64; 3],
    axis: &[f64; 3],
    shape: &WrapShape,
    sidesite: Option<&PathPoint>,
    len: &mut S,
    arm: &mut [S],
) {
    let r = shape.radius();
    let frame = Frame::of(posed, dof, body);
    let c = [S::c(center[0]), S::c(center[1]), S::c(center[2])];
    let p0 = sub3(&frame.local(&x0.p), &c);
    let p1 = sub3(&frame.local(&x1.p), &c);
    let side = sidesite.map(|s| {
        let k = Kin::<S, J>::of(posed, dof, s.body, &s.coordinates);
        sub3(&frame.local(&k.p), &c)
    });
    // the wrap plane: axes (body frame, relative to the centre)
    let cyl = matches!(shape, WrapShape::Cylinder { .. });
    let (ax0, ax1, ax2): (V3<S>, V3<S>, V3<S>) = if cyl {
        let n = axis.iter().map(|x| x * x).sum::<f64>().sqrt();
        let a = [axis[0] / n, axis[1] / n, axis[2] / n];
        let (u, v) = perpendicular_pair(a);
        let cv = |w: [f64; 3]| [S::c(w[0]), S::c(w[1]), S::c(w[2])];
        (cv(u), cv(v), cv(a))
    } else {
        let a0 = unit3(&p0);
        let n = cross3(&p0, &p1);
        let nn = norm3(&n);
        let scale = norm3(&p0) * norm3(&p1);
        let degenerate = nn.le(scale.scale(1e-12));
        let fallback = cross3(&a0, &[S::one(), S::one(), S::one()]);
        let n = [
            S::select(degenerate, fallback[0], n[0]),
            S::select(degenerate, fallback[1], n[1]),
            S::select(degenerate, fallback[2], n[2]),
        ];
        let n = unit3(&n);
        let a1 = unit3(&cross3(&n, &a0));
        (a0, a1, n)
    };
    let to2 = |p: &V3<S>| [dot3(p, &ax0), dot3(p, &ax1)];
    let (e0, e1) = (to2(&p0), to2(&p1));
    let sd = side.as_ref().map(|s| (to2(s), norm3(s)));
    let lanes2 = |v: &[S; 2], i: usize| [v[0].lane(i), v[1].lane(i)];
    // each lane's decision, made once (the masks and the inverse-wrap angle below read it)
    assert!(
        S::LANES <= MAX_LANES,
        "{} lanes, at most {MAX_LANES}",
        S::LANES
    );
    let decisions: [Wrap2; MAX_LANES] = std::array::from_fn(|i| {
        if i < S::LANES {
            decide(
                lanes2(&e0, i),
                lanes2(&e1, i),
                sd.as_ref().map(|(s, n)| (lanes2(s, i), n.lane(i))),
                r,
            )
        } else {
            Wrap2::None
        }
    });
    let dec = |i: usize| decisions[i];
    let wraps = mask::<S>(|i| dec(i) != Wrap2::None);
    // the straight segment, summed on its own and then added, as the wrapping lanes' select
    // below adds it: a batch element gets the same bits whether its lane pack wraps or not
    let mut slen = S::zero();
    let mut sarm = [S::zero(); D];
    add_segment(x0, x1, dof, &mut slen, &mut sarm);
    if !wraps.any() {
        *len += slen;
        for j in 0..dof {
            arm[j] += sarm[j];
        }
        return;
    }
    let inside = mask::<S>(|i| matches!(dec(i), Wrap2::Inside(_)));
    let ccw = mask::<S>(|i| matches!(dec(i), Wrap2::Pair(s) if s > 0.0));
    // tangent points of the two-point wrap
    let t0p = tangent_s(e0, r, ccw);
    let t1p = tangent_s(e1, r, !ccw);
    let sgn = S::select(ccw, S::one(), -S::one());
    let ang = atan2s(
        sgn * (t0p[0] * t1p[1] - t0p[1] * t1p[0]),
        t0p[0] * t1p[0] + t0p[1] * t1p[1],
    );
    let ang = S::select(ang.lt(S::zero()), ang.shift(TAU), ang);
    // the inverse wrap's point: the f64 angle, and one Newton step in S for the derivatives
    let th0 = S::from_lanes(|i| match dec(i) {
        Wrap2::Inside(th) => th,
        _ => 0.0,
    });
    let (sn, cs) = (th0.sin(), th0.cos());
    let (t, dt) = ([cs.scale(r), sn.scale(r)], [-sn.scale(r), cs.scale(r)]);
    let mut g = S::zero();
    let mut h = S::zero();
    for e in [e0, e1] {
        let d = [t[0] - e[0], t[1] - e[1]];
        let n = norm2s(d);
        let u = [safe_div(d[0], n), safe_div(d[1], n)];
        let ut = u[0] * dt[0] + u[1] * dt[1];
        g += ut;
        h += safe_div(dt[0] * dt[0] + dt[1] * dt[1] - ut * ut, n) - (u[0] * t[0] + u[1] * t[1]);
    }
    let th = th0 - safe_div(g, h);
    let (sn, cs) = th.sin_cos();
    let ti = [cs.scale(r), sn.scale(r)];
    let sel2 =
        |a: [S; 2], b: [S; 2]| [S::select(inside, a[0], b[0]), S::select(inside, a[1], b[1])];
    let t0 = sel2(ti, t0p);
    let t1 = sel2(ti, t1p);
    let ang = S::select(inside, S::zero(), ang);
    let arc = ang.scale(r);
    // back to 3-D (body frame, relative to the centre)
    let (z0, z1, wl) = if cyl {
        let (pz0, pz1) = (dot3(&p0, &ax2), dot3(&p1, &ax2));
        let l0 = norm2s([e0[0] - t0[0], e0[1] - t0[1]]);
        let l1 = norm2s([e1[0] - t1[0], e1[1] - t1[1]]);
        let total = l0 + arc + l1;
        let hgt = pz1 - pz0;
        let z0 = pz0 + safe_div(hgt * l0, total);
        let z1 = pz0 + safe_div(hgt * (l0 + arc), total);
        let dz = z1 - z0;
        (z0, z1, safe_sqrt(arc * arc + dz * dz))
    } else {
        (S::zero(), S::zero(), arc)
    };
    let to3 = |t: [S; 2], z: S| {
        let mut v = c;
        for k in 0..3 {
            v[k] += ax0[k] * t[0] + ax1[k] * t[1] + ax2[k] * z;
        }
        v
    };
    let w0 = frame.point(&to3(t0, z0), dof);
    let w1 = frame.point(&to3(t1, z1), dof);
    let mut wlen = wl;
    let mut warm = [S::zero(); D];
    add_segment(x0, &w0, dof, &mut wlen, &mut warm);
    add_segment(&w1, x1, dof, &mut wlen, &mut warm);
    *len += S::select(wraps, wlen, slen);
    for j in 0..dof {
        arm[j] += S::select(wraps, warm[j], sarm[j]);
    }
}

impl Geometry for SpatialTendons {
    fn n_muscles(&self) -> usize {
        self.tendons.len()
    }

    fn check<K: Skeleton>(&self, skeleton: &K) -> Result<(), EffectorError> {
        if skeleton.space_dim() != 3 {
            return Err(EffectorError::invalid(
                "geometry",
                &format!(
                    "spatial tendons need a 3-D skeleton, but '{}' has space_dim {}",
                    skeleton.name(),
                    skeleton.space_dim()
                ),
            ));
        }
        if skeleton.dof() > MAX_DOF {
            return Err(EffectorError::invalid(
                "geometry",
                &format!("at most {MAX_DOF} joints, got {}", skeleton.dof()),
            ));
        }
        for (m, t) in self.tendons.iter().enumerate() {
            let bad = |i: usize, e: String| EffectorError::InvalidMuscle {
                index: m,
                muscle: String::new(),
                field: "geometry.tendons".into(),
                reason: format!("element {i}: {e}"),
            };
            for (i, e) in t.iter().enumerate() {
                match e {
                    TendonElement::Site(p) => skeleton
                        .check_point(p.body, &p.coordinates)
                        .map_err(|e| bad(i, e.to_string()))?,
                    TendonElement::Wrap {
                        body,
                        center,
                        sidesite,
                        ..
                    } => {
                        skeleton
                            .check_point(*body, center)
                            .map_err(|e| bad(i, e.to_string()))?;
                        if let Some(s) = sidesite {
                            skeleton
                                .check_point(s.body, &s.coordinates)
                                .map_err(|e| bad(i, format!("sidesite: {e}")))?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn compute<S: Scalar, K: Skeleton>(
        &self,
        skeleton: &K,
        q: &[S],
        qd: &[S],
        len: &mut [S],
        vel: &mut [S],
        moment: &mut [S],
    ) {
        // stack buffers sized for the skeleton: small ones for the common few joints
        if skeleton.dof() <= SMALL_DOF {
            self.compute_in::<S, K, SMALL_DOF, { 3 * SMALL_DOF }>(skeleton, q, qd, len, vel, moment)
        } else {
            self.compute_in::<S, K, MAX_DOF, { 3 * MAX_DOF }>(skeleton, q, qd, len, vel, moment)
        }
    }
}

impl SpatialTendons {
    /// [`Geometry::compute`] with buffers of `D >= dof` joints (`J = 3 D`).
    #[allow(clippy::too_many_arguments)]
    fn compute_in<S: Scalar, K: Skeleton, const D: usize, const J: usize>(
        &self,
        skeleton: &K,
        q: &[S],
        qd: &[S],
        len: &mut [S],
        vel: &mut [S],
        moment: &mut [S],
    ) {
        let dof = skeleton.dof();
        let n_m = self.tendons.len();
        // every site and wrap frame at this pose: the skeleton's kinematics computed once
        skeleton.posed(q, |posed| {
            for (m, t) in self.tendons.iter().enumerate() {
                let mut l = S::zero();
                let mut arm = [S::zero(); D];
                let mut prev: Option<Kin<S, J>> = None;
                for (i, e) in t.iter().enumerate() {
                    let TendonElement::Site(p) = e else {
                        continue;
                    };
                    let cur = Kin::of(posed, dof, p.body, &p.coordinates);
                    if let Some(pk) = &prev {
                        match i.checked_sub(1).map(|k| &t[k]) {
                            Some(TendonElement::Wrap {
                                body,
                                center,
                                axis,
                                shape,
                                sidesite,
                            }) => add_wrap::<S, D, J>(
                                posed,
                                dof,
                                pk,
                                &cur,
                                *body,
                                center,
                                axis,
                                shape,
                                sidesite.as_ref(),
                                &mut l,
                                &mut arm,
                            ),
                            _ => add_segment(pk, &cur, dof, &mut l, &mut arm),
                        }
                    }
                    prev = Some(cur);
                }
                let mut v = S::zero();
                for j in 0..dof {
                    moment[j * n_m + m] = arm[j];
                    v += arm[j] * qd[j];
                }
                len[m] = l;
                vel[m] = v;
            }
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Spec files.
// ---------------------------------------------------------------------------------------------

fn point_from(v: &SpecValue) -> Result<PathPoint, String> {
    let SpecValue::Table(t) = v else {
        return Err("expected a table with `body` and `coordinates`".into());
    };
    only_fields(t, &["body", "coordinates"])?;
    let b: f64 = table_field(t, "body")?;
    if !(b.is_finite() && b.fract() == 0.0 && b >= 0.0) {
        return Err(format!("at .body: {b} is not a body index"));
    }
    Ok(PathPoint {
        body: b as usize,
        coordinates: table_field(t, "coordinates")?,
    })
}

fn point_to(p: &PathPoint) -> SpecValue {
    SpecValue::Table(SpecMap::from_iter([
        ("body", (p.body as f64).to_value()),
        ("coordinates", p.coordinates.to_value()),
    ]))
}

fn three(v: Vec<f64>, name: &str) -> Result<[f64; 3], String> {
    <[f64; 3]>::try_from(v.as_slice())
        .map_err(|_| format!("at .{name}: expected 3 numbers, got {}", v.len()))
}

impl FieldValue for TendonElement {
    fn from_value(v: &SpecValue) -> Result<Self, String> {
        let SpecValue::Table(t) = v else {
            return Err(
                "expected a table `{site = ...}`, `{sphere = ...}` or `{cylinder = ...}`".into(),
            );
        };
        only_fields(t, &["site", "sphere", "cylinder"])?;
        if t.len() != 1 {
            return Err("expected exactly one of `site`, `sphere`, `cylinder`".into());
        }
        let (kind, inner) = t.iter().next().ok_or("empty element")?;
        if kind == "site" {
            return point_from(inner)
                .map(TendonElement::Site)
                .map_err(|e| format!("at .site: {e}"));
        }
        let wrap = |inner: &SpecValue| -> Result<TendonElement, String> {
            let SpecValue::Table(w) = inner else {
                return Err("expected a table".into());
            };
            let cyl = kind == "cylinder";
            let known: &[&str] = if cyl {
                &["body", "center", "axis", "radius", "sidesite"]
            } else {
                &["body", "center", "radius", "sidesite"]
            };
            only_fields(w, known)?;
            let b: f64 = table_field(w, "body")?;
            if !(b.is_finite() && b.fract() == 0.0 && b >= 0.0) {
                return Err(format!("at .body: {b} is not a body index"));
            }
            let radius: f64 = table_field(w, "radius")?;
            let center = three(table_field(w, "center")?, "center")?;
            let axis = if cyl {
                three(table_field(w, "axis")?, "axis")?
            } else {
                [0.0, 0.0, 1.0]
            };
            let sidesite = match w.get("sidesite") {
                Some(s) => Some(point_from(s).map_err(|e| format!("at .sidesite: {e}"))?),
                None => None,
            };
            Ok(TendonElement::Wrap {
                body: b as usize,
                center,
                axis,
                shape: if cyl {
                    WrapShape::Cylinder { radius }
                } else {
                    WrapShape::Sphere { radius }
                },
                sidesite,
            })
        };
        wrap(inner).map_err(|e| match e.strip_prefix("at ") {
            Some(rest) => format!("at .{kind}{rest}"),
            None => format!("at .{kind}: {e}"),
        })
    }

    fn to_value(&self) -> SpecValue {
        match self {
            TendonElement::Site(p) => SpecValue::Table(SpecMap::from_iter([("site", point_to(p))])),
            TendonElement::Wrap {
                body,
                center,
                axis,
                shape,
                sidesite,
            } => {
                let mut w = SpecMap::new();
                w.insert("body", (*body as f64).to_value());
                w.insert("center", center.to_vec().to_value());
                let kind = match shape {
                    WrapShape::Cylinder { .. } => {
                        w.insert("axis", axis.to_vec().to_value());
                        "cylinder"
                    }
                    WrapShape::Sphere { .. } => "sphere",
                };
                w.insert("radius", shape.radius().to_value());
                if let Some(s) = sidesite {
                    w.insert("sidesite", point_to(s));
                }
                SpecValue::Table(SpecMap::from_iter([(kind, SpecValue::Table(w))]))
            }
        }
    }
}

impl BuiltinGeometry for SpatialTendons {
    const NAME: &'static str = "spatial_tendons";
    const SUMMARY: &'static str = "MuJoCo spatial tendons: each muscle is a path through sites fixed on bodies, wrapping around spheres and infinite cylinders (with optional sidesites) between two sites; needs a 3-D skeleton";
    const FIELDS: &'static [FieldDecl] = &[FieldDecl::required(
        "tendons",
        "table keyed by muscle name: a list of elements `{site = {body, coordinates}}`, `{sphere = {body, center, radius, sidesite?}}` or `{cylinder = {body, center, axis, radius, sidesite?}}`",
        "m",
        "one tendon for every muscle in `muscles`, and no other; it starts and ends with a site, has at least two sites, and each sphere or cylinder sits between two sites; `body`: 0 world, 1… the skeleton's bodies; `coordinates`, `center`, `axis`: in that body's frame; `sidesite`: a point `{body, coordinates}`",
    )];

    fn from_fields(fields: &SpecMap<SpecValue>, muscles: &[&str]) -> Result<Self, EffectorError> {
        let tendons: BTreeMap<String, Vec<TendonElement>> =
            read_field(fields, "tendons", Self::NAME)?;
        for name in tendons.keys() {
            if !muscles.contains(&name.as_str()) {
                return Err(EffectorError::invalid(
                    "geometry.tendons",
                    &format!("has a tendon for '{name}', which is not in `muscles`"),
                ));
            }
        }
        let mut out = Vec::with_capacity(muscles.len());
        for (i, &m) in muscles.iter().enumerate() {
            let t = tendons.get(m).ok_or_else(|| EffectorError::InvalidMuscle {
                index: i,
                muscle: m.to_string(),
                field: "geometry.tendons".into(),
                reason: "no tendon given for this muscle".into(),
            })?;
            out.push(t.clone());
        }
        SpatialTendons::new(out).map_err(|e| match e {
            EffectorError::InvalidMuscle {
                index,
                field,
                reason,
                ..
            } => EffectorError::InvalidMuscle {
                index,
                muscle: muscles[index].to_string(),
                field,
                reason,
            },
            other => other,
        })
    }

    fn to_fields(&self, muscles: &[&str]) -> SpecMap<SpecValue> {
        let tendons: BTreeMap<String, Vec<TendonElement>> = muscles
            .iter()
            .zip(&self.tendons)
            .map(|(n, t)| (n.to_string(), t.clone()))
            .collect();
        SpecMap::from_iter([("tendons", tendons.to_value())])
    }
}
