//! Importing a file of records: the one use case behind `shuanglian import` and the admin import
//! page. Parsing (with its row-level report) is `ingest`'s; this module takes an upload as bytes,
//! writes the accepted records in batches and records the run, so both doors count and audit the
//! same way.

use model::{Record, RecordKind};
use store::{ImportRun, Store, WriteOutcome};

use crate::{EngineError, Result};

/// What one import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Who imports what, for the run record and the audit trail.
pub struct ImportJob<'a> {
    pub kind: RecordKind,
    /// The file as the person named it (shown in the run history).
    pub file: &'a str,
    pub file_sha256: &'a str,
    /// Rows rejected by the parser (written as the run's rejected count).
    pub rejected_rows: usize,
    pub actor: &'a str,
    /// Records per transaction.
    pub batch: usize,
}

/// Writes `records` in batches of `run.batch` and records the run; `on_batch` hears how many rows
/// each batch held (for a progress bar).
pub async fn write_records(
    store: &Store,
    run: &ImportJob<'_>,
    records: &[Record],
    mut on_batch: impl FnMut(usize),
) -> Result<Written> {
    let started_at = chrono::Utc::now();
    let mut w = Written::default();
    for chunk in records.chunks(run.batch.max(1)) {
        for r in store.write_batch(chunk, run.actor).await? {
            match r {
                WriteOutcome::Inserted(_) => w.inserted += 1,
                WriteOutcome::Updated(_) => w.updated += 1,
                WriteOutcome::Unchanged(_) => w.unchanged += 1,
            }
        }
        on_batch(chunk.len());
    }
    store
        .record_import_run(&ImportRun {
            kind: run.kind,
            file: run.file.to_string(),
            file_sha256: run.file_sha256.to_string(),
            started_at,
            finished_at: chrono::Utc::now(),
            inserted: w.inserted as i64,
            updated: w.updated as i64,
            unchanged: w.unchanged as i64,
            rejected: run.rejected_rows as i64,
            actor: run.actor.to_string(),
        })
        .await?;
    Ok(w)
}

/// An uploaded file's safe base name: path parts and odd characters dropped, at most 60 characters
/// with its extension kept (the extension picks the format; an OS refuses names past 255 bytes).
pub fn upload_name(sent_as: &str) -> String {
    let base: String = std::path::Path::new(sent_as)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|ch| ch.is_alphanumeric() || matches!(ch, '.' | '-' | '_'))
        .collect();
    if base.is_empty() {
        return "upload.csv".to_string();
    }
    shorten(&base, 60)
}

fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if e.chars().count() <= 10 => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    let keep = max.saturating_sub(ext.chars().count());
    format!("{}{ext}", stem.chars().take(keep).collect::<String>())
}

/// Parses an upload (`bytes` sent under the name `sent_as`) as records of `kind` within `limits`.
/// CPU work: run it off the async workers. Errors name the upload, never a server path.
pub fn parse_upload(
    sent_as: &str,
    bytes: &[u8],
    kind: RecordKind,
    limits: ingest::Limits,
) -> Result<(String, ingest::Parsed)> {
    let base = upload_name(sent_as);
    let io = |source: std::io::Error| EngineError::Io {
        path: base.clone(),
        source,
    };
    let dir = tempfile::tempdir().map_err(io)?;
    let path = dir.path().join(&base);
    std::fs::write(&path, bytes).map_err(io)?;
    let opts = ingest::ParseOptions {
        default_source: Some(base.clone()),
        limits,
        ..ingest::ParseOptions::default()
    };
    let parsed = ingest::parse_file(&path, kind, &opts).map_err(|e| {
        let dir_text = format!("{}/", dir.path().to_string_lossy());
        EngineError::Input(e.to_string().replace(&dir_text, ""))
    })?;
    Ok((base, parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_safe_and_short() {
        assert_eq!(upload_name("../../etc/passwd"), "passwd");
        assert_eq!(upload_name("a b<c>.csv"), "abc.csv");
        assert_eq!(upload_name("///"), "upload.csv");
        let long = format!("{}.xlsx", "企".repeat(100));
        let short = upload_name(&long);
        assert_eq!(short.chars().count(), 60);
        assert!(short.ends_with(".xlsx"));
    }

    #[test]
    fn a_parse_error_names_the_upload_not_the_temporary_folder() {
        let bytes = b"\"unterminated,1\n".repeat(3);
        let r = parse_upload(
            "x.csv",
            &bytes,
            RecordKind::Organization,
            ingest::Limits::upload(),
        );
        if let Err(e) = r {
            let text = e.to_string();
            assert!(!text.contains("/tmp"), "{text}");
        }
        let r = parse_upload(
            "x.zip",
            b"PK\x03\x04",
            RecordKind::Organization,
            ingest::Limits::upload(),
        );
        let Err(e) = r else {
            panic!("a .zip is not a known format")
        };
        let text = e.to_string();
        assert!(text.contains("x.zip") && !text.contains("/tmp"), "{text}");
    }
}
