//! Where each named parameter block lives in the flat parameter vector.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// One named block of the flat parameter vector: a weight matrix or a bias vector.
///
/// Matrices are row-major: element `(i, j)` of a block of shape `[rows, cols]` is
/// `params[offset + i * cols + j]`. Vectors have shape `[n]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamBlock {
    /// PyTorch-style name, e.g. `"gru.weight_ih_l0"` or `"fc.bias"`.
    pub name: String,
    /// Index of the block's first number in the flat vector.
    pub offset: usize,
    /// `[rows, cols]` for a matrix, `[n]` for a vector.
    pub shape: Vec<usize>,
}

impl ParamBlock {
    /// Number of parameters in the block (the product of `shape`).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the block holds no parameters (never the case for blocks of this crate's
    /// networks).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The block's index range in the flat vector: `offset..offset + len()`.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// The offset and shape of every named block of a network's flat parameter vector; gradients
/// use the same layout.
///
/// Blocks are contiguous and in order, without gaps: the first starts at 0 and each starts
/// where the previous one ends, so [`ParamLayout::len`] is the length of the flat vector.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamLayout {
    blocks: Vec<ParamBlock>,
}

impl ParamLayout {
    /// An empty layout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a block of the given shape after the last one and returns its offset.
    pub fn push(&mut self, name: impl Into<String>, shape: &[usize]) -> usize {
        let offset = self.len();
        self.blocks.push(ParamBlock {
            name: name.into(),
            offset,
            shape: shape.to_vec(),
        });
        offset
    }

    /// Total number of parameters: the length of the flat parameter (and gradient) vector.
    pub fn len(&self) -> usize {
        self.blocks.last().map_or(0, |b| b.offset + b.len())
    }

    /// Whether the layout has no parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All blocks, in the order they lie in the flat vector.
    pub fn blocks(&self) -> &[ParamBlock] {
        &self.blocks
    }

    /// The block called `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&ParamBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    /// The numbers of block `name` in `params` (a parameter or gradient vector of this layout),
    /// row-major for a matrix.
    ///
    /// # Panics
    /// If there is no block `name`, or `params.len() != self.len()`.
    pub fn slice<'a, T>(&self, params: &'a [T], name: &str) -> &'a [T] {
        &params[self.checked_range(params.len(), name)]
    }

    /// Mutable access to the numbers of block `name` in `params`; see [`ParamLayout::slice`].
    ///
    /// # Panics
    /// If there is no block `name`, or `params.len() != self.len()`.
    pub fn slice_mut<'a, T>(&self, params: &'a mut [T], name: &str) -> &'a mut [T] {
        let range = self.checked_range(params.len(), name);
        &mut params[range]
    }

    fn checked_range(&self, len: usize, name: &str) -> Range<usize> {
        assert_eq!(
            len,
            self.len(),
            "parameter vector has {len} numbers, the layout {}",
            self.len()
        );
        match self.get(name) {
            Some(block) => block.range(),
            None => {
                let names: Vec<&str> = self.blocks.iter().map(|b| b.name.as_str()).collect();
                panic!("no parameter block {name:?}; the blocks are {names:?}")
            }
        }
    }
}
