//! Effectors from MuJoCo (MJCF) models: [`spec_from_mjcf`] turns a model read by
//! [`motornet_mjcf`] into an [`EffectorSpec`] (a `KinematicTree` skeleton, `MujocoMuscle`
//! muscles and `spatial_tendons` geometry), and [`forward`] computes what MuJoCo's `mj_forward`
//! computes at a state, to compare with MuJoCo's own numbers ([`fixture`]).
//!
//! How the model maps (docs/mjcf.md has the whole subset):
//! - bodies, their joints (hinge, slide; `damping`, `armature`) and mass properties (the body's
//!   `<inertial>`, or its geoms' with `inertiafromgeom`) become the tree's bodies; gravity comes
//!   from `<option>`;
//! - each `<muscle>` is one muscle of the effector, on its spatial tendon (sites, wrapping
//!   spheres and cylinders with side sites); tendons that no muscle acts on do not enter the
//!   effector (they have no stiffness or damping in the subset, so no force);
//! - joint `range`s of limited joints become the effector's position bounds (MotorNet's clipped
//!   update, not MuJoCo's soft limit constraint; the subset disables constraints anyway), and
//!   unlimited joints get ±[`UNLIMITED`]; velocity bounds are ±1000;
//! - the endpoint (fingertip) is the first site named `endpoint`, `fingertip`, `tip` or `hand`
//!   (in that order of preference), else the last site on a moving body, else the last body's
//!   origin;
//! - the step is `<option timestep>`, one explicit Euler step per step.
//!
//! Joint `ref` ≠ 0, a muscle control range that cuts into [0, 1], and muscles with different
//! `tausmooth` are errors naming the element and its line.

pub mod fixture;
mod forward;

pub use forward::{forward, ForwardModel};

use crate::error::EffectorError;
use crate::geometry::PathPoint;
use crate::presets::muscle_model_spec;
use crate::spatial::{SpatialTendons, TendonElement, WrapShape};
use crate::spec::{EffectorSpec, GeometrySpec, MuscleSpec};
use crate::tree_spec::{BodyPointSpec, BodySpec, JointSpec, WORLD};
use motornet_mjcf::{GeomType, Inertia, JointType, MjcfModel, PathElement};
use motornet_skeleton::{GeomMass, GeomShape, Inertial};
use std::path::Path;

/// The position bound (rad or m) of joints without a range.
pub const UNLIMITED: f64 = 1e6;

/// Site names taken as the endpoint, in order of preference.
pub const ENDPOINT_SITES: [&str; 4] = ["endpoint", "fingertip", "tip", "hand"];

fn at(model: &MjcfModel, line: u32, what: &str, reason: impl AsRef<str>) -> EffectorError {
    EffectorError::invalid(&format!("{}:{line}: {what}", model.origin), reason.as_ref())
}

/// Read an MJCF file and turn it into an effector spec ([`spec_from_mjcf`]).
pub fn read_mjcf(path: &Path) -> Result<EffectorSpec, EffectorError> {
    let model = motornet_mjcf::parse_file(path).map_err(|e| EffectorError::Parse(e.to_string()))?;
    spec_from_mjcf(&model)
}

/// Rotate `v` by the unit quaternion `q` `(w, x, y, z)`.
fn rotate(q: [f64; 4], v: [f64; 3]) -> [f64; 3] {
    let [w, x, y, z] = q;
    // t = 2 q_v × v; v' = v + w t + q_v × t
    let t = [
        2.0 * (y * v[2] - z * v[1]),
        2.0 * (z * v[0] - x * v[2]),
        2.0 * (x * v[1] - y * v[0]),
    ];
    [
        v[0] + w * t[0] + (y * t[2] - z * t[1]),
        v[1] + w * t[1] + (z * t[0] - x * t[2]),
        v[2] + w * t[2] + (x * t[1] - y * t[0]),
    ]
}

/// `R · I · Rᵀ` for the rotation of `q`.
fn rotate_inertia(q: [f64; 4], i: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let cols = [
        rotate(q, [1.0, 0.0, 0.0]),
        rotate(q, [0.0, 1.0, 0.0]),
        rotate(q, [0.0, 0.0, 1.0]),
    ];
    // R[a][k] = cols[k][a]
    let mut out = [[0.0; 3]; 3];
    for (a, row) in out.iter_mut().enumerate() {
        for (b, v) in row.iter_mut().enumerate() {
            let mut s = 0.0;
            for (k, ik) in i.iter().enumerate() {
                for (l, ikl) in ik.iter().enumerate() {
                    s += cols[k][a] * ikl * cols[l][b];
                }
            }
            *v = s;
        }
    }
    out
}

