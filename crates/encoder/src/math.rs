//! The f32 parts of the encoder: layer norm, GELU, softmax and attention. Written as straight loops over
//! slices without branches in the inner loops so the compiler vectorizes them.

/// In place: `x = (x − mean) / sqrt(var + eps) · w + b` per row of `w.len()`.
pub fn layer_norm(x: &mut [f32], w: &[f32], b: &[f32], eps: f32) {
    let h = w.len();
    for row in x.chunks_exact_mut(h) {
        let mean = row.iter().sum::<f32>() / h as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(w).zip(b) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// e^x for x ≤ 0 or moderate x, accurate to a few ulp: 2^k · p(r) with r = x − k·ln2, |r| ≤ ln2/2.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round to nearest with the 1.5·2^23 trick (no libm call, vectorizes).
    const MAGIC: f32 = 12_582_912.0;
    let k = (x * std::f32::consts::LOG2_E + MAGIC) - MAGIC;
    let r = x - k * 0.693_145_75 - k * 1.428_606_8e-6;
    // Taylor/minimax terms to degree 6 on [−0.35, 0.35].
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (0.166_666_67
                    + r * (0.041_666_668 + r * (0.008_333_334 + r * 0.001_388_889)))));
    let bits = ((k as i32 + 127) << 23) as u32;
    p * f32::from_bits(bits)
}

/// erf(x), absolute error below 2e-7 (Abramowitz & Stegun 7.1.26).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_72 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

/// GELU with the exact (erf) form the model was trained with.
pub fn gelu(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// Self-attention of one window for one head.
///
/// `q`, `k`, `v` are the window's rows of the projections (`t` rows of stride `stride`, the head's
/// `dim` columns starting at `col`); writes the context into the same place of `out`.
#[allow(clippy::too_many_arguments)]
pub fn attention_head(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    t: usize,
    stride: usize,
    col: usize,
    dim: usize,
    out: &mut [f32],
) {
    let scale = 1.0 / (dim as f32).sqrt();
    // Keys transposed (dim × t) so a query's scores are a sum of contiguous rows.
    let mut kt = vec![0f32; dim * t];
    for u in 0..t {
        for d in 0..dim {
            kt[d * t + u] = k[u * stride + col + d];
        }
    }
    let mut scores = vec![0f32; t];
    let mut ctx = vec![0f32; dim];
    for i in 0..t {
        scores.iter_mut().for_each(|s| *s = 0.0);
        let qi = &q[i * stride + col..i * stride + col + dim];
        for (d, &qd) in qi.iter().enumerate() {
            let qd = qd * scale;
            for (s, kv) in scores.iter_mut().zip(&kt[d * t..(d + 1) * t]) {
                *s += qd * kv;
            }
        }
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for s in scores.iter_mut() {
            *s = exp(*s - max);
            sum += *s;
        }
        let inv = 1.0 / sum;
        ctx.iter_mut().for_each(|c| *c = 0.0);
        for (u, &p) in scores.iter().enumerate() {
            let vu = &v[u * stride + col..u * stride + col + dim];
            for (c, vv) in ctx.iter_mut().zip(vu) {
                *c += p * vv;
            }
        }
        for (o, c) in out[i * stride + col..i * stride + col + dim]
            .iter_mut()
            .zip(&ctx)
        {
            *o = c * inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_erf_are_accurate() {
        for i in -800..=300 {
            let x = i as f32 / 10.0;
            let want = (x as f64).exp();
            let got = exp(x) as f64;
            assert!(
                ((got - want) / want).abs() < 2e-6,
                "exp({x}) = {got}, want {want}"
            );
        }
        // erf reference values (Abramowitz & Stegun table 7.1).
        for (x, want) in [
            (0.0f32, 0.0f64),
            (0.5, 0.520_499_877_8),
            (1.0, 0.842_700_792_9),
            (2.0, 0.995_322_265),
            (-1.5, -0.966_105_146_5),
        ] {
            assert!((erf(x) as f64 - want).abs() < 5e-7, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn layer_norm_gives_zero_mean_unit_variance() {
        let mut x = vec![1.0, 2.0, 3.0, 4.0];
        layer_norm(&mut x, &[1.0; 4], &[0.0; 4], 1e-12);
        let mean: f32 = x.iter().sum::<f32>() / 4.0;
        let var: f32 = x.iter().map(|v| v * v).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5);
    }
}
