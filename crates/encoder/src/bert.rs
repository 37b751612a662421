//! The BERT body every model here shares (12 post-layer-norm layers, hidden 384, 12 heads, GELU), run
//! on stacked windows with quantized matrix products; and the cross-encoder's head on [CLS].

use rayon::prelude::*;

use crate::file::{DType, Dims, ModelFile};
use crate::quant::{self, PackedWeights, Q8Rows};
use crate::{math, EncoderError, Kernel};

struct Layer {
    qkv: [PackedWeights; 3],
    attn_out: PackedWeights,
    attn_ln: (Vec<f32>, Vec<f32>),
    ff_in: PackedWeights,
    ff_out: PackedWeights,
    out_ln: (Vec<f32>, Vec<f32>),
}

/// A pooler (dense + tanh) and a one-logit classifier, read on [CLS].
struct Head {
    pool: PackedWeights,
    w: Vec<f32>,
    b: f32,
}

/// One window of one text: the ids with their special tokens, and each token's segment (0 or 1).
pub struct Window {
    pub text: usize,
    pub ids: Vec<u32>,
    pub types: Option<Vec<u8>>,
    /// Content tokens (the window's weight in a text's mean).
    pub content: usize,
}

pub struct Network {
    pub dims: Dims,
    word: DType,
    pos: Vec<f32>,
    token_type: Vec<f32>,
    emb_ln: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
    head: Option<Head>,
}

impl Network {
    pub fn load(file: &ModelFile, classifier: bool) -> Result<Network, EncoderError> {
        let d = file.dims;
        let h = d.hidden;
        let linear =
            |name: &str, rows: usize, cols: usize| -> Result<PackedWeights, EncoderError> {
                let bias = file.f32s(&format!("{name}.b"), rows)?;
                let w = format!("{name}.w");
                match file.tensor(&w, DType::Q8_0, rows * cols) {
                    Ok(raw) => PackedWeights::from_q8_0(name, raw, rows, cols, bias),
                    Err(_) => {
                        let raw = file.tensor(&w, DType::Q4_0, rows * cols)?;
                        PackedWeights::from_q4_0(name, raw, rows, cols, bias)
                    }
                }
            };
        let norm = |name: &str| -> Result<(Vec<f32>, Vec<f32>), EncoderError> {
            Ok((
                file.f32s(&format!("{name}.w"), h)?,
                file.f32s(&format!("{name}.b"), h)?,
            ))
        };
        let mut layers = Vec::with_capacity(d.layers);
        for l in 0..d.layers {
            layers.push(Layer {
                qkv: [
                    linear(&format!("l{l}.q"), h, h)?,
                    linear(&format!("l{l}.k"), h, h)?,
                    linear(&format!("l{l}.v"), h, h)?,
                ],
                attn_out: linear(&format!("l{l}.ao"), h, h)?,
                attn_ln: norm(&format!("l{l}.aln"))?,
                ff_in: linear(&format!("l{l}.fi"), d.ff, h)?,
                ff_out: linear(&format!("l{l}.fo"), h, d.ff)?,
                out_ln: norm(&format!("l{l}.oln"))?,
            });
        }
        // Checked once here so lookups during encoding cannot fail.
        let word = [DType::Q4_0, DType::Q8_0]
            .into_iter()
            .find(|&t| file.tensor("emb.word", t, d.vocab * h).is_ok())
            .ok_or_else(|| {
                EncoderError::Shape(
                    "emb.word: no Q4_0 or Q8_0 table of the vocabulary's rows".into(),
                )
            })?;
        let head = if classifier {
            Some(Head {
                pool: linear("pool", h, h)?,
                w: file.f32s("cls.w", h)?,
                b: file.f32s("cls.b", 1)?[0],
            })
        } else {
            None
        };
        Ok(Network {
            dims: d,
            word,
            pos: file.f32s("emb.pos", d.max_positions * h)?,
            token_type: file.f32s("emb.type", 2 * h)?,
            emb_ln: norm("emb.ln")?,
            layers,
            head,
        })
    }

