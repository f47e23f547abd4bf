//! The typed model an MJCF file is read into: MuJoCo's semantics, every default applied, every
//! orientation resolved to a unit quaternion, every angle in radians.

use std::f64::consts::PI;

/// A unit quaternion `(w, x, y, z)` (MuJoCo's order), rotating child-frame vectors into the
/// parent frame.
pub type Quat = [f64; 4];

/// An MJCF model read by [`parse_file`](crate::parse_file) or [`parse_str`](crate::parse_str).
///
/// Lists are in MuJoCo's order, so index `i` here is MuJoCo's id `i` (`m.body_*[i]`,
/// `m.jnt_*[i]`, `m.geom_*[i]`, `m.site_*[i]`, `m.tendon_*[i]`, `m.actuator_*[i]`): bodies in
/// depth-first order of the XML (the world first), and joints, geoms and sites grouped by body in
/// body order, in XML order within a body.
#[derive(Debug, Clone, PartialEq)]
pub struct MjcfModel {
    /// `<mujoco model>` ("MuJoCo Model" when absent, as in MuJoCo).
    pub name: String,
    /// The file name (or the `origin` given to [`parse_str`](crate::parse_str)) errors name.
    pub origin: String,
    /// The compiler settings that remain meaningful after reading.
    pub compiler: Compiler,
    /// `<option timestep>`: simulation step (s); MuJoCo's default 0.002.
    pub timestep: f64,
    /// `<option gravity>`: gravitational acceleration in world coordinates (m/s²); default
    /// `[0, 0, -9.81]`.
    pub gravity: [f64; 3],
    /// Bodies, parents before children; index 0 is the world (`<worldbody>`).
    pub bodies: Vec<Body>,
    /// Every joint, in MuJoCo's order.
    pub joints: Vec<Joint>,
    /// Every geom, in MuJoCo's order.
    pub geoms: Vec<Geom>,
    /// Every site, in MuJoCo's order.
    pub sites: Vec<Site>,
    /// Spatial tendons, in XML order.
    pub tendons: Vec<SpatialTendon>,
    /// Muscle actuators, in XML order.
    pub muscles: Vec<Muscle>,
}

impl MjcfModel {
    /// Index of the body named `name`, if any (the world is "world").
    pub fn body_index(&self, name: &str) -> Option<usize> {
        self.bodies
            .iter()
            .position(|b| b.name.as_deref() == Some(name))
    }
    /// Index of the joint named `name`, if any.
    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joints
            .iter()
            .position(|j| j.name.as_deref() == Some(name))
    }
    /// Index of the geom named `name`, if any.
    pub fn geom_index(&self, name: &str) -> Option<usize> {
        self.geoms
            .iter()
            .position(|g| g.name.as_deref() == Some(name))
    }
    /// Index of the site named `name`, if any.
    pub fn site_index(&self, name: &str) -> Option<usize> {
        self.sites
            .iter()
            .position(|s| s.name.as_deref() == Some(name))
    }
    /// Index of the tendon named `name`, if any.
    pub fn tendon_index(&self, name: &str) -> Option<usize> {
        self.tendons
            .iter()
            .position(|t| t.name.as_deref() == Some(name))
    }
    /// Number of degrees of freedom (one per hinge or slide joint).
    pub fn nv(&self) -> usize {
        self.joints.len()
    }
}

/// Compiler settings that matter after reading (angles and Euler sequences are already applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compiler {
    /// `<compiler inertiafromgeom>`: where a body's mass and inertia come from.
    pub inertia_from_geom: InertiaFromGeom,
}

/// `<compiler inertiafromgeom>` (the values this reader accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InertiaFromGeom {
    /// `auto` (MuJoCo's default): a body's `<inertial>` if it has one, else its geoms' masses and
    /// inertias.
    Auto,
    /// `true`: always the geoms, any `<inertial>` is overridden.
    True,
}

/// A body (`<worldbody>` is body 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// `name` ("world" for body 0; `None` when unnamed).
    pub name: Option<String>,
    /// Parent body index (`None` for the world only); always smaller than this body's index.
    pub parent: Option<usize>,
    /// Position of the body frame in the parent frame (m).
    pub pos: [f64; 3],
    /// Orientation of the body frame in the parent frame.
    pub quat: Quat,
    /// Indices into [`MjcfModel::joints`] of this body's joints, in order (each moves this body
    /// relative to its parent; several joints compose in this order).
    pub joints: Vec<usize>,
    /// Indices into [`MjcfModel::geoms`].
    pub geoms: Vec<usize>,
    /// Indices into [`MjcfModel::sites`].
    pub sites: Vec<usize>,
    /// `<inertial>`, when given (see [`Compiler::inertia_from_geom`] for when it is used).
    pub inertial: Option<Inertial>,
    /// Line of the element (1-based; the `<worldbody>` line for the world, 0 if none).
    pub line: u32,
}

