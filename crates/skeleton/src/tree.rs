//! A 3-D kinematic tree of rigid bodies with hinge and slide joints (MuJoCo's semantics).
//! Semantics, algorithms and references: the crate documentation, "3-D kinematic trees".

use crate::error::SkeletonError;
use crate::mass::{norm3, quat_to_mat, Inertial};
use crate::{PosedSkeleton, Skeleton};
use motornet_scalar::Scalar;

/// The largest number of movable bodies of a [`KinematicTree`].
pub const MAX_BODIES: usize = 64;
/// The largest number of joints (degrees of freedom) of a [`KinematicTree`].
pub const MAX_DOF: usize = 64;

/// Scratch capacities: bodies (world included), joints, packed lower-triangle of `M`.
const SMALL_B: usize = 9;
const SMALL_D: usize = 8;
const SMALL_P: usize = SMALL_D * (SMALL_D + 1) / 2;
const BIG_B: usize = MAX_BODIES + 1;
const BIG_D: usize = MAX_DOF;
const BIG_P: usize = BIG_D * (BIG_D + 1) / 2;

/// The kind of a [`TreeJoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JointKind {
    /// Rotation about the joint's axis through its anchor; position in rad.
    Hinge,
    /// Translation along the joint's axis; position in m.
    Slide,
}

/// One joint of a [`TreeBody`] (MuJoCo's `hinge` or `slide` joint).
#[derive(Debug, Clone, PartialEq)]
pub struct TreeJoint {
    /// The joint's name (for reports and [`KinematicTree::joint_names`]).
    pub name: String,
    /// Hinge or slide.
    pub kind: JointKind,
    /// The joint axis in the body frame (normalised by [`KinematicTree::new`]).
    pub axis: [f64; 3],
    /// The anchor in the body frame (m): a hinge rotates about the axis through this point; a
    /// slide ignores it.
    pub pos: [f64; 3],
    /// Damping coefficient, ≥ 0: N·m·s/rad for a hinge, N·s/m for a slide. Passive force
    /// `−damping · q̇`.
    pub damping: f64,
    /// Armature, ≥ 0: kg·m² for a hinge, kg for a slide, added to the diagonal of `M`.
    pub armature: f64,
}

impl TreeJoint {
    /// A hinge about `axis` (body frame) through the body frame's origin, no damping, no
    /// armature.
    pub fn hinge(name: impl Into<String>, axis: [f64; 3]) -> Self {
        Self {
            name: name.into(),
            kind: JointKind::Hinge,
            axis,
            pos: [0.0; 3],
            damping: 0.0,
            armature: 0.0,
        }
    }

    /// A slide along `axis` (body frame), no damping, no armature.
    pub fn slide(name: impl Into<String>, axis: [f64; 3]) -> Self {
        Self {
            kind: JointKind::Slide,
            ..Self::hinge(name, axis)
        }
    }

    /// The same joint with its anchor at `pos` (m, body frame).
    pub fn with_pos(self, pos: [f64; 3]) -> Self {
        Self { pos, ..self }
    }

    /// The same joint with damping `damping` (N·m·s/rad or N·s/m).
    pub fn with_damping(self, damping: f64) -> Self {
        Self { damping, ..self }
    }

    /// The same joint with armature `armature` (kg·m² or kg).
    pub fn with_armature(self, armature: f64) -> Self {
        Self { armature, ..self }
    }
}

/// One rigid body of a [`KinematicTree`].
#[derive(Debug, Clone, PartialEq)]
pub struct TreeBody {
    /// The body's name.
    pub name: String,
    /// Index of the parent body: 0 = world; body `i` (1-based, its position in the list plus
    /// one) must have `parent < i`.
    pub parent: usize,
    /// The body frame's origin in the parent frame (m), before the joints move it.
    pub pos: [f64; 3],
    /// The body frame's orientation in the parent frame, quaternion `(w, x, y, z)` as MuJoCo
    /// writes it (normalised by [`KinematicTree::new`]).
    pub quat: [f64; 4],
    /// The body's joints (0 or more), applied in order.
    pub joints: Vec<TreeJoint>,
    /// Mass properties in the body frame.
    pub inertial: Inertial,
}

impl TreeBody {
    /// A massless body `name` with parent `parent` at `pos` (m) in the parent frame, axes
    /// aligned with the parent's, no joints.
    pub fn new(name: impl Into<String>, parent: usize, pos: [f64; 3]) -> Self {
        Self {
            name: name.into(),
            parent,
            pos,
            quat: [1.0, 0.0, 0.0, 0.0],
            joints: Vec::new(),
            inertial: Inertial::MASSLESS,
        }
    }

    /// The same body with orientation `quat` `(w, x, y, z)` in the parent frame.
    pub fn with_quat(self, quat: [f64; 4]) -> Self {
        Self { quat, ..self }
    }

    /// The same body with one more joint (after the existing ones).
    pub fn with_joint(mut self, joint: TreeJoint) -> Self {
        self.joints.push(joint);
        self
    }

    /// The same body with mass properties `inertial`.
    pub fn with_inertial(self, inertial: Inertial) -> Self {
        Self { inertial, ..self }
    }
}

