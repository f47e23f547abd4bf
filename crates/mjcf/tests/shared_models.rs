//! The three shared models (`../shared/mujoco`) read into the values their XML states, checked
//! by hand: fromto resolution, per-muscle overrides and MuJoCo's defaults, tendon paths.

use std::f64::consts::FRAC_1_SQRT_2;
use std::path::Path;

use motornet_mjcf::{parse_file, GeomType, JointType, MjcfModel, PathElement};

fn shared(name: &str) -> MjcfModel {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/mujoco")
        .join(name);
    parse_file(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-14)
}

#[test]
fn arm3d_cylinder() {
    let m = shared("arm3d_cylinder.xml");
    assert_eq!(m.name, "arm3d_cylinder");
    assert_eq!((m.timestep, m.gravity), (0.01, [0.0, 0.0, -9.81]));
    assert_eq!(m.bodies.len(), 3);
    let fore = m.body_index("fore").unwrap();
    assert_eq!(m.bodies[fore].parent, m.body_index("upper"));
    assert_eq!(m.bodies[fore].pos, [0.0, 0.0, -0.3]);
    let names: Vec<_> = m
        .joints
        .iter()
        .map(|j| j.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["sh_flex", "sh_abd", "sh_rot", "elbow"]);
    assert_eq!(m.joints[3].axis, [0.0, -1.0, 0.0]);
    assert!(m
        .joints
        .iter()
        .all(|j| j.kind == JointType::Hinge && !j.limited && j.damping == 0.0));
    // Upper-arm capsule: fromto 0 0 0 → 0 0 -0.3: centre (0, 0, -0.15), half-length 0.15, its z
    // along from − to = +z, so no rotation.
    let g = &m.geoms[m.bodies[1].geoms[0]];
    assert_eq!((g.kind, g.mass), (GeomType::Capsule, 2.0));
    assert!(close(&g.pos, &[0.0, 0.0, -0.15]) && close(&g.size, &[0.04, 0.15, 0.0]));
    assert!(close(&g.quat, &[1.0, 0.0, 0.0, 0.0]));
    // Elbow cylinder: fromto 0 -0.03 0 → 0 0.03 0: z along −y, a quarter turn about +x.
    let c = &m.geoms[m.geom_index("elbow_cyl").unwrap()];
    assert_eq!((c.kind, c.mass, c.body), (GeomType::Cylinder, 0.0, fore));
    assert!(close(&c.pos, &[0.0; 3]) && close(&c.size, &[0.028, 0.03, 0.0]));
    assert!(
        close(&c.quat, &[FRAC_1_SQRT_2, FRAC_1_SQRT_2, 0.0, 0.0]),
        "{:?}",
        c.quat
    );
    assert_eq!(m.sites.len(), 15);
    assert_eq!(
        m.sites[m.site_index("tri_side").unwrap()].pos,
        [-0.08, 0.0, -0.3]
    );
    // tri_long: w_post, u_tri, elbow_cyl with sidesite tri_side, f_tri.
    let t = &m.tendons[m.tendon_index("tri_long").unwrap()];
    let s = |n| m.site_index(n).unwrap();
    assert_eq!(
        t.path,
        [
            PathElement::Site(s("w_post")),
            PathElement::Site(s("u_tri")),
            PathElement::Geom {
                geom: m.geom_index("elbow_cyl").unwrap(),
                sidesite: Some(s("tri_side"))
            },
            PathElement::Site(s("f_tri")),
        ]
    );
    assert_eq!(m.muscles.len(), 8);
    let biceps = &m.muscles[4];
    assert_eq!(biceps.name.as_deref(), Some("biceps"));
    assert_eq!(
        (biceps.force, biceps.lengthrange, biceps.vmax),
        (800.0, [0.2, 0.45], 2.0)
    );
    assert_eq!(
        (biceps.fpmax, biceps.lmin, biceps.lmax, biceps.fvmax),
        (1.3, 0.5, 1.6, 1.2)
    );
    assert_eq!(
        (biceps.range, biceps.timeconst),
        ([0.75, 1.05], [0.01, 0.04])
    );
    let triceps = &m.muscles[5];
    assert_eq!((triceps.fpmax, triceps.vmax, triceps.tendon), (1.1, 1.5, 5));
    assert!(m
        .muscles
        .iter()
        .all(|u| !u.ctrllimited && u.tausmooth == 0.0));
}

