//! File readers: every format becomes a list of [`RawRow`]s with their line (or sheet row) numbers.

use std::path::Path;

use crate::decode::{decode_lines, Encoding};
use crate::limits::{mib, Limits};

/// A cell or JSON value before validation.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Text(String),
    List(Vec<String>),
    Json(serde_json::Value),
}

/// One data row: its 1-based line in the file (sheet row for XLSX), and its values by header.
#[derive(Debug, Clone, Default)]
pub struct RawRow {
    pub line: usize,
    pub values: Vec<(String, RawValue)>,
    /// Set when the row itself could not be read (bad JSON, wrong number of CSV fields).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Jsonl,
    Csv,
    Tsv,
    Xlsx,
}

impl FileFormat {
    pub fn from_path(path: &Path) -> Option<FileFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" | "json" => Some(FileFormat::Jsonl),
            "csv" | "txt" => Some(FileFormat::Csv),
            "tsv" | "tab" => Some(FileFormat::Tsv),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(FileFormat::Xlsx),
            _ => None,
        }
    }

    pub fn parse(s: &str) -> Result<FileFormat, String> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" | "json" | "ndjson" => Ok(FileFormat::Jsonl),
            "csv" => Ok(FileFormat::Csv),
            "tsv" => Ok(FileFormat::Tsv),
            "xlsx" | "xls" => Ok(FileFormat::Xlsx),
            _ => Err(format!("unknown format '{s}': use jsonl, csv, tsv or xlsx")),
        }
    }
}

/// A whole file, read.
#[derive(Debug)]
pub struct Table {
    pub format: FileFormat,
    pub encoding: Option<Encoding>,
    /// SHA-256 of the file's bytes, recorded with each import run.
    pub sha256: String,
    pub rows: Vec<RawRow>,
}