/// A 3-D kinematic tree: rigid bodies connected by hinge and slide joints, under gravity, with
/// joint damping and armature; joint semantics (MuJoCo's) and algorithms (CRBA, RNEA, Cholesky)
/// in the [crate documentation](crate#3-d-kinematic-trees).
///
/// `dof` is the total number of joints, numbered in body order and, within a body, in joint
/// order; `space_dim == 3`. Bodies: 0 = world, `i` = the `i`-th body of the list. The endpoint
/// (for [`Skeleton::joint_to_cartesian`] and the endpoint load) is a point fixed on a body.
///
/// A pendulum on a slider (a cart on the x axis carrying a pole hinged about y), under gravity:
///
/// ```
/// use motornet_skeleton::{
///     GeomMass, GeomShape, Inertial, KinematicTree, Skeleton, TreeBody, TreeJoint,
/// };
///
/// let cart = TreeBody::new("cart", 0, [0.0; 3])
///     .with_joint(TreeJoint::slide("slide", [1.0, 0.0, 0.0]).with_damping(2.0))
///     .with_inertial(Inertial::from_geoms(&[GeomMass::new(
///         GeomShape::Box { half_sizes: [0.05; 3] },
///         [0.0; 3],
///         [1.0, 0.0, 0.0, 0.0],
///     )
///     .with_mass(2.0)]));
/// let pole_geom = GeomMass::from_fromto([0.0; 3], [0.0, 0.0, 0.4], 0.02, true)
///     .unwrap()
///     .with_mass(0.6);
/// let pole = TreeBody::new("pole", 1, [0.0, 0.0, 0.05])
///     .with_joint(TreeJoint::hinge("hinge", [0.0, 1.0, 0.0]).with_armature(0.01))
///     .with_inertial(Inertial::from_geoms(&[pole_geom]));
/// // endpoint: the pole's tip
/// let tree = KinematicTree::new(vec![cart, pole], [0.0, 0.0, -9.81], (2, [0.0, 0.0, 0.4]))?;
/// assert_eq!((tree.dof(), tree.n_bodies(), tree.space_dim()), (2, 2, 3));
///
/// // The upright pole at rest: gravity pulls straight down, along the pole, so nothing moves.
/// let (q, qd) = ([0.0; 2], [0.0; 2]);
/// let mut qdd = [1.0f64; 2];
/// tree.acceleration(&q, &qd, &[0.0; 2], &[], &mut qdd);
/// assert!(qdd[0].abs() < 1e-12 && qdd[1].abs() < 1e-12);
///
/// // Tilted by 0.1 rad about y, it falls further (positive rotation about y).
/// tree.acceleration(&[0.0, 0.1], &qd, &[0.0; 2], &[], &mut qdd);
/// assert!(qdd[1] > 0.0);
///
/// // The tip: 0.45 m above the origin when upright.
/// let (mut pos, mut vel) = ([0.0f64; 3], [0.0; 3]);
/// tree.joint_to_cartesian(&q, &qd, &mut pos, &mut vel);
/// assert!((pos[2] - 0.45).abs() < 1e-15);
/// # Ok::<(), motornet_skeleton::SkeletonError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KinematicTree {
    bodies: Vec<TreeBody>,
    gravity: [f64; 3],
    endpoint: (usize, [f64; 3]),
    dof: usize,
    /// Fixed rotation of each body (index k = body k + 1) in its parent; `None` = identity.
    rot0: Vec<Option<[f64; 9]>>,
    /// First joint index of body k + 1 at `first_dof[k]`; `first_dof[n]` = dof.
    first_dof: Vec<usize>,
    /// Inertia about the centre of mass, symmetrised: xx, xy, xz, yy, yz, zz.
    inertia6: Vec<[f64; 6]>,
    damping: Vec<f64>,
    armature: Vec<f64>,
    /// Whether the small scratch fits.
    small: bool,
}

fn tree_err(what: String, reason: String) -> SkeletonError {
    SkeletonError::InvalidTree { what, reason }
}

