//! MuJoCo forward-dynamics reference data (the format of `../shared/mujoco/*.json`) and the rule
//! that compares computed quantities with it.
//!
//! A fixture names its MJCF model (relative to the fixture file), lists states (`qpos`, `qvel`,
//! `act`, `ctrl`) and, for each, what MuJoCo's `mj_forward` computes from it
//! ([`ForwardQuantities`]). [`compare`] applies the rule of the reference data: per quantity and
//! per component (the last axes), scale = max |expected| over the states; the error is the worst
//! |got − expected| / (scale + 1e-9).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One state of a fixture: MuJoCo's `qpos [nq]`, `qvel [nv]`, `act [na]` and `ctrl [nu]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureState {
    /// Joint positions (rad for hinges, m for slides).
    pub qpos: Vec<f64>,
    /// Joint velocities (rad/s, m/s).
    pub qvel: Vec<f64>,
    /// Actuator activations (dimensionless).
    pub act: Vec<f64>,
    /// Controls (dimensionless).
    pub ctrl: Vec<f64>,
}

/// What `mj_forward` computes at one state (all SI; forces in N or N·m).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardQuantities {
    /// Joint accelerations `[nv]`.
    pub qacc: Vec<f64>,
    /// Coriolis, centrifugal and gravity forces `[nv]` (M·qacc = actuator + passive − bias).
    pub qfrc_bias: Vec<f64>,
    /// Passive forces `[nv]` (joint damping here).
    pub qfrc_passive: Vec<f64>,
    /// Actuator forces in joint space `[nv]`.
    pub qfrc_actuator: Vec<f64>,
    /// Joint-space mass matrix `[nv][nv]`, armature included.
    pub mass_matrix: Vec<Vec<f64>>,
    /// Tendon lengths `[ntendon]` (m).
    pub ten_length: Vec<f64>,
    /// Tendon velocities `[ntendon]` (m/s).
    pub ten_velocity: Vec<f64>,
    /// Actuator lengths `[nu]` (m).
    pub actuator_length: Vec<f64>,
    /// Actuator velocities `[nu]` (m/s).
    pub actuator_velocity: Vec<f64>,
    /// `d actuator_length / d q` `[nu][nv]` (m/rad or dimensionless).
    pub actuator_moment: Vec<Vec<f64>>,
    /// Actuator forces `[nu]` (N, negative when a muscle pulls).
    pub actuator_force: Vec<f64>,
    /// Activation rates `[na]` (1/s).
    pub act_dot: Vec<f64>,
    /// World positions of the sites (m), by name.
    pub site_xpos: BTreeMap<String, [f64; 3]>,
}

/// A forward-dynamics fixture (one `../shared/mujoco/*.json` file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardFixture {
    /// Model name.
    pub name: String,
    /// The MJCF model file, relative to the fixture file.
    pub model: String,
    /// What computed the expected values.
    pub generator: String,
    /// Number of joint positions.
    pub nq: usize,
    /// Number of joint velocities.
    pub nv: usize,
    /// Number of actuators.
    pub nu: usize,
    /// Number of activations.
    pub na: usize,
    /// Number of tendons.
    pub ntendon: usize,
    /// Joint names, in model order.
    pub joint_names: Vec<String>,
    /// Actuator names, in model order.
    pub actuator_names: Vec<String>,
    /// The states.
    pub states: Vec<FixtureState>,
    /// What MuJoCo computed at each state, in the same order.
    pub expected: Vec<ForwardQuantities>,
    /// How many (state, tendon) pairs wrap around a geom (informational).
    #[serde(default)]
    pub wrapped_tendon_states: Option<usize>,
}

impl ForwardFixture {
    /// Read a fixture file; errors name the file.
    pub fn read(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let f: Self = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a forward fixture: {e}", path.display()))?;
        f.check().map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(f)
    }