/// A file that cannot be read at all (as opposed to a bad row, which is reported and skipped).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot tell the format from the extension: name it .jsonl, .csv, .tsv or .xlsx, or pass --format")]
    UnknownFormat { path: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

pub fn read_file(
    path: &Path,
    format: Option<FileFormat>,
    sheet: Option<&str>,
) -> Result<Table, ReadError> {
    read_file_within(path, format, sheet, &Limits::default())
}

/// Reads a file within `limits` (see [`Limits`]): a file past a cap is refused whole with a message
/// naming the cap; a field past its cap rejects its row only.
pub fn read_file_within(
    path: &Path,
    format: Option<FileFormat>,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<Table, ReadError> {
    let p = path.display().to_string();
    let format = format
        .or_else(|| FileFormat::from_path(path))
        .ok_or_else(|| ReadError::UnknownFormat { path: p.clone() })?;
    let invalid = |message: String| ReadError::Invalid {
        path: p.clone(),
        message,
    };
    let io = |e| ReadError::Io {
        path: p.clone(),
        source: e,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limits.max_file_bytes {
        return Err(invalid(format!(
            "the file has {} bytes, more than the {} a file may have: split it into smaller files",
            size,
            mib(limits.max_file_bytes)
        )));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            std::fs::File::open(path).map_err(io)?,
            limits.max_file_bytes + 1,
        ),
        &mut bytes,
    )
    .map_err(|e| ReadError::Io {
        path: p.clone(),
        source: e,
    })?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(invalid(format!(
            "the file grew past the {} a file may have while it was read: split it into smaller files",
            mib(limits.max_file_bytes)
        )));
    }
    let sha256 = model::sha256_hex(&bytes);
    let (mut rows, encoding) = if format == FileFormat::Xlsx {
        (
            crate::xlsx::read_xlsx(bytes, sheet, limits).map_err(invalid)?,
            None,
        )
    } else {
        // Lines that are neither UTF-8 nor the file's legacy encoding become bad rows of their own.
        let (text, enc, bad_lines) = decode_lines(&bytes).map_err(invalid)?;
        drop(bytes);
        let mut rows = match format {
            FileFormat::Jsonl => read_jsonl(&text),
            FileFormat::Csv | FileFormat::Tsv => {
                let tab = format == FileFormat::Tsv || looks_tab_separated(&text);
                crate::delimited::read_delimited(&text, if tab { b'\t' } else { b',' })
                    .map_err(invalid)?
            }
            FileFormat::Xlsx => unreachable!(),
        };
        for (line, message) in bad_lines {
            rows.retain(|r| r.line != line);
            rows.push(RawRow {
                line,
                values: vec![],
                error: Some(message),
            });
        }
        rows.sort_by_key(|r| r.line);
        (rows, Some(enc))
    };
    if rows.len() > limits.max_rows {
        return Err(invalid(format!(
            "{} rows, more than the {} a file may have: split it into smaller files",
            rows.len(),
            limits.max_rows
        )));
    }
    for row in &mut rows {
        cap_fields(row, limits.max_field_chars);
    }
    Ok(Table {
        format,
        encoding,
        sha256,
        rows,
    })
}

/// A row with a field longer than the cap is rejected whole (its values are dropped, so nothing
/// oversized travels further).
fn cap_fields(row: &mut RawRow, max_chars: usize) {
    let long = row.values.iter().find_map(|(k, v)| {
        let n = match v {
            RawValue::Text(t) => t.chars().count(),
            RawValue::List(items) => items.iter().map(|i| i.chars().count()).sum(),
            RawValue::Json(j) => j.to_string().chars().count(),
        };
        (n > max_chars).then(|| (k.clone(), n))
    });
    if let Some((field, n)) = long {
        row.values.clear();
        row.error = Some(format!(
            "field '{field}' has {n} characters, more than the {max_chars} a field may have: shorten it"
        ));
    }
}

fn looks_tab_separated(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("");
    first.contains('\t') && !first.contains(',')
}

fn json_value(v: serde_json::Value) -> RawValue {
    match v {
        serde_json::Value::String(s) => RawValue::Text(s),
        serde_json::Value::Number(n) => RawValue::Text(n.to_string()),
        serde_json::Value::Bool(b) => RawValue::Text(b.to_string()),
        serde_json::Value::Null => RawValue::Text(String::new()),
        serde_json::Value::Array(items) if items.iter().all(|i| i.is_string() || i.is_number()) => {
            RawValue::List(
                items
                    .into_iter()
                    .map(|i| match i {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .collect(),
            )
        }
        other => RawValue::Json(other),
    }
}

/// Flattens one JSON object; nested objects written by our own export (`contact`, `budget`) become
/// dotted names, and `extra` is passed through whole.
fn json_row(line: usize, obj: serde_json::Map<String, serde_json::Value>) -> RawRow {
    let mut values = vec![];
    for (k, v) in obj {
        match v {
            serde_json::Value::Object(inner) if k == "contact" || k == "budget" => {
                for (ik, iv) in inner {
                    values.push((format!("{k}.{ik}"), json_value(iv)));
                }
            }
            serde_json::Value::Object(inner) if k == "extra" => {
                values.push((k, RawValue::Json(serde_json::Value::Object(inner))));
            }
            v => values.push((k, json_value(v))),
        }
    }
    RawRow {
        line,
        values,
        error: None,
    }
}

fn read_jsonl(text: &str) -> Vec<RawRow> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        // A JSON array file: "line" numbers count items from 1.
        return match serde_json::from_str::<Vec<serde_json::Value>>(trimmed) {
            Ok(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| object_row(i + 1, v))
                .collect(),
            Err(e) => vec![RawRow {
                line: e.line(),
                values: vec![],
                error: Some(format!("not valid JSON: {e}")),
            }],
        };
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(
            |(i, l)| match serde_json::from_str::<serde_json::Value>(l) {
                Ok(v) => object_row(i + 1, v),
                Err(e) => RawRow {
                    line: i + 1,
                    values: vec![],
                    error: Some(format!(
                        "not valid JSON ({e}): each line must hold one complete JSON object"
                    )),
                },
            },
        )
        .collect()
}

fn object_row(line: usize, v: serde_json::Value) -> RawRow {
    match v {
        serde_json::Value::Object(obj) => json_row(line, obj),
        other => RawRow {
            line,
            values: vec![],
            error: Some(format!(
                "expected a JSON object {{\"title\": …}}, found {}",
                match other {
                    serde_json::Value::Array(_) => "an array",
                    serde_json::Value::String(_) => "a string",
                    _ => "a scalar",
                }
            )),
        },
    }
}
