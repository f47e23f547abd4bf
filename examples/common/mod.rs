//! Helpers the examples share (each example includes this file with `mod common;` and uses a
//! part of it): the bundled font, a training loop that prints its progress, and the plots'
//! colours and tick labels. Not an example of its own.
#![allow(dead_code)]

use motornet::train::AnyTrainer;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::error::Error;
use std::time::Instant;

/// Registers the bundled DejaVu Sans as plotters' default family: no system fonts needed.
pub fn register_font() -> Result<(), Box<dyn Error>> {
    plotters::style::register_font(
        "sans-serif",
        FontStyle::Normal,
        include_bytes!("../../crates/motornet/assets/DejaVuSans.ttf"),
    )
    .map_err(|_| "cannot parse the bundled font DejaVuSans.ttf".into())
}

/// Train `batches` batches, printing the mean loss of every `every` batches (and of the last,
/// partial block) with the time so far, then the total time. Returns the seconds taken.
pub fn train_with_progress(
    trainer: &mut AnyTrainer,
    batches: usize,
    every: usize,
) -> Result<f64, Box<dyn Error>> {
    let start = Instant::now();
    let mut block = Vec::with_capacity(every);
    for _ in 0..batches {
        let stats = trainer.batch()?;
        block.push(stats.loss);
        if block.len() == every || stats.batch + 1 == batches {
            let mean = block.iter().sum::<f64>() / block.len() as f64;
            println!(
                "batch {:>5}  mean loss {mean:.4}  ({:.1} s)",
                stats.batch + 1,
                start.elapsed().as_secs_f64()
            );
            block.clear();
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "trained in {seconds:.1} s ({:.1} ms per batch)",
        1e3 * seconds / batches.max(1) as f64
    );
    Ok(seconds)
}

/// Matplotlib's "tab10" colours, one per reach.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// A tick label: at most 3 decimals, trailing zeros dropped, no "-0".
pub fn tick(v: &f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}
