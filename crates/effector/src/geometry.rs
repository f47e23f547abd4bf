//! Muscle geometry: each muscle's musculotendon length, velocity and moment arms from the joint
//! state.

use crate::error::EffectorError;
use crate::fields::{only_fields, read_field, table_field, FieldValue, SpecMap, SpecValue};
use crate::spatial::SpatialTendons;
use crate::{MAX_DOF, MAX_SPACE_DIM, SMALL_DOF};
use motornet_scalar::Scalar;
use motornet_skeleton::Skeleton;
use std::collections::BTreeMap;

/// Computes, for one effector, each muscle's musculotendon length (m), velocity (m/s) and moment
/// arm for each joint (m, or m/rad·rad = m per unit joint coordinate) from the joint state.
///
/// Output layout (MotorNet's geometry state): `len[M]`, `vel[M]`, `moment[dof * M]` with
/// `moment[j * M + m]` the moment arm of muscle `m` about joint `j`, defined as
/// d(length)/d(q_j). The joint torque a muscle produces is `−force · moment arm`.
///
/// A user adds a provider by implementing this trait; [`AnyGeometry`] holds the built-in ones.
pub trait Geometry: std::fmt::Debug + Send + Sync {
    /// Number of muscles.
    fn n_muscles(&self) -> usize;
    /// Check that this geometry fits a skeleton (dimensions, bodies).
    fn check<K: Skeleton>(&self, skeleton: &K) -> Result<(), EffectorError>;
    /// Fill `len`, `vel` and `moment` for joint positions `q` and velocities `qd`.
    fn compute<S: Scalar, K: Skeleton>(
        &self,
        skeleton: &K,
        q: &[S],
        qd: &[S],
        len: &mut [S],
        vel: &mut [S],
        moment: &mut [S],
    );
    /// Whether MotorNet builds the muscle of an effector with this geometry with the full
    /// timestep (its presets with lumped geometry do) rather than the ministep (effectors built
    /// from muscle paths do). Only the compliant-tendon model's initial state depends on it.
    fn muscle_built_with_full_timestep(&self) -> bool {
        false
    }
}

/// One point of a muscle path: the body it is fixed on (0 = world) and its coordinates (m) in
/// that body's frame.
#[derive(Debug, Clone, PartialEq)]
pub struct PathPoint {
    /// Body index: 0 world, 1 the first body (point mass or upper arm), 2 the forearm.
    pub body: usize,
    /// Coordinates in the body's frame (m), `space_dim` of them.
    pub coordinates: Vec<f64>,
}

/// Muscles as paths through points fixed on bodies, as MotorNet's `add_muscle`.
///
/// Length is the sum of the straight segments between consecutive points; velocity is its time
/// derivative; moment arms are d(length)/dq. MotorNet 0.3.0 computes a point's velocity on the
/// arm's forearm as `J₁·q̇₀ + J₂·(q̇₀ + q̇₁)`, i.e. it counts the shoulder rotation of the forearm
/// twice; [`MusclePaths`] reproduces this (it is visible in the musculotendon velocity and so in
/// the force–velocity terms) so trajectories match MotorNet. The moment arms are exact.
#[derive(Debug, Clone, PartialEq)]
pub struct MusclePaths {
    paths: Vec<Vec<PathPoint>>,
    motornet_forearm_velocity: bool,
}

impl MusclePaths {
    /// Paths, one per muscle, each with at least two points. Validated against a skeleton by
    /// [`Geometry::check`] when the effector is built.
    pub fn new(paths: Vec<Vec<PathPoint>>) -> Result<Self, EffectorError> {
        if paths.is_empty() {
            return Err(EffectorError::invalid(
                "geometry.paths",
                "needs at least one muscle",
            ));
        }
        for (m, p) in paths.iter().enumerate() {
            if p.len() < 2 {
                return Err(EffectorError::InvalidMuscle {
                    index: m,
                    muscle: String::new(),
                    field: "geometry.paths".into(),
                    reason: format!("a path needs at least two points, got {}", p.len()),
                });
            }
        }
        Ok(Self {
            paths,
            motornet_forearm_velocity: true,
        })
    }

