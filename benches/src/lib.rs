//! Criterion benchmarks of motornet-rs; see `benches/`.