fn all_finite(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

impl KinematicTree {
    /// A tree of `bodies` (listed parents first; body `i`, 1-based, has `parent < i`) under
    /// `gravity` (m/s², world frame, e.g. `[0, 0, −9.81]`), with the endpoint `(body, point)`:
    /// a point (m) fixed in that body's frame (body 0 = world).
    ///
    /// Joint axes and body quaternions are normalised.
    ///
    /// # Errors
    /// [`SkeletonError::InvalidTree`] naming the body, joint or field: no joint at all, more than
    /// [`MAX_BODIES`] bodies or [`MAX_DOF`] joints, a parent index not below the body's own,
    /// a non-finite number, a zero axis or quaternion, a negative mass, damping or armature, an
    /// inertia that is not symmetric, or not positive definite for a body with mass (or not zero
    /// for a massless body), an endpoint on a body that does not exist, or a mass matrix
    /// that is not positive definite at `q = 0` (a joint that moves no mass, or two joints
    /// that move the same way).
    pub fn new(
        mut bodies: Vec<TreeBody>,
        gravity: [f64; 3],
        endpoint: (usize, [f64; 3]),
    ) -> Result<Self, SkeletonError> {
        let n = bodies.len();
        if n > MAX_BODIES {
            return Err(tree_err(
                "bodies".into(),
                format!("{n} bodies, at most {MAX_BODIES} are supported"),
            ));
        }
        if !all_finite(&gravity) {
            return Err(tree_err(
                "gravity".into(),
                format!("must be finite, got {gravity:?}"),
            ));
        }
        let mut rot0 = Vec::with_capacity(n);
        let mut first_dof = Vec::with_capacity(n + 1);
        let mut inertia6 = Vec::with_capacity(n);
        let (mut damping, mut armature) = (Vec::new(), Vec::new());
        for (k, body) in bodies.iter_mut().enumerate() {
            let i = k + 1;
            let label = format!("body {i} (`{}`)", body.name);
            if body.parent >= i {
                return Err(tree_err(
                    format!("{label} parent"),
                    format!(
                        "must be below the body's own index {i} (0 = world, parents listed first), got {}",
                        body.parent
                    ),
                ));
            }
            if !all_finite(&body.pos) {
                return Err(tree_err(
                    format!("{label} pos"),
                    format!("must be finite, got {:?}", body.pos),
                ));
            }
            let qn = body.quat.iter().map(|v| v * v).sum::<f64>().sqrt();
            if !(qn.is_finite() && qn > 0.0) {
                return Err(tree_err(
                    format!("{label} quat"),
                    format!("must be finite and non-zero, got {:?}", body.quat),
                ));
            }
            for v in &mut body.quat {
                *v /= qn;
            }
            let r = quat_to_mat(body.quat);
            let identity = r == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
            rot0.push(if identity { None } else { Some(r) });
            first_dof.push(damping.len());
            for (jj, joint) in body.joints.iter_mut().enumerate() {
                let jl = format!("{label} joint {jj} (`{}`)", joint.name);
                let an = norm3(joint.axis);
                if !(an.is_finite() && an > 0.0) {
                    return Err(tree_err(
                        format!("{jl} axis"),
                        format!("must be finite and non-zero, got {:?}", joint.axis),
                    ));
                }
                for v in &mut joint.axis {
                    *v /= an;
                }
                if !all_finite(&joint.pos) {
                    return Err(tree_err(
                        format!("{jl} pos"),
                        format!("must be finite, got {:?}", joint.pos),
                    ));
                }
                for (field, v) in [("damping", joint.damping), ("armature", joint.armature)] {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(tree_err(
                            format!("{jl} {field}"),
                            format!("must be finite and >= 0, got {v}"),
                        ));
                    }
                }
                damping.push(joint.damping);
                armature.push(joint.armature);
            }
            inertia6.push(check_inertial(&label, &body.inertial)?);
        }
        let dof = damping.len();
        first_dof.push(dof);
        if dof == 0 {
            return Err(tree_err(
                "joints".into(),
                "the tree needs at least one joint, it has none".into(),
            ));
        }
        if dof > MAX_DOF {
            return Err(tree_err(
                "joints".into(),
                format!("{dof} joints, at most {MAX_DOF} are supported"),
            ));
        }
        let (eb, ep) = endpoint;
        if eb > n {
            return Err(tree_err(
                "endpoint body".into(),
                format!("must be 0 (world) to {n}, got {eb}"),
            ));
        }
        if !all_finite(&ep) {
            return Err(tree_err(
                "endpoint point".into(),
                format!("must be finite, got {ep:?}"),
            ));
        }
        let tree = Self {
            bodies,
            gravity,
            endpoint,
            dof,
            rot0,
            first_dof,
            inertia6,
            damping,
            armature,
            small: n < SMALL_B && dof <= SMALL_D,
        };
        tree.check_positive_definite()?;
        Ok(tree)
    }

    /// `M(0)` must have a Cholesky factorisation with positive pivots.
    fn check_positive_definite(&self) -> Result<(), SkeletonError> {
        let n = self.dof;
        let mut m = vec![0.0; n * n];
        self.mass_matrix(&vec![0.0; n], &mut m);
        let scale = (0..n).map(|i| m[i * n + i]).fold(0.0, f64::max);
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let mut s = m[i * n + j];
                for p in 0..j {
                    s -= l[i * n + p] * l[j * n + p];
                }
                if i == j {
                    if s.is_nan() || s <= 1e-12 * scale {
                        let name = self.joint_names().nth(i).unwrap_or_default();
                        return Err(tree_err(
                            format!("joint {i} (`{name}`)"),
                            format!(
                                "the mass matrix at q = 0 is not positive definite (pivot {s:e}): \
                                 the joint moves no mass, or moves it as other joints do"
                            ),
                        ));
                    }
                    l[i * n + i] = s.sqrt();
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        Ok(())
    }

    /// The bodies, as given to [`KinematicTree::new`] with normalised axes and quaternions.
    pub fn bodies(&self) -> &[TreeBody] {
        &self.bodies
    }

    /// Gravity (m/s², world frame).
    pub fn gravity(&self) -> [f64; 3] {
        self.gravity
    }

    /// The endpoint: body index (0 = world) and point in that body's frame (m).
    pub fn endpoint(&self) -> (usize, [f64; 3]) {
        self.endpoint
    }

    /// The joints' names, in joint (degree-of-freedom) order.
    pub fn joint_names(&self) -> impl Iterator<Item = &str> {
        self.bodies
            .iter()
            .flat_map(|b| b.joints.iter().map(|j| j.name.as_str()))
    }

    /// The joint-space inertia matrix `M(q)` (kg·m², kg·m or kg by joint kinds), armature
    /// included (MuJoCo's full `qM`): `q[dof]` (rad or m), `m[dof * dof]` (output) row-major,
    /// symmetric positive definite.
    pub fn mass_matrix<S: Scalar>(&self, q: &[S], m: &mut [S]) {
        debug_assert_eq!(q.len(), self.dof);
        debug_assert_eq!(m.len(), self.dof * self.dof);
        if self.small {
            self.mass_matrix_in::<S, SMALL_B, SMALL_D>(q, m)
        } else {
            self.mass_matrix_in::<S, BIG_B, BIG_D>(q, m)
        }
    }

    /// The bias forces `c(q, q̇)` (N·m or N), MuJoCo's `qfrc_bias`: the generalized forces
    /// that keep the joints from accelerating against Coriolis, centrifugal and gravity
    /// effects (so `M q̈ = τ − c` without other forces). `q[dof]`, `qd[dof]`, `out[dof]`.
    pub fn bias_forces<S: Scalar>(&self, q: &[S], qd: &[S], out: &mut [S]) {
        debug_assert_eq!(q.len(), self.dof);
        debug_assert_eq!(qd.len(), self.dof);
        debug_assert_eq!(out.len(), self.dof);
        if self.small {
            self.bias_in::<S, SMALL_B, SMALL_D>(q, qd, out)
        } else {
            self.bias_in::<S, BIG_B, BIG_D>(q, qd, out)
        }
    }

    /// The passive joint forces (N·m or N), MuJoCo's `qfrc_passive` for this model:
    /// `out[j] = −damping_j · qd[j]`; `qd[dof]`, `out[dof]`.
    pub fn passive_forces<S: Scalar>(&self, qd: &[S], out: &mut [S]) {
        debug_assert_eq!(qd.len(), self.dof);
        debug_assert_eq!(out.len(), self.dof);
        for ((o, &v), &b) in out.iter_mut().zip(qd).zip(&self.damping) {
            *o = -(v.scale(b));
        }
    }

    /// World position `pos` (m) of body `body`'s frame origin and its orientation `rot`
    /// (row-major 3 × 3 rotation, body → world: `world = pos + rot · local`), MuJoCo's `xpos`
    /// and `xmat`; body 0 is the world (origin, identity). `q[dof]`.
    pub fn body_pose<S: Scalar>(&self, body: usize, q: &[S], pos: &mut [S; 3], rot: &mut [S; 9]) {
        debug_assert!(body <= self.bodies.len());
        debug_assert_eq!(q.len(), self.dof);
        if self.small {
            let fr = self.frames::<S, SMALL_B, SMALL_D>(q, body);
            (*pos, *rot) = (fr.pos[body], fr.rot[body]);
        } else {
            let fr = self.frames::<S, BIG_B, BIG_D>(q, body);
            (*pos, *rot) = (fr.pos[body], fr.rot[body]);
        }
    }

    /// The joints of body `b` (1-based): their dof indices.
    #[inline]
    fn dofs(&self, b: usize) -> std::ops::Range<usize> {
        self.first_dof[b - 1]..self.first_dof[b]
    }

    /// Forward kinematics of bodies `1..=upto`: frames and joint motion subspaces.
    fn frames<S: Scalar, const B: usize, const D: usize>(
        &self,
        q: &[S],
        upto: usize,
    ) -> Frames<S, B, D> {
        let mut fr = Frames::<S, B, D>::new();
        for b in 1..=upto {
            let body = &self.bodies[b - 1];
            let (rp, pp) = (fr.rot[body.parent], fr.pos[body.parent]);
            let mut r = match &self.rot0[b - 1] {
                Some(r0) => mat_mul_c(&rp, r0),
                None => rp,
            };
            let off = mat_vec_c(&rp, body.pos);
            let mut p = [pp[0] + off[0], pp[1] + off[1], pp[2] + off[2]];
            for (d, joint) in self.dofs(b).zip(&body.joints) {
                let axis = mat_vec_c(&r, joint.axis);
                match joint.kind {
                    JointKind::Slide => {
                        for k in 0..3 {
                            p[k] += axis[k] * q[d];
                        }
                        let z = S::zero();
                        fr.cdof[d] = [z, z, z, axis[0], axis[1], axis[2]];
                    }
                    JointKind::Hinge => {
                        let moved = joint.pos != [0.0; 3];
                        let anchor = if moved {
                            let o = mat_vec_c(&r, joint.pos);
                            [p[0] + o[0], p[1] + o[1], p[2] + o[2]]
                        } else {
                            p
                        };
                        // the anchor for now; made relative to the body origin below
                        fr.cdof[d] = [axis[0], axis[1], axis[2], anchor[0], anchor[1], anchor[2]];
                        r = mat_mul(&r, &axis_rotation(joint.axis, q[d]));
                        if moved {
                            let o = mat_vec_c(&r, joint.pos);
                            p = [anchor[0] - o[0], anchor[1] - o[1], anchor[2] - o[2]];
                        }
                    }
                }
            }
            for (d, joint) in self.dofs(b).zip(&body.joints) {
                if joint.kind == JointKind::Hinge {
                    let c = &mut fr.cdof[d];
                    let (axis, rel) = ([c[0], c[1], c[2]], [c[3] - p[0], c[4] - p[1], c[5] - p[2]]);
                    let v = cross(&rel, &axis);
                    c[3..].copy_from_slice(&v);
                }
            }
            fr.rot[b] = r;
            fr.pos[b] = p;
        }
        fr
    }

    /// Body `b`'s spatial inertia in world coordinates about the body's origin.
    fn body_inertia<S: Scalar, const B: usize, const D: usize>(
        &self,
        fr: &Frames<S, B, D>,
        b: usize,
    ) -> SpatialInertia<S> {
        let inertial = &self.bodies[b - 1].inertial;
        let m = inertial.mass;
        if m == 0.0 {
            return SpatialInertia::zero();
        }
        let r = &fr.rot[b];
        // the centre of mass relative to the body origin
        let c = mat_vec_c(r, inertial.com);
        // R I Rᵀ
        let i6 = &self.inertia6[b - 1];
        let ib = [
            [i6[0], i6[1], i6[2]],
            [i6[1], i6[3], i6[4]],
            [i6[2], i6[4], i6[5]],
        ];
        // ri = R · I (3 × 3)
        let mut ri = [S::zero(); 9];
        for i in 0..3 {
            for j in 0..3 {
                ri[3 * i + j] = r[3 * i].scale(ib[0][j])
                    + r[3 * i + 1].scale(ib[1][j])
                    + r[3 * i + 2].scale(ib[2][j]);
            }
        }
        let sym = |i: usize, j: usize| {
            ri[3 * i] * r[3 * j] + ri[3 * i + 1] * r[3 * j + 1] + ri[3 * i + 2] * r[3 * j + 2]
        };
        let c2 = c[0] * c[0] + c[1] * c[1] + c[2] * c[2];
        let shift = |i: usize, j: usize| {
            let d = if i == j { c2 } else { S::zero() };
            (d - c[i] * c[j]).scale(m)
        };
        let mut rot = [S::zero(); 6];
        for (k, (i, j)) in SYM.iter().enumerate() {
            rot[k] = sym(*i, *j) + shift(*i, *j);
        }
        SpatialInertia {
            m: S::c(m),
            h: [c[0].scale(m), c[1].scale(m), c[2].scale(m)],
            rot,
        }
    }

    /// Composite-rigid-body algorithm: calls `put(i, j, M_ij)` for `j <= i` (armature not
    /// included). `ic` holds the bodies' spatial inertias on entry (index = body), the
    /// composite inertias on exit.
    fn crba<S: Scalar, const B: usize, const D: usize>(
        &self,
        fr: &Frames<S, B, D>,
        ic: &mut [SpatialInertia<S>; B],
        mut put: impl FnMut(usize, usize, S),
    ) {
        let n = self.bodies.len();
        for b in (2..=n).rev() {
            let par = self.bodies[b - 1].parent;
            if par > 0 {
                let child = ic[b].shifted(&sub3(&fr.pos[b], &fr.pos[par]));
                ic[par].add(&child);
            }
        }
        for b in 1..=n {
            for i in self.dofs(b) {
                let mut f = ic[b].apply(&fr.cdof[i]);
                for j in self.first_dof[b - 1]..=i {
                    put(i, j, dot6(&fr.cdof[j], &f));
                }
                let (mut from, mut a) = (b, self.bodies[b - 1].parent);
                while a != 0 {
                    f = shift_force(&f, &sub3(&fr.pos[from], &fr.pos[a]));
                    for j in self.dofs(a) {
                        put(i, j, dot6(&fr.cdof[j], &f));
                    }
                    (from, a) = (a, self.bodies[a - 1].parent);
                }
            }
        }
    }

    /// Recursive Newton–Euler with `q̈ = 0` and the base accelerating at `−g`: writes the bias
    /// forces to `out[dof]`. `inertia[b]` is body b's spatial inertia.
    fn rnea<S: Scalar, const B: usize, const D: usize>(
        &self,
        fr: &Frames<S, B, D>,
        inertia: &[SpatialInertia<S>; B],
        qd: &[S],
        out: &mut [S],
    ) {
        let n = self.bodies.len();
        let z = S::zero();
        let g = self.gravity;
        let mut vel = [[z; 6]; B];
        let mut acc = [[z; 6]; B];
        let mut force = [[z; 6]; B];
        acc[0] = [z, z, z, S::c(-g[0]), S::c(-g[1]), S::c(-g[2])];
        for b in 1..=n {
            let par = self.bodies[b - 1].parent;
            let d = sub3(&fr.pos[b], &fr.pos[par]);
            let (mut v, mut a) = (shift_motion(&vel[par], &d), shift_motion(&acc[par], &d));
            for d in self.dofs(b) {
                let s = &fr.cdof[d];
                let vx = cross_motion(&v, s);
                for k in 0..6 {
                    a[k] += vx[k] * qd[d];
                    v[k] += s[k] * qd[d];
                }
            }
            let ia = inertia[b].apply(&a);
            let iv = inertia[b].apply(&v);
            let vxf = cross_force(&v, &iv);
            for k in 0..6 {
                force[b][k] = ia[k] + vxf[k];
            }
            vel[b] = v;
            acc[b] = a;
        }
        for b in (1..=n).rev() {
            for d in self.dofs(b) {
                out[d] = dot6(&fr.cdof[d], &force[b]);
            }
            let par = self.bodies[b - 1].parent;
            if par > 0 {
                let f = shift_force(&force[b], &sub3(&fr.pos[b], &fr.pos[par]));
                for k in 0..6 {
                    force[par][k] += f[k];
                }
            }
        }
    }

    fn inertias<S: Scalar, const B: usize, const D: usize>(
        &self,
        fr: &Frames<S, B, D>,
    ) -> [SpatialInertia<S>; B] {
        let mut ic = [SpatialInertia::zero(); B];
        for b in 1..=self.bodies.len() {
            ic[b] = self.body_inertia(fr, b);
        }
        ic
    }

    fn mass_matrix_in<S: Scalar, const B: usize, const D: usize>(&self, q: &[S], m: &mut [S]) {
        let n = self.dof;
        let fr = self.frames::<S, B, D>(q, self.bodies.len());
        let mut ic = self.inertias(&fr);
        // joints on different branches do not couple: crba writes only the pairs on one path
        m.fill(S::zero());
        self.crba(&fr, &mut ic, |i, j, v| {
            m[i * n + j] = v;
            m[j * n + i] = v;
        });
        for (i, a) in self.armature.iter().enumerate() {
            m[i * n + i] += S::c(*a);
        }
    }

    fn bias_in<S: Scalar, const B: usize, const D: usize>(&self, q: &[S], qd: &[S], out: &mut [S]) {
        let fr = self.frames::<S, B, D>(q, self.bodies.len());
        let inertia = self.inertias(&fr);
        self.rnea(&fr, &inertia, qd, out);
    }

    /// Position of `local` on `body` and the columns `d pos / d q_j` of the joints that move
    /// it, passed to `col(j, column)` (other columns are zero).
    fn point_columns<S: Scalar, const B: usize, const D: usize>(
        &self,
        fr: &Frames<S, B, D>,
        body: usize,
        local: [f64; 3],
        mut col: impl FnMut(usize, [S; 3]),
    ) -> [S; 3] {
        let (r, p) = (&fr.rot[body], &fr.pos[body]);
        let o = mat_vec_c(r, local);
        let x = [p[0] + o[0], p[1] + o[1], p[2] + o[2]];
        let mut a = body;
        while a != 0 {
            let xa = sub3(&x, &fr.pos[a]);
            for j in self.dofs(a) {
                let s = &fr.cdof[j];
                // velocity of the point x under unit joint speed: v_a + ω × (x − p_a)
                let w = cross(&[s[0], s[1], s[2]], &xa);
                col(j, [s[3] + w[0], s[4] + w[1], s[5] + w[2]]);
            }
            a = self.bodies[a - 1].parent;
        }
        x
    }

    /// [`Skeleton::point_kinematics`] from computed frames (which must include `body`).
    fn point_in<S: Scalar, const B: usize, const D: usize>(
        &self,
        fr: &Frames<S, B, D>,
        body: usize,
        local: &[f64],
        pos: &mut [S],
        dpos_dq: &mut [S],
    ) {
        let n = self.dof;
        debug_assert!(body <= self.bodies.len());
        debug_assert_eq!(local.len(), 3);
        debug_assert_eq!(pos.len(), 3);
        debug_assert_eq!(dpos_dq.len(), 3 * n);
        dpos_dq.fill(S::zero());
        let x = self.point_columns(fr, body, [local[0], local[1], local[2]], |j, c| {
            for k in 0..3 {
                dpos_dq[k * n + j] = c[k];
            }
        });
        pos.copy_from_slice(&x);
    }

    fn acceleration_in<S: Scalar, const B: usize, const D: usize, const P: usize>(
        &self,
        q: &[S],
        qd: &[S],
        tau: &[S],
        endpoint_load: &[S],
        qdd: &mut [S],
    ) {
        let n = self.dof;
        let fr = self.frames::<S, B, D>(q, self.bodies.len());
        let mut ic = self.inertias(&fr);
        // right-hand side: τ + passive − bias (+ Jᵀ f)
        self.rnea(&fr, &ic, qd, qdd);
        for j in 0..n {
            qdd[j] = tau[j] - qd[j].scale(self.damping[j]) - qdd[j];
        }
        if let [f0, f1, f2] = *endpoint_load {
            let (eb, ep) = self.endpoint;
            self.point_columns(&fr, eb, ep, |j, c| {
                qdd[j] += c[0] * f0 + c[1] * f1 + c[2] * f2;
            });
        }
        // packed lower triangle of M: (i, j) at i (i + 1) / 2 + j; branches not on one path
        // stay zero
        let mut l = [S::zero(); P];
        self.crba(&fr, &mut ic, |i, j, v| l[i * (i + 1) / 2 + j] = v);
        for i in 0..n {
            l[i * (i + 1) / 2 + i] += S::c(self.armature[i]);
        }
        cholesky_solve(&mut l, n, qdd);
    }
}

fn check_inertial(label: &str, it: &Inertial) -> Result<[f64; 6], SkeletonError> {
    let what = |f: &str| format!("{label} inertial {f}");
    if !(it.mass.is_finite() && it.mass >= 0.0) {
        return Err(tree_err(
            what("mass"),
            format!("must be finite and >= 0, got {}", it.mass),
        ));
    }
    if !all_finite(&it.com) {
        return Err(tree_err(
            what("com"),
            format!("must be finite, got {:?}", it.com),
        ));
    }
    let i = &it.inertia;
    if !i.iter().all(|row| all_finite(row)) {
        return Err(tree_err(
            what("inertia"),
            format!("must be finite, got {i:?}"),
        ));
    }
    let scale = i.iter().flatten().fold(0.0f64, |a, v| a.max(v.abs()));
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        if (i[a][b] - i[b][a]).abs() > 1e-9 * scale {
            return Err(tree_err(
                what("inertia"),
                format!("must be symmetric, got {i:?}"),
            ));
        }
    }
    let s = |a: usize, b: usize| 0.5 * (i[a][b] + i[b][a]);
    let i6 = [s(0, 0), s(0, 1), s(0, 2), s(1, 1), s(1, 2), s(2, 2)];
    if it.mass == 0.0 {
        if scale != 0.0 {
            return Err(tree_err(
                what("inertia"),
                format!("must be zero for a massless body, got {i:?}"),
            ));
        }
    } else {
        // leading principal minors
        let m1 = i6[0];
        let m2 = i6[0] * i6[3] - i6[1] * i6[1];
        let m3 = i6[0] * (i6[3] * i6[5] - i6[4] * i6[4]) - i6[1] * (i6[1] * i6[5] - i6[4] * i6[2])
            + i6[2] * (i6[1] * i6[4] - i6[3] * i6[2]);
        if !(m1 > 0.0 && m2 > 0.0 && m3 > 0.0) {
            return Err(tree_err(
                what("inertia"),
                format!("must be positive definite for a body with mass, got {i:?}"),
            ));
        }
    }
    Ok(i6)
}

