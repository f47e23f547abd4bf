//! What the training examples share (each includes this file with `mod common;`): a training
//! loop that prints its progress. Not an example of its own. (The plots' font, colours and tick
//! labels come from the library: `motornet::plot::style`.)
#![allow(dead_code)]

use motornet::train::AnyTrainer;
use std::error::Error;
use std::time::Instant;

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
