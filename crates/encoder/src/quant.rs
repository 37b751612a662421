//! Quantized operands of the matrix products: 4-bit weights repacked once at load into a layout the
//! SIMD kernels read linearly, and 8-bit activations quantized per token and block of 32 (an f32 scale
//! and the block's sum, as the reference engine does).

use crate::EncoderError;

/// Rows of output handled together by one kernel step (one AVX-512 register of i32 / f32 lanes).
pub const TILE: usize = 16;
/// Weights per quantization block.
pub const BLOCK: usize = 32;
/// Bytes of one repacked (tile, block): 16 rows × 32 nibble values, one per byte.
pub const TILE_BLOCK_BYTES: usize = TILE * BLOCK;

/// A linear layer `y = x·Wᵀ + b` with 4-bit (Q4_0) or 8-bit (Q8_0) weights, repacked.
///
/// Layout of `q`: for tile `r` (rows 16r..16r+16), block `b` (inputs 32b..32b+32), group `g` (inputs
/// 32b+4g..32b+4g+4): 64 bytes holding, for each of the 16 rows, its 4 weights as unsigned values
/// (the stored weight is `(value − zero) · scale`, `zero` 8 for nibbles 0..15, 128 for bytes). One
/// 64-byte load then feeds 16 rows × 4 inputs to a dot-product instruction. `d` holds the 16 row scales
/// of each (tile, block).
pub struct PackedWeights {
    pub rows: usize,
    pub cols: usize,
    pub q: Vec<u8>,
    pub d: Vec<f32>,
    pub bias: Vec<f32>,
    /// 8 (Q4_0) or 128 (Q8_0).
    pub zero: i32,
}

impl PackedWeights {
    /// Repacks ggml Q8_0 rows (`rows` × `cols/32` blocks of 34 bytes: f16 scale, then 32 int8 values;
    /// −128 is read as −127 so the AVX2 kernel's sign trick cannot overflow).
    pub fn from_q8_0(
        name: &str,
        raw: &[u8],
        rows: usize,
        cols: usize,
        bias: Vec<f32>,
    ) -> Result<PackedWeights, EncoderError> {
        Self::repack(name, raw, rows, cols, bias, 34, 128, |blk, e| {
            ((blk[2 + e] as i8).max(-127) as i32 + 128) as u8
        })
    }

    /// Repacks ggml Q4_0 rows (`rows` × `cols/32` blocks of 18 bytes: f16 scale, then byte j holding
    /// element j in its low nibble and element j+16 in its high nibble).
    pub fn from_q4_0(
        name: &str,
        raw: &[u8],
        rows: usize,
        cols: usize,
        bias: Vec<f32>,
    ) -> Result<PackedWeights, EncoderError> {
        Self::repack(name, raw, rows, cols, bias, 18, 8, |blk, e| {
            let byte = blk[2 + e % 16];
            if e < 16 {
                byte & 0x0f
            } else {
                byte >> 4
            }
        })
    }

    /// The tiled layout from ggml rows of `block_bytes`-byte blocks (an f16 scale first); `value(block,
    /// e)` is element `e` of a block as the unsigned stored value whose zero point is `zero`.
    #[allow(clippy::too_many_arguments)]
    fn repack(
        name: &str,
        raw: &[u8],
        rows: usize,
        cols: usize,
        bias: Vec<f32>,
        block_bytes: usize,
        zero: i32,
        value: impl Fn(&[u8], usize) -> u8,
    ) -> Result<PackedWeights, EncoderError> {
        check_shape(name, rows, cols, &bias)?;
        let nb = cols / BLOCK;
        let tiles = rows / TILE;
        let mut q = vec![0u8; tiles * nb * TILE_BLOCK_BYTES];
        let mut d = vec![0f32; tiles * nb * TILE];
        for row in 0..rows {
            let (tile, r) = (row / TILE, row % TILE);
            for b in 0..nb {
                let blk = &raw[(row * nb + b) * block_bytes..(row * nb + b + 1) * block_bytes];
                d[(tile * nb + b) * TILE + r] = half::f16::from_le_bytes([blk[0], blk[1]]).to_f32();
                let base = (tile * nb + b) * TILE_BLOCK_BYTES;
                for e in 0..BLOCK {
                    let (g, k) = (e / 4, e % 4);
                    q[base + g * 64 + r * 4 + k] = value(blk, e);
                }
            }
        }
        Ok(PackedWeights {
            rows,
            cols,
            q,
            d,
            bias,
            zero,
        })
    }

    pub fn blocks(&self) -> usize {
        self.cols / BLOCK
    }
}

fn check_shape(name: &str, rows: usize, cols: usize, bias: &[f32]) -> Result<(), EncoderError> {
    if !rows.is_multiple_of(TILE) || !cols.is_multiple_of(BLOCK) || bias.len() != rows {
        return Err(EncoderError::Shape(format!(
            "{name}: {rows}×{cols} with {} biases does not fit 16-row tiles and 32-wide blocks",
            bias.len()
        )));
    }
    Ok(())
}