impl Skeleton for KinematicTree {
    fn name(&self) -> &'static str {
        "KinematicTree"
    }

    fn dof(&self) -> usize {
        self.dof
    }

    fn space_dim(&self) -> usize {
        3
    }

    fn n_bodies(&self) -> usize {
        self.bodies.len()
    }

    /// Solves `M(q) q̈ = τ − damping · q̇ − c(q, q̇) + J_endpointᵀ f` (Cholesky): `tau[dof]` in
    /// N·m (hinges) or N (slides), `endpoint_load[3]` `f` in N (world frame) at the endpoint,
    /// `qdd[dof]` in rad/s² or m/s².
    fn acceleration<S: Scalar>(
        &self,
        q: &[S],
        qd: &[S],
        tau: &[S],
        endpoint_load: &[S],
        qdd: &mut [S],
    ) {
        debug_assert_eq!(q.len(), self.dof);
        debug_assert_eq!(qd.len(), self.dof);
        debug_assert_eq!(tau.len(), self.dof);
        debug_assert!(endpoint_load.is_empty() || endpoint_load.len() == 3);
        debug_assert_eq!(qdd.len(), self.dof);
        if self.small {
            self.acceleration_in::<S, SMALL_B, SMALL_D, SMALL_P>(q, qd, tau, endpoint_load, qdd)
        } else {
            self.acceleration_in::<S, BIG_B, BIG_D, BIG_P>(q, qd, tau, endpoint_load, qdd)
        }
    }

    /// World position (m) and velocity (m/s) of the endpoint.
    fn joint_to_cartesian<S: Scalar>(&self, q: &[S], qd: &[S], pos: &mut [S], vel: &mut [S]) {
        debug_assert_eq!(q.len(), self.dof);
        debug_assert_eq!(qd.len(), self.dof);
        debug_assert_eq!(pos.len(), 3);
        debug_assert_eq!(vel.len(), 3);
        let (eb, ep) = self.endpoint;
        let mut v = [S::zero(); 3];
        let mut col = |j: usize, c: [S; 3]| {
            for k in 0..3 {
                v[k] += c[k] * qd[j];
            }
        };
        let x = if self.small {
            let fr = self.frames::<S, SMALL_B, SMALL_D>(q, eb);
            self.point_columns(&fr, eb, ep, &mut col)
        } else {
            let fr = self.frames::<S, BIG_B, BIG_D>(q, eb);
            self.point_columns(&fr, eb, ep, &mut col)
        };
        pos.copy_from_slice(&x);
        vel.copy_from_slice(&v);
    }

    /// `pos = p_body + R_body · local` (m); Jacobian column `j` (for the joints on the path
    /// from the world to `body`, else zero): `axis × (pos − anchor)` for a hinge (m/rad),
    /// `axis` for a slide (dimensionless), world-frame axes and anchors.
    fn point_kinematics<S: Scalar>(
        &self,
        body: usize,
        local: &[f64],
        q: &[S],
        pos: &mut [S],
        dpos_dq: &mut [S],
    ) {
        debug_assert_eq!(q.len(), self.dof);
        if self.small {
            let fr = self.frames::<S, SMALL_B, SMALL_D>(q, body);
            self.point_in(&fr, body, local, pos, dpos_dq);
        } else {
            let fr = self.frames::<S, BIG_B, BIG_D>(q, body);
            self.point_in(&fr, body, local, pos, dpos_dq);
        }
    }

    /// Computes the frames of all bodies once; each query then walks only the point's
    /// ancestors.
    fn posed<S: Scalar, R>(&self, q: &[S], f: impl FnOnce(&dyn PosedSkeleton<S>) -> R) -> R {
        debug_assert_eq!(q.len(), self.dof);
        let all = self.bodies.len();
        if self.small {
            let fr = self.frames::<S, SMALL_B, SMALL_D>(q, all);
            f(&TreePose { tree: self, fr })
        } else {
            let fr = self.frames::<S, BIG_B, BIG_D>(q, all);
            f(&TreePose { tree: self, fr })
        }
    }
}

