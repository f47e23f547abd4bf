//! [`SplitMix`]: the small deterministic generator the conformance checks draw their samples
//! with (no dependency on rand, so that the model crates stay dependency-free).

/// splitmix64 (Steele, Lea & Flood 2014): a small, fast, deterministic generator. The same
/// seed gives the same sequence on every platform.
///
/// ```
/// use motornet_scalar::SplitMix;
/// let (mut a, mut b) = (SplitMix(7), SplitMix(7));
/// assert_eq!(a.next_u64(), b.next_u64());
/// let u = a.unit();
/// assert!((0.0..1.0).contains(&u));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)` (53 random bits).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}