/// Dequantizes one Q4_0 row of `cols` values (the word-embedding lookup).
pub fn dequant_row(raw: &[u8], cols: usize, out: &mut [f32]) {
    for b in 0..cols / BLOCK {
        let blk = &raw[b * 18..(b + 1) * 18];
        let scale = half::f16::from_le_bytes([blk[0], blk[1]]).to_f32();
        for j in 0..16 {
            let byte = blk[2 + j];
            out[b * BLOCK + j] = ((byte & 0x0f) as f32 - 8.0) * scale;
            out[b * BLOCK + j + 16] = ((byte >> 4) as f32 - 8.0) * scale;
        }
    }
}

/// Dequantizes one Q8_0 row of `cols` values (blocks of 32: an f16 scale, then 32 int8 values).
pub fn dequant_row_q8(raw: &[u8], cols: usize, out: &mut [f32]) {
    for b in 0..cols / BLOCK {
        let blk = &raw[b * 34..(b + 1) * 34];
        let scale = half::f16::from_le_bytes([blk[0], blk[1]]).to_f32();
        for (o, &q) in out[b * BLOCK..(b + 1) * BLOCK].iter_mut().zip(&blk[2..]) {
            *o = q as i8 as f32 * scale;
        }
    }
}

/// Appends one Q8_0 block of 32 values: an f16 scale max|x|/127, then the rounded int8 values.
pub fn quantize_q8_0(block: &[f32], out: &mut Vec<u8>) {
    let amax = block.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = half::f16::from_f32(amax / 127.0).to_f32();
    let inv = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend(half::f16::from_f32(d).to_le_bytes());
    out.extend(
        block
            .iter()
            .map(|v| (v * inv).round().clamp(-127.0, 127.0) as i8 as u8),
    );
}

/// Activations of `tokens` rows of `cols`, as int8 per block of 32 with an f32 scale and the block's sum.
pub struct Q8Rows {
    pub tokens: usize,
    pub cols: usize,
    /// The int8 values four to a little-endian word, as the kernels broadcast them (`words[i]` holds
    /// values 4i..4i+4 of the row-major matrix).
    pub words: Vec<i32>,
    pub d: Vec<f32>,
    pub sum: Vec<i32>,
}

/// Tokens quantized per parallel task.
const QUANT_TOKENS: usize = 32;

impl Q8Rows {
    /// Quantizes `x` (`tokens` × `cols`, row-major): scale = max|x|/127 per block, values rounded half to
    /// even and clamped to [−128, 127]. Parallel over groups of tokens on the current rayon pool.
    pub fn quantize(x: &[f32], cols: usize) -> Q8Rows {
        use rayon::prelude::*;
        let tokens = x.len() / cols;
        let nb = cols / BLOCK;
        let mut words = vec![0i32; x.len() / 4];
        let mut d = vec![0f32; tokens * nb];
        let mut sum = vec![0i32; tokens * nb];
        x.par_chunks(QUANT_TOKENS * cols)
            .zip(words.par_chunks_mut(QUANT_TOKENS * cols / 4))
            .zip(d.par_chunks_mut(QUANT_TOKENS * nb))
            .zip(sum.par_chunks_mut(QUANT_TOKENS * nb))
            .for_each(|(((x, w), d), s)| quantize_blocks(x, w, d, s));
        Q8Rows {
            tokens,
            cols,
            words,
            d,
            sum,
        }
    }

    /// Value `i` of the row-major matrix.
    pub fn value(&self, i: usize) -> i8 {
        self.words[i / 4].to_le_bytes()[i % 4] as i8
    }
}

crate::math::multiversion! {
    fn quantize_blocks(x: &[f32], words: &mut [i32], d: &mut [f32], sum: &mut [i32]) => quantize_blocks_body
}

#[inline(always)]
fn quantize_blocks_body(x: &[f32], words: &mut [i32], d: &mut [f32], sum: &mut [i32]) {
    for (i, (blk, out)) in x
        .chunks_exact(BLOCK)
        .zip(words.chunks_exact_mut(BLOCK / 4))
        .enumerate()
    {
        let mut lanes = [0f32; 16];
        for half in blk.chunks_exact(16) {
            for (l, v) in lanes.iter_mut().zip(half) {
                let a = v.abs();
                *l = if a > *l { a } else { *l };
            }
        }
        let amax = lanes.iter().fold(0f32, |m, &v| if v > m { v } else { m });
        let scale = amax / 127.0;
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        let mut q = [0u8; BLOCK];
        let mut s = 0i32;
        for (o, &v) in q.iter_mut().zip(blk) {
            let r = round_half_even(v * inv).clamp(-128.0, 127.0) as i32;
            s += r;
            *o = r as i8 as u8;
        }
        sum[i] = s;
        for (w, c) in out.iter_mut().zip(q.chunks_exact(4)) {
            *w = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        d[i] = scale;
    }
}

/// Round half to even for |x| < 2^22, by adding and removing 1.5·2^23 (the FPU rounds to nearest even);
/// `f32::round_ties_even` is a library call here, this is two additions.
#[inline(always)]
fn round_half_even(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (x + MAGIC) - MAGIC
}

#[cfg(test)]
mod tests {
    #[test]
    fn rounding_is_half_to_even() {
        for (x, want) in [
            (0.5f32, 0.0f32),
            (1.5, 2.0),
            (2.5, 2.0),
            (-0.5, 0.0),
            (-1.5, -2.0),
            (126.49, 126.0),
            (-127.6, -128.0),
        ] {
            assert_eq!(super::round_half_even(x), want, "{x}");
            assert_eq!(x.round_ties_even(), want, "{x}");
        }
    }
}
