//! A reader for the subset of MuJoCo's MJCF format that motornet-rs effectors are built from.
//!
//! [`parse_file`] and [`parse_str`] read an MJCF file into an [`MjcfModel`] with MuJoCo's
//! semantics: default classes applied, every orientation resolved to a unit quaternion
//! `(w, x, y, z)`, angles in radians, `fromto` resolved into a centre, an orientation and a
//! half-length, muscle parameters completed with MuJoCo's defaults, and lists in MuJoCo's id
//! order. Anything outside the subset is an [`MjcfError`] naming the file, the line, the element
//! and the attribute; nothing is silently ignored except the visual and contact attributes listed
//! below. This crate depends on no other motornet crate: turning the model into an effector is
//! the importer's job.
//!
//! Units: m, kg, kg·m², s, rad (after conversion from degrees), N.
//!
//! ```
//! let xml = r#"
//! <mujoco model="pendulum">
//!   <compiler angle="degree"/>
//!   <option timestep="0.01"><flag contact="disable" constraint="disable"/></option>
//!   <worldbody>
//!     <site name="anchor" pos="0.1 0 0"/>
//!     <body name="rod" euler="0 90 0">
//!       <joint name="hinge" axis="0 1 0" range="-90 90" damping="0.5"/>
//!       <geom type="capsule" fromto="0 0 0 0 0 -0.5" size="0.02" mass="1"/>
//!       <site name="insertion" pos="0 0 -0.2"/>
//!     </body>
//!   </worldbody>
//!   <tendon><spatial name="t"><site site="anchor"/><site site="insertion"/></spatial></tendon>
//!   <actuator><muscle name="m" tendon="t" force="100" lengthrange="0.1 0.4"/></actuator>
//! </mujoco>"#;
//! let model = motornet_mjcf::parse_str(xml, "pendulum.xml").unwrap();
//! assert_eq!(model.bodies.len(), 2); // the world and the rod
//! let hinge = &model.joints[0];
//! assert!(hinge.limited && (hinge.range[1] - std::f64::consts::FRAC_PI_2).abs() < 1e-15);
//! let rod = &model.geoms[0];
//! assert_eq!((rod.pos, rod.size[1]), ([0.0, 0.0, -0.25], 0.25));
//! assert_eq!(model.muscles[0].vmax, 1.5); // MuJoCo's default
//!
//! let err = motornet_mjcf::parse_str(&xml.replace("mass=\"1\"", "mesh=\"m\""), "pendulum.xml")
//!     .unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "pendulum.xml:9: <geom> attribute \"mesh\": not in the supported MJCF subset (docs/mjcf.md lists it)"
//! );
//! ```
//!
//! # The subset
//!
//! Elements and attributes (anything else is an error, [`ErrorKind::UnknownElement`] or
//! [`ErrorKind::UnknownAttribute`]):
//!
//! - `<mujoco model>`, with the sections below in any order (MuJoCo's reading order applies).
//! - `<compiler angle="degree|radian" (default degree) autolimits="true|false" (default true)
//!   inertiafromgeom="auto|true" eulerseq>`, with `<lengthrange mode useexisting="true">`: every
//!   muscle gives its `lengthrange`, so MuJoCo computes none.
//! - `<option timestep gravity>` with `<flag contact="disable" constraint="disable"/>`: both
//!   flags are required (the effectors simulate neither contacts nor constraints).
//! - One top-level `<default>` (class "main") with nested `<default class>`, each holding at
//!   most one `<joint>`, `<geom>`, `<site>`, `<tendon>`, `<muscle>` with the attributes below
//!   except names, `class`, `pos`, orientations, `fromto` and `tendon`; `class` on elements and
//!   `childclass` on bodies, with MuJoCo's inheritance (a class starts from its parent's values;
//!   an element uses its `class`, else the nearest enclosing `childclass`, else "main"; a `size`
//!   overrides only the components it gives).
//! - `<worldbody>` with `<geom>`, `<site>` and nested `<body name pos childclass>` + one of
//!   `quat`, `euler`, `axisangle`, `xyaxes`, `zaxis`.
//! - `<joint name class type="hinge|slide" pos axis damping armature range limited ref
//!   springref stiffness="0" frictionloss="0">`.
//! - `<geom name class type="sphere|capsule|cylinder|box|ellipsoid" size fromto pos` +
//!   orientation `mass density>`.
//! - `<site name class pos` + orientation`>`.
//! - `<inertial pos mass diaginertia|fullinertia` + orientation (not with `fullinertia`)`>`.
//! - `<tendon>` with `<spatial name class stiffness="0" damping="0" frictionloss="0"
//!   armature="0">` holding `<site site/>` and `<geom geom sidesite/>` (spheres and cylinders).
//! - `<actuator>` with `<muscle name class tendon force lengthrange range lmin lmax vmax fpmax
//!   fvmax timeconst tausmooth ctrlrange ctrllimited scale gear="1">`; `force` and
//!   `lengthrange` are required.
//!
//! Accepted and ignored (no effect on the subset's dynamics): `<visual>`, `<statistic>`,
//! `<camera>`, `<light>` (rendering); geom `rgba group material contype conaffinity condim
//! friction priority margin gap solref solimp solmix` (rendering, or contacts, which are
//! disabled); site `size type rgba group material`; joint `group margin solreflimit solimplimit
//! solreffriction solimpfriction` and tendon `rgba width material group limited range margin
//! solreflimit solimplimit solreffriction solimpfriction` (rendering, or constraints, which are
//! disabled); muscle `group` and `scale` (only used when `force` < 0); joint `springref` (only
//! used with stiffness ≠ 0).
//!
//! `docs/mjcf.md` lists the same with the reasons and the errors.

#![warn(missing_docs)]

mod error;
mod model;
mod read;
mod rot;

use std::path::Path;

pub use error::{ErrorKind, MjcfError};
pub use model::{
    Body, Compiler, Geom, GeomType, Inertia, InertiaFromGeom, Inertial, Joint, JointType,
    MjcfModel, Muscle, PathElement, Quat, Site, SpatialTendon,
};

/// Reads the MJCF file at `path`; errors name the file as `path` displays.
pub fn parse_file(path: &Path) -> Result<MjcfModel, MjcfError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| MjcfError {
        file: origin.clone(),
        line: 0,
        kind: ErrorKind::Io,
        message: format!("cannot read: {e}"),
    })?;
    parse_str(&text, &origin)
}

/// Reads MJCF text; `origin` is the name errors give the text (a file name).
pub fn parse_str(xml: &str, origin: &str) -> Result<MjcfModel, MjcfError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| MjcfError {
        file: origin.to_string(),
        line: e.pos().row,
        kind: ErrorKind::Syntax,
        message: format!("not well-formed XML: {e}"),
    })?;
    read::Reader::new(&doc, origin).read()
}
