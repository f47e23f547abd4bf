//! Properties of the analyses on random inputs.

use motornet_analysis::{fit_cosine_tuning, preferred_direction_shift, wrap_angle, Pca, Tuned};
use proptest::prelude::*;
use std::f64::consts::PI;

/// Activity `[samples, units]` with 3..12 samples of 1..5 units, values in [-10, 10].
fn activity() -> impl Strategy<Value = (Vec<f64>, usize, usize)> {
    (3usize..12, 1usize..5).prop_flat_map(|(samples, units)| {
        (
            prop::collection::vec(-10.0f64..10.0, samples * units),
            Just(samples),
            Just(units),
        )
    })
}

proptest! {
    #[test]
    fn pca_is_invariant_to_a_constant_added_to_a_unit(
        (data, samples, units) in activity(),
        unit in 0usize..5,
        offset in -100.0f64..100.0,
    ) {
        let unit = unit % units;
        let Ok(pca) = Pca::fit(&data, samples, units) else {
            return Ok(()); // constant activity has no components
        };
        let shifted: Vec<f64> = data
            .iter()
            .enumerate()
            .map(|(i, v)| if i % units == unit { v + offset } else { *v })
            .collect();
        let moved = Pca::fit(&shifted, samples, units).unwrap();
        let scale = pca.variances()[0].max(1.0);
        for (a, b) in pca.variances().iter().zip(moved.variances()) {
            prop_assert!((a - b).abs() < 1e-9 * scale, "{:?} vs {:?}", pca.variances(), moved.variances());
        }
        prop_assert!((moved.mean()[unit] - pca.mean()[unit] - offset).abs() < 1e-9);
        // the projections agree wherever the components are well separated (distinct variances)
        let p = pca.project(&data, samples, 1).unwrap();
        let q = moved.project(&shifted, samples, 1).unwrap();
        let v = pca.variances();
        if units == 1 || v[0] - v[1] > 1e-3 * scale {
            for (x, y) in p.iter().zip(&q) {
                prop_assert!((x - y).abs() < 1e-6 * scale.sqrt(), "{p:?} vs {q:?}");
            }
        }
    }

    #[test]
    fn variance_ratios_sum_to_one_and_components_are_orthonormal((data, samples, units) in activity()) {
        let Ok(pca) = Pca::fit(&data, samples, units) else {
            return Ok(());
        };
        let r = pca.explained_variance_ratio();
        prop_assert!((r.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        prop_assert!(r.windows(2).all(|w| w[0] >= w[1]));
        for i in 0..units {
            for j in 0..units {
                let dot: f64 = pca.component(i).unwrap().iter().zip(pca.component(j).unwrap()).map(|(a, b)| a * b).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                prop_assert!((dot - want).abs() < 1e-9, "components {i}, {j}: {dot}");
            }
        }
    }

    #[test]
    fn shift_of_a_tuning_with_itself_is_zero(
        responses in prop::collection::vec(-1.0f64..1.0, 8 * 3),
    ) {
        let dirs: Vec<f64> = (0..8).map(|b| b as f64 * PI / 4.0).collect();
        let t = fit_cosine_tuning(&responses, 8, 3, &dirs).unwrap();
        let s = preferred_direction_shift(&t, &t, &Tuned { min_r2: 0.0, min_depth: 0.0 }).unwrap();
        for u in &s.units {
            prop_assert_eq!(u.shift_rad, 0.0);
        }
        if s.counted > 0 {
            prop_assert_eq!(s.mean_shift_rad, Some(0.0));
        }
    }

    #[test]
    fn rotating_the_reaches_rotates_the_preferred_directions(
        responses in prop::collection::vec(-1.0f64..1.0, 8 * 2),
        rot in -PI..PI,
    ) {
        // the same responses to reaches turned by `rot`: every preferred direction turns by it
        let dirs: Vec<f64> = (0..8).map(|b| b as f64 * PI / 4.0).collect();
        let turned: Vec<f64> = dirs.iter().map(|d| d + rot).collect();
        let a = fit_cosine_tuning(&responses, 8, 2, &dirs).unwrap();
        let b = fit_cosine_tuning(&responses, 8, 2, &turned).unwrap();
        for (x, y) in a.iter().zip(&b) {
            prop_assert!((x.depth - y.depth).abs() < 1e-9);
            prop_assert!((x.r2 - y.r2).abs() < 1e-9);
            if x.depth > 1e-6 {
                prop_assert!(wrap_angle(y.preferred_direction_rad - x.preferred_direction_rad - rot).abs() < 1e-6);
            }
        }
    }
}
