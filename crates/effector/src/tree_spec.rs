//! How a [`KinematicTree`] skeleton is written in spec files: its bodies (parents first), the
//! gravity vector and the endpoint, in the `skeleton` section next to `type = "KinematicTree"`.
//!
//! ```toml
//! [skeleton]
//! type = "KinematicTree"
//! gravity = [0.0, 0.0, -9.81]
//! endpoint = { body = "forearm", pos = [0.0, 0.0, -0.25] }
//!
//! [[skeleton.bodies]]
//! name = "upper"
//! parent = "world"
//! pos = [0.0, 0.0, 0.0]
//! mass = 2.0
//! com = [0.0, 0.0, -0.15]
//! inertia = [[0.02, 0.0, 0.0], [0.0, 0.02, 0.0], [0.0, 0.0, 0.002]]
//! joints = [{ name = "shoulder", type = "hinge", axis = [0.0, 1.0, 0.0] }]
//! ```

use crate::error::EffectorError;
use motornet_skeleton::{Inertial, JointKind, KinematicTree, TreeBody, TreeJoint};
use serde::{Deserialize, Serialize};

/// The name parents and points use for the fixed world frame.
pub const WORLD: &str = "world";

/// One joint of a [`BodySpec`] (MuJoCo's semantics: see [`TreeJoint`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JointSpec {
    /// The joint's name (unique in the tree).
    pub name: String,
    /// `"hinge"` (position in rad) or `"slide"` (m).
    #[serde(rename = "type")]
    pub kind: String,
    /// The axis in the body frame (normalised when built).
    pub axis: [f64; 3],
    /// The anchor in the body frame (m); a hinge rotates about the axis through it.
    #[serde(default)]
    pub pos: [f64; 3],
    /// Damping, ≥ 0 (N·m·s/rad or N·s/m): passive force −damping·q̇.
    #[serde(default)]
    pub damping: f64,
    /// Armature, ≥ 0 (kg·m² or kg), added to the mass matrix's diagonal.
    #[serde(default)]
    pub armature: f64,
}

/// One body of a `KinematicTree` skeleton.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodySpec {
    /// The body's name (unique; not `world`).
    pub name: String,
    /// `world` or the name of a body listed before this one.
    pub parent: String,
    /// The body frame's origin in the parent frame (m).
    pub pos: [f64; 3],
    /// The body frame's orientation in the parent frame, a quaternion `(w, x, y, z)`.
    #[serde(default = "identity")]
    pub quat: [f64; 4],
    /// Its joints, applied in order.
    #[serde(default)]
    pub joints: Vec<JointSpec>,
    /// Mass (kg, ≥ 0).
    pub mass: f64,
    /// Centre of mass in the body frame (m).
    #[serde(default)]
    pub com: [f64; 3],
    /// Inertia about the centre of mass, body-frame axes (kg·m², symmetric).
    #[serde(default)]
    pub inertia: [[f64; 3]; 3],
}

fn identity() -> [f64; 4] {
    [1.0, 0.0, 0.0, 0.0]
}

/// A point fixed on a body, by the body's name (or `world`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyPointSpec {
    /// `world` or a body's name.
    pub body: String,
    /// Coordinates in the body's frame (m).
    pub pos: [f64; 3],
}

fn invalid(field: &str, reason: impl AsRef<str>) -> EffectorError {
    EffectorError::invalid(field, reason.as_ref())
}

/// The body index (0 = world, `i + 1` = `bodies[i]`) of the body named `name` among the first
/// `before` bodies.
fn body_index(bodies: &[BodySpec], before: usize, name: &str) -> Option<usize> {
    if name == WORLD {
        return Some(0);
    }
    bodies[..before]
        .iter()
        .position(|b| b.name == name)
        .map(|i| i + 1)
}

/// Build the tree a spec's `skeleton` section describes.
pub(crate) fn build(
    bodies: &[BodySpec],
    gravity: Option<[f64; 3]>,
    endpoint: Option<&BodyPointSpec>,
) -> Result<KinematicTree, EffectorError> {
    if bodies.is_empty() {
        return Err(invalid(
            "skeleton.bodies",
            "a KinematicTree needs at least one body",
        ));
    }
    let mut out = Vec::with_capacity(bodies.len());
    for (i, b) in bodies.iter().enumerate() {
        let field = format!("skeleton.bodies[{i}]");
        if b.name == WORLD || b.name.is_empty() {
            return Err(invalid(
                &format!("{field}.name"),
                format!("'{}' cannot name a body", b.name),
            ));
        }
        if bodies[..i].iter().any(|o| o.name == b.name) {
            return Err(invalid(
                &format!("{field}.name"),
                format!("body '{}' is listed twice", b.name),
            ));
        }
        let parent = body_index(bodies, i, &b.parent).ok_or_else(|| {
            invalid(
                &format!("{field}.parent"),
                format!(
                    "'{}' is neither `world` nor a body listed before '{}' (parents come first)",
                    b.parent, b.name
                ),
            )
        })?;
        let mut joints = Vec::with_capacity(b.joints.len());
        for (j, s) in b.joints.iter().enumerate() {
            let kind = match s.kind.as_str() {
                "hinge" => JointKind::Hinge,
                "slide" => JointKind::Slide,
                other => {
                    return Err(invalid(
                        &format!("{field}.joints[{j}].type"),
                        format!("unknown joint type '{other}' (expected hinge or slide)"),
                    ))
                }
            };
            joints.push(TreeJoint {
                name: s.name.clone(),
                kind,
                axis: s.axis,
                pos: s.pos,
                damping: s.damping,
                armature: s.armature,
            });
        }
        out.push(TreeBody {
            name: b.name.clone(),
            parent,
            pos: b.pos,
            quat: b.quat,
            joints,
            inertial: Inertial {
                mass: b.mass,
                com: b.com,
                inertia: b.inertia,
            },
        });
    }
    let endpoint = match endpoint {
        Some(p) => {
            let body = body_index(bodies, bodies.len(), &p.body).ok_or_else(|| {
                invalid(
                    "skeleton.endpoint.body",
                    format!("no body named '{}'", p.body),
                )
            })?;
            (body, p.pos)
        }
        None => (bodies.len(), [0.0; 3]),
    };
    KinematicTree::new(out, gravity.unwrap_or([0.0; 3]), endpoint)
        .map_err(|e| invalid("skeleton", e.to_string()))
}
