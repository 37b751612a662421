//! The f32 parts of the encoder: layer norm, GELU, softmax and attention. Written as straight loops over
//! slices without branches in the inner loops so the compiler vectorizes them, and compiled three times
//! (AVX-512, AVX2+FMA, baseline) with the widest chosen at run time.

/// 2 = AVX-512, 1 = AVX2 + FMA, 0 = baseline; detected once.
pub(crate) fn simd_level() -> u8 {
    static LEVEL: std::sync::OnceLock<u8> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("fma")
            {
                return 2;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return 1;
            }
        }
        0
    })
}

/// Defines `$name` as a dispatcher to copies of the portable `$body` compiled for AVX-512 and for
/// AVX2 + FMA, chosen by [`simd_level`].
macro_rules! multiversion {
    ($(#[$m:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:path) => {
        $(#[$m])*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn wide($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn narrow($($arg: $ty),*) $(-> $ret)? {
                    $body($($arg),*)
                }
                match $crate::math::simd_level() {
                    // SAFETY: the CPU has the features `wide` is compiled for (simd_level checked them).
                    #[allow(unsafe_code)]
                    2 => return unsafe { wide($($arg),*) },
                    // SAFETY: as above, for `narrow`.
                    #[allow(unsafe_code)]
                    1 => return unsafe { narrow($($arg),*) },
                    _ => {}
                }
            }
            $body($($arg),*)
        }
    };
}
pub(crate) use multiversion;

multiversion! {
    /// In place: `x = (x − mean) / sqrt(var + eps) · w + b` per row of `w.len()`.
    pub fn layer_norm(x: &mut [f32], w: &[f32], b: &[f32], eps: f32) => layer_norm_body
}

multiversion! {
    /// GELU with the exact (erf) form the model was trained with.
    pub fn gelu(x: &mut [f32]) => gelu_body
}

multiversion! {
    /// The dot product of two equally long vectors (cosine of unit vectors): the inner loop of vector
    /// search, so it runs on the widest SIMD the CPU has.
    pub fn dot(a: &[f32], b: &[f32]) -> f32 => dot_body
}

#[inline(always)]
fn dot_body(a: &[f32], b: &[f32]) -> f32 {
    // Sixteen independent lanes let the compiler keep the sum in vector registers (a single running sum
    // is a dependency chain it may not reorder).
    let mut acc = [0f32; 16];
    let (ca, ra) = (a.chunks_exact(16), a.chunks_exact(16).remainder());
    let rb = b.chunks_exact(16).remainder();
    for (x, y) in ca.zip(b.chunks_exact(16)) {
        for i in 0..16 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        sum += x * y;
    }
    sum
}

multiversion! {
    /// `x += y`.
    pub fn add_assign(x: &mut [f32], y: &[f32]) => add_assign_body
}

multiversion! {
    /// Self-attention of one window for one head: `q`, `k`, `v` are the window's rows of the projections
    /// (`t` rows of stride `stride`, the head's `dim` columns starting at `col`); writes the context to
    /// `out` as `t` rows of `dim`.
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
    ) => attention_generic
}

