//! The lexical index: tantivy stores the postings, field lengths and filter fields; scoring is our own
//! BM25 over them, so `k1`, `b` and the per-field weights are parameters rather than constants, and
//! filters are applied while candidates are gathered (a filter never leaves fewer than `limit` hits when
//! that many match).

use std::collections::HashSet;
use std::path::Path;

use model::RecordKind;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STRING,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocId, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::item::SearchItem;

mod query;
mod tokens;
use tokens::AnalyzerTokenizer;

/// Name under which the shared analyzer is registered with tantivy.
const TOKENIZER: &str = "shuanglian";

/// BM25 parameters and field weights. Defaults are the values tuned on the dev splits (BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Bm25Params {
    pub k1: f32,
    pub b: f32,
    /// Weight of the whole text (title + abstract + keywords).
    pub w_all: f32,
    /// Extra weight of a match in the title.
    pub w_title: f32,
    /// Extra weight of a match in the keywords.
    pub w_keywords: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Bm25Params {
            k1: 1.3,
            b: 0.75,
            w_all: 1.0,
            w_title: 0.0,
            w_keywords: 0.0,
        }
    }
}

/// Restrictions applied during search. Empty lists mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Filters {
    pub record_kinds: Vec<RecordKind>,
    /// Sub-kinds such as `paper`, `patent`, `lab`, `expert`.
    pub kinds: Vec<String>,
    pub langs: Vec<String>,
    /// Region codes (or free-text regions as stored).
    pub regions: Vec<String>,
    pub clusters: Vec<String>,
    pub trl: Option<(u8, u8)>,
    pub year: Option<(i32, i32)>,
}

/// One ranked result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub record_kind: RecordKind,
    pub id: u64,
    pub score: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum LexicalError {
    #[error("lexical index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("lexical index: {0}")]
    Io(#[from] std::io::Error),
    #[error("lexical index at {path}: {message}")]
    Open { path: String, message: String },
}

pub type Result<T> = std::result::Result<T, LexicalError>;

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    record_kind: Field,
    id: Field,
    kind: Field,
    lang: Field,
    region: Field,
    cluster: Field,
    trl: Field,
    year: Field,
    all: Field,
    title: Field,
    keywords: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            // Our BM25 needs frequencies and lengths only; positions would cost index time and space.
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        record_kind: b.add_u64_field("record_kind", FAST | INDEXED),
        id: b.add_u64_field("id", FAST),
        kind: b.add_text_field("kind", STRING),
        lang: b.add_text_field("lang", STRING),
        region: b.add_text_field("region", STRING),
        cluster: b.add_text_field("cluster", STRING),
        trl: b.add_u64_field("trl", FAST),
        year: b.add_u64_field("year", FAST),
        all: b.add_text_field("all", text.clone()),
        title: b.add_text_field("title", text.clone()),
        keywords: b.add_text_field("keywords", text),
    };
    (b.build(), fields)
}

fn kind_code(k: RecordKind) -> u64 {
    match k {
        RecordKind::Organization => 0,
        RecordKind::Person => 1,
        RecordKind::Outcome => 2,
        RecordKind::Demand => 3,
    }
}

fn kind_from_code(c: u64) -> RecordKind {
    match c {
        0 => RecordKind::Organization,
        1 => RecordKind::Person,
        2 => RecordKind::Outcome,
        _ => RecordKind::Demand,
    }
}

/// A lexical index over searchable items.
pub struct LexicalIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    view: std::sync::Mutex<Option<std::sync::Arc<ScoringView>>>,
}

/// Per-segment data derived from one searcher generation and one set of BM25 parameters.
struct ScoringView {
    generation: u64,
    params: Bm25Params,
    n_docs: f32,
    fields: Vec<FieldView>,
    /// Record kind and store id per segment and document.
    kinds: Vec<Vec<RecordKind>>,
    ids: Vec<Vec<u64>>,
}

/// One weighted text field: its weight and, per segment and document, `k1 · (1 − b + b · dl / avgdl)`.
struct FieldView {
    field: Field,
    weight: f32,
    norms: Vec<Vec<f32>>,
}

impl LexicalIndex {
    fn wrap(index: Index, fields: Fields) -> Result<Self> {
        index
            .tokenizers()
            .register(TOKENIZER, TextAnalyzer::from(AnalyzerTokenizer));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(LexicalIndex {
            index,
            reader,
            fields,
            view: Default::default(),
        })
    }

