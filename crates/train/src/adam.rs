//! Adam with gradient-norm clipping, as PyTorch computes them, with its state kept in plain
//! vectors so that checkpoints can save and restore it exactly.

use serde::{Deserialize, Serialize};

/// Adam's hyper-parameters (PyTorch's defaults but the learning rate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// β₁, decay of the first moment.
    pub beta1: f64,
    /// β₂, decay of the second moment.
    pub beta2: f64,
    /// ε added to the root of the second moment.
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Adam's state: step count and the two moment vectors (same length as the parameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// Hyper-parameters.
    pub config: AdamConfig,
    /// Updates made so far.
    pub t: u64,
    /// First moment.
    pub m: Vec<f32>,
    /// Second moment.
    pub v: Vec<f32>,
}

impl Adam {
    /// A fresh optimiser for `n` parameters.
    pub fn new(n: usize, config: AdamConfig) -> Self {
        Self {
            config,
            t: 0,
            m: vec![0.0; n],
            v: vec![0.0; n],
        }
    }

    /// One update of `params` with gradient `grad` and learning rate `lr` (PyTorch's
    /// `torch.optim.Adam`, bias-corrected).
    pub fn update(&mut self, params: &mut [f32], grad: &[f32], lr: f64) {
        self.update_masked(params, grad, lr, None);
    }

    /// [`Adam::update`] of the parameters whose `mask` entry is true (`None`: all); the
    /// others, and their moments, are left as they are (the step count advances).
    pub fn update_masked(
        &mut self,
        params: &mut [f32],
        grad: &[f32],
        lr: f64,
        mask: Option<&[bool]>,
    ) {
        self.t += 1;
        let c = self.config;
        let (b1, b2) = (c.beta1 as f32, c.beta2 as f32);
        let bc1 = 1.0 - c.beta1.powi(self.t as i32);
        let bc2 = 1.0 - c.beta2.powi(self.t as i32);
        let step = (lr / bc1) as f32;
        let inv_sqrt_bc2 = (1.0 / bc2.sqrt()) as f32;
        let eps = c.eps as f32;
        for (i, (((p, g), m), v)) in params
            .iter_mut()
            .zip(grad)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
            .enumerate()
        {
            if mask.is_some_and(|k| !k[i]) {
                continue;
            }
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= step * *m / (v.sqrt() * inv_sqrt_bc2 + eps);
        }
    }
}

/// The gradient's Euclidean norm (computed in f64).
pub fn grad_norm(grad: &[f32]) -> f64 {
    grad.iter()
        .map(|&g| f64::from(g) * f64::from(g))
        .sum::<f64>()
        .sqrt()
}

/// Scale `grad` so its norm is at most `max_norm` (PyTorch's `clip_grad_norm_`: factor
/// `max_norm / (norm + 1e-6)` when below 1). Returns the norm before clipping.
pub fn clip_grad_norm(grad: &mut [f32], max_norm: f64) -> f64 {
    let norm = grad_norm(grad);
    let coef = max_norm / (norm + 1e-6);
    if coef < 1.0 {
        let c = coef as f32;
        grad.iter_mut().for_each(|g| *g *= c);
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_adam_step_moves_each_parameter_by_lr_against_its_gradient_sign() {
        // after one step m̂ = g and v̂ = g², so the update is lr·g/(|g| + ε) ≈ lr·sign(g)
        let mut p = vec![1.0f32, -2.0, 0.5];
        let g = [0.3f32, -4.0, 0.0];
        let mut adam = Adam::new(3, AdamConfig::default());
        adam.update(&mut p, &g, 0.01);
        assert!((p[0] - 0.99).abs() < 1e-6);
        assert!((p[1] - (-1.99)).abs() < 1e-6);
        assert_eq!(p[2], 0.5);
    }

    #[test]
    fn second_adam_step_matches_the_formula() {
        // g₁ = 1, g₂ = 0.5: m = 0.9·0.1 + 0.1·0.5 = 0.14, v = 0.999·0.001 + 0.001·0.25
        let mut p = vec![0.0f32];
        let mut adam = Adam::new(1, AdamConfig::default());
        adam.update(&mut p, &[1.0], 0.1);
        let after_one = p[0];
        adam.update(&mut p, &[0.5], 0.1);
        let (m, v) = (0.14f64, 0.999 * 0.001 + 0.001 * 0.25);
        let m_hat = m / (1.0 - 0.81);
        let v_hat = v / (1.0 - 0.999f64 * 0.999);
        let want = f64::from(after_one) - 0.1 * m_hat / (v_hat.sqrt() + 1e-8);
        assert!((f64::from(p[0]) - want).abs() < 1e-6, "{} vs {want}", p[0]);
    }

    #[test]
    fn clipping_scales_to_the_max_norm_and_leaves_small_gradients_alone() {
        let mut g = vec![3.0f32, 4.0];
        assert_eq!(clip_grad_norm(&mut g, 1.0), 5.0);
        assert!((grad_norm(&g) - 1.0).abs() < 1e-5);
        assert!((g[0] / g[1] - 0.75).abs() < 1e-6);
        let mut small = vec![0.3f32, 0.4];
        clip_grad_norm(&mut small, 1.0);
        assert_eq!(small, vec![0.3, 0.4]);
    }
}