#[inline(always)]
fn add_assign_body(x: &mut [f32], y: &[f32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

#[inline(always)]
fn layer_norm_body(x: &mut [f32], w: &[f32], b: &[f32], eps: f32) {
    let h = w.len();
    for row in x.chunks_exact_mut(h) {
        let mean = lane_sum(row.iter().copied()) / h as f32;
        let var = lane_sum(row.iter().map(|v| (v - mean) * (v - mean))) / h as f32;
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

/// A sum in 16 independent lanes (vectorizes; the order differs from a serial sum only in rounding).
#[inline(always)]
fn lane_sum(xs: impl Iterator<Item = f32>) -> f32 {
    let mut lanes = [0f32; 16];
    for (i, x) in xs.enumerate() {
        lanes[i % 16] += x;
    }
    lanes.iter().sum()
}

#[inline(always)]
fn gelu_body(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// Largest value, in 16 independent lanes so the loop vectorizes.
#[inline(always)]
fn max_of(xs: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 16];
    let mut chunks = xs.chunks_exact(16);
    for c in &mut chunks {
        for (l, x) in lanes.iter_mut().zip(c) {
            *l = l.max(*x);
        }
    }
    let tail = chunks
        .remainder()
        .iter()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    lanes.iter().copied().fold(tail, f32::max)
}

/// In place `x = exp(x − m)`, returning the sum, in 16 lanes.
#[inline(always)]
fn exp_shifted_sum(xs: &mut [f32], m: f32) -> f32 {
    let mut lanes = [0f32; 16];
    let mut chunks = xs.chunks_exact_mut(16);
    for c in &mut chunks {
        for (l, x) in lanes.iter_mut().zip(c.iter_mut()) {
            *x = exp(*x - m);
            *l += *x;
        }
    }
    let mut sum = 0.0;
    for x in chunks.into_remainder() {
        *x = exp(*x - m);
        sum += *x;
    }
    sum + lanes.iter().sum::<f32>()
}

/// Head width of multilingual-e5-small (384 / 12): fixed so the per-query accumulators live in
/// registers.
pub const HEAD_DIM: usize = 32;

/// Self-attention of one window for one head (portable body). Keys are transposed once so that the scores
/// of 16 keys against a query accumulate in one register-sized array, and the context of a query
/// accumulates in a 32-float array rather than through memory.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn attention_generic(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    t: usize,
    stride: usize,
    col: usize,
    dim: usize,
    out: &mut [f32],
) {
    assert_eq!(dim, HEAD_DIM, "attention: head width");
    let scale = 1.0 / (dim as f32).sqrt();
    // Keys transposed (dim × padded t), zero-padded to whole chunks of 16.
    let tp = t.div_ceil(16) * 16;
    let mut kt = vec![0f32; HEAD_DIM * tp];
    for u in 0..t {
        for d in 0..HEAD_DIM {
            kt[d * tp + u] = k[u * stride + col + d];
        }
    }
    // Queries in groups of 4: four independent accumulator chains hide the add latency, and each key
    // (or value) row loaded serves four queries.
    let mut scores = vec![0f32; 4 * tp];
    let mut i = 0;
    while i + 4 <= t {
        attend_group::<4>(q, &kt, v, t, tp, stride, col, scale, i, &mut scores, out);
        i += 4;
    }
    while i < t {
        attend_group::<1>(q, &kt, v, t, tp, stride, col, scale, i, &mut scores, out);
        i += 1;
    }
}

/// Attention output of queries `i0..i0+G`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn attend_group<const G: usize>(
    q: &[f32],
    kt: &[f32],
    v: &[f32],
    t: usize,
    tp: usize,
    stride: usize,
    col: usize,
    scale: f32,
    i0: usize,
    scores: &mut [f32],
    out: &mut [f32],
) {
    let mut qs = [[0f32; HEAD_DIM]; G];
    for (g, qg) in qs.iter_mut().enumerate() {
        let row = &q[(i0 + g) * stride + col..(i0 + g) * stride + col + HEAD_DIM];
        for (a, b) in qg.iter_mut().zip(row) {
            *a = b * scale;
        }
    }
    for c in 0..tp / 16 {
        let mut acc = [[0f32; 16]; G];
        for d in 0..HEAD_DIM {
            let row = &kt[d * tp + c * 16..d * tp + c * 16 + 16];
            for g in 0..G {
                let qd = qs[g][d];
                for (a, kv) in acc[g].iter_mut().zip(row) {
                    *a += qd * kv;
                }
            }
        }
        for (g, a) in acc.iter().enumerate() {
            scores[g * tp + c * 16..g * tp + c * 16 + 16].copy_from_slice(a);
        }
    }
    let mut inv = [0f32; G];
    for (g, inv) in inv.iter_mut().enumerate() {
        let live = &mut scores[g * tp..g * tp + t];
        let max = max_of(live);
        *inv = 1.0 / exp_shifted_sum(live, max);
    }
    let mut ctx = [[0f32; HEAD_DIM]; G];
    for u in 0..t {
        let vu = &v[u * stride + col..u * stride + col + HEAD_DIM];
        for g in 0..G {
            let p = scores[g * tp + u];
            for (c, vv) in ctx[g].iter_mut().zip(vu) {
                *c += p * vv;
            }
        }
    }
    for (g, cg) in ctx.iter().enumerate() {
        let o = &mut out[(i0 + g) * HEAD_DIM..(i0 + g + 1) * HEAD_DIM];
        for (o, c) in o.iter_mut().zip(cg) {
            *o = c * inv[g];
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