/// [`KinematicTree`] posed at one configuration: the frames of all bodies, computed once.
struct TreePose<'a, S, const B: usize, const D: usize> {
    tree: &'a KinematicTree,
    fr: Frames<S, B, D>,
}

impl<S: Scalar, const B: usize, const D: usize> PosedSkeleton<S> for TreePose<'_, S, B, D> {
    fn point_kinematics(&self, body: usize, local: &[f64], pos: &mut [S], dpos_dq: &mut [S]) {
        self.tree.point_in(&self.fr, body, local, pos, dpos_dq);
    }
}

/// Scratch of the forward kinematics: per body (index = body, 0 = world) the frame's world
/// rotation (row-major, body → world) and origin; per joint its motion subspace in world axes
/// about its body's origin `p`, `(ω, v_p)`: `(axis, (anchor − p) × axis)` for a hinge,
/// `(0, axis)` for a slide.
struct Frames<S, const B: usize, const D: usize> {
    rot: [[S; 9]; B],
    pos: [[S; 3]; B],
    cdof: [[S; 6]; D],
}

impl<S: Scalar, const B: usize, const D: usize> Frames<S, B, D> {
    fn new() -> Self {
        let (z, o) = (S::zero(), S::one());
        let mut rot = [[z; 9]; B];
        rot[0] = [o, z, z, z, o, z, z, z, o];
        Self {
            rot,
            pos: [[z; 3]; B],
            cdof: [[z; 6]; D],
        }
    }
}