    /// Compute forearm point velocities exactly (`J·q̇`) instead of MotorNet 0.3.0's way. Off by
    /// default, for parity with MotorNet.
    pub fn with_exact_velocity(mut self) -> Self {
        self.motornet_forearm_velocity = false;
        self
    }

    /// The paths.
    pub fn paths(&self) -> &[Vec<PathPoint>] {
        &self.paths
    }
}

impl Geometry for MusclePaths {
    fn n_muscles(&self) -> usize {
        self.paths.len()
    }

    fn check<K: Skeleton>(&self, skeleton: &K) -> Result<(), EffectorError> {
        for (m, path) in self.paths.iter().enumerate() {
            for (i, p) in path.iter().enumerate() {
                skeleton.check_point(p.body, &p.coordinates).map_err(|e| {
                    EffectorError::InvalidMuscle {
                        index: m,
                        muscle: String::new(),
                        field: "geometry.paths".into(),
                        reason: format!("point {i}: {e}"),
                    }
                })?;
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
        // stack buffers sized for the skeleton: small ones for the common few joints (each call
        // zeroes them: on the VJP's wide dual numbers the 64-entry Jacobian buffers of the
        // `SMALL_DOF` size cost 5 % of a tutorial batch in memset alone)
        if skeleton.dof() <= TINY_DOF && skeleton.space_dim() <= 3 {
            self.compute_in::<S, K, TINY_DOF, { 3 * TINY_DOF }, 3>(
                skeleton, q, qd, len, vel, moment,
            )
        } else if skeleton.dof() <= SMALL_DOF {
            self.compute_in::<S, K, SMALL_DOF, { MAX_SPACE_DIM * SMALL_DOF }, MAX_SPACE_DIM>(
                skeleton, q, qd, len, vel, moment,
            )
        } else {
            self.compute_in::<S, K, MAX_DOF, { MAX_SPACE_DIM * MAX_DOF }, MAX_SPACE_DIM>(
                skeleton, q, qd, len, vel, moment,
            )
        }
    }
}

/// Joints of the smallest stack buffers of [`MusclePaths::compute_in`] (in at most 3
/// dimensions): the point mass and the two-joint arm.
const TINY_DOF: usize = 2;

impl MusclePaths {
    /// [`Geometry::compute`] with buffers of `D >= dof` joints in `P >= space_dim` dimensions
    /// (`J = P D`).
    #[allow(clippy::too_many_arguments)]
    fn compute_in<S: Scalar, K: Skeleton, const D: usize, const J: usize, const P: usize>(
        &self,
        skeleton: &K,
        q: &[S],
        qd: &[S],
        len: &mut [S],
        vel: &mut [S],
        moment: &mut [S],
    ) {
        let d = skeleton.space_dim();
        let dof = skeleton.dof();
        let n_m = self.paths.len();
        let quirk = self.motornet_forearm_velocity && skeleton.name() == "TwoDofArm";
        let mut prev_pos = [S::zero(); P];
        let mut prev_vel = [S::zero(); P];
        let mut prev_jac = [S::zero(); J];
        let mut pos = [S::zero(); P];
        let mut pvel = [S::zero(); P];
        let mut jac = [S::zero(); J];
        for (m, path) in self.paths.iter().enumerate() {
            let mut l = S::zero();
            let mut v = S::zero();
            let mut arm = [S::zero(); D];
            for (i, p) in path.iter().enumerate() {
                skeleton.point_velocity(
                    p.body,
                    &p.coordinates,
                    q,
                    qd,
                    &mut pos[..d],
                    &mut jac[..d * dof],
                    &mut pvel[..d],
                );
                if quirk && p.body == 2 {
                    // MotorNet 0.3.0 adds the forearm's own rotation again at the shoulder rate.
                    for k in 0..d {
                        pvel[k] += jac[k * dof + 1] * qd[0];
                    }
                }
                if i > 0 {
                    let mut sq = S::zero();
                    for k in 0..d {
                        let dp = pos[k] - prev_pos[k];
                        sq += dp * dp;
                    }
                    let seg = sq.sqrt();
                    l += seg;
                    for k in 0..d {
                        let dp = (pos[k] - prev_pos[k]) / seg;
                        v += dp * (pvel[k] - prev_vel[k]);
                        for j in 0..dof {
                            arm[j] += dp * (jac[k * dof + j] - prev_jac[k * dof + j]);
                        }
                    }
                }
                prev_pos[..d].copy_from_slice(&pos[..d]);
                prev_vel[..d].copy_from_slice(&pvel[..d]);
                prev_jac[..d * dof].copy_from_slice(&jac[..d * dof]);
            }
            len[m] = l;
            vel[m] = v;
            for j in 0..dof {
                moment[j * n_m + m] = arm[j];
            }
        }
    }
}

/// MotorNet's lumped polynomial geometry of the six-muscle arm ("arm26"): with q' = q − a3,
/// moment arm = a1 + 2·a2·q', length = a0 + Σ_j (a1 + a2·q')·q', velocity = Σ_j q̇·moment arm.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm26Polynomial {
    /// Length at q' = 0 (m), one per muscle.
    pub a0: Vec<f64>,
    /// Linear coefficients (m/rad), `[dof][M]`.
    pub a1: Vec<Vec<f64>>,
    /// Quadratic coefficients (m/rad²), `[dof][M]`.
    pub a2: Vec<Vec<f64>>,
    /// Joint angle offsets (rad), one per joint.
    pub a3: Vec<f64>,
}

impl Arm26Polynomial {
    /// MotorNet's coefficients for the rigid-tendon arm26 preset.
    pub fn motornet_rigid() -> Self {
        Self {
            a0: vec![0.151, 0.2322, 0.2859, 0.2355, 0.3329, 0.2989],
            a1: vec![
                vec![-0.03, 0.03, 0.0, 0.0, -0.03, 0.03],
                vec![0.0, 0.0, -0.014, 0.025, -0.016, 0.03],
            ],
            a2: vec![
                vec![0.0; 6],
                vec![0.0, 0.0, -0.004, -0.0022, -0.0057, -0.0032],
            ],
            a3: vec![std::f64::consts::FRAC_PI_2, 0.0],
        }
    }