/// `<inertial>`: a body's mass properties, given explicitly.
#[derive(Debug, Clone, PartialEq)]
pub struct Inertial {
    /// Centre of mass in the body frame (m).
    pub pos: [f64; 3],
    /// Orientation of the inertia frame in the body frame (identity with `fullinertia`).
    pub quat: Quat,
    /// Mass (kg), ≥ 0.
    pub mass: f64,
    /// Rotational inertia about the centre of mass, in the inertia frame (kg·m²).
    pub inertia: Inertia,
}

/// The two ways `<inertial>` gives rotational inertia (kg·m²).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Inertia {
    /// `diaginertia`: principal moments `[Ixx, Iyy, Izz]` in the frame of [`Inertial::quat`].
    Diagonal([f64; 3]),
    /// `fullinertia`: `[Ixx, Iyy, Izz, Ixy, Ixz, Iyz]` in the body frame.
    Full([f64; 6]),
}

/// Joint types of the subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JointType {
    /// Rotation about [`Joint::axis`] through [`Joint::pos`]; position in rad.
    Hinge,
    /// Translation along [`Joint::axis`]; position in m.
    Slide,
}

/// A hinge or slide joint.
///
/// Passive stiffness and friction loss are outside the subset (an error when non-zero), so only
/// damping and armature act on the dynamics.
#[derive(Debug, Clone, PartialEq)]
pub struct Joint {
    /// `name`, `None` when unnamed.
    pub name: Option<String>,
    /// Index of the body it moves.
    pub body: usize,
    /// `type` (default hinge).
    pub kind: JointType,
    /// Anchor point in the body frame (m).
    pub pos: [f64; 3],
    /// Unit axis in the body frame (default `[0, 0, 1]`, normalised as MuJoCo does).
    pub axis: [f64; 3],
    /// Viscous damping (N·m·s/rad or N·s/m), ≥ 0.
    pub damping: f64,
    /// Armature: inertia added to the joint's diagonal of the mass matrix (kg·m² or kg), ≥ 0.
    pub armature: f64,
    /// Whether the joint is limited, resolved as MuJoCo does (`limited`, or with `autolimits`
    /// from `range`). Kept as data: constraints are disabled in the subset, so MuJoCo does not
    /// enforce limits either.
    pub limited: bool,
    /// `range` (rad for hinges after any degree conversion, m for slides); `[0, 0]` when not given.
    pub range: [f64; 2],
    /// `ref`: the joint position of the model's reference configuration (rad or m): the body
    /// frame given in the file is the one at `q = reference`.
    pub reference: f64,
    /// Line of the element (1-based).
    pub line: u32,
}

/// Geom types of the subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeomType {
    /// `size[0]`: radius.
    Sphere,
    /// `size[0]`: radius; `size[1]`: half-length of the cylindrical part (along z).
    Capsule,
    /// `size[0]`: radius; `size[1]`: half-length (along z).
    Cylinder,
    /// `size`: half-sizes along x, y, z.
    Box,
    /// `size`: semi-axes along x, y, z.
    Ellipsoid,
}

/// A geom: its shape gives mass and inertia, and spheres and cylinders are tendon wrapping
/// surfaces.
#[derive(Debug, Clone, PartialEq)]
pub struct Geom {
    /// `name`, `None` when unnamed.
    pub name: Option<String>,
    /// Index of the body it belongs to.
    pub body: usize,
    /// `type` (default sphere).
    pub kind: GeomType,
    /// MuJoCo's `geom_size` (m), `fromto` applied (capsule, cylinder: `size[1]` = half the
    /// distance; box, ellipsoid: `size[1] = size[0]`, `size[2]` = half the distance, as MuJoCo
    /// does); components a type does not use are kept as given (or inherited, or 0), like MuJoCo.
    pub size: [f64; 3],
    /// Centre in the body frame (m) (the midpoint of `fromto` when given).
    pub pos: [f64; 3],
    /// Orientation in the body frame (from `fromto`: the geom's z axis along `from − to`, as
    /// MuJoCo builds it).
    pub quat: Quat,
    /// Mass (kg): `mass` when given, else `density` × [`Geom::volume`].
    pub mass: f64,
    /// Line of the element (1-based).
    pub line: u32,
}