#[test]
fn planar3_gravity() {
    let m = shared("planar3_gravity.xml");
    assert_eq!(m.gravity, [0.0, -9.81, 0.0]);
    assert_eq!(m.bodies.len(), 4);
    assert_eq!(m.bodies[3].parent, Some(2));
    assert_eq!(m.bodies[3].pos, [0.3, 0.0, 0.0]);
    // Capsule fromto 0 0 0 → 0.3 0 0: z along −x, a quarter turn about −y.
    let g = &m.geoms[0];
    assert!(close(&g.pos, &[0.15, 0.0, 0.0]) && close(&g.size, &[0.03, 0.15, 0.0]));
    assert!(
        close(&g.quat, &[FRAC_1_SQRT_2, 0.0, -FRAC_1_SQRT_2, 0.0]),
        "{:?}",
        g.quat
    );
    assert_eq!(m.geoms[2].size[..2], [0.02, 0.1]);
    let wr = &m.muscles[5];
    assert_eq!(
        (wr.timeconst, wr.force, wr.lengthrange),
        ([0.02, 0.06], 200.0, [0.08, 0.2])
    );
    assert_eq!(m.muscles[0].timeconst, [0.01, 0.04]);
    let el_ext = &m.tendons[3];
    assert_eq!(el_ext.path.len(), 3);
}

#[test]
fn slider_sphere() {
    let m = shared("slider_sphere.xml");
    let slide = &m.joints[0];
    assert_eq!(
        (slide.kind, slide.damping, slide.axis),
        (JointType::Slide, 2.0, [1.0, 0.0, 0.0])
    );
    let hinge = &m.joints[1];
    assert_eq!(
        (hinge.kind, hinge.armature, hinge.body),
        (JointType::Hinge, 0.01, 2)
    );
    let cart = &m.geoms[0];
    assert_eq!(
        (cart.kind, cart.size, cart.mass),
        (GeomType::Box, [0.05; 3], 2.0)
    );
    let ball = &m.geoms[m.geom_index("ball").unwrap()];
    assert_eq!(
        (ball.kind, ball.size[0], ball.mass),
        (GeomType::Sphere, 0.04, 0.0)
    );
    let wrap = &m.muscles[2];
    assert_eq!((wrap.range, wrap.lmin, wrap.lmax), ([0.7, 1.1], 0.4, 1.7));
    assert_eq!((wrap.force, wrap.lengthrange), (150.0, [0.1, 0.4]));
    assert_eq!(m.muscles[0].range, [0.75, 1.05]);
    let side = m.site_index("p_side").unwrap();
    assert!(
        matches!(m.tendons[2].path[1], PathElement::Geom { sidesite: Some(s), .. } if s == side)
    );
}

/// Density, inertial and the inheritance of a partial `size`, which the reference models do
/// not all cover.
#[test]
fn density_inertial_and_partial_size() {
    let xml = r#"<mujoco>
      <option><flag contact="disable" constraint="disable"/></option>
      <default><geom type="box" size="0.1 0.2 0.3" density="100"/></default>
      <worldbody>
        <body name="a">
          <joint/>
          <geom size="0.05"/>
          <inertial pos="0 0 0.1" mass="2" diaginertia="0.1 0.2 0.25" euler="0 0 90"/>
        </body>
        <body name="b">
          <joint type="slide"/>
          <inertial pos="1 2 3" mass="3" fullinertia="1 2 2.5 0.1 0.2 0.3"/>
        </body>
      </worldbody>
    </mujoco>"#;
    let m = motornet_mjcf::parse_str(xml, "t.xml").unwrap();
    let g = &m.geoms[0];
    assert_eq!(g.size, [0.05, 0.2, 0.3]);
    assert!((g.mass - 100.0 * 8.0 * 0.05 * 0.2 * 0.3).abs() < 1e-12);
    let a = m.bodies[1].inertial.as_ref().unwrap();
    assert_eq!((a.pos, a.mass), ([0.0, 0.0, 0.1], 2.0));
    assert_eq!(
        a.inertia,
        motornet_mjcf::Inertia::Diagonal([0.1, 0.2, 0.25])
    );
    // euler="0 0 90" in degrees (the default unit): a quarter turn about z.
    assert!(
        close(&a.quat, &[FRAC_1_SQRT_2, 0.0, 0.0, FRAC_1_SQRT_2]),
        "{:?}",
        a.quat
    );
    let b = m.bodies[2].inertial.as_ref().unwrap();
    assert_eq!(
        b.inertia,
        motornet_mjcf::Inertia::Full([1.0, 2.0, 2.5, 0.1, 0.2, 0.3])
    );
    assert_eq!(b.quat, [1.0, 0.0, 0.0, 0.0]);
}