    /// MotorNet's coefficients for the compliant-tendon arm26 preset (longer pectoralis and
    /// deltoid at rest).
    pub fn motornet_compliant() -> Self {
        Self {
            a0: vec![0.182, 0.2362, 0.2859, 0.2355, 0.3329, 0.2989],
            ..Self::motornet_rigid()
        }
    }

    /// Check the shapes: `a1`, `a2` are `[dof][M]` with `M = a0.len()`, `a3` is `[dof]`.
    pub fn validate(&self) -> Result<(), EffectorError> {
        let n = self.a0.len();
        let dof = self.a3.len();
        if n == 0 {
            return Err(EffectorError::invalid(
                "geometry.a0",
                "needs one entry per muscle",
            ));
        }
        for (name, rows) in [("geometry.a1", &self.a1), ("geometry.a2", &self.a2)] {
            if rows.len() != dof || rows.iter().any(|r| r.len() != n) {
                let shape = match rows.iter().find(|r| r.len() != n) {
                    Some(r) => format!("has a row of {}", r.len()),
                    None => format!("has {} rows", rows.len()),
                };
                return Err(EffectorError::invalid(
                    name,
                    &format!(
                        "must be [dof = {dof} (the length of a3)][muscles = {n} (the length of \
                         a0)], but {shape}"
                    ),
                ));
            }
        }
        let all = self
            .a0
            .iter()
            .chain(&self.a3)
            .chain(self.a1.iter().flatten())
            .chain(self.a2.iter().flatten());
        if all.into_iter().any(|v| !v.is_finite()) {
            return Err(EffectorError::invalid(
                "geometry",
                "coefficients must be finite",
            ));
        }
        Ok(())
    }
}

impl Geometry for Arm26Polynomial {
    fn n_muscles(&self) -> usize {
        self.a0.len()
    }
    fn check<K: Skeleton>(&self, skeleton: &K) -> Result<(), EffectorError> {
        // `a3` first: `validate` takes the joint count from it (issue 14: an `a3` of the wrong
        // length was reported as a wrong `a1`)
        if self.a3.len() != skeleton.dof() {
            return Err(EffectorError::invalid(
                "geometry.a3",
                &format!(
                    "has {} entries but the skeleton has {} joints",
                    self.a3.len(),
                    skeleton.dof()
                ),
            ));
        }
        self.validate()
    }
    fn compute<S: Scalar, K: Skeleton>(
        &self,
        _skeleton: &K,
        q: &[S],
        qd: &[S],
        len: &mut [S],
        vel: &mut [S],
        moment: &mut [S],
    ) {
        let n = self.a0.len();
        for m in 0..n {
            let mut l = S::zero();
            let mut v = S::zero();
            for j in 0..self.a3.len() {
                // constants enter through scale/shift (cheaper for dual numbers, same values)
                let qp = q[j].shift(-self.a3[j]);
                let (a1, a2) = (self.a1[j][m], self.a2[j][m]);
                let arm = qp.scale(a2).scale(2.0).shift(a1);
                moment[j * n + m] = arm;
                l += qp.scale(a2).shift(a1) * qp;
                v += qd[j] * arm;
            }
            len[m] = l.shift(self.a0[m]);
            vel[m] = v;
        }
    }
    fn muscle_built_with_full_timestep(&self) -> bool {
        true
    }
}

/// Fixed moment arms; musculotendon length and velocity are zero (MotorNet's `Reacher` and
/// `FreePointMass24`). Only muscles whose force does not depend on length (e.g.
/// [`ReluMuscle`](motornet_muscle::ReluMuscle)) make physical sense with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConstantMomentArms {
    /// Moment arms `[dof][M]` (m).
    pub moment_arms: Vec<Vec<f64>>,
}