impl Geom {
    /// Volume of the shape (m³).
    pub fn volume(&self) -> f64 {
        volume(self.kind, self.size)
    }
}

pub(crate) fn volume(kind: GeomType, s: [f64; 3]) -> f64 {
    match kind {
        GeomType::Sphere => 4.0 / 3.0 * PI * s[0].powi(3),
        GeomType::Capsule => PI * s[0] * s[0] * 2.0 * s[1] + 4.0 / 3.0 * PI * s[0].powi(3),
        GeomType::Cylinder => PI * s[0] * s[0] * 2.0 * s[1],
        GeomType::Box => 8.0 * s[0] * s[1] * s[2],
        GeomType::Ellipsoid => 4.0 / 3.0 * PI * s[0] * s[1] * s[2],
    }
}

/// A site: a point fixed on a body (tendon via points, side sites, markers).
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// `name`, `None` when unnamed.
    pub name: Option<String>,
    /// Index of the body it is fixed on (0: the world).
    pub body: usize,
    /// Position in the body frame (m).
    pub pos: [f64; 3],
    /// Orientation in the body frame.
    pub quat: Quat,
    /// Line of the element (1-based).
    pub line: u32,
}

/// One element of a spatial tendon's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathElement {
    /// `<site site>`: the path passes through this site (index into [`MjcfModel::sites`]).
    Site(usize),
    /// `<geom geom sidesite>`: the path between the neighbouring sites wraps around this sphere
    /// or cylinder (index into [`MjcfModel::geoms`]), on the side of `sidesite` when given.
    Geom {
        /// Index into [`MjcfModel::geoms`] (a sphere or cylinder).
        geom: usize,
        /// Index into [`MjcfModel::sites`].
        sidesite: Option<usize>,
    },
}

/// `<spatial>`: a tendon through sites, wrapping around geoms.
///
/// The path starts and ends with a site, and every geom lies between two sites.
#[derive(Debug, Clone, PartialEq)]
pub struct SpatialTendon {
    /// `name`, `None` when unnamed.
    pub name: Option<String>,
    /// The path, in order (at least two elements).
    pub path: Vec<PathElement>,
    /// Line of the element (1-based).
    pub line: u32,
}

/// `<muscle>` on a tendon, every attribute resolved (defaults classes, then MuJoCo's defaults).
///
/// Lengths normalised by the optimal length `L0 = (lengthrange[1] − lengthrange[0]) /
/// (range[1] − range[0])` as in MuJoCo's muscle model; `gear` is 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Muscle {
    /// `name`, `None` when unnamed.
    pub name: Option<String>,
    /// Index into [`MjcfModel::tendons`] of the tendon it pulls.
    pub tendon: usize,
    /// `force`: peak active force (N), ≥ 0 (required: MuJoCo's automatic value from `scale` is
    /// not computed here).
    pub force: f64,
    /// `lengthrange`: the tendon lengths (m) mapped to `range` (required: not computed here).
    pub lengthrange: [f64; 2],
    /// `range`: operating range of normalised length (default `[0.75, 1.05]`).
    pub range: [f64; 2],
    /// `lmin`: lower bound of the active force–length curve (normalised, default 0.5).
    pub lmin: f64,
    /// `lmax`: upper bound of the active force–length curve (normalised, default 1.6).
    pub lmax: f64,
    /// `vmax`: shortening velocity at which active force is zero (L0/s, default 1.5).
    pub vmax: f64,
    /// `fpmax`: passive force at `lmax`, relative to `force` (default 1.3).
    pub fpmax: f64,
    /// `fvmax`: active force at saturating lengthening velocity, relative to isometric
    /// (default 1.2).
    pub fvmax: f64,
    /// `timeconst`: activation and deactivation time constants (s, default `[0.01, 0.04]`).
    pub timeconst: [f64; 2],
    /// `tausmooth`: width of the smooth transition between the time constants (default 0).
    pub tausmooth: f64,
    /// Whether the control is clamped to [`Muscle::ctrlrange`] (`ctrllimited`, resolved as MuJoCo
    /// does; false by default for a muscle).
    pub ctrllimited: bool,
    /// `ctrlrange` (`[0, 0]` when not given).
    pub ctrlrange: [f64; 2],
    /// Line of the element (1-based).
    pub line: u32,
}
