//! [`CompliantTendonHillMuscle`]: Kistemaker, Wong & Gribble (2010) with a compliant tendon.

use crate::rigid_hill::{b_rel_st, kistemaker_flce, validate_hill, HillConstants, K_SE, S_AS};
use crate::{
    ActivationDynamics, BuiltinMuscle, HillParams, MuscleError, MuscleModel, MuscleParamSet,
};
use motornet_scalar::params::{ParamDecl, ParamSet};
use motornet_scalar::{select, Scalar};

/// Hill-type muscle of Kistemaker, Wong & Gribble (2010) with a compliant (elastic) tendon.
///
/// The fibre length l is a state with its own ODE. Tendon force (in F_max) is
/// f_se = min(1, k_se · max(0, (l_mt − l − l0_se)/l0_se)²) with k_se = 1/0.04²; passive fibre
/// force f_pe = k_pe · max(0, (l − l0_pe)/l0_ce)²; the active force the contractile element must
/// produce is max(0, f_se − f_pe), and the fibre velocity follows by inverting the
/// force–velocity relation at the current activation and force–length factor. The muscle
/// pulls with F_max · f_se.
///
/// State (7 per muscle): activation, fibre length (m), fibre velocity (m/s), force–length PE,
/// force–length SE, active force (in F_max), force (N). Derivative (2 per muscle): activation
/// rate (1/s) and normalised fibre velocity (optimal lengths per second).
///
/// The initial state starts from the static equilibrium of tendon and passive fibre forces
/// (fibre at zero activation) and takes one integration step of `dt`, as MotorNet does.
/// MotorNet defaults: `min_activation` 0.01, τ_act 15 ms, τ_deact 50 ms,
/// `normalized_slack_muscle_length` 1.4. Small time steps are needed (MotorNet's
/// `CompliantTendonArm26` uses 0.2 ms with RK4).
///
/// As in MotorNet 0.3.0, the lengthening coefficient `a_rel_st` is scaled by the force–length
/// factor for fibres *shorter* than optimal here, whereas the rigid-tendon model scales it for
/// fibres longer than optimal.
///
/// Reference: Kistemaker DA, Wong JD, Gribble PL (2010). *J Neurophysiol* 104(6):2985–2994.
#[derive(Debug, Clone, PartialEq)]
pub struct CompliantTendonHillMuscle {
    activation: ActivationDynamics,
    params: Vec<HillParams>,
    k: Vec<HillConstants>,
}

impl CompliantTendonHillMuscle {
    /// MotorNet's default activation dynamics for this model.
    pub const DEFAULT_ACTIVATION: ActivationDynamics = ActivationDynamics {
        min_activation: 0.01,
        tau_activation: 0.015,
        tau_deactivation: 0.05,
    };
    /// MotorNet's default `normalized_slack_muscle_length`.
    pub const DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH: f64 = 1.4;

    /// Build a validated model with one entry of `muscles` per muscle.
    pub fn new(
        activation: ActivationDynamics,
        muscles: Vec<HillParams>,
    ) -> Result<Self, MuscleError> {
        validate_hill(&activation, &muscles)?;
        let k: Vec<HillConstants> = muscles.iter().map(HillConstants::new).collect();
        for (i, (p, k)) in muscles.iter().zip(&k).enumerate() {
            let den = k.k_pe * k.l0_se * k.l0_se - K_SE * k.l0_ce * k.l0_ce;
            if den.abs() < 1e-12 * K_SE * k.l0_ce * k.l0_ce {
                return Err(MuscleError::InvalidMuscleParameter {
                    index: i,
                    muscle: p.name.clone(),
                    parameter: "tendon_length",
                    value: p.tendon_length,
                    reason: "makes the tendon and passive fibre equally stiff, so the initial \
                             equilibrium is undefined",
                });
            }
        }
        Ok(Self {
            activation,
            params: muscles,
            k,
        })
    }