/// The mass properties of body `b` (1-based index into `model.bodies`).
fn body_inertial(model: &MjcfModel, b: usize) -> Inertial {
    let body = &model.bodies[b];
    let from_geoms = matches!(
        model.compiler.inertia_from_geom,
        motornet_mjcf::InertiaFromGeom::True
    ) || body.inertial.is_none();
    if !from_geoms {
        let i = body.inertial.as_ref().expect("checked above");
        let local = match i.inertia {
            Inertia::Diagonal(d) => [[d[0], 0.0, 0.0], [0.0, d[1], 0.0], [0.0, 0.0, d[2]]],
            Inertia::Full([xx, yy, zz, xy, xz, yz]) => [[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]],
        };
        return Inertial {
            mass: i.mass,
            com: i.pos,
            inertia: rotate_inertia(i.quat, local),
        };
    }
    let geoms: Vec<GeomMass> = body
        .geoms
        .iter()
        .map(|&g| &model.geoms[g])
        .filter(|g| g.mass > 0.0)
        .map(|g| {
            let s = g.size;
            let shape = match g.kind {
                GeomType::Sphere => GeomShape::Sphere { radius: s[0] },
                GeomType::Capsule => GeomShape::Capsule {
                    radius: s[0],
                    half_length: s[1],
                },
                GeomType::Cylinder => GeomShape::Cylinder {
                    radius: s[0],
                    half_length: s[1],
                },
                GeomType::Box => GeomShape::Box { half_sizes: s },
                GeomType::Ellipsoid => GeomShape::Ellipsoid { radii: s },
            };
            GeomMass::new(shape, g.pos, g.quat).with_mass(g.mass)
        })
        .collect();
    if geoms.is_empty() {
        Inertial::MASSLESS
    } else {
        Inertial::from_geoms(&geoms)
    }
}

fn name_or(name: &Option<String>, kind: &str, i: usize) -> String {
    name.clone().unwrap_or_else(|| format!("{kind}{i}"))
}

/// The endpoint rule of the module docs: a site index, or `None` for the last body's origin.
fn endpoint_site(model: &MjcfModel) -> Option<usize> {
    ENDPOINT_SITES
        .iter()
        .find_map(|n| model.site_index(n))
        .or_else(|| model.sites.iter().rposition(|s| s.body != 0))
}

