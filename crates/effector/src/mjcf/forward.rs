//! What MuJoCo's `mj_forward` computes, from an effector built from an MJCF model.

use super::fixture::{FixtureState, ForwardQuantities};
use super::{spec_from_mjcf, tendon_elements};
use crate::error::EffectorError;
use crate::geometry::Geometry;
use crate::skeleton::AnySkeleton;
use crate::spatial::SpatialTendons;
use crate::spec::DynEffector;
use motornet_mjcf::MjcfModel;
use motornet_muscle::{AnyMuscle, MujocoMuscle};
use motornet_skeleton::{KinematicTree, Skeleton};

/// An MJCF model with its effector ([`spec_from_mjcf`]) and the geometry of every tendon of the
/// model (also those no muscle acts on), for [`forward`].
#[derive(Debug)]
pub struct ForwardModel {
    /// The model as read.
    pub model: MjcfModel,
    /// Its effector.
    pub effector: DynEffector,
    tendons: Option<SpatialTendons>,
}

impl ForwardModel {
    /// Build the effector of `model` and the geometry of all its tendons.
    pub fn new(model: MjcfModel) -> Result<Self, EffectorError> {
        let effector = spec_from_mjcf(&model)?.build()?;
        let tendons = if model.tendons.is_empty() {
            None
        } else {
            Some(SpatialTendons::new(
                (0..model.tendons.len())
                    .map(|t| tendon_elements(&model, t))
                    .collect(),
            )?)
        };
        Ok(Self {
            model,
            effector,
            tendons,
        })
    }

    fn tree(&self) -> &KinematicTree {
        match self.effector.skeleton() {
            AnySkeleton::KinematicTree(t) => t,
            _ => unreachable!("spec_from_mjcf builds a KinematicTree"),
        }
    }

    fn muscle(&self) -> &MujocoMuscle {
        match self.effector.muscle() {
            AnyMuscle::Mujoco(m) => m,
            _ => unreachable!("spec_from_mjcf builds MujocoMuscle muscles"),
        }
    }
}

/// `qpos`, `qvel`, `act` and `ctrl` of `state` checked against the model's sizes.
fn check_state(fm: &ForwardModel, state: &FixtureState) -> Result<(), EffectorError> {
    let (nv, nu) = (fm.model.nv(), fm.model.muscles.len());
    for (name, len, want) in [
        ("qpos", state.qpos.len(), nv),
        ("qvel", state.qvel.len(), nv),
        ("act", state.act.len(), nu),
        ("ctrl", state.ctrl.len(), nu),
    ] {
        if len != want {
            return Err(EffectorError::invalid(
                &format!("state.{name}"),
                &format!("has {len} entries, the model needs {want}"),
            ));
        }
    }
    Ok(())
}

/// What `mj_forward` computes at `state` (MuJoCo's quantities and sign conventions: actuator
/// forces negative, `actuator_moment = d length / d q`), from the effector's own code: the tree's
/// mass matrix, bias and passive forces and accelerations, the tendons' lengths, velocities and
/// moment arms, and the muscles' forces and activation rates.
pub fn forward(
    fm: &ForwardModel,
    state: &FixtureState,
) -> Result<ForwardQuantities, EffectorError> {
    check_state(fm, state)?;
    let tree = fm.tree();
    let muscle = fm.muscle();
    let (q, qd) = (&state.qpos[..], &state.qvel[..]);
    let nv = q.len();
    let mut out = ForwardQuantities::default();

    let mut m = vec![0.0; nv * nv];
    tree.mass_matrix(q, &mut m);
    out.mass_matrix = m.chunks(nv).map(<[f64]>::to_vec).collect();
    out.qfrc_bias = vec![0.0; nv];
    tree.bias_forces(q, qd, &mut out.qfrc_bias);
    out.qfrc_passive = vec![0.0; nv];
    tree.passive_forces(qd, &mut out.qfrc_passive);

    // every tendon of the model
    if let Some(t) = &fm.tendons {
        let n = t.n_muscles();
        let (mut len, mut vel, mut mom) = (vec![0.0; n], vec![0.0; n], vec![0.0; n * nv]);
        t.compute(tree, q, qd, &mut len, &mut vel, &mut mom);
        out.ten_length = len;
        out.ten_velocity = vel;
    }
    // the muscles' tendons, through the effector's geometry
    let nu = fm.model.muscles.len();
    let (mut len, mut vel, mut mom) = (vec![0.0; nu], vec![0.0; nu], vec![0.0; nu * nv]);
    fm.effector
        .geometry()
        .compute(tree, q, qd, &mut len, &mut vel, &mut mom);
    // the geometry's moment arms are [dof][M] (one row of muscles per joint)
    out.actuator_moment = (0..nu)
        .map(|u| (0..nv).map(|j| mom[j * nu + u]).collect())
        .collect();
    out.actuator_force = (0..nu)
        .map(|u| muscle.actuator_force(u, state.act[u], len[u], vel[u]))
        .collect();
    out.act_dot = (0..nu)
        .map(|u| muscle.act_dot(u, state.ctrl[u], state.act[u]))
        .collect();
    out.qfrc_actuator = (0..nv)
        .map(|j| {
            (0..nu)
                .map(|u| mom[j * nu + u] * out.actuator_force[u])
                .sum()
        })
        .collect();
    out.actuator_length = len;
    out.actuator_velocity = vel;
    out.qacc = vec![0.0; nv];
    tree.acceleration(q, qd, &out.qfrc_actuator, &[], &mut out.qacc);

    let mut jac = vec![0.0; 3 * nv];
    for (i, s) in fm.model.sites.iter().enumerate() {
        let mut p = [0.0; 3];
        tree.point_kinematics(s.body, &s.pos, q, &mut p, &mut jac);
        let name = s.name.clone().unwrap_or_else(|| format!("site{i}"));
        out.site_xpos.insert(name, p);
    }
    Ok(out)
}