/// Index pairs of the packed symmetric 3 × 3: xx, xy, xz, yy, yz, zz.
const SYM: [(usize, usize); 6] = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)];

/// A spatial inertia in world axes about a point `P` (a body's origin): mass `m`, first moment
/// `h = m (c − P)` (`c` the centre of mass), rotational inertia about `P` `rot` (packed
/// symmetric, `SYM` order).
#[derive(Clone, Copy)]
struct SpatialInertia<S> {
    m: S,
    h: [S; 3],
    rot: [S; 6],
}

impl<S: Scalar> SpatialInertia<S> {
    fn zero() -> Self {
        let z = S::zero();
        Self {
            m: z,
            h: [z; 3],
            rot: [z; 6],
        }
    }

    /// The same inertia about `Q = P − d` instead of `P`: with `x = h/m` the centre of mass
    /// from `P`, `h_Q = h + m d` and
    /// `I_Q = I_P + (2 h·d + m |d|²) 1 − (h dᵀ + d hᵀ + m d dᵀ)`.
    fn shifted(&self, d: &[S; 3]) -> Self {
        let (m, h) = (self.m, &self.h);
        let md = [m * d[0], m * d[1], m * d[2]];
        let diag = (h[0] * d[0] + h[1] * d[1] + h[2] * d[2]).scale(2.0)
            + md[0] * d[0]
            + md[1] * d[1]
            + md[2] * d[2];
        let mut rot = self.rot;
        for (k, (i, j)) in SYM.iter().enumerate() {
            let off = h[*i] * d[*j] + d[*i] * h[*j] + md[*i] * d[*j];
            rot[k] += if i == j { diag - off } else { -off };
        }
        Self {
            m,
            h: [h[0] + md[0], h[1] + md[1], h[2] + md[2]],
            rot,
        }
    }