impl ConstantMomentArms {
    /// MotorNet's `Reacher`: shoulder flexor/extensor, elbow flexor/extensor.
    pub fn reacher() -> Self {
        Self {
            moment_arms: vec![vec![-1.0, 1.0, 0.0, 0.0], vec![0.0, 0.0, -1.0, 1.0]],
        }
    }
    /// MotorNet's `FreePointMass24`: muscles pulling right, up, left, down.
    pub fn free_point_mass24() -> Self {
        Self {
            moment_arms: vec![vec![-1.0, 0.0, 1.0, 0.0], vec![0.0, -1.0, 0.0, 1.0]],
        }
    }
}

impl Geometry for ConstantMomentArms {
    fn n_muscles(&self) -> usize {
        self.moment_arms.first().map_or(0, Vec::len)
    }
    fn check<K: Skeleton>(&self, skeleton: &K) -> Result<(), EffectorError> {
        let n = self.n_muscles();
        if self.moment_arms.len() != skeleton.dof()
            || n == 0
            || self.moment_arms.iter().any(|r| r.len() != n)
        {
            return Err(EffectorError::invalid(
                "geometry.moment_arms",
                &format!("must be [dof = {}][muscles], non-empty", skeleton.dof()),
            ));
        }
        if self.moment_arms.iter().flatten().any(|v| !v.is_finite()) {
            return Err(EffectorError::invalid(
                "geometry.moment_arms",
                "must be finite",
            ));
        }
        Ok(())
    }
    fn compute<S: Scalar, K: Skeleton>(
        &self,
        _skeleton: &K,
        _q: &[S],
        _qd: &[S],
        len: &mut [S],
        vel: &mut [S],
        moment: &mut [S],
    ) {
        let n = self.n_muscles();
        len.fill(S::zero());
        vel.fill(S::zero());
        for (j, row) in self.moment_arms.iter().enumerate() {
            for (m, &a) in row.iter().enumerate() {
                moment[j * n + m] = S::c(a);
            }
        }
    }
    fn muscle_built_with_full_timestep(&self) -> bool {
        true
    }
}

/// A field a built-in geometry declares (spec table `geometry`, besides `type`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldDecl {
    /// The name, as spec files spell it.
    pub name: &'static str,
    /// The shape, as documentation writes it (e.g. `` `[dof][M]` numbers ``).
    pub shape: &'static str,
    /// The unit (`""` for none or mixed).
    pub unit: &'static str,
    /// Whether the field must be given.
    pub required: bool,
    /// One line of documentation.
    pub doc: &'static str,
}