    /// An index in memory (tests, evaluation runs that need no persistence).
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = schema();
        Self::wrap(Index::create_in_ram(schema), fields)
    }

    /// Opens the index in `dir`, creating it when absent.
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        let open_err = |message: String| LexicalError::Open {
            path: dir.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, fields) = schema();
        // The index is derived data: one written by an older schema is dropped and rebuilt from the store
        // (an empty index at outbox position 0 makes the next sync rebuild it in full).
        if let Ok(existing) = Index::open_in_dir(dir) {
            if existing.schema() != schema {
                drop(existing);
                // Moved aside in one rename, then deleted: a process still holding the old index
                // keeps writing into the moved folder, never into the new one.
                let aside = dir.with_extension(format!("stale-{}", std::process::id()));
                std::fs::rename(dir, &aside).map_err(|e| open_err(e.to_string()))?;
                std::fs::remove_dir_all(&aside).ok();
                std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
            }
        }
        let mmap =
            tantivy::directory::MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?;
        let index = Index::open_or_create(mmap, schema).map_err(|e| {
            open_err(format!(
                "{e}; the index is derived data: delete the folder and run `shuanglian reindex`"
            ))
        })?;
        Self::wrap(index, fields)
    }

    /// A writer; documents become visible after [`LexicalWriter::commit`].
    pub fn writer(&self) -> Result<LexicalWriter> {
        // One indexing thread per core (tantivy caps it at 8 and at 15 MB of arena per thread).
        let writer = self.index.writer(64 * 1024 * 1024)?;
        Ok(LexicalWriter {
            writer,
            fields: self.fields,
            cleared: false,
            added: Default::default(),
        })
    }

    /// Makes committed changes visible to searches.
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    /// The last store outbox entry the committed index includes (0 when never synced).
    pub fn outbox_position(&self) -> Result<i64> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| p.strip_prefix("outbox:"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Number of indexed items.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What a search over the current searcher needs per segment, computed once per (searcher generation,
    /// k1, b, field weights) rather than once per query: BM25 length normalisers per document and the
    /// decoded record kind and id columns.
    fn scoring_view(
        &self,
        searcher: &tantivy::Searcher,
        params: &Bm25Params,
    ) -> Result<std::sync::Arc<ScoringView>> {
        let mut cached = self.view.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = cached.as_ref() {
            if v.generation == searcher.generation().generation_id() && v.params == *params {
                return Ok(v.clone());
            }
        }
        let f = self.fields;
        let weighted: Vec<(Field, f32)> = [
            (f.all, params.w_all),
            (f.title, params.w_title),
            (f.keywords, params.w_keywords),
        ]
        .into_iter()
        .filter(|(_, w)| *w > 0.0)
        .collect();
        let n_docs = (searcher.num_docs() as f32).max(1.0);
        let segments = searcher.segment_readers();
        let mut fields = Vec::with_capacity(weighted.len());
        for &(field, weight) in &weighted {
            let mut tokens = 0u64;
            for seg in segments {
                tokens += seg.inverted_index(field)?.total_num_tokens();
            }
            let avgdl = (tokens as f32 / n_docs).max(1.0);
            let mut norms = Vec::with_capacity(segments.len());
            for seg in segments {
                let reader = seg.get_fieldnorms_reader(field)?;
                norms.push(
                    (0..seg.max_doc())
                        .map(|d| {
                            let dl = reader.fieldnorm(d) as f32;
                            params.k1 * (1.0 - params.b + params.b * dl / avgdl)
                        })
                        .collect(),
                );
            }
            fields.push(FieldView {
                field,
                weight,
                norms,
            });
        }
        let mut kinds = Vec::with_capacity(segments.len());
        let mut ids = Vec::with_capacity(segments.len());
        for seg in segments {
            let ff = seg.fast_fields();
            let (rk, id) = (ff.u64("record_kind")?, ff.u64("id")?);
            kinds.push(
                (0..seg.max_doc())
                    .map(|d| kind_from_code(rk.first(d).unwrap_or(2)))
                    .collect(),
            );
            ids.push(
                (0..seg.max_doc())
                    .map(|d| id.first(d).unwrap_or(0))
                    .collect(),
            );
        }
        let view = std::sync::Arc::new(ScoringView {
            generation: searcher.generation().generation_id(),
            params: *params,
            n_docs,
            fields,
            kinds,
            ids,
        });
        *cached = Some(view.clone());
        Ok(view)
    }

    /// The documents of one segment that pass `filters` (and are not deleted); `None` = all of them.
    fn allowed_docs(
        &self,
        seg: &tantivy::SegmentReader,
        filters: &Filters,
    ) -> Result<Option<Vec<bool>>> {
        let f = self.fields;
        let texts = |field: Field, values: &[String]| -> Vec<Term> {
            values
                .iter()
                .map(|v| Term::from_field_text(field, v))
                .collect()
        };
        let term_groups: Vec<Vec<Term>> = vec![
            filters
                .record_kinds
                .iter()
                .map(|k| Term::from_field_u64(f.record_kind, kind_code(*k)))
                .collect(),
            texts(f.kind, &filters.kinds),
            texts(f.lang, &filters.langs),
            texts(f.region, &filters.regions),
            texts(f.cluster, &filters.clusters),
        ];
        let active: Vec<&Vec<Term>> = term_groups.iter().filter(|g| !g.is_empty()).collect();
        let alive = seg.alive_bitset();
        if active.is_empty() && filters.trl.is_none() && filters.year.is_none() && alive.is_none() {
            return Ok(None);
        }
        let max = seg.max_doc() as usize;
        let mut allowed: Vec<bool> = (0..max)
            .map(|d| alive.is_none_or(|a| a.is_alive(d as DocId)))
            .collect();
        for group in active {
            let mut in_group = vec![false; max];
            for term in group {
                let inv = seg.inverted_index(term.field())?;
                if let Some(mut p) = inv.read_postings(term, IndexRecordOption::Basic)? {
                    use tantivy::DocSet;
                    let mut d = p.doc();
                    while d != tantivy::TERMINATED {
                        in_group[d as usize] = true;
                        d = p.advance();
                    }
                }
            }
            for (a, g) in allowed.iter_mut().zip(in_group) {
                *a &= g;
            }
        }
        let ff = seg.fast_fields();
        if let Some((lo, hi)) = filters.trl {
            let col = ff.u64("trl")?;
            for (d, a) in allowed.iter_mut().enumerate() {
                *a &= col
                    .first(d as DocId)
                    .is_some_and(|v| (lo as u64..=hi as u64).contains(&v));
            }
        }
        if let Some((lo, hi)) = filters.year {
            let col = ff.u64("year")?;
            for (d, a) in allowed.iter_mut().enumerate() {
                *a &= col
                    .first(d as DocId)
                    .is_some_and(|v| (lo.max(0) as u64..=hi.max(0) as u64).contains(&v));
            }
        }
        Ok(Some(allowed))
    }
}

/// Adds, replaces and deletes items; nothing is visible until `commit`.
pub struct LexicalWriter {
    writer: IndexWriter<TantivyDocument>,
    fields: Fields,
    /// Set by [`LexicalWriter::clear`]: the index holds nothing but what this writer added since, so an
    /// upsert of a record not yet added needs no delete (a rebuild then skips one delete per document).
    cleared: bool,
    added: HashSet<(u64, u64)>,
}

fn key(kind: RecordKind, id: u64) -> String {
    format!("{}:{id}", kind.as_str())
}

impl LexicalWriter {
    /// Adds `item`, replacing any earlier version of the same record.
    pub fn upsert(&mut self, item: &SearchItem) -> Result<()> {
        let f = self.fields;
        let fresh = self.cleared && self.added.insert((kind_code(item.record_kind), item.id));
        if !fresh {
            self.delete(item.record_kind, item.id);
        }
        let mut doc = TantivyDocument::new();
        doc.add_text(f.key, key(item.record_kind, item.id));
        doc.add_u64(f.record_kind, kind_code(item.record_kind));
        doc.add_u64(f.id, item.id);
        doc.add_text(f.kind, &item.kind);
        doc.add_text(f.lang, &item.lang);
        if let Some(r) = &item.region {
            doc.add_text(f.region, r);
        }
        for c in &item.clusters {
            doc.add_text(f.cluster, c);
        }
        if let Some(t) = item.trl {
            doc.add_u64(f.trl, t as u64);
        }
        if let Some(y) = item.year {
            doc.add_u64(f.year, y.max(0) as u64);
        }
        doc.add_text(f.all, item.all_text());
        doc.add_text(f.title, &item.title);
        doc.add_text(f.keywords, item.keywords.join("; "));
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Removes a record from the index.
    pub fn delete(&mut self, kind: RecordKind, id: u64) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.key, &key(kind, id)));
    }

    /// Removes everything (before a full rebuild).
    pub fn clear(&mut self) -> Result<()> {
        self.writer.delete_all_documents()?;
        self.cleared = true;
        self.added.clear();
        Ok(())
    }

    /// Makes the changes durable; searchers see them after [`LexicalIndex::reload`].
    pub fn commit(&mut self) -> Result<()> {
        self.writer.commit()?;
        Ok(())
    }

    /// Commits, recording atomically with the changes the last store outbox entry they include, so
    /// an index killed mid-update resumes from where its committed state really is.
    pub fn commit_at_outbox(&mut self, outbox_id: i64) -> Result<()> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&format!("outbox:{outbox_id}"));
        prepared.commit()?;
        Ok(())
    }
}
