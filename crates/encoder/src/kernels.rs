//! The (Q4 or Q8) × Q8 matrix product, the one place the encoder spends its time, in three versions
//! chosen at run time by CPU features: AVX-512 VNNI (`vpdpbusd`: 16 rows × 4 products per instruction),
//! AVX2 (`vpmaddubsw`) and portable scalar code. All three compute the same integers per block exactly;
//! they differ only in the order of the final f32 sums.
//!
//! For output row `o`, token `t`: y = Σ_blocks d_w(o,b) · d_a(t,b) · (Σ_j n_j·q_j − z·S(t,b)), where n_j
//! are the unsigned stored weights, z their zero point (8 for nibbles, 128 for bytes), q_j the int8
//! activations and S their block sum (so the zero point is applied once per block, in integers). The
//! AVX2 version of 8-bit weights cannot use that form (255·128·2 overflows `vpmaddubsw`'s i16 pairs), so it
//! multiplies |q| by the signed weight carrying q's sign, which stays within ±32,512.

use rayon::prelude::*;

use crate::quant::{PackedWeights, Q8Rows, BLOCK, TILE, TILE_BLOCK_BYTES};

/// A matrix-product implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Avx512Vnni,
    Avx2,
    Scalar,
}

impl Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Kernel {
        Kernel::available()[0]
    }

    /// Every kernel this CPU runs, fastest first (scalar is always there); detected once.
    pub fn available() -> &'static [Kernel] {
        static AVAILABLE: std::sync::OnceLock<Vec<Kernel>> = std::sync::OnceLock::new();
        AVAILABLE.get_or_init(Kernel::detect_all)
    }

    fn detect_all() -> Vec<Kernel> {
        let mut v = vec![];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vnni")
            {
                v.push(Kernel::Avx512Vnni);
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                v.push(Kernel::Avx2);
            }
        }
        v.push(Kernel::Scalar);
        v
    }

    pub fn name(self) -> &'static str {
        match self {
            Kernel::Avx512Vnni => "avx512-vnni",
            Kernel::Avx2 => "avx2",
            Kernel::Scalar => "scalar",
        }
    }

    /// Parses a name as printed by [`Kernel::name`].
    pub fn from_name(s: &str) -> Option<Kernel> {
        [Kernel::Avx512Vnni, Kernel::Avx2, Kernel::Scalar]
            .into_iter()
            .find(|k| k.name() == s)
    }

    /// `out` (tokens × rows, row-major) = x · Wᵀ + bias. Tiles of 16 output rows run in parallel on the
    /// current rayon pool.
    pub(crate) fn matmul(self, x: &Q8Rows, w: &PackedWeights, out: &mut [f32]) {
        assert_eq!(x.cols, w.cols, "matmul: input width");
        assert_eq!(out.len(), x.tokens * w.rows, "matmul: output size");
        if !Kernel::available().contains(&self) {
            panic!("kernel {} is not supported by this CPU", self.name());
        }
        let t = x.tokens;
        // Tile-major scratch (tile, token, 16) so each parallel task writes one contiguous chunk.
        let mut tiled = vec![0f32; t * w.rows];
        tiled
            .par_chunks_mut(t * TILE)
            .enumerate()
            .for_each(|(tile, chunk)| self.tile(x, w, tile, chunk));
        for (tile, chunk) in tiled.chunks_exact(t * TILE).enumerate() {
            let bias = &w.bias[tile * TILE..(tile + 1) * TILE];
            for (tok, vals) in chunk.chunks_exact(TILE).enumerate() {
                let dst = &mut out[tok * w.rows + tile * TILE..tok * w.rows + (tile + 1) * TILE];
                for ((o, v), b) in dst.iter_mut().zip(vals).zip(bias) {
                    *o = v + b;
                }
            }
        }
    }

    fn tile(self, x: &Q8Rows, w: &PackedWeights, tile: usize, out: &mut [f32]) {
        match self {
            // SAFETY: `tile` is reached only from `matmul`, which checked `Kernel::available()`.
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            Kernel::Avx512Vnni => unsafe { x86::tile_avx512_vnni(x, w, tile, out) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            #[allow(unsafe_code)]
            Kernel::Avx2 => unsafe { x86::tile_avx2(x, w, tile, out) },
            _ => tile_scalar(x, w, tile, out),
        }
    }
}

