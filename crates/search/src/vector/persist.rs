//! The vector index on disk: one file, written atomically, read back with every length checked (a
//! damaged file is an error that names it, never a panic or a wrong answer).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::*;

impl VectorIndex {
    /// Writes the index to `path` atomically (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| VectorError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        // A name of its own per writer, so two processes saving at once never write into one file.
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp: PathBuf = path.with_extension(format!("{}.{nonce:x}.tmp", std::process::id()));
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        let meta = serde_json::to_vec(&self.meta).expect("metadata serializes");
        let params = serde_json::to_vec(&self.params).expect("parameters serialize");
        let mut head = Vec::new();
        head.extend_from_slice(MAGIC);
        for v in [
            self.dim as u64,
            self.meta.len() as u64,
            self.entry as u64,
            self.max_level as u64,
            self.outbox as u64,
            self.rng,
            params.len() as u64,
            meta.len() as u64,
        ] {
            head.extend_from_slice(&v.to_le_bytes());
        }
        w.write_all(&head).map_err(io)?;
        w.write_all(&params).map_err(io)?;
        w.write_all(&meta).map_err(io)?;
        let floats: Vec<u8> = self.vectors.iter().flat_map(|x| x.to_le_bytes()).collect();
        w.write_all(&floats).map_err(io)?;
        w.write_all(&self.levels).map_err(io)?;
        let del: Vec<u8> = self.deleted.iter().map(|&d| d as u8).collect();
        w.write_all(&del).map_err(io)?;
        let mut links: Vec<u8> = self.layer0.iter().flat_map(|x| x.to_le_bytes()).collect();
        for node in &self.upper {
            for layer in node {
                links.extend_from_slice(&(layer.len() as u32).to_le_bytes());
                links.extend(layer.iter().flat_map(|x| x.to_le_bytes()));
            }
        }
        w.write_all(&links).map_err(io)?;
        w.flush().map_err(io)?;
        w.get_ref().sync_all().map_err(io)?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }

    /// Reads an index written by [`save`](Self::save); `Ok(None)` when the file does not exist.
    pub fn load(path: &Path) -> Result<Option<VectorIndex>> {
        let p = path.display().to_string();
        let mut bytes = vec![];
        match std::fs::File::open(path) {
            Ok(mut f) => f
                .read_to_end(&mut bytes)
                .map_err(|source| VectorError::Io {
                    path: p.clone(),
                    source,
                })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(VectorError::Io { path: p, source }),
        };
        let corrupt = |message: &str| VectorError::Corrupt {
            path: p.clone(),
            message: message.to_string(),
        };
        let mut r = Reader {
            bytes: &bytes,
            at: 0,
        };
        if r.take(8).ok_or_else(|| corrupt("file too short"))? != MAGIC {
            return Err(corrupt("not a Shuanglian vector index of this version"));
        }
        let mut head = [0u64; 8];
        for h in &mut head {
            *h = r.u64().ok_or_else(|| corrupt("header cut short"))?;
        }
        let [dim, n, entry, max_level, outbox, rng, params_len, meta_len] = head;
        let (dim, n) = (dim as usize, n as usize);
        let params: HnswParams = r
            .take(params_len as usize)
            .and_then(|b| serde_json::from_slice(b).ok())
            .ok_or_else(|| corrupt("parameters unreadable"))?;
        let meta: Vec<ItemMeta> = r
            .take(meta_len as usize)
            .and_then(|b| serde_json::from_slice(b).ok())
            .ok_or_else(|| corrupt("item list unreadable"))?;
        if meta.len() != n || dim == 0 {
            return Err(corrupt("item count does not match the header"));
        }
        if !(2..=MAX_M).contains(&params.m) || max_level > MAX_LEVEL as u64 {
            return Err(corrupt("graph parameters out of range"));
        }
        let vector_bytes = n
            .checked_mul(dim)
            .and_then(|x| x.checked_mul(4))
            .ok_or_else(|| corrupt("sizes overflow"))?;
        let vectors: Vec<f32> = r
            .take(vector_bytes)
            .ok_or_else(|| corrupt("vectors cut short"))?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let levels = r
            .take(n)
            .ok_or_else(|| corrupt("levels cut short"))?
            .to_vec();
        let deleted: Vec<bool> = r
            .take(n)
            .ok_or_else(|| corrupt("deletions cut short"))?
            .iter()
            .map(|&b| b != 0)
            .collect();
        if levels.iter().any(|&l| l as u64 > max_level) {
            return Err(corrupt("a node's level is above the graph's top"));
        }
        let m0 = params.m * 2;
        let link_count = n.checked_mul(m0).ok_or_else(|| corrupt("sizes overflow"))?;
        if link_count > r.bytes.len() / 4 {
            return Err(corrupt("links cut short"));
        }
        let layer0: Vec<u32> = (0..link_count)
            .map(|_| r.u32())
            .collect::<Option<_>>()
            .ok_or_else(|| corrupt("links cut short"))?;
        let mut upper = Vec::with_capacity(n);
        for &l in &levels {
            let mut node = Vec::with_capacity(l as usize);
            for _ in 0..l {
                let c = r.u32().ok_or_else(|| corrupt("links cut short"))? as usize;
                let layer: Vec<u32> = (0..c)
                    .map(|_| r.u32())
                    .collect::<Option<_>>()
                    .ok_or_else(|| corrupt("links cut short"))?;
                node.push(layer);
            }
            upper.push(node);
        }
        let out_of_range = |x: &u32| *x != NONE && *x as usize >= n;
        if layer0.iter().any(out_of_range)
            || upper.iter().flatten().flatten().any(out_of_range)
            || (n > 0 && entry as usize >= n)
        {
            return Err(corrupt("a link points outside the index"));
        }
        // A link on layer L must reach a node that lives on layer L.
        for node in &upper {
            for (i, layer) in node.iter().enumerate() {
                if layer.iter().any(|&x| (levels[x as usize] as usize) < i + 1) {
                    return Err(corrupt("a link reaches a node below its layer"));
                }
            }
        }
        if n > 0 && levels[entry as usize] as u64 != max_level {
            return Err(corrupt("the entry point is not on the top layer"));
        }
        if vectors.iter().any(|x| !x.is_finite()) {
            return Err(corrupt(
                "a vector holds a value that is not a finite number",
            ));
        }
        let mut by_key = HashMap::with_capacity(n);
        for (i, m) in meta.iter().enumerate() {
            if !deleted[i] {
                by_key.insert((m.record_kind, m.id), i as u32);
            }
        }
        let live = by_key.len();
        Ok(Some(VectorIndex {
            dim,
            params,
            vectors,
            meta,
            deleted,
            levels,
            layer0,
            upper,
            entry: if n == 0 { NONE } else { entry as u32 },
            max_level: max_level as u8,
            by_key,
            live,
            rng,
            outbox: outbox as i64,
            centroids: Default::default(),
        }))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
}