/// The effector spec of an MJCF model (module docs: how it maps). Errors name the file, the line
/// and the element or attribute.
pub fn spec_from_mjcf(model: &MjcfModel) -> Result<EffectorSpec, EffectorError> {
    if model.bodies.len() < 2 {
        return Err(at(model, 1, "<worldbody>", "has no body: nothing moves"));
    }
    if model.muscles.is_empty() {
        return Err(at(
            model,
            1,
            "<actuator>",
            "has no <muscle>: an effector needs at least one muscle",
        ));
    }
    let body_name = |i: usize| {
        if i == 0 {
            WORLD.to_string()
        } else {
            name_or(&model.bodies[i].name, "body", i)
        }
    };
    let mut bodies = Vec::with_capacity(model.bodies.len() - 1);
    let (mut lower, mut upper) = (vec![], vec![]);
    for (i, b) in model.bodies.iter().enumerate().skip(1) {
        let mut joints = vec![];
        for &j in &b.joints {
            let joint = &model.joints[j];
            if joint.reference != 0.0 {
                return Err(at(
                    model,
                    joint.line,
                    &format!(
                        "<joint> '{}' attribute \"ref\"",
                        name_or(&joint.name, "joint", j)
                    ),
                    format!(
                        "{} ≠ 0 is not supported (the effector measures joint positions from \
                         the model's frame; write the body's pose with the reference applied)",
                        joint.reference
                    ),
                ));
            }
            joints.push(JointSpec {
                name: name_or(&joint.name, "joint", j),
                kind: match joint.kind {
                    JointType::Hinge => "hinge",
                    JointType::Slide => "slide",
                }
                .into(),
                axis: joint.axis,
                pos: joint.pos,
                damping: joint.damping,
                armature: joint.armature,
            });
            let (lo, hi) = if joint.limited {
                (joint.range[0], joint.range[1])
            } else {
                (-UNLIMITED, UNLIMITED)
            };
            lower.push(lo);
            upper.push(hi);
        }
        let inertial = body_inertial(model, i);
        bodies.push(BodySpec {
            name: body_name(i),
            parent: body_name(b.parent.unwrap_or(0)),
            pos: b.pos,
            quat: b.quat,
            joints,
            mass: inertial.mass,
            com: inertial.com,
            inertia: inertial.inertia,
        });
    }
    let endpoint = match endpoint_site(model) {
        Some(s) => BodyPointSpec {
            body: body_name(model.sites[s].body),
            pos: model.sites[s].pos,
        },
        None => BodyPointSpec {
            body: body_name(model.bodies.len() - 1),
            pos: [0.0; 3],
        },
    };

    // muscles: the model-wide time constants are MuJoCo's defaults; a muscle whose timeconst
    // differs carries its own
    let mut muscle = muscle_model_spec("MujocoMuscle")?;
    let default_tc = [
        muscle.tau_activation.unwrap_or(0.01),
        muscle.tau_deactivation.unwrap_or(0.04),
    ];
    let tausmooth = model.muscles[0].tausmooth;
    let mut muscles = Vec::with_capacity(model.muscles.len());
    let mut tendons = Vec::with_capacity(model.muscles.len());
    for (u, m) in model.muscles.iter().enumerate() {
        let name = name_or(&m.name, "muscle", u);
        let what = format!("<muscle> '{name}'");
        if m.tausmooth != tausmooth {
            return Err(at(
                model,
                m.line,
                &format!("{what} attribute \"tausmooth\""),
                format!(
                    "{} differs from the first muscle's {tausmooth}: one value for all muscles \
                     is supported",
                    m.tausmooth
                ),
            ));
        }
        if m.ctrllimited && (m.ctrlrange[0] > 0.0 || m.ctrlrange[1] < 1.0) {
            return Err(at(
                model,
                m.line,
                &format!("{what} attribute \"ctrlrange\""),
                format!(
                    "{:?} cuts into [0, 1]: the effector clamps excitations to [0, 1] only",
                    m.ctrlrange
                ),
            ));
        }
        let mut params = crate::fields::Params::from_iter([
            ("lengthrange_lower", m.lengthrange[0]),
            ("lengthrange_upper", m.lengthrange[1]),
            ("range_lower", m.range[0]),
            ("range_upper", m.range[1]),
            ("lmin", m.lmin),
            ("lmax", m.lmax),
            ("vmax", m.vmax),
            ("fpmax", m.fpmax),
            ("fvmax", m.fvmax),
        ]);
        if m.timeconst != default_tc {
            params.insert("timeconst_activation", m.timeconst[0]);
            params.insert("timeconst_deactivation", m.timeconst[1]);
        }
        muscles.push(MuscleSpec {
            name,
            max_isometric_force: m.force,
            params,
        });
        tendons.push(tendon_elements(model, m.tendon));
    }
    muscle.params.insert("tausmooth", tausmooth);
    let names: Vec<&str> = muscles.iter().map(|m| m.name.as_str()).collect();
    let geometry = GeometrySpec::of(&SpatialTendons::new(tendons)?, &names);
    let dof = lower.len();
    Ok(EffectorSpec {
        preset: None,
        skeleton: crate::spec::SkeletonSpec {
            kind: "KinematicTree".into(),
            bodies,
            gravity: Some(model.gravity),
            endpoint: Some(endpoint),
            params: Default::default(),
        },
        muscle,
        muscles,
        geometry,
        timestep: model.timestep,
        n_ministeps: 1.0,
        integration_method: "euler".into(),
        damping: 0.0,
        pos_lower_bound: lower,
        pos_upper_bound: upper,
        vel_lower_bound: vec![-1000.0; dof],
        vel_upper_bound: vec![1000.0; dof],
    })
}

/// The path of tendon `t` as geometry elements.
pub(crate) fn tendon_elements(model: &MjcfModel, t: usize) -> Vec<TendonElement> {
    let site = |s: usize| PathPoint {
        body: model.sites[s].body,
        coordinates: model.sites[s].pos.to_vec(),
    };
    model.tendons[t]
        .path
        .iter()
        .map(|e| match *e {
            PathElement::Site(s) => TendonElement::Site(site(s)),
            PathElement::Geom { geom, sidesite } => {
                let g = &model.geoms[geom];
                let shape = match g.kind {
                    GeomType::Sphere => WrapShape::Sphere { radius: g.size[0] },
                    // the reader admits only spheres and cylinders in tendons
                    _ => WrapShape::Cylinder { radius: g.size[0] },
                };
                TendonElement::Wrap {
                    body: g.body,
                    center: g.pos,
                    axis: rotate(g.quat, [0.0, 0.0, 1.0]),
                    shape,
                    sidesite: sidesite.map(site),
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_follow_the_quaternion_convention() {
        // 90° about z: x → y
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let q = [h, 0.0, 0.0, h];
        let v = rotate(q, [1.0, 0.0, 0.0]);
        assert!((v[0]).abs() < 1e-15 && (v[1] - 1.0).abs() < 1e-15);
        let i = rotate_inertia(q, [[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0]]);
        assert!((i[0][0] - 2.0).abs() < 1e-15 && (i[1][1] - 1.0).abs() < 1e-15);
        assert!((i[2][2] - 3.0).abs() < 1e-15 && i[0][1].abs() < 1e-15);
    }
}