    /// Check the counts: every state and expected entry has the sizes the header gives.
    pub fn check(&self) -> Result<(), String> {
        if self.states.len() != self.expected.len() {
            return Err(format!(
                "{} states but {} expected entries",
                self.states.len(),
                self.expected.len()
            ));
        }
        for (i, s) in self.states.iter().enumerate() {
            for (name, len, want) in [
                ("qpos", s.qpos.len(), self.nq),
                ("qvel", s.qvel.len(), self.nv),
                ("act", s.act.len(), self.na),
                ("ctrl", s.ctrl.len(), self.nu),
            ] {
                if len != want {
                    return Err(format!(
                        "state {i}: {name} has {len} entries, expected {want}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The outcome of [`compare`].
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The worst relative error over every quantity and component.
    pub max_rel_err: f64,
    /// Where it is: `quantity[component]` (e.g. `mass_matrix[1][2]`, `site_xpos[tip][0]`).
    pub worst: String,
    /// The worst relative error of each quantity, by name.
    pub per_quantity: BTreeMap<String, f64>,
}

/// One component over the states: the expected values and the computed ones (`None`: missing).
type Column = (Vec<f64>, Vec<Option<f64>>);
/// A vector quantity: its name, expected and computed values.
type VectorPair<'a> = (&'a str, &'a Vec<f64>, Option<&'a Vec<f64>>);
/// A matrix quantity: its name, expected and computed values.
type MatrixPair<'a> = (&'a str, &'a Vec<Vec<f64>>, Option<&'a Vec<Vec<f64>>>);

/// Compare computed quantities with the expected ones, state by state, with the reference data's
/// rule (module docs). A quantity missing or of the wrong size in `got` counts as an infinite error
/// there, so a comparison never passes by leaving something out.
pub fn compare(expected: &[ForwardQuantities], got: &[ForwardQuantities]) -> Comparison {
    // component name → (expected values, got values) over the states
    let mut columns: BTreeMap<(String, String), Column> = BTreeMap::new();
    for (k, e) in expected.iter().enumerate() {
        let g = got.get(k);
        let mut push = |quantity: &str, component: String, exp: f64, got: Option<f64>| {
            let c = columns
                .entry((quantity.to_string(), component))
                .or_default();
            c.0.push(exp);
            c.1.push(got);
        };
        let vectors: [VectorPair; 10] = [
            ("qacc", &e.qacc, g.map(|g| &g.qacc)),
            ("qfrc_bias", &e.qfrc_bias, g.map(|g| &g.qfrc_bias)),
            ("qfrc_passive", &e.qfrc_passive, g.map(|g| &g.qfrc_passive)),
            (
                "qfrc_actuator",
                &e.qfrc_actuator,
                g.map(|g| &g.qfrc_actuator),
            ),
            ("ten_length", &e.ten_length, g.map(|g| &g.ten_length)),
            ("ten_velocity", &e.ten_velocity, g.map(|g| &g.ten_velocity)),
            (
                "actuator_length",
                &e.actuator_length,
                g.map(|g| &g.actuator_length),
            ),
            (
                "actuator_velocity",
                &e.actuator_velocity,
                g.map(|g| &g.actuator_velocity),
            ),
            (
                "actuator_force",
                &e.actuator_force,
                g.map(|g| &g.actuator_force),
            ),
            ("act_dot", &e.act_dot, g.map(|g| &g.act_dot)),
        ];
        for (name, exp, got) in vectors {
            let got = got.filter(|v| v.len() == exp.len());
            for (i, &x) in exp.iter().enumerate() {
                push(name, format!("[{i}]"), x, got.map(|v| v[i]));
            }
        }
        let matrices: [MatrixPair; 2] = [
            ("mass_matrix", &e.mass_matrix, g.map(|g| &g.mass_matrix)),
            (
                "actuator_moment",
                &e.actuator_moment,
                g.map(|g| &g.actuator_moment),
            ),
        ];
        for (name, exp, got) in matrices {
            let got = got.filter(|m| {
                m.len() == exp.len() && m.iter().zip(exp).all(|(a, b)| a.len() == b.len())
            });
            for (i, row) in exp.iter().enumerate() {
                for (j, &x) in row.iter().enumerate() {
                    push(name, format!("[{i}][{j}]"), x, got.map(|m| m[i][j]));
                }
            }
        }
        for (site, exp) in &e.site_xpos {
            let got = g.and_then(|g| g.site_xpos.get(site));
            for (i, &x) in exp.iter().enumerate() {
                push("site_xpos", format!("[{site}][{i}]"), x, got.map(|p| p[i]));
            }
        }
    }
    let mut out = Comparison {
        max_rel_err: 0.0,
        worst: String::new(),
        per_quantity: BTreeMap::new(),
    };
    for ((quantity, component), (exp, got)) in &columns {
        let scale = exp.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let mut err = 0.0f64;
        for (x, g) in exp.iter().zip(got) {
            let e = match g {
                Some(g) if g.is_finite() => (g - x).abs() / (scale + 1e-9),
                _ => f64::INFINITY,
            };
            err = err.max(e);
        }
        let q = out.per_quantity.entry(quantity.clone()).or_insert(0.0);
        *q = q.max(err);
        if err > out.max_rel_err || out.worst.is_empty() {
            out.max_rel_err = err;
            out.worst = format!("{quantity}{component}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(qacc: Vec<f64>) -> ForwardQuantities {
        ForwardQuantities {
            qacc,
            ..Default::default()
        }
    }

    #[test]
    fn the_scale_is_per_component_over_the_states() {
        // component 0 spans 100, component 1 spans 1: an error of 0.5 in component 0 is
        // 0.005 relative, the same error in component 1 is 0.5
        let exp = [one(vec![100.0, 1.0]), one(vec![-50.0, 0.5])];
        let got = [one(vec![100.5, 1.0]), one(vec![-50.0, 0.5])];
        let c = compare(&exp, &got);
        assert!((c.max_rel_err - 0.005).abs() < 1e-9, "{c:?}");
        assert_eq!(c.worst, "qacc[0]");
        let got = [one(vec![100.0, 1.5]), one(vec![-50.0, 0.5])];
        let c = compare(&exp, &got);
        assert!((c.max_rel_err - 0.5).abs() < 1e-6, "{c:?}");
        assert_eq!(c.worst, "qacc[1]");
    }

    #[test]
    fn a_missing_or_non_finite_quantity_fails() {
        let exp = [one(vec![1.0, 2.0])];
        assert_eq!(compare(&exp, &[one(vec![1.0])]).max_rel_err, f64::INFINITY);
        assert_eq!(compare(&exp, &[]).max_rel_err, f64::INFINITY);
        assert_eq!(
            compare(&exp, &[one(vec![1.0, f64::NAN])]).max_rel_err,
            f64::INFINITY
        );
        assert_eq!(compare(&exp, &[one(vec![1.0, 2.0])]).max_rel_err, 0.0);
    }
}
