//! The English encoder's part of matching: its vector index of the English records, kept current from
//! the outbox like the multilingual one, and the query vector of an English query.

use std::path::Path;
use std::sync::Arc;

use search::matching::RankingConfig;
use store::Store;

use super::Engines;
use crate::embedder::Embedder;
use crate::indexing::{self, Space};
use crate::Result;

impl Engines {
    /// Adds the English encoder and its index (brought up to date, embedding at most `embed_budget`
    /// changed English texts). Without the encoder, with `fusion.english_dense` at 0, or before
    /// `reindex --dense` built the index, matching goes on with the multilingual encoder alone.
    pub async fn with_english(
        mut self,
        store: &Store,
        data_dir: &Path,
        encoder: Option<Arc<dyn Embedder>>,
        cfg: &RankingConfig,
        embed_budget: usize,
    ) -> Result<Engines> {
        let Some(enc) = encoder else {
            return Ok(self);
        };
        if cfg.fusion.english_dense <= 0.0 || self.encoder.is_none() {
            return Ok(self);
        }
        let synced = indexing::sync_space(
            store,
            data_dir,
            Some(enc.as_ref()),
            embed_budget,
            Space::English,
        )
        .await;
        match synced {
            Ok(indexing::Synced {
                index: Some(mut vi),
                ..
            }) if !vi.is_empty() => {
                vi.set_params(cfg.vector);
                self.english = Some(vi);
                self.english_encoder = Some(enc);
            }
            Ok(_) => {}
            // A damaged English index must not stop matching.
            Err(crate::EngineError::Vector(v)) => {
                self.notes.push(format!("English encoder not used: {v}"))
            }
            Err(e) => return Err(e),
        }
        Ok(self)
    }

    /// Whether the English encoder reads `text` as a query: installed, with its index, and the query
    /// English.
    fn reads_english(&self, text: &str) -> Option<&Arc<dyn Embedder>> {
        let enc = self.english_encoder.as_ref()?;
        self.english.as_ref()?;
        (model::Lang::detect(text).as_str() == "en" && enc.reads(text)).then_some(enc)
    }

    /// The models that read a query `text` answered in `mode`.
    pub(super) fn encoders_for(&self, text: &str, mode: super::Mode) -> Vec<String> {
        if mode != super::Mode::Hybrid {
            return vec![];
        }
        let mut v: Vec<String> = self.encoder.iter().map(|e| e.model().to_string()).collect();
        if let Some(enc) = self.reads_english(text) {
            v.push(enc.model().to_string());
        }
        v
    }

    /// The English encoder's vector of `text` when the query is English and the encoder reads it.
    pub(super) fn english_query(&self, text: &str) -> Option<Vec<f32>> {
        let enc = self.reads_english(text)?;
        Some(crate::cpu::cpu_bound(|| {
            enc.embed(&[text], encoder::Kind::Query).remove(0)
        }))
    }
}
