//! Getting records in and out: readers for JSONL, CSV (UTF-8 with or without BOM, GBK/GB18030 found
//! automatically) and XLSX; header mapping from Chinese or English column names; per-row validation
//! into domain records with file, line, field and reason for every rejection; writers for export.
//!
//! The crate does no database work: [`read_file`] turns a file into validated rows, and the caller
//! decides how to store them.

mod columns;
mod convert;
mod decode;
mod delimited;
mod export;
mod limits;
pub mod profiles;
mod read;
mod report;
mod xlsx;

pub use columns::{canonical_fields, ColumnMap};
pub use convert::convert_row;
pub use decode::{decode, decode_lines, Encoding};
pub use export::{export_records, ExportFormat, ExportOptions, ExportSummary};
pub use limits::Limits;
pub use read::{read_file, read_file_within, FileFormat, RawRow, RawValue, ReadError};
pub use report::{write_report_csv, Rejection};
pub use xlsx::cell_name;

use model::{Record, RecordKind};
use std::path::Path;

/// One accepted row: the record and where it came from.
#[derive(Debug, Clone)]
pub struct AcceptedRow {
    pub line: usize,
    pub record: Record,
}

/// The result of reading and validating a whole file.
#[derive(Debug, Default)]
pub struct Parsed {
    pub accepted: Vec<AcceptedRow>,
    pub rejected: Vec<Rejection>,
    /// File-level notes: unknown columns, free-text regions, repeated rows.
    pub warnings: Vec<String>,
    pub encoding: Option<Encoding>,
    pub format: Option<FileFormat>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

/// Options that apply to every row of a file.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Forced format; otherwise taken from the file extension.
    pub format: Option<FileFormat>,
    /// Sheet to read from an XLSX workbook; the first sheet otherwise.
    pub sheet: Option<String>,
    /// Fills `source` on rows that have none (e.g. "CSL", "SciFact").
    pub default_source: Option<String>,
    /// Fills `licence` on outcome rows that have none.
    pub default_licence: Option<String>,
    /// Caps on the file (size, cells, rows, field length); see [`Limits`].
    pub limits: Limits,
}

/// Reads `path` as records of `kind`, validating every row.
pub fn parse_file(path: &Path, kind: RecordKind, opts: &ParseOptions) -> Result<Parsed, ReadError> {
    let file = path.display().to_string();
    let table = read_file_within(path, opts.format, opts.sheet.as_deref(), &opts.limits)?;
    let map = ColumnMap::new(kind);
    let mut parsed = Parsed {
        encoding: table.encoding,
        format: Some(table.format),
        sha256: table.sha256.clone(),
        ..Default::default()
    };
    let mut unknown_seen: std::collections::BTreeMap<String, usize> = Default::default();
    let mut first_line_of_key: std::collections::HashMap<String, usize> = Default::default();
    let mut free_text_regions: std::collections::BTreeSet<String> = Default::default();
    for row in table.rows {
        let mut converted = convert_row(kind, &map, &row, opts);
        for u in converted.unknown_fields.drain(..) {
            *unknown_seen.entry(u).or_default() += 1;
        }
        free_text_regions.extend(converted.free_text_regions.drain(..));
        match converted.result {
            Ok(record) => {
                let key = record.natural_key();
                if let Some(first) = first_line_of_key.insert(key.clone(), row.line) {
                    parsed.warnings.push(format!(
                        "{file}:{}: repeats the record of line {first} (same key {key}); the later row wins",
                        row.line
                    ));
                }
                parsed.accepted.push(AcceptedRow {
                    line: row.line,
                    record,
                });
            }
            Err(errors) => {
                for e in errors {
                    parsed.rejected.push(Rejection {
                        file: file.clone(),
                        line: row.line,
                        column: map.column_label(&e.field, &row),
                        error: e,
                    });
                }
            }
        }
    }
    if !unknown_seen.is_empty() {
        let cols: Vec<String> = unknown_seen
            .iter()
            .map(|(col, n)| format!("'{col}' ({n} rows)"))
            .collect();
        let what = if cols.len() == 1 {
            format!("column {} is not a known {kind} field", cols[0])
        } else {
            format!("columns {} are not known {kind} fields", cols.join(", "))
        };
        parsed.warnings.push(format!(
            "{file}: {what}: values kept under `extra`; rename a column if it meant one of: {}",
            canonical_fields(kind).join(", ")
        ));
    }
    for region in free_text_regions {
        parsed.warnings.push(format!(
            "{file}: region '{region}' is not in the region table; kept as free text (see data/regions/regions.csv)"
        ));
    }
    Ok(parsed)
}

/// Rows rejected, counted once per line (a row may have several field errors).
pub fn rejected_lines(rejections: &[Rejection]) -> usize {
    let lines: std::collections::BTreeSet<usize> = rejections.iter().map(|r| r.line).collect();
    lines.len()
}
