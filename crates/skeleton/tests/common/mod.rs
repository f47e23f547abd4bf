//! The three MJCF models of `../shared/mujoco`, built by hand as [`KinematicTree`]s (bodies,
//! joints, geoms and sites as written in each `.xml`), and the fixture reader.
#![allow(dead_code)]

use motornet_skeleton::{GeomMass, GeomShape, Inertial, KinematicTree, TreeBody, TreeJoint};
use serde_json::Value;

/// A site: name, body index (0 = world), position in the body frame (m).
pub type Site = (&'static str, usize, [f64; 3]);

/// A model built by hand: the tree, its sites, and the fixture's file stem.
pub struct Model {
    pub name: &'static str,
    pub tree: KinematicTree,
    pub sites: Vec<Site>,
}

const IDENTITY: [f64; 4] = [1.0, 0.0, 0.0, 0.0];

fn capsule(from: [f64; 3], to: [f64; 3], radius: f64, mass: f64) -> GeomMass {
    GeomMass::from_fromto(from, to, radius, true)
        .unwrap()
        .with_mass(mass)
}

fn cylinder(from: [f64; 3], to: [f64; 3], radius: f64, mass: f64) -> GeomMass {
    GeomMass::from_fromto(from, to, radius, false)
        .unwrap()
        .with_mass(mass)
}

/// arm3d_cylinder.xml: a 3-rotation shoulder and an elbow, gravity along −z.
pub fn arm3d_cylinder() -> Model {
    let upper = TreeBody::new("upper", 0, [0.0; 3])
        .with_joint(TreeJoint::hinge("sh_flex", [0.0, 1.0, 0.0]))
        .with_joint(TreeJoint::hinge("sh_abd", [1.0, 0.0, 0.0]))
        .with_joint(TreeJoint::hinge("sh_rot", [0.0, 0.0, 1.0]))
        .with_inertial(Inertial::from_geoms(&[capsule(
            [0.0; 3],
            [0.0, 0.0, -0.3],
            0.04,
            2.0,
        )]));
    let fore = TreeBody::new("fore", 1, [0.0, 0.0, -0.3])
        .with_joint(TreeJoint::hinge("elbow", [0.0, -1.0, 0.0]))
        .with_inertial(Inertial::from_geoms(&[
            cylinder([0.0, -0.03, 0.0], [0.0, 0.03, 0.0], 0.028, 0.0),
            capsule([0.0; 3], [0.0, 0.0, -0.25], 0.03, 1.3),
        ]));
    let tree =
        KinematicTree::new(vec![upper, fore], [0.0, 0.0, -9.81], (2, [0.0, 0.0, -0.25])).unwrap();
    let sites = vec![
        ("w_ant", 0, [0.06, 0.0, 0.03]),
        ("w_post", 0, [-0.06, 0.0, 0.03]),
        ("w_lat", 0, [0.0, -0.07, 0.04]),
        ("w_med", 0, [0.0, 0.05, -0.02]),
        ("u_ant", 1, [0.03, 0.0, -0.1]),
        ("u_post", 1, [-0.03, 0.0, -0.1]),
        ("u_lat", 1, [0.0, -0.03, -0.08]),
        ("u_med", 1, [0.01, 0.03, -0.12]),
        ("u_bic", 1, [0.025, 0.0, -0.05]),
        ("u_tri", 1, [-0.025, 0.0, -0.1]),
        ("tri_side", 1, [-0.08, 0.0, -0.3]),
        ("f_bic", 2, [0.02, 0.0, -0.04]),
        ("f_tri", 2, [-0.03, 0.0, 0.025]),
        ("f_brd", 2, [0.015, 0.0, -0.2]),
        ("tip", 2, [0.0, 0.0, -0.25]),
    ];
    Model {
        name: "arm3d_cylinder",
        tree,
        sites,
    }
}

/// planar3_gravity.xml: three hinges about z, gravity along −y.
pub fn planar3_gravity() -> Model {
    let seg = |name: &str, parent: usize, x: f64, joint: &str, len: f64, r: f64, m: f64| {
        TreeBody::new(name, parent, [x, 0.0, 0.0])
            .with_joint(TreeJoint::hinge(joint, [0.0, 0.0, 1.0]))
            .with_inertial(Inertial::from_geoms(&[capsule(
                [0.0; 3],
                [len, 0.0, 0.0],
                r,
                m,
            )]))
    };
    let bodies = vec![
        seg("upper", 0, 0.0, "shoulder", 0.3, 0.03, 1.8),
        seg("fore", 1, 0.3, "elbow", 0.3, 0.025, 1.4),
        seg("hand", 2, 0.3, "wrist", 0.2, 0.02, 0.5),
    ];
    let tree = KinematicTree::new(bodies, [0.0, -9.81, 0.0], (3, [0.2, 0.0, 0.0])).unwrap();
    let sites = vec![
        ("w_flex", 0, [0.05, 0.05, 0.0]),
        ("w_ext", 0, [0.05, -0.05, 0.0]),
        ("w_bi", 0, [0.0, 0.06, 0.0]),
        ("u_flex", 1, [0.1, 0.02, 0.0]),
        ("u_ext", 1, [0.1, -0.02, 0.0]),
        ("u_elf", 1, [0.15, 0.03, 0.0]),
        ("u_ele", 1, [0.15, -0.03, 0.0]),
        ("u_via", 1, [0.28, -0.03, 0.0]),
        ("f_elf", 2, [0.05, 0.02, 0.0]),
        ("f_ele", 2, [0.04, -0.02, 0.0]),
        ("f_bi", 2, [0.06, 0.025, 0.0]),
        ("f_wr", 2, [0.2, 0.02, 0.0]),
        ("h_wr", 3, [0.04, 0.015, 0.0]),
        ("tip", 3, [0.2, 0.0, 0.0]),
    ];
    Model {
        name: "planar3_gravity",
        tree,
        sites,
    }
}

/// slider_sphere.xml: a damped cart on a slide along x carrying a pole hinged about y (with
/// armature), gravity along −z.
pub fn slider_sphere() -> Model {
    let cart = TreeBody::new("cart", 0, [0.0; 3])
        .with_joint(TreeJoint::slide("slide", [1.0, 0.0, 0.0]).with_damping(2.0))
        .with_inertial(Inertial::from_geoms(&[GeomMass::new(
            GeomShape::Box {
                half_sizes: [0.05; 3],
            },
            [0.0; 3],
            IDENTITY,
        )
        .with_mass(2.0)]));
    let pole = TreeBody::new("pole", 1, [0.0, 0.0, 0.05])
        .with_joint(TreeJoint::hinge("hinge", [0.0, 1.0, 0.0]).with_armature(0.01))
        .with_inertial(Inertial::from_geoms(&[
            GeomMass::new(GeomShape::Sphere { radius: 0.04 }, [0.0; 3], IDENTITY).with_mass(0.0),
            capsule([0.0; 3], [0.0, 0.0, 0.4], 0.02, 0.6),
        ]));
    let tree =
        KinematicTree::new(vec![cart, pole], [0.0, 0.0, -9.81], (2, [0.0, 0.0, 0.4])).unwrap();
    let sites = vec![
        ("w_l", 0, [-0.4, 0.0, 0.0]),
        ("w_r", 0, [0.4, 0.0, 0.0]),
        ("w_top", 0, [0.0, 0.0, 0.3]),
        ("c_l", 1, [-0.05, 0.0, 0.0]),
        ("c_r", 1, [0.05, 0.0, 0.0]),
        ("p_mid", 2, [0.02, 0.0, 0.2]),
        ("p_side", 2, [0.0, 0.1, 0.0]),
    ];
    Model {
        name: "slider_sphere",
        tree,
        sites,
    }
}

pub fn models() -> Vec<Model> {
    vec![arm3d_cylinder(), planar3_gravity(), slider_sphere()]
}

/// The fixture `../shared/mujoco/NAME.json`.
pub fn fixture(name: &str) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/mujoco");
    let file = format!("{path}/{name}.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// The README's rule for one quantity: `got[s][c]` and `expected[s][c]` over states `s` and
/// components `c`; per component, scale = max |expected| over the states; returns the worst
/// `|got − expected| / (scale + 1e-9)`.
pub fn rule(got: &[Vec<f64>], expected: &[Vec<f64>]) -> f64 {
    assert_eq!(got.len(), expected.len());
    let nc = expected[0].len();
    let mut worst = 0.0f64;
    for c in 0..nc {
        let scale = expected.iter().map(|e| e[c].abs()).fold(0.0, f64::max);
        for (g, e) in got.iter().zip(expected) {
            assert_eq!(g.len(), nc);
            let err = (g[c] - e[c]).abs() / (scale + 1e-9);
            assert!(!err.is_nan());
            worst = worst.max(err);
        }
    }
    worst
}
