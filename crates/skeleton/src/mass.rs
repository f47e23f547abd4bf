//! Mass properties of rigid bodies: [`Inertial`] (mass, centre of mass, inertia tensor), and
//! their computation from primitive shapes ([`GeomShape`], [`GeomMass`]) with the semantics of
//! MuJoCo's model compiler (`inertiafromgeom`): each geom is a solid of uniform density, its
//! mass given or computed from its density, and the body's inertia is the sum of the geoms'
//! inertias, shifted to the body's centre of mass with the parallel-axis theorem.
//!
//! The formulas are the textbook moments of inertia of homogeneous solids about their centre
//! (e.g. Meriam & Kraige, *Engineering Mechanics: Dynamics*, appendix D); the capsule is a
//! cylinder plus two hemispheres, each hemisphere shifted from its own centre of mass
//! (`3r/8` from its flat face) to the capsule's centre. Units: m, kg, kg/m³, kg·m².

use std::f64::consts::PI;

/// MuJoCo's default geom density (kg/m³), that of water: used when neither a mass nor a
/// density is given.
pub const DEFAULT_DENSITY: f64 = 1000.0;

/// Mass properties of one rigid body, in the body's frame.
///
/// A body without mass (`mass == 0`) has a zero inertia; [`KinematicTree::new`](crate::KinematicTree::new)
/// checks that `inertia` is symmetric and positive definite when `mass > 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inertial {
    /// Mass (kg), ≥ 0.
    pub mass: f64,
    /// Centre of mass in the body frame (m).
    pub com: [f64; 3],
    /// Inertia tensor about the centre of mass, in body-frame axes (kg·m²), symmetric 3 × 3,
    /// `inertia[i][j]` row `i`, column `j`.
    pub inertia: [[f64; 3]; 3],
}

impl Inertial {
    /// A body without mass: mass 0, centre of mass at the origin, zero inertia.
    pub const MASSLESS: Inertial = Inertial {
        mass: 0.0,
        com: [0.0; 3],
        inertia: [[0.0; 3]; 3],
    };

    /// A point mass `mass` (kg) at `com` (m, body frame): zero inertia about the centre of mass.
    /// (A single point mass is not a valid rigid body for [`KinematicTree`](crate::KinematicTree)
    /// when `mass > 0`, whose inertia must be positive definite; combine it with others through
    /// [`Inertial::combine`] or use a small sphere.)
    pub fn point(mass: f64, com: [f64; 3]) -> Self {
        Self {
            mass,
            com,
            inertia: [[0.0; 3]; 3],
        }
    }

    /// Mass `mass` (kg) at `com` (m) with principal moments `diag` (kg·m²) along the body-frame
    /// axes.
    pub fn diagonal(mass: f64, com: [f64; 3], diag: [f64; 3]) -> Self {
        let mut inertia = [[0.0; 3]; 3];
        for i in 0..3 {
            inertia[i][i] = diag[i];
        }
        Self { mass, com, inertia }
    }

    /// The mass properties of a body made of `geoms` (MuJoCo's `inertiafromgeom`): total mass,
    /// mass-weighted centre of mass, and the inertia about it, each geom's inertia about its own
    /// centre rotated into the body frame (`R I Rᵀ`) and shifted with the parallel-axis theorem
    /// (`+ m (|d|² 1 − d dᵀ)`, `d` from the body's centre of mass to the geom's centre).
    ///
    /// Geoms of zero mass (mass 0 given, or density 0) contribute nothing; no geoms, or only
    /// massless ones, give [`Inertial::MASSLESS`]. Invalid sizes or masses (negative, non-finite)
    /// give non-finite or negative numbers, which [`KinematicTree::new`](crate::KinematicTree::new)
    /// rejects; check geoms with [`GeomMass::validate`] first for a clear error.
    pub fn from_geoms(geoms: &[GeomMass]) -> Inertial {
        let parts: Vec<Inertial> = geoms.iter().map(GeomMass::inertial).collect();
        Self::combine(&parts)
    }

