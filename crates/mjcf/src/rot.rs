//! Quaternion helpers, MuJoCo conventions: `(w, x, y, z)`, rotating child-frame vectors into the
//! parent frame, Hamilton product.

use crate::model::Quat;

pub(crate) const IDENTITY: Quat = [1.0, 0.0, 0.0, 0.0];

pub(crate) fn norm3(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

pub(crate) fn scale3(v: [f64; 3], s: f64) -> [f64; 3] {
    [v[0] * s, v[1] * s, v[2] * s]
}

fn dot3(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross3(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Hamilton product `a ⊗ b` (apply `b`, then `a`).
pub(crate) fn mul(a: Quat, b: Quat) -> Quat {
    [
        a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
        a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
        a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
        a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
    ]
}

/// Rotation by `angle` (rad) about the unit `axis`.
pub(crate) fn axis_angle(axis: [f64; 3], angle: f64) -> Quat {
    let (s, c) = (0.5 * angle).sin_cos();
    [c, axis[0] * s, axis[1] * s, axis[2] * s]
}

/// The quaternion with `norm > 0` scaled to unit length.
pub(crate) fn normalized(q: Quat) -> Quat {
    let n = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).sqrt();
    [q[0] / n, q[1] / n, q[2] / n, q[3] / n]
}

/// The rotation with orthonormal columns `x`, `y`, `z` (a right-handed frame), as a unit
/// quaternion with `w ≥ 0` (Shepperd's method: the largest of the four squared components
/// first, for accuracy).
pub(crate) fn from_frame(x: [f64; 3], y: [f64; 3], z: [f64; 3]) -> Quat {
    // r[i][j]: row i, column j.
    let r = [[x[0], y[0], z[0]], [x[1], y[1], z[1]], [x[2], y[2], z[2]]];
    let tr = r[0][0] + r[1][1] + r[2][2];
    let q = if tr >= r[0][0].max(r[1][1]).max(r[2][2]) {
        let s = (1.0 + tr).sqrt() * 2.0;
        [
            0.25 * s,
            (r[2][1] - r[1][2]) / s,
            (r[0][2] - r[2][0]) / s,
            (r[1][0] - r[0][1]) / s,
        ]
    } else if r[0][0] >= r[1][1] && r[0][0] >= r[2][2] {
        let s = (1.0 + r[0][0] - r[1][1] - r[2][2]).sqrt() * 2.0;
        [
            (r[2][1] - r[1][2]) / s,
            0.25 * s,
            (r[0][1] + r[1][0]) / s,
            (r[0][2] + r[2][0]) / s,
        ]
    } else if r[1][1] >= r[2][2] {
        let s = (1.0 + r[1][1] - r[0][0] - r[2][2]).sqrt() * 2.0;
        [
            (r[0][2] - r[2][0]) / s,
            (r[0][1] + r[1][0]) / s,
            0.25 * s,
            (r[1][2] + r[2][1]) / s,
        ]
    } else {
        let s = (1.0 + r[2][2] - r[0][0] - r[1][1]).sqrt() * 2.0;
        [
            (r[1][0] - r[0][1]) / s,
            (r[0][2] + r[2][0]) / s,
            (r[1][2] + r[2][1]) / s,
            0.25 * s,
        ]
    };
    let q = normalized(q);
    if q[0] < 0.0 {
        [-q[0], -q[1], -q[2], -q[3]]
    } else {
        q
    }
}

/// MJCF `xyaxes`: x axis, then y axis (made orthogonal to x); z = x × y. `None` when x or the
/// orthogonalised y is (nearly) zero.
pub(crate) fn from_xy_axes(x: [f64; 3], y: [f64; 3]) -> Option<Quat> {
    let nx = norm3(x);
    if nx < 1e-14 {
        return None;
    }
    let x = scale3(x, 1.0 / nx);
    let d = dot3(x, y);
    let y = [y[0] - d * x[0], y[1] - d * x[1], y[2] - d * x[2]];
    let ny = norm3(y);
    if ny < 1e-14 {
        return None;
    }
    let y = scale3(y, 1.0 / ny);
    Some(from_frame(x, y, cross3(x, y)))
}

/// The smallest rotation taking the z axis to the direction of `v` (MJCF `zaxis`, and `fromto`
/// with `v = from − to`); a half turn about x when `v` points along −z. `None` when `v` is
/// (nearly) zero.
pub(crate) fn z_to(v: [f64; 3]) -> Option<Quat> {
    let n = norm3(v);
    if n < 1e-14 {
        return None;
    }
    let v = scale3(v, 1.0 / n);
    let axis = cross3([0.0, 0.0, 1.0], v);
    let s = norm3(axis);
    if s < 1e-14 {
        return Some(if v[2] > 0.0 {
            IDENTITY
        } else {
            [0.0, 1.0, 0.0, 0.0]
        });
    }
    let angle = s.atan2(v[2]);
    Some(axis_angle(scale3(axis, 1.0 / s), angle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rotate(q: Quat, v: [f64; 3]) -> [f64; 3] {
        let p = mul(mul(q, [0.0, v[0], v[1], v[2]]), [q[0], -q[1], -q[2], -q[3]]);
        [p[1], p[2], p[3]]
    }

    fn close(a: [f64; 3], b: [f64; 3]) -> bool {
        (0..3).all(|i| (a[i] - b[i]).abs() < 1e-12)
    }

    #[test]
    fn z_to_maps_z_onto_the_direction() {
        for v in [
            [1.0, 2.0, -3.0],
            [0.0, 0.0, -2.0],
            [0.0, 0.0, 5.0],
            [-1.0, 0.0, 0.0],
        ] {
            let q = z_to(v).unwrap();
            let n = norm3(v);
            assert!(
                close(rotate(q, [0.0, 0.0, 1.0]), scale3(v, 1.0 / n)),
                "{v:?}"
            );
        }
        assert!(z_to([0.0, 0.0, 1e-20]).is_none());
    }

    #[test]
    fn from_frame_maps_the_axes() {
        // A frame with each branch of Shepperd's method: the identity, and half turns about x, y, z.
        let frames = [
            ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
            ([1.0, 0.0, 0.0], [0.0, -1.0, 0.0]),
            ([-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]),
            ([-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]),
            ([0.0, 1.0, 0.0], [0.0, 0.0, 1.0]),
        ];
        for (x, y) in frames {
            let q = from_xy_axes(x, y).unwrap();
            assert!(close(rotate(q, [1.0, 0.0, 0.0]), x), "{x:?} {y:?}");
            assert!(close(rotate(q, [0.0, 1.0, 0.0]), y), "{x:?} {y:?}");
        }
    }
}