    /// The per-muscle parameters.
    pub fn params(&self) -> &[HillParams] {
        &self.params
    }

    /// Normalised fibre velocity (optimal lengths per second) at which the contractile element
    /// produces `active_force` (in F_max) at this activation and normalised fibre length.
    fn normalized_velocity<S: Scalar>(&self, len_n: S, activation: S, active_force: S) -> S {
        let c = S::c;
        let flce = kistemaker_flce(len_n);
        let a_rel_st = select(len_n.lt(S::one()), c(0.41) * flce, c(0.41));
        let b_rel_st = b_rel_st(activation);
        let f_x_a = flce * activation;
        let dfdvcon0 = (f_x_a + activation * a_rel_st) / b_rel_st;
        // one division shared by p1 and the p2 term (divisions dominate this function)
        let inv_den = S::one() / (c(S_AS) - dfdvcon0 * c(2.0));
        let half = f_x_a * c(0.5);
        let p1 = -half * inv_den;
        let p3 = c(-1.5) * f_x_a;
        let p2_term = c(4.0) * half * half * c(-S_AS) * inv_den;
        let f = active_force;
        let sqrt_term = (f * f
            + c(2.0) * f * p1 * c(S_AS)
            + c(2.0) * f * p3
            + p1 * p1 * c(S_AS * S_AS)
            + c(2.0) * p1 * p3 * c(S_AS)
            + p2_term
            + p3 * p3)
            .clamp_min(S::zero());
        // √0 = 0 taken as a constant: a dual number's √ at 0 has slope ∞, and ∞ · 0 is NaN
        // (at zero activation with a slack tendon every term is 0 and the derivative with it)
        let root = select(sqrt_term.gt(S::zero()), sqrt_term.sqrt(), S::zero());
        let concentric = f.lt(f_x_a);
        let nom = select(
            concentric,
            b_rel_st * (f - f_x_a),
            -f + p1 * c(S_AS) - p3 - root,
        );
        let den = select(concentric, f + activation * a_rel_st, c(-2.0 * S_AS));
        nom / den
    }
}

impl BuiltinMuscle for CompliantTendonHillMuscle {
    const NAME: &'static str = "CompliantTendonHillMuscle";
    const SUMMARY: &'static str =
        "Kistemaker et al. (2010), compliant tendon; needs small steps (the preset: 0.2 ms, RK4)";
    const DEFAULT_ACTIVATION: ActivationDynamics = CompliantTendonHillMuscle::DEFAULT_ACTIVATION;
    const MUSCLE_PARAMS: &'static [ParamDecl] = &crate::params::hill_muscle_params(
        CompliantTendonHillMuscle::DEFAULT_NORMALIZED_SLACK_MUSCLE_LENGTH,
    );

    fn from_params(
        activation: ActivationDynamics,
        _model: &ParamSet,
        muscles: &[MuscleParamSet],
    ) -> Result<Self, MuscleError> {
        Self::new(
            activation,
            muscles.iter().map(HillParams::from_param_set).collect(),
        )
    }
}