impl FieldDecl {
    /// A field that must be given.
    pub const fn required(
        name: &'static str,
        shape: &'static str,
        unit: &'static str,
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            shape,
            unit,
            required: true,
            doc,
        }
    }
}

/// What a built-in geometry declares about itself, so that spec files can build it and the
/// documentation can list its fields without geometry-specific code elsewhere. Implemented next
/// to the geometry; registered by one line in the list in `crates/effector/src/geometry.rs`,
/// which generates [`AnyGeometry`] and [`AnyGeometry::MODELS`].
pub trait BuiltinGeometry: Geometry + Into<AnyGeometry> + Sized {
    /// The name spec files use (`geometry.type`).
    const NAME: &'static str;
    /// One line for documentation.
    const SUMMARY: &'static str;
    /// The fields (spec table `geometry`, besides `type`).
    const FIELDS: &'static [FieldDecl];
    /// Build from the spec's fields (their names already checked against
    /// [`BuiltinGeometry::FIELDS`], the required ones present) for the muscles named `muscles`,
    /// in spec order. Errors name the field as `geometry.NAME`.
    fn from_fields(fields: &SpecMap<SpecValue>, muscles: &[&str]) -> Result<Self, EffectorError>;
    /// The fields that describe this geometry for muscles `muscles` (what
    /// [`BuiltinGeometry::from_fields`] reads back), in declaration order.
    fn to_fields(&self, muscles: &[&str]) -> SpecMap<SpecValue>;
}

/// A registered geometry's declarations, read at run time (one entry of
/// [`AnyGeometry::MODELS`]).
#[derive(Debug, Clone, Copy)]
pub struct GeometryInfo {
    /// [`BuiltinGeometry::NAME`].
    pub name: &'static str,
    /// [`BuiltinGeometry::SUMMARY`].
    pub summary: &'static str,
    /// [`BuiltinGeometry::FIELDS`].
    pub fields: &'static [FieldDecl],
    build: fn(&SpecMap<SpecValue>, &[&str]) -> Result<AnyGeometry, EffectorError>,
}

fn build_any<G: BuiltinGeometry>(
    fields: &SpecMap<SpecValue>,
    muscles: &[&str],
) -> Result<AnyGeometry, EffectorError> {
    G::from_fields(fields, muscles).map(Into::into)
}

impl GeometryInfo {
    /// The declarations of geometry `G`.
    pub const fn of<G: BuiltinGeometry>() -> Self {
        Self {
            name: G::NAME,
            summary: G::SUMMARY,
            fields: G::FIELDS,
            build: build_any::<G>,
        }
    }

    /// Build the geometry (see [`BuiltinGeometry::from_fields`]).
    pub fn build(
        &self,
        fields: &SpecMap<SpecValue>,
        muscles: &[&str],
    ) -> Result<AnyGeometry, EffectorError> {
        (self.build)(fields, muscles)
    }
}

/// The built-in geometries, one line each: `Variant(Type)`. This list is the only place a
/// built-in geometry is registered; [`AnyGeometry`], its dispatch and `From` impls and
/// [`AnyGeometry::MODELS`] follow from it.
macro_rules! builtin_geometries {
    ($then:ident!($($args:tt)*)) => {
        $then! {
            $($args)*;
            Paths(MusclePaths),
            Arm26Polynomial(Arm26Polynomial),
            ConstantMomentArms(ConstantMomentArms),
            SpatialTendons(SpatialTendons),
        }
    };
}

macro_rules! define_any_geometry {
    (; $($variant:ident($ty:ident)),* $(,)?) => {
        /// Any built-in geometry, for effectors chosen at run time. The variants are generated
        /// from the registration list in `crates/effector/src/geometry.rs`.
        #[derive(Debug, Clone, PartialEq)]
        pub enum AnyGeometry {
            $(
                #[doc = concat!("See [`", stringify!($ty), "`].")]
                $variant($ty),
            )*
        }

        impl AnyGeometry {
            /// Every registered geometry's declarations, in registration order.
            pub const MODELS: &'static [GeometryInfo] = &[$(GeometryInfo::of::<$ty>()),*];
            /// The names of the built-in geometries, as spec files spell them.
            pub const NAMES: &'static [&'static str] = &[$(<$ty as BuiltinGeometry>::NAME),*];
        }

        $(
            impl From<$ty> for AnyGeometry {
                fn from(g: $ty) -> Self {
                    AnyGeometry::$variant(g)
                }
            }
        )*
    };
}
builtin_geometries!(define_any_geometry!());

