//! Dual-number derivatives against central finite differences, Jacobians against finite
//! differences of positions, and f32 against f64.

use motornet_scalar::Dual64;
use motornet_skeleton::{PointMass, Scalar, Skeleton, TwoDofArm, TwoDofArmParams};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// A function of a packed input vector, evaluable in any scalar type.
trait Model {
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S>;
}

/// x = [q, qd, tau, load] → qdd.
struct Accel<'a, K: Skeleton>(&'a K);
impl<K: Skeleton> Model for Accel<'_, K> {
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
        let (n, d) = (self.0.dof(), self.0.space_dim());
        let mut out = vec![S::zero(); n];
        self.0.acceleration(
            &x[..n],
            &x[n..2 * n],
            &x[2 * n..3 * n],
            &x[3 * n..3 * n + d],
            &mut out,
        );
        out
    }
}

/// x = [q, qd] → [pos, vel].
struct Cartesian<'a, K: Skeleton>(&'a K);
impl<K: Skeleton> Model for Cartesian<'_, K> {
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
        let (n, d) = (self.0.dof(), self.0.space_dim());
        let mut out = vec![S::zero(); 2 * d];
        let (pos, vel) = out.split_at_mut(d);
        self.0.joint_to_cartesian(&x[..n], &x[n..2 * n], pos, vel);
        out
    }
}

/// x = q → [pos, dpos_dq (row-major)].
struct Point<'a, K: Skeleton> {
    sk: &'a K,
    body: usize,
    local: Vec<f64>,
}
impl<K: Skeleton> Model for Point<'_, K> {
    fn eval<S: Scalar>(&self, x: &[S]) -> Vec<S> {
        let (n, d) = (self.sk.dof(), self.sk.space_dim());
        let mut out = vec![S::zero(); d + d * n];
        let (pos, jac) = out.split_at_mut(d);
        self.sk
            .point_kinematics(self.body, &self.local, x, pos, jac);
        out
    }
}

/// Dual64 derivatives of every output w.r.t. every input match central differences.
fn check_duals<M: Model>(m: &M, x: &[f64]) -> Result<(), TestCaseError> {
    let y0 = m.eval(x);
    let scale = y0.iter().fold(1.0f64, |a, v| a.max(v.abs()));
    for j in 0..x.len() {
        let xd: Vec<Dual64> = x
            .iter()
            .enumerate()
            .map(|(k, &v)| Dual64::new(v, if k == j { 1.0 } else { 0.0 }))
            .collect();
        let yd = m.eval(&xd);
        let h = 1e-6 * x[j].abs().max(1.0);
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[j] += h;
        xm[j] -= h;
        let (yp, ym) = (m.eval(&xp), m.eval(&xm));
        for i in 0..y0.len() {
            prop_assert!(
                (yd[i].re - y0[i]).abs() <= 1e-14 * scale,
                "value {} of input {}",
                i,
                j
            );
            let fd = (yp[i] - ym[i]) / (2.0 * h);
            let tol = 1e-6 * fd.abs().max(yd[i].eps.abs()) + 1e-8 * scale;
            prop_assert!(
                (yd[i].eps - fd).abs() <= tol,
                "d out[{}] / d in[{}]: dual {} vs fd {} at {:?}",
                i,
                j,
                yd[i].eps,
                fd,
                x
            );
        }
    }
    Ok(())
}

fn arms() -> [TwoDofArm; 2] {
    [
        TwoDofArm::new(TwoDofArmParams {
            viscosity: 0.3,
            ..TwoDofArmParams::default()
        })
        .unwrap(),
        TwoDofArm::new(TwoDofArmParams::arm26()).unwrap(),
    ]
}

fn concat(parts: &[&[f64]]) -> Vec<f64> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