impl MuscleModel for CompliantTendonHillMuscle {
    fn name(&self) -> &'static str {
        <Self as BuiltinMuscle>::NAME
    }
    fn state_names(&self) -> &'static [&'static str] {
        &[
            "activation",
            "muscle length",
            "muscle velocity",
            "force-length PE",
            "force-length SE",
            "active force",
            "force",
        ]
    }
    fn read_states(&self) -> &'static [usize] {
        &[0, 1, 5]
    }
    fn n_derivatives(&self) -> usize {
        2
    }
    fn n_muscles(&self) -> usize {
        self.k.len()
    }
    fn muscle_name(&self, m: usize) -> &str {
        &self.params[m].name
    }
    fn activation(&self) -> &ActivationDynamics {
        &self.activation
    }
    fn max_isometric_force(&self, m: usize) -> f64 {
        self.k[m].f_max
    }
    fn proprioception<S: Scalar>(&self, m: usize, state: &[S], _len: S, _vel: S) -> [S; 2] {
        crate::fibre_proprioception(self.proprioception_scale(m), state)
    }
    fn proprioception_scale(&self, m: usize) -> (f64, f64) {
        (self.k[m].l0_ce, self.k[m].vmax)
    }

    fn initial_state<S: Scalar>(&self, m: usize, mt_len: S, _mt_vel: S, dt: f64, state: &mut [S]) {
        let k = &self.k[m];
        let c = S::c;
        let a = c(self.activation.min_activation);
        // Static equilibrium guess for the fibre length.
        let (l0_se, l0_ce, l0_pe, k_pe) = (k.l0_se, k.l0_ce, k.l0_pe, k.k_pe);
        let equilibrium = (c(k_pe * l0_pe * l0_se * l0_se) - c(K_SE * l0_ce * l0_ce) * mt_len
            + c(K_SE * l0_ce * l0_ce * l0_se)
            - c(l0_ce * l0_se * (k_pe * K_SE).sqrt()) * (-mt_len + c(l0_pe + l0_se)))
            / c(k_pe * l0_se * l0_se - K_SE * l0_ce * l0_ce);
        let len = select(
            mt_len.lt(S::zero()),
            c(-1.0),
            select(
                mt_len.lt(c(l0_se)),
                c(0.001 * l0_ce),
                select(mt_len.lt(c(l0_se + l0_pe)), mt_len - c(l0_se), equilibrium),
            ),
        );
        let tendon_strain = ((mt_len - len - c(l0_se)) / c(l0_se)).clamp_min(S::zero());
        let muscle_strain = ((len - c(l0_pe)) / c(l0_ce)).clamp_min(S::zero());
        let flse = (c(K_SE) * tendon_strain * tendon_strain).clamp_max(S::one());
        let flpe = (c(k_pe) * muscle_strain * muscle_strain).clamp_max(S::one());
        let active = (flse - flpe).clamp_min(S::zero());
        let vel_n = self.normalized_velocity(len / c(l0_ce), a, active);
        let mut rest = [S::zero(); 7];
        rest[0] = a;
        rest[1] = len;
        self.integrate(m, dt, &[S::zero(), vel_n], &rest, mt_len, S::zero(), state);
    }

    fn derivative<S: Scalar>(&self, m: usize, excitation: S, state: &[S], derivative: &mut [S]) {
        let a = state[0];
        derivative[0] = self.activation.derivative(excitation, a);
        derivative[1] = self.normalized_velocity(state[1] * S::c(self.k[m].inv_l0_ce), a, state[5]);
    }

    fn integrate<S: Scalar>(
        &self,
        m: usize,
        dt: f64,
        derivative: &[S],
        state: &[S],
        mt_len: S,
        _mt_vel: S,
        new_state: &mut [S],
    ) {
        let k = &self.k[m];
        let c = S::c;
        let len = state[1];
        let tendon_strain = ((mt_len - len - c(k.l0_se)) * c(k.inv_l0_se)).clamp_min(S::zero());
        let muscle_strain = ((len - c(k.l0_pe)) * c(k.inv_l0_ce)).clamp_min(S::zero());
        let flse = (c(K_SE) * tendon_strain * tendon_strain).clamp_max(S::one());
        let flpe = c(k.k_pe) * muscle_strain * muscle_strain;
        let active = (flse - flpe).clamp_min(S::zero());
        let vel_n = derivative[1];
        new_state[0] = self.activation.step(dt, state[0], derivative[0]);
        new_state[1] = (len * c(k.inv_l0_ce) + c(dt) * vel_n) * c(k.l0_ce);
        new_state[2] = vel_n * c(k.vmax);
        new_state[3] = flpe;
        new_state[4] = flse;
        new_state[5] = active;
        new_state[6] = flse * c(k.f_max);
    }
}