macro_rules! dispatch_match {
    ($self:ident, $g:ident => $e:expr; $($variant:ident($ty:ident)),* $(,)?) => {
        match $self {
            $(AnyGeometry::$variant($g) => $e,)*
        }
    };
}

macro_rules! dispatch {
    ($self:ident, $g:ident => $e:expr) => {
        builtin_geometries!(dispatch_match!($self, $g => $e))
    };
}

impl AnyGeometry {
    /// The declarations of the registered geometry named `name`.
    pub fn model(name: &str) -> Option<&'static GeometryInfo> {
        Self::MODELS.iter().find(|g| g.name == name)
    }
}

// ---------------------------------------------------------------------------------------------
// The built-in geometries' declarations.
// ---------------------------------------------------------------------------------------------

/// One muscle path as spec files write it: `{"fixation_body": [...], "coordinates": [[...]]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct PathSpec {
    /// Body of each point (0 world, 1 first body, 2 forearm); integers.
    pub fixation_body: Vec<f64>,
    /// Coordinates of each point in its body's frame (m), `[points][space_dim]`.
    pub coordinates: Vec<Vec<f64>>,
}

impl FieldValue for PathSpec {
    fn from_value(v: &SpecValue) -> Result<Self, String> {
        let SpecValue::Table(t) = v else {
            return Err("expected a table with `fixation_body` and `coordinates`".into());
        };
        only_fields(t, &["fixation_body", "coordinates"])?;
        Ok(Self {
            fixation_body: table_field(t, "fixation_body")?,
            coordinates: table_field(t, "coordinates")?,
        })
    }
    fn to_value(&self) -> SpecValue {
        SpecValue::Table(SpecMap::from_iter([
            ("fixation_body", self.fixation_body.to_value()),
            ("coordinates", self.coordinates.to_value()),
        ]))
    }
}

impl BuiltinGeometry for MusclePaths {
    const NAME: &'static str = "paths";
    const SUMMARY: &'static str = "each muscle is a path of straight segments through points fixed on bodies, as MotorNet's `add_muscle`";
    const FIELDS: &'static [FieldDecl] = &[FieldDecl::required(
        "paths",
        "table keyed by muscle name: `{fixation_body: [points] integers, coordinates: [points][space_dim] numbers}`",
        "m",
        "one path for every muscle in `muscles`, and no other; at least two points each; `fixation_body`: the body of each point (0 world, 1 first body, 2 forearm); `coordinates`: each point in its body's frame",
    )];

    fn from_fields(fields: &SpecMap<SpecValue>, muscles: &[&str]) -> Result<Self, EffectorError> {
        let paths: BTreeMap<String, PathSpec> = read_field(fields, "paths", Self::NAME)?;
        for name in paths.keys() {
            if !muscles.contains(&name.as_str()) {
                return Err(EffectorError::invalid(
                    "geometry.paths",
                    &format!("has a path for '{name}', which is not in `muscles`"),
                ));
            }
        }
        let mut out = Vec::with_capacity(muscles.len());
        for (i, &m) in muscles.iter().enumerate() {
            let bad = |reason: String| EffectorError::InvalidMuscle {
                index: i,
                muscle: m.to_string(),
                field: "geometry.paths".into(),
                reason,
            };
            let p = paths
                .get(m)
                .ok_or_else(|| bad("no path given for this muscle".into()))?;
            if p.fixation_body.len() != p.coordinates.len() {
                return Err(bad(format!(
                    "fixation_body has {} points but coordinates has {}",
                    p.fixation_body.len(),
                    p.coordinates.len()
                )));
            }
            if p.fixation_body.len() < 2 {
                return Err(bad(format!(
                    "a path needs at least two points, got {}",
                    p.fixation_body.len()
                )));
            }
            let mut pts = Vec::with_capacity(p.coordinates.len());
            for (k, (&b, c)) in p.fixation_body.iter().zip(&p.coordinates).enumerate() {
                if !(b.is_finite() && b.fract() == 0.0 && b >= 0.0) {
                    return Err(bad(format!("fixation_body[{k}] = {b} is not a body index")));
                }
                pts.push(PathPoint {
                    body: b as usize,
                    coordinates: c.clone(),
                });
            }
            out.push(pts);
        }
        MusclePaths::new(out)
    }

    fn to_fields(&self, muscles: &[&str]) -> SpecMap<SpecValue> {
        let paths: BTreeMap<String, PathSpec> = muscles
            .iter()
            .zip(&self.paths)
            .map(|(name, path)| {
                (
                    name.to_string(),
                    PathSpec {
                        fixation_body: path.iter().map(|p| p.body as f64).collect(),
                        coordinates: path.iter().map(|p| p.coordinates.clone()).collect(),
                    },
                )
            })
            .collect();
        SpecMap::from_iter([("paths", paths.to_value())])
    }
}

