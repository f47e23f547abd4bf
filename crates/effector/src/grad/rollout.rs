//! [`Effector::rollout_vjp`]: backpropagation through time of an open-loop rollout.

use super::{RolloutGradient, StepGradient};
use crate::effector::{Effector, State};
use crate::error::EffectorError;
use crate::geometry::Geometry;
use motornet_muscle::MuscleModel;
use motornet_skeleton::Skeleton;

impl<K: Skeleton, M: MuscleModel, G: Geometry> Effector<K, M, G> {
    /// Gradient of a scalar loss of an open-loop rollout (backpropagation through time).
    ///
    /// The rollout starts from `joint0` (`[q, q̇]`) and takes one step per row of `excitation`
    /// (`[T][M]`), with optional per-step loads (`[T][space_dim]`, `[T][dof]`). `loss_grad(t,
    /// state_t, grad)` is called for t = T, T−1, …, 0 and must *add* ∂L/∂state_t (the loss's
    /// direct dependence on that state) into `grad`, which already holds what flows back from
    /// later steps. Returns ∂L/∂ of the initial joint state, every excitation and
    /// every load. Errors if an input has the wrong size or a state becomes non-finite.
    pub fn rollout_vjp(
        &self,
        joint0: &[f64],
        excitation: &[Vec<f64>],
        endpoint_load: Option<&[Vec<f64>]>,
        joint_load: Option<&[Vec<f64>]>,
        mut loss_grad: impl FnMut(usize, &State<f64>, &mut State<f64>),
    ) -> Result<RolloutGradient, EffectorError> {
        self.check_joint_state(joint0, "initial_joint_state")?;
        let t_len = excitation.len();
        let (dof, d, n_m) = (self.dof(), self.space_dim(), self.n_muscles());
        let row = |name: &str, v: &[f64], n: usize, t: usize| -> Result<(), EffectorError> {
            if v.len() == n && v.iter().all(|x| x.is_finite()) {
                Ok(())
            } else {
                Err(EffectorError::Input {
                    input: format!("{name}[{t}]"),
                    reason: format!("needs {n} finite values, got {v:?}"),
                })
            }
        };
        for t in 0..t_len {
            row("excitation", &excitation[t], n_m, t)?;
            if let Some(l) = endpoint_load {
                row("endpoint_load", l.get(t).map_or(&[][..], |r| r), d, t)?;
            }
            if let Some(l) = joint_load {
                row("joint_load", l.get(t).map_or(&[][..], |r| r), dof, t)?;
            }
        }
        let mut joint = joint0.to_vec();
        joint.resize(2 * dof, 0.0);
        // forward pass, keeping every state
        let mut states = Vec::with_capacity(t_len + 1);
        let mut s = self.zero_state::<f64>();
        self.reset(&joint, &mut s);
        let mut ws = self.workspace::<f64>();
        let load = |l: Option<&[Vec<f64>]>, t: usize| l.map_or(Vec::new(), |l| l[t].clone());
        states.push(s.clone());
        for t in 0..t_len {
            self.step(
                &mut s,
                &excitation[t],
                &load(endpoint_load, t),
                &load(joint_load, t),
                &mut ws,
            );
            if let Some(e) = self.find_non_finite(&s, t + 1, 0) {
                return Err(e);
            }
            states.push(s.clone());
        }
        // backward pass
        let mut grad = self.zero_state::<f64>();
        loss_grad(t_len, &states[t_len], &mut grad);
        let mut out = RolloutGradient {
            initial_joint: vec![],
            excitation: vec![vec![]; t_len],
            endpoint_load: vec![vec![]; t_len],
            joint_load: vec![vec![]; t_len],
        };
        let mut g = StepGradient::default();
        for t in (0..t_len).rev() {
            let (el, jl) = (load(endpoint_load, t), load(joint_load, t));
            self.step_vjp_unfolded_into(&states[t], &excitation[t], &el, &jl, &grad, &mut g);
            out.excitation[t].clone_from(&g.excitation);
            out.endpoint_load[t].clone_from(&g.endpoint_load);
            out.joint_load[t].clone_from(&g.joint_load);
            std::mem::swap(&mut grad, &mut g.state);
            loss_grad(t, &states[t], &mut grad);
        }
        out.initial_joint = self.reset_vjp(&joint, &grad);
        Ok(out)
    }
}