    /// Runs windows (stacked into one matrix) through the layers; returns the last hidden states
    /// (tokens × hidden, windows one after another).
    pub fn forward(&self, file: &ModelFile, kernel: Kernel, windows: &[Window]) -> Vec<f32> {
        let h = self.dims.hidden;
        let n: usize = windows.iter().map(|w| w.ids.len()).sum();
        let word = file
            .tensor("emb.word", self.word, self.dims.vocab * h)
            .expect("checked at load");
        let row_bytes = self.word.bytes(h);
        let mut x = vec![0f32; n * h];
        let mut spans = Vec::with_capacity(windows.len());
        let mut at = 0;
        for w in windows {
            spans.push((at, w.ids.len()));
            for (p, &id) in w.ids.iter().enumerate() {
                let row = &mut x[(at + p) * h..(at + p + 1) * h];
                let raw = &word[id as usize * row_bytes..];
                match self.word {
                    DType::Q8_0 => quant::dequant_row_q8(raw, h, row),
                    _ => quant::dequant_row(raw, h, row),
                }
                let pos = &self.pos[p * h..(p + 1) * h];
                let t = w.types.as_ref().map_or(0, |t| t[p] as usize);
                let ty = &self.token_type[t * h..(t + 1) * h];
                for ((v, p), t) in row.iter_mut().zip(pos).zip(ty) {
                    *v += p + t;
                }
            }
            at += w.ids.len();
        }
        residual_norm(&mut x, None, &self.emb_ln, self.dims.eps);

        let heads = self.dims.heads;
        let dim = h / heads;
        let mut qkv = [vec![0f32; n * h], vec![0f32; n * h], vec![0f32; n * h]];
        let mut ctx = vec![0f32; n * h];
        let mut proj = vec![0f32; n * h];
        let mut mid = vec![0f32; n * self.dims.ff];
        for layer in &self.layers {
            let xq = Q8Rows::quantize(&x, h);
            for (w, out) in layer.qkv.iter().zip(qkv.iter_mut()) {
                kernel.matmul(&xq, w, out);
            }
            // Attention is independent per (window, head): each task returns its head's columns.
            let parts: Vec<(usize, usize, Vec<f32>)> = spans
                .par_iter()
                .flat_map_iter(|&(s, t)| (0..heads).map(move |hd| (s, t, hd)))
                .map(|(s, t, hd)| {
                    let mut out = vec![0f32; t * dim];
                    math::attention_head(
                        &qkv[0][s * h..(s + t) * h],
                        &qkv[1][s * h..(s + t) * h],
                        &qkv[2][s * h..(s + t) * h],
                        t,
                        h,
                        hd * dim,
                        dim,
                        &mut out,
                    );
                    (s, hd, out)
                })
                .collect();
            for (s, hd, out) in parts {
                for (i, src) in out.chunks_exact(dim).enumerate() {
                    ctx[(s + i) * h + hd * dim..(s + i) * h + (hd + 1) * dim].copy_from_slice(src);
                }
            }
            kernel.matmul(&Q8Rows::quantize(&ctx, h), &layer.attn_out, &mut proj);
            residual_norm(&mut x, Some(&proj), &layer.attn_ln, self.dims.eps);

            kernel.matmul(&Q8Rows::quantize(&x, h), &layer.ff_in, &mut mid);
            mid.par_chunks_mut(self.dims.ff).for_each(math::gelu);
            kernel.matmul(
                &Q8Rows::quantize(&mid, self.dims.ff),
                &layer.ff_out,
                &mut proj,
            );
            residual_norm(&mut x, Some(&proj), &layer.out_ln, self.dims.eps);
        }
        x
    }

    /// The classifier's logit for each [CLS] row (`cls`: rows × hidden); `None` without a head.
    pub fn classify(&self, kernel: Kernel, cls: &[f32]) -> Option<Vec<f32>> {
        let head = self.head.as_ref()?;
        let h = self.dims.hidden;
        let mut pooled = vec![0f32; cls.len()];
        kernel.matmul(&Q8Rows::quantize(cls, h), &head.pool, &mut pooled);
        Some(
            pooled
                .chunks_exact(h)
                .map(|row| {
                    row.iter()
                        .zip(&head.w)
                        .map(|(v, w)| v.tanh() * w)
                        .sum::<f32>()
                        + head.b
                })
                .collect(),
        )
    }
}

/// `x = LayerNorm(x + residual)`, in parallel over groups of rows.
fn residual_norm(x: &mut [f32], residual: Option<&[f32]>, ln: &(Vec<f32>, Vec<f32>), eps: f32) {
    let rows = 64 * ln.0.len();
    x.par_chunks_mut(rows).enumerate().for_each(|(i, chunk)| {
        if let Some(r) = residual {
            math::add_assign(chunk, &r[i * rows..i * rows + chunk.len()]);
        }
        math::layer_norm(chunk, &ln.0, &ln.1, eps);
    });
}
