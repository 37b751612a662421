//! File readers: every format becomes a list of [`RawRow`]s with their line (or sheet row) numbers.

use std::path::Path;

use crate::decode::{decode, Encoding};

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
    let p = path.display().to_string();
    let format = format
        .or_else(|| FileFormat::from_path(path))
        .ok_or_else(|| ReadError::UnknownFormat { path: p.clone() })?;
    let invalid = |message: String| ReadError::Invalid {
        path: p.clone(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| ReadError::Io {
        path: p.clone(),
        source: e,
    })?;
    let sha256 = model::sha256_hex(&bytes);
    if format == FileFormat::Xlsx {
        let rows = read_xlsx(bytes, sheet).map_err(invalid)?;
        return Ok(Table {
            format,
            encoding: None,
            sha256,
            rows,
        });
    }
    let (text, encoding) = decode(&bytes).map_err(invalid)?;
    drop(bytes);
    let rows = match format {
        FileFormat::Jsonl => read_jsonl(&text),
        FileFormat::Csv | FileFormat::Tsv => {
            let tab = format == FileFormat::Tsv || looks_tab_separated(&text);
            read_delimited(&text, if tab { b'\t' } else { b',' }).map_err(invalid)?
        }
        FileFormat::Xlsx => unreachable!(),
    };
    Ok(Table {
        format,
        encoding: Some(encoding),
        sha256,
        rows,
    })
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

fn read_delimited(text: &str, delimiter: u8) -> Result<Vec<RawRow>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("cannot read the header line: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err("the first line must hold column names".into());
    }
    let mut rows = vec![];
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                rows.push(RawRow {
                    line,
                    values: vec![],
                    error: Some(format!("unreadable CSV row: {e}")),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| p.line() as usize);
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut row = RawRow {
            line,
            ..Default::default()
        };
        if rec.len() > headers.len() {
            row.error = Some(format!(
                "row has {} fields but the header has {}: quote values that contain '{}'",
                rec.len(),
                headers.len(),
                delimiter as char
            ));
        }
        for (h, v) in headers.iter().zip(rec.iter()) {
            if !h.is_empty() {
                row.values.push((h.clone(), RawValue::Text(v.to_string())));
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::{Data, DataType};
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(_) => match cell.as_date() {
            Some(d) => d.to_string(),
            None => cell.to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

fn read_xlsx(bytes: Vec<u8>, sheet: Option<&str>) -> Result<Vec<RawRow>, String> {
    use calamine::{open_workbook_auto_from_rs, Reader};
    let mut wb = open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| format!("cannot open workbook: {e}"))?;
    let names = wb.sheet_names().to_vec();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "no sheet named '{s}'; the workbook has: {}",
                    names.join(", ")
                )
            })?,
        None => names.first().cloned().ok_or("the workbook has no sheets")?,
    };
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| format!("cannot read sheet '{name}': {e}"))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut iter = range.rows();
    let headers: Vec<String> = match iter.next() {
        Some(h) => h.iter().map(|c| cell_text(c).trim().to_string()).collect(),
        None => return Ok(vec![]),
    };
    let mut rows = vec![];
    for (i, r) in iter.enumerate() {
        let cells: Vec<String> = r.iter().map(cell_text).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut row = RawRow {
            // Sheet rows are 1-based and the header is the first one.
            line: first_row + i + 2,
            ..Default::default()
        };
        for (h, v) in headers.iter().zip(cells) {
            if !h.is_empty() {
                row.values.push((h.clone(), RawValue::Text(v)));
            }
        }
        rows.push(row);
    }
    Ok(rows)
}