    /// The mass properties of rigid parts joined into one body (all in the same body frame):
    /// total mass, mass-weighted centre of mass, and the parallel-axis sum of the parts'
    /// inertias about it. Parts of zero mass are skipped.
    pub fn combine(parts: &[Inertial]) -> Inertial {
        let mass: f64 = parts.iter().map(|p| p.mass).sum();
        if mass == 0.0 {
            return Self::MASSLESS;
        }
        let mut com = [0.0; 3];
        for p in parts.iter().filter(|p| p.mass != 0.0) {
            for k in 0..3 {
                com[k] += p.mass * p.com[k];
            }
        }
        for c in &mut com {
            *c /= mass;
        }
        let mut inertia = [[0.0; 3]; 3];
        for p in parts.iter().filter(|p| p.mass != 0.0) {
            let d = [p.com[0] - com[0], p.com[1] - com[1], p.com[2] - com[2]];
            let d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            for i in 0..3 {
                for j in 0..3 {
                    let delta = if i == j { d2 } else { 0.0 };
                    inertia[i][j] += p.inertia[i][j] + p.mass * (delta - d[i] * d[j]);
                }
            }
        }
        Inertial { mass, com, inertia }
    }
}

/// A primitive solid, centred on its frame's origin, with its axis of symmetry (capsule,
/// cylinder) along the frame's z axis. Sizes in m, as MuJoCo's `size` attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GeomShape {
    /// A ball of radius `radius`.
    Sphere {
        /// Radius (m).
        radius: f64,
    },
    /// A cylinder of radius `radius` and length `2 · half_length` along z, capped by two
    /// hemispheres of the same radius (total length `2 · (half_length + radius)`).
    Capsule {
        /// Radius (m).
        radius: f64,
        /// Half the length of the cylindrical part (m).
        half_length: f64,
    },
    /// A solid cylinder of radius `radius` and length `2 · half_length` along z.
    Cylinder {
        /// Radius (m).
        radius: f64,
        /// Half the length (m).
        half_length: f64,
    },
    /// A box with half-sizes `half_sizes` along x, y, z.
    Box {
        /// Half-sizes (m).
        half_sizes: [f64; 3],
    },
    /// A solid ellipsoid with semi-axes `radii` along x, y, z.
    Ellipsoid {
        /// Semi-axes (m).
        radii: [f64; 3],
    },
}

impl GeomShape {
    /// Volume (m³).
    pub fn volume(&self) -> f64 {
        match *self {
            GeomShape::Sphere { radius: r } => 4.0 / 3.0 * PI * r * r * r,
            GeomShape::Capsule {
                radius: r,
                half_length: h,
            } => PI * r * r * (2.0 * h) + 4.0 / 3.0 * PI * r * r * r,
            GeomShape::Cylinder {
                radius: r,
                half_length: h,
            } => PI * r * r * (2.0 * h),
            GeomShape::Box { half_sizes: a } => 8.0 * a[0] * a[1] * a[2],
            GeomShape::Ellipsoid { radii: a } => 4.0 / 3.0 * PI * a[0] * a[1] * a[2],
        }
    }

    /// Principal moments of inertia (kg·m²) about the centre, along the shape's x, y, z axes,
    /// of the solid of density `density` (kg/m³):
    ///
    /// - sphere of mass `m`: `2/5 m r²` about every axis;
    /// - cylinder (length `L = 2h`): `m (3r² + L²) / 12` about x and y, `m r² / 2` about z;
    /// - box (half-sizes `a, b, c`): `m (b² + c²) / 3` about x (and cyclically);
    /// - ellipsoid (semi-axes `a, b, c`): `m (b² + c²) / 5` about x (and cyclically);
    /// - capsule: the cylinder (mass `m_c`, length `L`) plus two hemispheres (together mass
    ///   `m_s`, a ball's volume): about z, `m_c r²/2 + 2/5 m_s r²`; about x and y,
    ///   `m_c (3r² + L²)/12 + m_s (2/5 r² + L²/4 + 3 L r / 8)` (each hemisphere's moment about
    ///   its own centre of mass, `(2/5 − 9/64) (m_s/2) r²`, shifted by `L/2 + 3r/8`).
    pub fn principal_inertia(&self, density: f64) -> [f64; 3] {
        match *self {
            GeomShape::Sphere { radius: r } => {
                let m = density * self.volume();
                [0.4 * m * r * r; 3]
            }
            GeomShape::Capsule {
                radius: r,
                half_length: h,
            } => {
                let len = 2.0 * h;
                let mc = density * PI * r * r * len;
                let ms = density * 4.0 / 3.0 * PI * r * r * r;
                let ixy = mc * (3.0 * r * r + len * len) / 12.0
                    + ms * (0.4 * r * r + len * len / 4.0 + 3.0 * len * r / 8.0);
                let iz = mc * r * r / 2.0 + 0.4 * ms * r * r;
                [ixy, ixy, iz]
            }
            GeomShape::Cylinder {
                radius: r,
                half_length: h,
            } => {
                let m = density * self.volume();
                let len = 2.0 * h;
                let ixy = m * (3.0 * r * r + len * len) / 12.0;
                [ixy, ixy, m * r * r / 2.0]
            }
            GeomShape::Box { half_sizes: a } => {
                let m = density * self.volume();
                let s = [a[0] * a[0], a[1] * a[1], a[2] * a[2]];
                [
                    m * (s[1] + s[2]) / 3.0,
                    m * (s[0] + s[2]) / 3.0,
                    m * (s[0] + s[1]) / 3.0,
                ]
            }
            GeomShape::Ellipsoid { radii: a } => {
                let m = density * self.volume();
                let s = [a[0] * a[0], a[1] * a[1], a[2] * a[2]];
                [
                    m * (s[1] + s[2]) / 5.0,
                    m * (s[0] + s[2]) / 5.0,
                    m * (s[0] + s[1]) / 5.0,
                ]
            }
        }
    }

