//! A file cache of passage embeddings for evaluation runs, keyed by the SHA-256 of the text: BEIR corpora
//! are not in the store, and encoding them is the dominant cost of a dense evaluation (minutes for
//! SciFact), so a second run, or another set over the same corpus, encodes nothing again.
//!
//! One append-only file per model key: records of 32 bytes of hash then 384 little-endian f32. A record
//! cut short by an interrupted run is ignored (and overwritten by the next append's realignment).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

const DIM: usize = encoder::DIM;
const RECORD: usize = 32 + DIM * 4;

pub struct VectorCache {
    path: PathBuf,
    vectors: HashMap<[u8; 32], Vec<f32>>,
}

fn hash(text: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).into()
}

impl VectorCache {
    pub fn open(dir: &Path, key: &str) -> anyhow::Result<VectorCache> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the cache folder {}", dir.display()))?;
        let name: String = key
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{name}.f32"));
        let mut vectors = HashMap::new();
        if let Ok(bytes) = std::fs::read(&path) {
            let whole = bytes.len() / RECORD * RECORD;
            for rec in bytes[..whole].chunks_exact(RECORD) {
                let mut h = [0u8; 32];
                h.copy_from_slice(&rec[..32]);
                let v = rec[32..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                vectors.insert(h, v);
            }
            if whole != bytes.len() {
                // Drop a torn last record so appends stay aligned.
                let f = std::fs::OpenOptions::new().write(true).open(&path)?;
                f.set_len(whole as u64)?;
            }
        }
        Ok(VectorCache { path, vectors })
    }

    /// Vectors for `texts`, encoding (with `encode`, in batches) only those not cached, and appending
    /// them to the file batch by batch so an interrupted run keeps its progress. Returns the vectors and
    /// how many were encoded.
    pub fn get_or_encode(
        &mut self,
        texts: &[String],
        mut encode: impl FnMut(&[&str]) -> Vec<[f32; DIM]>,
    ) -> anyhow::Result<(Vec<Vec<f32>>, usize)> {
        let hashes: Vec<[u8; 32]> = texts.iter().map(|t| hash(t)).collect();
        let mut seen = std::collections::HashSet::new();
        let missing: Vec<usize> = (0..hashes.len())
            .filter(|&i| !self.vectors.contains_key(&hashes[i]) && seen.insert(hashes[i]))
            .collect();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        let total = missing.len();
        for (n, batch) in missing.chunks(64).enumerate() {
            let refs: Vec<&str> = batch.iter().map(|&i| texts[i].as_str()).collect();
            let out = encode(&refs);
            let mut buf = Vec::with_capacity(batch.len() * RECORD);
            for (&i, v) in batch.iter().zip(&out) {
                buf.extend_from_slice(&hashes[i]);
                for x in v {
                    buf.extend_from_slice(&x.to_le_bytes());
                }
                self.vectors.insert(hashes[i], v.to_vec());
            }
            file.write_all(&buf)?;
            eprint!(
                "\rencoded {} / {total} passages",
                (n * 64 + batch.len()).min(total)
            );
        }
        if total > 0 {
            eprintln!();
        }
        let vectors = hashes.iter().map(|h| self.vectors[h].clone()).collect();
        Ok((vectors, total))
    }
}