impl BuiltinGeometry for Arm26Polynomial {
    const NAME: &'static str = "arm26_polynomial";
    const SUMMARY: &'static str = "MotorNet's lumped geometry of the six-muscle arm. With q' = q − a3: moment arm = a1 + 2·a2·q', length = a0 + Σ_joints (a1 + a2·q')·q', velocity = Σ_joints q̇ · moment arm";
    const FIELDS: &'static [FieldDecl] = &[
        FieldDecl::required("a0", "`[M]` numbers", "m", "length at q' = 0"),
        FieldDecl::required("a1", "`[dof][M]` numbers", "m/rad", "linear coefficients"),
        FieldDecl::required(
            "a2",
            "`[dof][M]` numbers",
            "m/rad²",
            "quadratic coefficients",
        ),
        FieldDecl::required("a3", "`[dof]` numbers", "rad", "joint angle offsets"),
    ];

    fn from_fields(fields: &SpecMap<SpecValue>, _muscles: &[&str]) -> Result<Self, EffectorError> {
        Ok(Self {
            a0: read_field(fields, "a0", Self::NAME)?,
            a1: read_field(fields, "a1", Self::NAME)?,
            a2: read_field(fields, "a2", Self::NAME)?,
            a3: read_field(fields, "a3", Self::NAME)?,
        })
    }

    fn to_fields(&self, _muscles: &[&str]) -> SpecMap<SpecValue> {
        SpecMap::from_iter([
            ("a0", self.a0.to_value()),
            ("a1", self.a1.to_value()),
            ("a2", self.a2.to_value()),
            ("a3", self.a3.to_value()),
        ])
    }
}

impl BuiltinGeometry for ConstantMomentArms {
    const NAME: &'static str = "constant_moment_arms";
    const SUMMARY: &'static str = "fixed moment arms; musculotendon length and velocity are zero, so only length-independent muscles (`ReluMuscle`) make physical sense with it (MotorNet's `Reacher` and `FreePointMass24`)";
    const FIELDS: &'static [FieldDecl] = &[FieldDecl::required(
        "moment_arms",
        "`[dof][M]` numbers",
        "m",
        "moment arm of each muscle about each joint",
    )];

    fn from_fields(fields: &SpecMap<SpecValue>, _muscles: &[&str]) -> Result<Self, EffectorError> {
        Ok(Self {
            moment_arms: read_field(fields, "moment_arms", Self::NAME)?,
        })
    }

    fn to_fields(&self, _muscles: &[&str]) -> SpecMap<SpecValue> {
        SpecMap::from_iter([("moment_arms", self.moment_arms.to_value())])
    }
}

impl Geometry for AnyGeometry {
    fn n_muscles(&self) -> usize {
        dispatch!(self, g => g.n_muscles())
    }
    fn check<K: Skeleton>(&self, skeleton: &K) -> Result<(), EffectorError> {
        dispatch!(self, g => g.check(skeleton))
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
        dispatch!(self, g => g.compute(skeleton, q, qd, len, vel, moment))
    }
    fn muscle_built_with_full_timestep(&self) -> bool {
        dispatch!(self, g => g.muscle_built_with_full_timestep())
    }
}