    fn sizes(&self) -> ([f64; 3], usize) {
        match *self {
            GeomShape::Sphere { radius } => ([radius, 0.0, 0.0], 1),
            GeomShape::Capsule {
                radius,
                half_length,
            }
            | GeomShape::Cylinder {
                radius,
                half_length,
            } => ([radius, half_length, 0.0], 2),
            GeomShape::Box { half_sizes: a } | GeomShape::Ellipsoid { radii: a } => (a, 3),
        }
    }
}

/// A geom's contribution to its body's mass properties: a [`GeomShape`] placed at `pos` with
/// orientation `quat` in the body frame, with a given `mass` or a `density`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeomMass {
    /// The solid.
    pub shape: GeomShape,
    /// The geom's centre in the body frame (m).
    pub pos: [f64; 3],
    /// The geom frame's orientation in the body frame, unit quaternion `(w, x, y, z)` as MuJoCo
    /// writes it (normalised when used).
    pub quat: [f64; 4],
    /// The geom's mass (kg), if given: then its density is `mass / volume`.
    pub mass: Option<f64>,
    /// Density (kg/m³), used when `mass` is `None`: mass = density · volume. MuJoCo's default
    /// is [`DEFAULT_DENSITY`].
    pub density: f64,
}

impl GeomMass {
    /// A geom at `pos` (m) with orientation `quat` (w, x, y, z) and default density
    /// ([`DEFAULT_DENSITY`]), no mass given.
    pub fn new(shape: GeomShape, pos: [f64; 3], quat: [f64; 4]) -> Self {
        Self {
            shape,
            pos,
            quat,
            mass: None,
            density: DEFAULT_DENSITY,
        }
    }

    /// The same geom with its mass (kg) given.
    pub fn with_mass(self, mass: f64) -> Self {
        Self {
            mass: Some(mass),
            ..self
        }
    }

    /// The same geom with its density (kg/m³) given (and no mass).
    pub fn with_density(self, density: f64) -> Self {
        Self {
            mass: None,
            density,
            ..self
        }
    }

    /// A capsule or cylinder given as MJCF's `fromto` (two end points of its axis in the body
    /// frame, m) and radius (m): centre at the midpoint, z axis along `from → to`,
    /// `half_length = |to − from| / 2`, default density. `None` if `from == to` or not finite.
    /// `capsule = false` gives a cylinder.
    pub fn from_fromto(from: [f64; 3], to: [f64; 3], radius: f64, capsule: bool) -> Option<Self> {
        let d = [to[0] - from[0], to[1] - from[1], to[2] - from[2]];
        let len = norm3(d);
        if !(len.is_finite() && len > 0.0) || from.iter().chain(&to).any(|v| !v.is_finite()) {
            return None;
        }
        let pos = [
            0.5 * (from[0] + to[0]),
            0.5 * (from[1] + to[1]),
            0.5 * (from[2] + to[2]),
        ];
        let half_length = 0.5 * len;
        let shape = if capsule {
            GeomShape::Capsule {
                radius,
                half_length,
            }
        } else {
            GeomShape::Cylinder {
                radius,
                half_length,
            }
        };
        let dir = [d[0] / len, d[1] / len, d[2] / len];
        Some(Self::new(shape, pos, z_to(dir)))
    }