/// Reference version: plain integer dot products per (token, row, block).
fn tile_scalar(x: &Q8Rows, w: &PackedWeights, tile: usize, out: &mut [f32]) {
    let nb = w.blocks();
    for t in 0..x.tokens {
        let mut acc = [0f32; TILE];
        for b in 0..nb {
            let wq = &w.q[(tile * nb + b) * TILE_BLOCK_BYTES..][..TILE_BLOCK_BYTES];
            let wd = &w.d[(tile * nb + b) * TILE..][..TILE];
            let xq: Vec<i32> = (0..BLOCK)
                .map(|i| x.value(t * x.cols + b * BLOCK + i) as i32)
                .collect();
            let da = x.d[t * nb + b];
            let corr = w.zero * x.sum[t * nb + b];
            for r in 0..TILE {
                let mut isum = 0i32;
                for g in 0..BLOCK / 4 {
                    for k in 0..4 {
                        isum += wq[g * 64 + r * 4 + k] as i32 * xq[g * 4 + k];
                    }
                }
                acc[r] += (isum - corr) as f32 * (wd[r] * da);
            }
        }
        out[t * TILE..(t + 1) * TILE].copy_from_slice(&acc);
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
// Index loops over parallel register arrays (`isum[j]`, `acc[j]`) read more plainly than zips here.
#[allow(clippy::needless_range_loop)]
mod x86 {
    //! SIMD kernels. Safety: each `unsafe fn` here needs only the CPU features in its
    //! `#[target_feature]`; the entry points (`unsafe fn tile_*`) are called only from
    //! [`super::Kernel::matmul`], which checks `Kernel::available()` first. Every memory access goes through slice indexing with the lengths
    //! checked by `chunk`, and the loads are the unaligned forms, so no pointer is read out of bounds.
    use std::arch::x86_64::*;

    use super::{PackedWeights, Q8Rows, BLOCK, TILE, TILE_BLOCK_BYTES};

    /// Tokens processed together: each 64-byte weight load is reused for this many tokens.
    const TOKENS: usize = 4;

    /// Calls `group(t)` for each full group of [`TOKENS`] tokens from `t`, then `single(t)` for the rest.
    #[inline(always)]
    fn by_groups(
        tokens: usize,
        out: &mut [f32],
        mut group: impl FnMut(usize, &mut [f32]),
        mut single: impl FnMut(usize, &mut [f32]),
    ) {
        let mut t = 0;
        while t + TOKENS <= tokens {
            group(t, out);
            t += TOKENS;
        }
        for t in t..tokens {
            single(t, out);
        }
    }

    /// # Safety
    /// The CPU must support AVX-512 F, BW and VNNI.
    pub unsafe fn tile_avx512_vnni(x: &Q8Rows, w: &PackedWeights, tile: usize, out: &mut [f32]) {
        // SAFETY (both closures): the caller guarantees avx512f/bw/vnni.
        by_groups(
            x.tokens,
            out,
            |t, out| unsafe { vnni_step::<TOKENS>(x, w, tile, t, out) },
            |t, out| unsafe { vnni_step::<1>(x, w, tile, t, out) },
        );
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn vnni_step<const M: usize>(
        x: &Q8Rows,
        w: &PackedWeights,
        tile: usize,
        t0: usize,
        out: &mut [f32],
    ) {
        let nb = w.blocks();
        let wq = &w.q[tile * nb * TILE_BLOCK_BYTES..(tile + 1) * nb * TILE_BLOCK_BYTES];
        let wd = &w.d[tile * nb * TILE..(tile + 1) * nb * TILE];
        let mut acc = [_mm512_setzero_ps(); M];
        for b in 0..nb {
            let mut isum = [_mm512_setzero_si512(); M];
            for g in 0..BLOCK / 4 {
                let src = &wq[b * TILE_BLOCK_BYTES + g * 64..][..64];
                let wv = _mm512_loadu_si512(src.as_ptr().cast());
                for j in 0..M {
                    let a = _mm512_set1_epi32(x.words[((t0 + j) * x.cols + b * BLOCK) / 4 + g]);
                    isum[j] = _mm512_dpbusd_epi32(isum[j], wv, a);
                }
            }
            let dw = _mm512_loadu_ps(wd[b * TILE..][..TILE].as_ptr());
            for j in 0..M {
                let k = (t0 + j) * nb + b;
                let ints = _mm512_sub_epi32(isum[j], _mm512_set1_epi32(w.zero * x.sum[k]));
                let scale = _mm512_mul_ps(dw, _mm512_set1_ps(x.d[k]));
                acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ints), scale, acc[j]);
            }
        }
        for (j, a) in acc.iter().enumerate() {
            let dst = &mut out[(t0 + j) * TILE..][..TILE];
            _mm512_storeu_ps(dst.as_mut_ptr(), *a);
        }
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    pub unsafe fn tile_avx2(x: &Q8Rows, w: &PackedWeights, tile: usize, out: &mut [f32]) {
        // SAFETY (all closures): the caller guarantees avx2 and fma.
        if w.zero == 8 {
            by_groups(
                x.tokens,
                out,
                |t, out| unsafe { avx2_step::<TOKENS>(x, w, tile, t, out) },
                |t, out| unsafe { avx2_step::<1>(x, w, tile, t, out) },
            );
        } else {
            by_groups(
                x.tokens,
                out,
                |t, out| unsafe { avx2_step_q8::<TOKENS>(x, w, tile, t, out) },
                |t, out| unsafe { avx2_step_q8::<1>(x, w, tile, t, out) },
            );
        }
    }

    /// 8-bit weights: |a| · (w with a's sign), pairs summed to i32 after each group.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2_step_q8<const M: usize>(
        x: &Q8Rows,
        w: &PackedWeights,
        tile: usize,
        t0: usize,
        out: &mut [f32],
    ) {
        let nb = w.blocks();
        let wq = &w.q[tile * nb * TILE_BLOCK_BYTES..(tile + 1) * nb * TILE_BLOCK_BYTES];
        let wd = &w.d[tile * nb * TILE..(tile + 1) * nb * TILE];
        let ones = _mm256_set1_epi16(1);
        let flip = _mm256_set1_epi8(-128);
        let mut acc_lo = [_mm256_setzero_ps(); M];
        let mut acc_hi = [_mm256_setzero_ps(); M];
        for b in 0..nb {
            let mut s_lo = [_mm256_setzero_si256(); M];
            let mut s_hi = [_mm256_setzero_si256(); M];
            for g in 0..BLOCK / 4 {
                let src = &wq[b * TILE_BLOCK_BYTES + g * 64..][..64];
                // Stored as w + 128: flipping the top bit gives w as i8 again.
                let w_lo = _mm256_xor_si256(_mm256_loadu_si256(src.as_ptr().cast()), flip);
                let w_hi = _mm256_xor_si256(_mm256_loadu_si256(src[32..].as_ptr().cast()), flip);
                for j in 0..M {
                    let a = _mm256_set1_epi32(x.words[((t0 + j) * x.cols + b * BLOCK) / 4 + g]);
                    let abs = _mm256_sign_epi8(a, a);
                    let p_lo = _mm256_maddubs_epi16(abs, _mm256_sign_epi8(w_lo, a));
                    let p_hi = _mm256_maddubs_epi16(abs, _mm256_sign_epi8(w_hi, a));
                    s_lo[j] = _mm256_add_epi32(s_lo[j], _mm256_madd_epi16(p_lo, ones));
                    s_hi[j] = _mm256_add_epi32(s_hi[j], _mm256_madd_epi16(p_hi, ones));
                }
            }
            let dw_lo = _mm256_loadu_ps(wd[b * TILE..][..8].as_ptr());
            let dw_hi = _mm256_loadu_ps(wd[b * TILE + 8..][..8].as_ptr());
            for j in 0..M {
                let da = _mm256_set1_ps(x.d[(t0 + j) * nb + b]);
                acc_lo[j] = _mm256_fmadd_ps(
                    _mm256_cvtepi32_ps(s_lo[j]),
                    _mm256_mul_ps(dw_lo, da),
                    acc_lo[j],
                );
                acc_hi[j] = _mm256_fmadd_ps(
                    _mm256_cvtepi32_ps(s_hi[j]),
                    _mm256_mul_ps(dw_hi, da),
                    acc_hi[j],
                );
            }
        }
        for j in 0..M {
            let dst = &mut out[(t0 + j) * TILE..][..TILE];
            _mm256_storeu_ps(dst.as_mut_ptr(), acc_lo[j]);
            _mm256_storeu_ps(dst[8..].as_mut_ptr(), acc_hi[j]);
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2_step<const M: usize>(
        x: &Q8Rows,
        w: &PackedWeights,
        tile: usize,
        t0: usize,
        out: &mut [f32],
    ) {
        let nb = w.blocks();
        let wq = &w.q[tile * nb * TILE_BLOCK_BYTES..(tile + 1) * nb * TILE_BLOCK_BYTES];
        let wd = &w.d[tile * nb * TILE..(tile + 1) * nb * TILE];
        let ones = _mm256_set1_epi16(1);
        let mut acc_lo = [_mm256_setzero_ps(); M];
        let mut acc_hi = [_mm256_setzero_ps(); M];
        for b in 0..nb {
            // i16 partial sums: 8 groups × 2 products of at most 15·128 stay within ±30,720.
            let mut s_lo = [_mm256_setzero_si256(); M];
            let mut s_hi = [_mm256_setzero_si256(); M];
            for g in 0..BLOCK / 4 {
                let src = &wq[b * TILE_BLOCK_BYTES + g * 64..][..64];
                let w_lo = _mm256_loadu_si256(src.as_ptr().cast());
                let w_hi = _mm256_loadu_si256(src[32..].as_ptr().cast());
                for j in 0..M {
                    let a = _mm256_set1_epi32(x.words[((t0 + j) * x.cols + b * BLOCK) / 4 + g]);
                    s_lo[j] = _mm256_add_epi16(s_lo[j], _mm256_maddubs_epi16(w_lo, a));
                    s_hi[j] = _mm256_add_epi16(s_hi[j], _mm256_maddubs_epi16(w_hi, a));
                }
            }
            let dw_lo = _mm256_loadu_ps(wd[b * TILE..][..8].as_ptr());
            let dw_hi = _mm256_loadu_ps(wd[b * TILE + 8..][..8].as_ptr());
            for j in 0..M {
                let k = (t0 + j) * nb + b;
                let corr = _mm256_set1_epi32(8 * x.sum[k]);
                let da = _mm256_set1_ps(x.d[k]);
                let i_lo = _mm256_sub_epi32(_mm256_madd_epi16(s_lo[j], ones), corr);
                let i_hi = _mm256_sub_epi32(_mm256_madd_epi16(s_hi[j], ones), corr);
                acc_lo[j] = _mm256_fmadd_ps(
                    _mm256_cvtepi32_ps(i_lo),
                    _mm256_mul_ps(dw_lo, da),
                    acc_lo[j],
                );
                acc_hi[j] = _mm256_fmadd_ps(
                    _mm256_cvtepi32_ps(i_hi),
                    _mm256_mul_ps(dw_hi, da),
                    acc_hi[j],
                );
            }
        }
        for j in 0..M {
            let dst = &mut out[(t0 + j) * TILE..][..TILE];
            _mm256_storeu_ps(dst.as_mut_ptr(), acc_lo[j]);
            _mm256_storeu_ps(dst[8..].as_mut_ptr(), acc_hi[j]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same for 8-bit weights, checked against a direct product of the dequantized values.
    #[test]
    fn every_kernel_multiplies_8_bit_weights_exactly() {
        let (rows, cols, tokens) = (32, 96, 7);
        let mut seed = 777u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            seed >> 8
        };
        let mut raw = vec![];
        let mut dense = vec![];
        for _ in 0..rows * cols / 32 {
            let scale = half::f16::from_f32(0.01 + (next() % 100) as f32 / 1000.0);
            raw.extend(scale.to_le_bytes());
            for _ in 0..32 {
                let v = (next() % 255) as i32 - 127;
                raw.push(v as i8 as u8);
                dense.push(v as f32 * scale.to_f32());
            }
        }
        let w = PackedWeights::from_q8_0("test", &raw, rows, cols, vec![0.5; rows]).unwrap();
        let xs: Vec<f32> = (0..tokens * cols)
            .map(|_| (next() % 2001) as f32 / 100.0 - 10.0)
            .collect();
        let x = Q8Rows::quantize(&xs, cols);
        let nb = cols / 32;
        for k in Kernel::available() {
            let mut got = vec![0f32; tokens * rows];
            k.matmul(&x, &w, &mut got);
            for r in 0..rows {
                for t in 0..tokens {
                    let direct: f32 = (0..cols)
                        .map(|i| {
                            dense[r * cols + i]
                                * x.value(t * cols + i) as f32
                                * x.d[t * nb + i / 32]
                        })
                        .sum::<f32>()
                        + 0.5;
                    let g = got[t * rows + r];
                    assert!(
                        (direct - g).abs() < 1e-3 * (1.0 + direct.abs()),
                        "{}: {direct} {g}",
                        k.name()
                    );
                }
            }
        }
    }

    /// A random-looking but deterministic Q4_0 matrix and activations; every available kernel must give
    /// the scalar kernel's result (same integers, f32 sums in another order).
    #[test]
    fn every_kernel_matches_the_scalar_one() {
        let (rows, cols, tokens) = (32, 96, 7);
        let mut seed = 12345u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            seed >> 8
        };
        let mut raw = vec![];
        for _ in 0..rows * cols / 32 {
            let scale = half::f16::from_f32(0.01 + (next() % 100) as f32 / 1000.0);
            raw.extend(scale.to_le_bytes());
            raw.extend((0..16).map(|_| (next() & 0xff) as u8));
        }
        let bias: Vec<f32> = (0..rows).map(|i| i as f32 * 0.1).collect();
        let w = PackedWeights::from_q4_0("test", &raw, rows, cols, bias).unwrap();
        let xs: Vec<f32> = (0..tokens * cols)
            .map(|_| (next() % 2001) as f32 / 100.0 - 10.0)
            .collect();
        let x = Q8Rows::quantize(&xs, cols);
        let mut want = vec![0f32; tokens * rows];
        Kernel::Scalar.matmul(&x, &w, &mut want);
        // The scalar result against a direct dequantized product (checks packing and the −8 offset).
        let mut wrow = vec![0f32; cols];
        for r in 0..rows {
            crate::quant::dequant_row(&raw[r * cols / 32 * 18..], cols, &mut wrow);
            for t in 0..tokens {
                let nb = cols / 32;
                let direct: f32 = (0..cols)
                    .map(|i| wrow[i] * x.value(t * cols + i) as f32 * x.d[t * nb + i / 32])
                    .sum::<f32>()
                    + r as f32 * 0.1;
                let got = want[t * rows + r];
                assert!(
                    (direct - got).abs() < 1e-3 * (1.0 + direct.abs()),
                    "{direct} {got}"
                );
            }
        }
        for k in Kernel::available() {
            let mut got = vec![0f32; tokens * rows];
            k.matmul(&x, &w, &mut got);
            for (a, b) in got.iter().zip(&want) {
                assert!(
                    (a - b).abs() < 1e-4 * (1.0 + b.abs()),
                    "{}: {a} vs {b}",
                    k.name()
                );
            }
        }
    }
}