proptest! {
    #[test]
    fn arm_acceleration_derivatives(
        q in prop::array::uniform2(-3.5..3.5f64),
        qd in prop::array::uniform2(-6.0..6.0f64),
        tau in prop::array::uniform2(-10.0..10.0f64),
        f in prop::array::uniform2(-20.0..20.0f64),
    ) {
        for arm in arms() {
            check_duals(&Accel(&arm), &concat(&[&q, &qd, &tau, &f]))?;
        }
    }

    #[test]
    fn arm_cartesian_derivatives(
        q in prop::array::uniform2(-3.5..3.5f64),
        qd in prop::array::uniform2(-6.0..6.0f64),
    ) {
        for arm in arms() {
            check_duals(&Cartesian(&arm), &concat(&[&q, &qd]))?;
        }
    }

    #[test]
    fn arm_point_derivatives(
        q in prop::array::uniform2(-3.5..3.5f64),
        body in 0usize..3,
        local in prop::array::uniform2(-0.4..0.4f64),
    ) {
        for arm in arms() {
            check_duals(&Point { sk: &arm, body, local: local.to_vec() }, &q)?;
        }
    }

    #[test]
    fn point_mass_derivatives(
        x in prop::collection::vec(-5.0..5.0f64, 12),
        body in 0usize..2,
        mass in 0.1..10.0f64,
    ) {
        let pm = PointMass::new(3, mass).unwrap();
        check_duals(&Accel(&pm), &x)?;
        check_duals(&Cartesian(&pm), &x[..6])?;
        check_duals(&Point { sk: &pm, body, local: x[6..9].to_vec() }, &x[..3])?;
    }

    /// The Jacobian returned by point_kinematics is the derivative of the position it returns.
    #[test]
    fn point_jacobian_matches_finite_differences(
        q in prop::array::uniform2(-3.5..3.5f64),
        body in 0usize..3,
        local in prop::array::uniform2(-0.4..0.4f64),
    ) {
        for arm in arms() {
            let (mut p, mut jac) = ([0.0; 2], [0.0; 4]);
            arm.point_kinematics(body, &local, &q, &mut p, &mut jac);
            let h = 1e-6;
            for j in 0..2 {
                let (mut qp, mut qm) = (q, q);
                qp[j] += h;
                qm[j] -= h;
                let (mut pp, mut pm, mut scratch) = ([0.0; 2], [0.0; 2], [0.0; 4]);
                arm.point_kinematics(body, &local, &qp, &mut pp, &mut scratch);
                arm.point_kinematics(body, &local, &qm, &mut pm, &mut scratch);
                for i in 0..2 {
                    let fd = (pp[i] - pm[i]) / (2.0 * h);
                    prop_assert!((jac[i * 2 + j] - fd).abs() <= 1e-6 * fd.abs() + 1e-9);
                }
            }
        }
    }

    /// point_velocity is d pos / dt along q(t) = q + qd · t.
    #[test]
    fn point_velocity_is_time_derivative(
        q in prop::array::uniform2(-3.5..3.5f64),
        qd in prop::array::uniform2(-6.0..6.0f64),
        body in 0usize..3,
        local in prop::array::uniform2(-0.4..0.4f64),
    ) {
        for arm in arms() {
            let (mut p, mut jac, mut v) = ([0.0; 2], [0.0; 4], [0.0; 2]);
            arm.point_velocity(body, &local, &q, &qd, &mut p, &mut jac, &mut v);
            let h = 1e-6;
            let at = |t: f64| {
                let (mut p, mut scratch) = ([0.0; 2], [0.0; 4]);
                arm.point_kinematics(body, &local, &[q[0] + qd[0] * t, q[1] + qd[1] * t], &mut p, &mut scratch);
                p
            };
            let (pp, pm) = (at(h), at(-h));
            for i in 0..2 {
                let fd = (pp[i] - pm[i]) / (2.0 * h);
                prop_assert!((v[i] - fd).abs() <= 1e-6 * fd.abs() + 1e-8, "{} vs {}", v[i], fd);
            }
        }
    }

    #[test]
    fn f32_and_f64_acceleration_agree(
        q in prop::array::uniform2(-3.5..3.5f64),
        qd in prop::array::uniform2(-6.0..6.0f64),
        tau in prop::array::uniform2(-10.0..10.0f64),
        f in prop::array::uniform2(-20.0..20.0f64),
    ) {
        // inputs representable in f32, so both precisions see the same numbers
        let r = |a: [f64; 2]| a.map(|v| v as f32);
        let w = |a: [f32; 2]| a.map(|v| v as f64);
        let (q32, qd32, tau32, f32_) = (r(q), r(qd), r(tau), r(f));
        for arm in arms() {
            let mut a64 = [0.0f64; 2];
            arm.acceleration(&w(q32), &w(qd32), &w(tau32), &w(f32_), &mut a64);
            let mut a32 = [0.0f32; 2];
            arm.acceleration(&q32, &qd32, &tau32, &f32_, &mut a32);
            let scale = a64[0].abs().max(a64[1].abs()).max(1.0);
            for i in 0..2 {
                prop_assert!(
                    (a32[i] as f64 - a64[i]).abs() <= 1e-4 * scale,
                    "f32 {:?} vs f64 {:?}", a32, a64
                );
            }
        }
    }
}