    /// The geom's density (kg/m³): `mass / volume` if the mass is given, else `density`.
    pub fn effective_density(&self) -> f64 {
        match self.mass {
            Some(0.0) => 0.0,
            Some(m) => m / self.shape.volume(),
            None => self.density,
        }
    }

    /// The geom's mass (kg): as given, or `density · volume`.
    pub fn effective_mass(&self) -> f64 {
        self.mass
            .unwrap_or_else(|| self.density * self.shape.volume())
    }

    /// `Ok(())` if sizes are finite and > 0, the quaternion finite and non-zero, the position
    /// finite, and the mass (if given) or density finite and ≥ 0; else a message naming the
    /// offending field and value.
    pub fn validate(&self) -> Result<(), String> {
        let (s, n) = self.shape.sizes();
        if let Some(v) = s[..n].iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(format!("geom size {v} must be finite and > 0"));
        }
        if let Some(v) = self.pos.iter().find(|v| !v.is_finite()) {
            return Err(format!("geom pos {v} must be finite"));
        }
        let qn = self.quat.iter().map(|v| v * v).sum::<f64>().sqrt();
        if !(qn.is_finite() && qn > 0.0) {
            return Err(format!(
                "geom quat {:?} must be finite and non-zero",
                self.quat
            ));
        }
        match self.mass {
            Some(m) if !(m.is_finite() && m >= 0.0) => {
                Err(format!("geom mass {m} must be finite and >= 0"))
            }
            None if !(self.density.is_finite() && self.density >= 0.0) => Err(format!(
                "geom density {} must be finite and >= 0",
                self.density
            )),
            _ => Ok(()),
        }
    }

    /// This geom alone as an [`Inertial`] in the body frame: its mass, its centre, and its
    /// principal inertia rotated into the body frame (`R diag(I) Rᵀ`, `R` from `quat`).
    pub fn inertial(&self) -> Inertial {
        let mass = self.effective_mass();
        if mass == 0.0 {
            return Inertial::MASSLESS;
        }
        let diag = self.shape.principal_inertia(self.effective_density());
        let r = quat_to_mat(self.quat);
        let mut inertia = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                inertia[i][j] = (0..3).map(|k| r[3 * i + k] * diag[k] * r[3 * j + k]).sum();
            }
        }
        Inertial {
            mass,
            com: self.pos,
            inertia,
        }
    }
}

pub(crate) fn norm3(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// Rotation matrix (row-major, frame → parent) of the quaternion `(w, x, y, z)`, normalised
/// first.
pub(crate) fn quat_to_mat(q: [f64; 4]) -> [f64; 9] {
    let n = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).sqrt();
    let [w, x, y, z] = [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
    [
        1.0 - 2.0 * (y * y + z * z),
        2.0 * (x * y - w * z),
        2.0 * (x * z + w * y),
        2.0 * (x * y + w * z),
        1.0 - 2.0 * (x * x + z * z),
        2.0 * (y * z - w * x),
        2.0 * (x * z - w * y),
        2.0 * (y * z + w * x),
        1.0 - 2.0 * (x * x + y * y),
    ]
}

/// The shortest rotation taking the z axis to the unit vector `dir`, as a quaternion
/// `(w, x, y, z)`; a half turn about x when `dir` points along −z.
fn z_to(dir: [f64; 3]) -> [f64; 4] {
    // axis = z × dir = (−dir_y, dir_x, 0), cos θ = dir_z; q = (cos θ/2, sin θ/2 · axis/|axis|)
    let c = dir[2];
    if c < -1.0 + 1e-14 {
        return [0.0, 1.0, 0.0, 0.0];
    }
    let w = ((1.0 + c) / 2.0).sqrt();
    // sin θ/2 / sin θ = 1 / (2 cos θ/2)
    let k = 1.0 / (2.0 * w);
    [w, -dir[1] * k, dir[0] * k, 0.0]
}
