//! [`Pca`]: principal components of activity recorded as `[samples, units]`.

use nalgebra::{DMatrix, SymmetricEigen};

use crate::error::{check_matrix, AnalysisError};

/// Principal components of activity `[samples, units]` (row-major: one row per sample, e.g.
/// one per reach and time step, `samples = B · T`).
///
/// Each unit is centred on its mean over all samples; the components are the eigenvectors of
/// the units' covariance (denominator `samples − 1`), sorted by decreasing variance. Each
/// component is a unit vector over the units, signed so that its entry of largest magnitude is
/// positive (the first such entry when several tie), which makes the result deterministic.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    units: usize,
    samples: usize,
    /// `[units]`: each unit's mean over the samples.
    mean: Vec<f64>,
    /// `[units, units]` row-major: row `k` is component `k`'s loadings over the units.
    components: Vec<f64>,
    /// `[units]`: the variance along each component (activity units squared), decreasing.
    variances: Vec<f64>,
}

impl Pca {
    /// Fits the principal components of `activity`, `[samples, units]` row-major (activity in
    /// any units; the variances are in those units squared).
    ///
    /// # Errors
    ///
    /// [`AnalysisError::Empty`] if `units` or `samples` is 0, [`AnalysisError::Length`] if
    /// `activity.len() != samples · units`, [`AnalysisError::NonFinite`] for a NaN or
    /// infinity, [`AnalysisError::TooFewSamples`] for a single sample and
    /// [`AnalysisError::NoVariance`] if no unit varies.
    pub fn fit(activity: &[f64], samples: usize, units: usize) -> Result<Pca, AnalysisError> {
        check_matrix("activity", activity, ("samples", samples), ("units", units))?;
        if samples < 2 {
            return Err(AnalysisError::TooFewSamples { samples });
        }
        let n = samples as f64;
        let mut mean = vec![0.0; units];
        for row in activity.chunks_exact(units) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let centred = DMatrix::from_fn(samples, units, |i, j| activity[i * units + j] - mean[j]);
        let covariance = (centred.transpose() * &centred) / (n - 1.0);
        let total: f64 = covariance.diagonal().iter().sum();
        if total <= 0.0 {
            return Err(AnalysisError::NoVariance { samples });
        }
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..units).collect();
        // decreasing variance; ties keep the decomposition's order (a stable sort)
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let mut components = Vec::with_capacity(units * units);
        let mut variances = Vec::with_capacity(units);
        for &k in &order {
            let v = eigen.eigenvectors.column(k);
            let largest = (0..units).fold(
                0,
                |best, i| {
                    if v[i].abs() > v[best].abs() {
                        i
                    } else {
                        best
                    }
                },
            );
            let sign = if v[largest] < 0.0 { -1.0 } else { 1.0 };
            components.extend(v.iter().map(|x| sign * x));
            // rounding can leave a zero eigenvalue slightly negative
            variances.push(eigen.eigenvalues[k].max(0.0));
        }
        Ok(Pca {
            units,
            samples,
            mean,
            components,
            variances,
        })
    }

    /// The number of units (and of components).
    pub fn units(&self) -> usize {
        self.units
    }

    /// The number of samples fitted.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// `[units]`: each unit's mean activity over the samples fitted.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Component `k` (0 is the first, of largest variance): its loadings over the units,
    /// `[units]`, a unit vector. `None` if `k >= units`.
    pub fn component(&self, k: usize) -> Option<&[f64]> {
        (k < self.units).then(|| &self.components[k * self.units..(k + 1) * self.units])
    }

    /// `[units]`: the variance of the activity along each component (activity units
    /// squared), decreasing.
    pub fn variances(&self) -> &[f64] {
        &self.variances
    }

    /// `[units]`: the fraction of the total variance along each component (decreasing, each in
    /// `[0, 1]`, summing to 1).
    pub fn explained_variance_ratio(&self) -> Vec<f64> {
        let total: f64 = self.variances.iter().sum();
        self.variances.iter().map(|v| v / total).collect()
    }

    /// `[units]`: the fraction of the total variance along the first `k + 1` components
    /// (increasing, the last is 1 up to rounding).
    pub fn cumulative_variance_ratio(&self) -> Vec<f64> {
        self.explained_variance_ratio()
            .iter()
            .scan(0.0, |sum, r| {
                *sum += r;
                Some(*sum)
            })
            .collect()
    }

    /// Projects `activity` (`[samples, units]` row-major, the units of the fit, in the same
    /// order; any number of samples, e.g. another run's) onto the first `k` components, after
    /// subtracting the fit's means: `[samples, k]` row-major.
    ///
    /// # Errors
    ///
    /// [`AnalysisError::Components`] unless `1 <= k <= units`, and the errors of [`Pca::fit`]
    /// about the shape and values of `activity`.
    pub fn project(
        &self,
        activity: &[f64],
        samples: usize,
        k: usize,
    ) -> Result<Vec<f64>, AnalysisError> {
        if k == 0 || k > self.units {
            return Err(AnalysisError::Components {
                requested: k,
                available: self.units,
            });
        }
        check_matrix(
            "activity",
            activity,
            ("samples", samples),
            ("units", self.units),
        )?;
        let mut out = Vec::with_capacity(samples * k);
        for row in activity.chunks_exact(self.units) {
            for c in self.components.chunks_exact(self.units).take(k) {
                out.push(
                    row.iter()
                        .zip(&self.mean)
                        .zip(c)
                        .map(|((x, m), w)| (x - m) * w)
                        .sum(),
                );
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (no rand dependency): uniform in [-1, 1).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        }
    }

    /// 200 samples of 10 units in the plane spanned by `u` and `w` (orthonormal), with
    /// latent standard deviations 3 and 1, offset by per-unit means.
    fn planted(noise: f64) -> (Vec<f64>, [f64; 10], [f64; 10]) {
        let mut u = [0.0; 10];
        let mut w = [0.0; 10];
        // u = (1, 1, 1, 1, 0, …)/2, w = (0, …, 0, 1, -1, 1, -1)/2: orthonormal by hand
        u[..4].fill(0.5);
        w[6..].copy_from_slice(&[0.5, -0.5, 0.5, -0.5]);
        let mut g = Lcg(7);
        let mut data = Vec::new();
        for _ in 0..200 {
            let (a, b) = (3.0 * g.next() * 3f64.sqrt(), g.next() * 3f64.sqrt());
            for j in 0..10 {
                data.push(j as f64 + a * u[j] + b * w[j] + noise * g.next());
            }
        }
        (data, u, w)
    }

    #[test]
    fn two_components_explain_activity_in_a_planted_plane() {
        let (data, u, w) = planted(0.0);
        let pca = Pca::fit(&data, 200, 10).unwrap();
        let r = pca.explained_variance_ratio();
        assert!(r[0] + r[1] > 1.0 - 1e-12, "{r:?}");
        assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // the larger latent (sd 3 along u) is the first component: ratio about 9/10
        assert!(r[0] > 0.8 && r[0] < 0.95, "{r:?}");
        // the two components span the plane: each lies in span(u, w) (norm of its projection 1)
        for k in 0..2 {
            let c = pca.component(k).unwrap();
            let (cu, cw): (f64, f64) = (
                c.iter().zip(&u).map(|(a, b)| a * b).sum(),
                c.iter().zip(&w).map(|(a, b)| a * b).sum(),
            );
            assert!(
                (cu * cu + cw * cw - 1.0).abs() < 1e-9,
                "component {k}: {cu} {cw}"
            );
        }
        // the first is u up to rounding and the sign convention (largest |entry| positive)
        let c0 = pca.component(0).unwrap();
        let dot: f64 = c0.iter().zip(&u).map(|(a, b)| a * b).sum();
        assert!(dot.abs() > 0.99, "{dot}");
        let largest = c0
            .iter()
            .copied()
            .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        assert!(largest > 0.0);
        // the means are the planted offsets j (the latents average to about 0)
        for (j, m) in pca.mean().iter().enumerate() {
            assert!((m - j as f64).abs() < 0.5, "unit {j}: {m}");
        }
    }

    #[test]
    fn small_noise_leaves_the_plane_nearly_all_the_variance() {
        let (data, _, _) = planted(0.01);
        let pca = Pca::fit(&data, 200, 10).unwrap();
        let c = pca.cumulative_variance_ratio();
        assert!(c[1] > 0.9999 && c[1] < 1.0, "{c:?}");
        assert!((c[9] - 1.0).abs() < 1e-12);
        assert!(pca.variances().windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn projection_recovers_the_latents() {
        // one unit at (1, 0), one at (0, 2) times a latent: the first component is unit 1
        let data: Vec<f64> = (0..5)
            .flat_map(|i| [i as f64, 2.0 * i as f64 + 1.0])
            .collect();
        let pca = Pca::fit(&data, 5, 2).unwrap();
        let p = pca.project(&data, 5, 1).unwrap();
        // latent i - 2 (centred) along (1, 2)/√5: √5 (i - 2)
        for (i, v) in p.iter().enumerate() {
            assert!((v - 5f64.sqrt() * (i as f64 - 2.0)).abs() < 1e-12, "{p:?}");
        }
        assert!(pca.explained_variance_ratio()[1].abs() < 1e-15);
    }

    #[test]
    fn bad_shapes_and_values_are_named_errors() {
        assert_eq!(
            Pca::fit(&[1.0; 5], 2, 3),
            Err(AnalysisError::Length {
                what: "activity",
                expected: 6,
                actual: 5,
                shape: "[samples, units] = [2, 3]".into()
            })
        );
        assert_eq!(
            Pca::fit(&[], 0, 3),
            Err(AnalysisError::Empty { what: "samples" })
        );
        assert_eq!(
            Pca::fit(&[], 3, 0),
            Err(AnalysisError::Empty { what: "units" })
        );
        assert_eq!(
            Pca::fit(&[1.0, 2.0], 1, 2),
            Err(AnalysisError::TooFewSamples { samples: 1 })
        );
        assert_eq!(
            Pca::fit(&[1.0, 2.0, 1.0, 2.0], 2, 2),
            Err(AnalysisError::NoVariance { samples: 2 })
        );
        assert!(matches!(
            Pca::fit(&[1.0, f64::NAN, 0.0, 1.0], 2, 2),
            Err(AnalysisError::NonFinite { index: 1, .. })
        ));
        let pca = Pca::fit(&[0.0, 1.0, 1.0, 0.0], 2, 2).unwrap();
        assert_eq!(
            pca.project(&[0.0, 1.0], 1, 0),
            Err(AnalysisError::Components {
                requested: 0,
                available: 2
            })
        );
        assert_eq!(
            pca.project(&[0.0, 1.0], 1, 3),
            Err(AnalysisError::Components {
                requested: 3,
                available: 2
            })
        );
        assert!(matches!(
            pca.project(&[0.0, 1.0, 2.0], 1, 1),
            Err(AnalysisError::Length { .. })
        ));
        assert_eq!(pca.component(2), None);
    }
}
