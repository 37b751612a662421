//! The embedding cache: vectors keyed by (model, SHA-256 of the text), on both back-ends.

use std::collections::HashMap;

use crate::{dispatch, dispatch_write, Result, Store};

/// Key of a text in the cache: lower-case hex SHA-256 of its UTF-8 bytes (any prefix the model adds is
/// left out: the cache's model key names the model and the side, query or passage).
pub fn text_hash(text: &str) -> String {
    model::sha256_hex(text.as_bytes())
}

fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl Store {
    /// The cached vectors among `hashes` for `model`.
    pub async fn cached_embeddings(
        &self,
        model: &str,
        hashes: &[String],
    ) -> Result<HashMap<String, Vec<f32>>> {
        let mut found = HashMap::new();
        for chunk in hashes.chunks(500) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT text_hash, vector FROM embeddings WHERE model = $1 AND text_hash IN ({})",
                placeholders.join(", ")
            );
            let rows: Vec<(String, Vec<u8>)> = dispatch!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(model);
                for h in chunk {
                    q = q.bind(h);
                }
                q.fetch_all(pool).await?
            });
            for (h, v) in rows {
                found.insert(h, from_bytes(&v));
            }
        }
        Ok(found)
    }

    /// Stores vectors for `model` (an existing entry for the same text is kept: same text, same vector).
    pub async fn put_embeddings(&self, model: &str, items: &[(String, Vec<f32>)]) -> Result<()> {
        for chunk in items.chunks(200) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${}, ${}, ${})", 3 * i + 2, 3 * i + 3, 3 * i + 4))
                .collect();
            let sql = format!(
                "INSERT INTO embeddings (model, text_hash, dim, vector) VALUES {} \
                 ON CONFLICT (model, text_hash) DO NOTHING",
                values.join(", ")
            );
            dispatch_write!(self, pool => {
                let mut q = sqlx::query(&sql).bind(model);
                for (h, v) in chunk {
                    q = q.bind(h).bind(v.len() as i32).bind(to_bytes(v));
                }
                q.execute(pool).await?;
            });
        }
        Ok(())
    }

    /// Deletes the vectors of `model` whose text hash is not in `keep`; returns how many.
    pub async fn retain_embeddings(
        &self,
        model: &str,
        keep: &std::collections::HashSet<String>,
    ) -> Result<u64> {
        let all: Vec<String> = dispatch!(self, pool =>
            sqlx::query_scalar("SELECT text_hash FROM embeddings WHERE model = $1")
                .bind(model).fetch_all(pool).await?);
        let stale: Vec<&String> = all.iter().filter(|h| !keep.contains(*h)).collect();
        let mut n = 0;
        for chunk in stale.chunks(500) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "DELETE FROM embeddings WHERE model = $1 AND text_hash IN ({})",
                placeholders.join(", ")
            );
            n += dispatch_write!(self, pool => {
                let mut q = sqlx::query(&sql).bind(model);
                for h in chunk {
                    q = q.bind(*h);
                }
                q.execute(pool).await?.rows_affected()
            });
        }
        Ok(n)
    }

    /// Number of cached vectors for `model`.
    pub async fn embedding_count(&self, model: &str) -> Result<i64> {
        Ok(dispatch!(self, pool =>
            sqlx::query_scalar("SELECT COUNT(*) FROM embeddings WHERE model = $1")
                .bind(model).fetch_one(pool).await?))
    }
}