    fn add(&mut self, o: &Self) {
        self.m += o.m;
        for k in 0..3 {
            self.h[k] += o.h[k];
        }
        for k in 0..6 {
            self.rot[k] += o.rot[k];
        }
    }

    /// The momentum `(n, f)` of motion `(ω, v)`: `n = I ω + h × v`, `f = m v − h × ω`.
    fn apply(&self, s: &[S; 6]) -> [S; 6] {
        let r = &self.rot;
        let (w, v) = ([s[0], s[1], s[2]], [s[3], s[4], s[5]]);
        let hv = cross(&self.h, &v);
        let hw = cross(&self.h, &w);
        [
            r[0] * w[0] + r[1] * w[1] + r[2] * w[2] + hv[0],
            r[1] * w[0] + r[3] * w[1] + r[4] * w[2] + hv[1],
            r[2] * w[0] + r[4] * w[1] + r[5] * w[2] + hv[2],
            self.m * v[0] - hw[0],
            self.m * v[1] - hw[1],
            self.m * v[2] - hw[2],
        ]
    }
}

#[inline(always)]
fn cross<S: Scalar>(a: &[S; 3], b: &[S; 3]) -> [S; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

#[inline(always)]
fn sub3<S: Scalar>(a: &[S; 3], b: &[S; 3]) -> [S; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// A motion `(ω, v_P)` about point `P` re-expressed about `Q = P + d`: `v_Q = v_P + ω × d`.
#[inline(always)]
fn shift_motion<S: Scalar>(m: &[S; 6], d: &[S; 3]) -> [S; 6] {
    let w = cross(&[m[0], m[1], m[2]], d);
    [m[0], m[1], m[2], m[3] + w[0], m[4] + w[1], m[5] + w[2]]
}

/// A force `(n_P, f)` about point `P` re-expressed about `Q = P − d`: `n_Q = n_P + d × f`.
#[inline(always)]
fn shift_force<S: Scalar>(f: &[S; 6], d: &[S; 3]) -> [S; 6] {
    let m = cross(d, &[f[3], f[4], f[5]]);
    [f[0] + m[0], f[1] + m[1], f[2] + m[2], f[3], f[4], f[5]]
}

#[inline(always)]
fn dot6<S: Scalar>(a: &[S; 6], b: &[S; 6]) -> S {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4] + a[5] * b[5]
}

/// Spatial motion cross product `(ω₁, v₁) × (ω₂, v₂) = (ω₁ × ω₂, ω₁ × v₂ + v₁ × ω₂)`.
#[inline(always)]
fn cross_motion<S: Scalar>(a: &[S; 6], b: &[S; 6]) -> [S; 6] {
    let (w1, v1) = ([a[0], a[1], a[2]], [a[3], a[4], a[5]]);
    let (w2, v2) = ([b[0], b[1], b[2]], [b[3], b[4], b[5]]);
    let ww = cross(&w1, &w2);
    let wv = cross(&w1, &v2);
    let vw = cross(&v1, &w2);
    [
        ww[0],
        ww[1],
        ww[2],
        wv[0] + vw[0],
        wv[1] + vw[1],
        wv[2] + vw[2],
    ]
}

/// Spatial force cross product `(ω, v) ×* (n, f) = (ω × n + v × f, ω × f)`.
#[inline(always)]
fn cross_force<S: Scalar>(a: &[S; 6], b: &[S; 6]) -> [S; 6] {
    let (w, v) = ([a[0], a[1], a[2]], [a[3], a[4], a[5]]);
    let (n, f) = ([b[0], b[1], b[2]], [b[3], b[4], b[5]]);
    let wn = cross(&w, &n);
    let vf = cross(&v, &f);
    let wf = cross(&w, &f);
    [
        wn[0] + vf[0],
        wn[1] + vf[1],
        wn[2] + vf[2],
        wf[0],
        wf[1],
        wf[2],
    ]
}

/// `R · v` for a constant vector.
#[inline(always)]
fn mat_vec_c<S: Scalar>(r: &[S; 9], v: [f64; 3]) -> [S; 3] {
    [
        r[0].scale(v[0]) + r[1].scale(v[1]) + r[2].scale(v[2]),
        r[3].scale(v[0]) + r[4].scale(v[1]) + r[5].scale(v[2]),
        r[6].scale(v[0]) + r[7].scale(v[1]) + r[8].scale(v[2]),
    ]
}

/// `A · B` for a constant `B`.
#[inline(always)]
fn mat_mul_c<S: Scalar>(a: &[S; 9], b: &[f64; 9]) -> [S; 9] {
    let mut o = [S::zero(); 9];
    for i in 0..3 {
        for j in 0..3 {
            o[3 * i + j] =
                a[3 * i].scale(b[j]) + a[3 * i + 1].scale(b[3 + j]) + a[3 * i + 2].scale(b[6 + j]);
        }
    }
    o
}

#[inline(always)]
fn mat_mul<S: Scalar>(a: &[S; 9], b: &[S; 9]) -> [S; 9] {
    let mut o = [S::zero(); 9];
    for i in 0..3 {
        for j in 0..3 {
            o[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
        }
    }
    o
}

/// Rotation by `angle` (rad) about the unit `axis` (Rodrigues' formula
/// `R = cos θ 1 + sin θ [a]× + (1 − cos θ) a aᵀ`), row-major.
fn axis_rotation<S: Scalar>(a: [f64; 3], angle: S) -> [S; 9] {
    let (s, c) = angle.sin_cos();
    let t = S::one() - c;
    let tt = |i: usize, j: usize| t.scale(a[i] * a[j]);
    [
        tt(0, 0) + c,
        tt(0, 1) - s.scale(a[2]),
        tt(0, 2) + s.scale(a[1]),
        tt(0, 1) + s.scale(a[2]),
        tt(1, 1) + c,
        tt(1, 2) - s.scale(a[0]),
        tt(0, 2) - s.scale(a[1]),
        tt(1, 2) + s.scale(a[0]),
        tt(2, 2) + c,
    ]
}

/// Solves `M x = b` in place (`b` in, `x` out, `n` unknowns) for the symmetric positive
/// definite `M` given as its packed lower triangle (`(i, j)` at `i (i + 1) / 2 + j`),
/// overwritten by its Cholesky factor.
fn cholesky_solve<S: Scalar>(l: &mut [S], n: usize, b: &mut [S]) {
    let at = |i: usize, j: usize| i * (i + 1) / 2 + j;
    for i in 0..n {
        for j in 0..=i {
            let mut s = l[at(i, j)];
            for p in 0..j {
                s -= l[at(i, p)] * l[at(j, p)];
            }
            l[at(i, j)] = if i == j { s.sqrt() } else { s / l[at(j, j)] };
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for p in 0..i {
            s -= l[at(i, p)] * b[p];
        }
        b[i] = s / l[at(i, i)];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for p in i + 1..n {
            s -= l[at(p, i)] * b[p];
        }
        b[i] = s / l[at(i, i)];
    }
}

impl crate::BuiltinSkeleton for KinematicTree {
    const NAME: &'static str = "KinematicTree";
    const SUMMARY: &'static str = "a 3-D tree of rigid bodies with hinge (rad) and slide (m) joints, gravity, joint damping and armature (MuJoCo's semantics); described in spec files by `bodies`, `gravity` and `endpoint`, not by parameters";
    const PARAMS: &'static [motornet_scalar::params::ParamDecl] = &[];

    /// A tree is described by its bodies, not by numeric parameters: always an error naming
    /// where the description goes (the effector crate's spec files build trees from their
    /// `skeleton.bodies`).
    fn from_params(_: &motornet_scalar::params::ParamSet) -> Result<Self, SkeletonError> {
        Err(SkeletonError::InvalidTree {
            what: "bodies".into(),
            reason: "a KinematicTree is built from its bodies (spec files: `skeleton.bodies`), \
                     not from parameters"
                .into(),
        })
    }
}
