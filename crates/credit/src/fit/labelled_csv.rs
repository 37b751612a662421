//! Labelled loan outcomes as CSV: read with every problem placed (file, line, column, fix), and
//! written back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::*;

/// A CSV problem: where (file, line, column) and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}{}: {message} (fix: {fix})", .line.map(|l| format!(":{l}")).unwrap_or_default(), .column.as_ref().map(|c| format!(", column '{c}'")).unwrap_or_default())]
pub struct CsvError {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
    pub fix: String,
}

pub(crate) fn csv_error(
    file: &str,
    line: Option<u64>,
    column: Option<&str>,
    message: impl Into<String>,
    fix: impl Into<String>,
) -> CsvError {
    CsvError {
        file: file.to_string(),
        line,
        column: column.map(str::to_string),
        message: message.into(),
        fix: fix.into(),
    }
}

/// A CSV reader with its file name (for errors) and header row.
pub(crate) type OpenCsv<R> = (String, csv::Reader<R>, Vec<String>);

/// Opens a CSV with a header row; maps reader errors to `CsvError`.
pub(crate) fn open_csv(path: &Path) -> Result<OpenCsv<std::fs::File>, CsvError> {
    let file = path.display().to_string();
    let rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| {
            csv_error(
                &file,
                None,
                None,
                format!("cannot open: {e}"),
                "check the path",
            )
        })?;
    csv_headers(file, rdr)
}

/// A CSV given as text (an upload), named `file` in errors.
pub(crate) fn open_csv_text<'a>(file: &str, text: &'a str) -> Result<OpenCsv<&'a [u8]>, CsvError> {
    let rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    csv_headers(file.to_string(), rdr)
}

/// The header row, checked: no empty or repeated names.
fn csv_headers<R: std::io::Read>(
    file: String,
    mut rdr: csv::Reader<R>,
) -> Result<OpenCsv<R>, CsvError> {
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| record_error(&file, e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut seen = BTreeSet::new();
    for h in &headers {
        if h.is_empty() {
            return Err(csv_error(
                &file,
                Some(1),
                None,
                "an empty column name in the header",
                "name every column",
            ));
        }
        if !seen.insert(h.clone()) {
            return Err(csv_error(
                &file,
                Some(1),
                Some(h),
                "column named twice",
                "give each column one name",
            ));
        }
    }
    Ok((file, rdr, headers))
}

pub(crate) fn record_error(file: &str, e: csv::Error) -> CsvError {
    let line = e.position().map(|p| p.line());
    let (message, fix) = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => (
            format!("{len} fields where the header has {expected_len}"),
            "give every row as many fields as the header (empty for missing)".to_string(),
        ),
        csv::ErrorKind::Utf8 { .. } => (
            "not UTF-8 text".to_string(),
            "save the file as UTF-8".to_string(),
        ),
        _ => (e.to_string(), "check the CSV quoting".to_string()),
    };
    csv_error(file, line, None, message, fix)
}

/// Reads labelled loan outcomes: a header row, a `default` column of 0/1, optional `id` or `uscc`
/// (kept as the row id, not a feature); every other column is a numeric feature, empty = missing.
pub fn read_labelled_csv(path: &Path) -> Result<Vec<LabelledRow>, CsvError> {
    let (file, mut rdr, headers) = open_csv(path)?;
    let label = headers.iter().position(|h| h == "default").ok_or_else(|| {
        csv_error(
            &file,
            Some(1),
            None,
            "no 'default' column",
            "add a column named default holding 0 (repaid) or 1 (defaulted)",
        )
    })?;
    let id_col = headers.iter().position(|h| h == "id" || h == "uscc");
    let mut rows = vec![];
    for rec in rdr.records() {
        let rec = rec.map_err(|e| record_error(&file, e))?;
        let line = rec.position().map(|p| p.line());
        let default = match rec.get(label).unwrap_or("") {
            "0" => false,
            "1" => true,
            other => {
                return Err(csv_error(
                    &file,
                    line,
                    Some("default"),
                    format!("'{other}' is not 0 or 1"),
                    "write 1 for a defaulted loan, 0 otherwise",
                ))
            }
        };
        let mut features = BTreeMap::new();
        for (i, h) in headers.iter().enumerate() {
            if i == label || Some(i) == id_col || (h == "id" || h == "uscc") {
                continue;
            }
            let raw = rec.get(i).unwrap_or("");
            let v = if raw.is_empty() {
                None
            } else {
                match raw.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(v),
                    _ => {
                        return Err(csv_error(&file, line, Some(h), format!("'{raw}' is not a number"), "a plain number such as 0.035 (no %, no thousands separators), or empty for missing"))
                    }
                }
            };
            features.insert(h.clone(), v);
        }
        rows.push(LabelledRow {
            id: id_col.map(|i| rec.get(i).unwrap_or("").to_string()),
            features,
            default,
        });
    }
    Ok(rows)
}

/// Writes rows in the format `read_labelled_csv` reads (`id`, `default`, then features by name).
pub fn write_labelled_csv<W: std::io::Write>(
    rows: &[LabelledRow],
    mut w: W,
) -> std::io::Result<()> {
    let names: BTreeSet<&String> = rows.iter().flat_map(|r| r.features.keys()).collect();
    let mut header = vec!["id".to_string(), "default".to_string()];
    header.extend(names.iter().map(|n| n.to_string()));
    writeln!(w, "{}", header.join(","))?;
    for r in rows {
        let mut cells = vec![
            r.id.clone().unwrap_or_default(),
            (r.default as u8).to_string(),
        ];
        cells.extend(
            names
                .iter()
                .map(|n| r.get(n).map(|v| v.to_string()).unwrap_or_default()),
        );
        writeln!(w, "{}", cells.join(","))?;
    }
    Ok(())
}
