//! CSV and TSV: rows under the header line, each with its line number; a broken row is reported
//! with its line and never merged silently into its neighbours.

use crate::read::{RawRow, RawValue};

/// Reads delimited text (header line first). A quoted field that is never closed would swallow every
/// line after it into one record; instead its record is reported as a bad row with its line, and the
/// lines after it are read as rows of their own.
pub fn read_delimited(text: &str, delimiter: u8) -> Result<Vec<RawRow>, String> {
    let Some(open) = unterminated_quote(text, delimiter) else {
        return parse(text, delimiter);
    };
    let mut rows = parse(&text[..open.record_start], delimiter)?;
    rows.push(RawRow {
        line: open.line,
        values: vec![],
        error: Some(format!(
            "a quoted value opened on line {} is never closed, so the lines after it would merge into one record: \
             close the quote, or write a quote inside a value as two (\"\")",
            open.quote_line
        )),
    });
    // Lines after the broken one, read under the same header.
    let header_end = text.find('\n').map_or(text.len(), |i| i + 1);
    let after = text[open.record_start..]
        .find('\n')
        .map_or(text.len(), |i| open.record_start + i + 1);
    if after < text.len() && open.record_start >= header_end {
        let rest = format!("{}{}", &text[..header_end], &text[after..]);
        // Line 2 of `rest` is line `open.line + 1` of the file.
        rows.extend(read_delimited_from(&rest, delimiter, open.line - 1)?);
    }
    Ok(rows)
}

fn read_delimited_from(text: &str, delimiter: u8, shift: usize) -> Result<Vec<RawRow>, String> {
    let mut rows = read_delimited(text, delimiter)?;
    for r in &mut rows {
        r.line += shift;
    }
    Ok(rows)
}

/// Where a record holds a quoted value that the file never closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OpenQuote {
    /// Byte offset where the record starts.
    record_start: usize,
    /// 1-based line where the record starts.
    line: usize,
    /// 1-based line where the quote opens.
    quote_line: usize,
}

/// Scans the text as CSV does (a quote opens a value only at its start; `""` inside is a quote) and
/// returns the record whose quoted value is still open at the end of the text.
fn unterminated_quote(text: &str, delimiter: u8) -> Option<OpenQuote> {
    let bytes = text.as_bytes();
    let (mut line, mut field_start, mut quoted) = (1usize, true, false);
    let (mut record_start, mut record_line, mut quote_line) = (0usize, 1usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            match b {
                b'"' if bytes.get(i + 1) == Some(&b'"') => i += 1,
                b'"' => quoted = false,
                b'\n' => line += 1,
                _ => {}
            }
        } else {
            match b {
                b'"' if field_start => {
                    quoted = true;
                    quote_line = line;
                    field_start = false;
                }
                b'\n' => {
                    line += 1;
                    field_start = true;
                    record_start = i + 1;
                    record_line = line;
                }
                b'\r' => {}
                _ if b == delimiter => field_start = true,
                _ => field_start = false,
            }
        }
        i += 1;
    }
    quoted.then_some(OpenQuote {
        record_start,
        line: record_line,
        quote_line,
    })
}

fn parse(text: &str, delimiter: u8) -> Result<Vec<RawRow>, String> {
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
    // Lines from byte offsets: the reader's own line count skips blank lines, and a record's position
    // is where the reader stood before the blank lines in front of it.
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let bytes = text.as_bytes();
    let line_of = |p: &csv::Position| {
        let mut b = p.byte() as usize;
        while b < bytes.len() && matches!(bytes[b], b'\n' | b'\r') {
            b += 1;
        }
        line_starts.partition_point(|&s| s <= b)
    };
    let mut rows = vec![];
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, line_of);
                rows.push(RawRow {
                    line,
                    values: vec![],
                    error: Some(format!("unreadable CSV row: {e}")),
                });
                continue;
            }
        };
        let line = rec.position().map_or(0, line_of);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(rows: &[RawRow]) -> Vec<(usize, Option<String>, bool)> {
        rows.iter()
            .map(|r| {
                let title = r
                    .values
                    .iter()
                    .find(|(k, _)| k == "title")
                    .map(|(_, v)| match v {
                        RawValue::Text(t) => t.clone(),
                        _ => String::new(),
                    });
                (r.line, title, r.error.is_some())
            })
            .collect()
    }

    #[test]
    fn an_unterminated_quote_is_a_bad_row_and_the_next_lines_stay_rows() {
        let text = "title,year\nA,2020\n\"B broken,2021\nC,2022\nD,2023\n";
        let rows = read_delimited(text, b',').unwrap();
        assert_eq!(
            titles(&rows),
            vec![
                (2, Some("A".into()), false),
                (3, None, true),
                (4, Some("C".into()), false),
                (5, Some("D".into()), false),
            ]
        );
        assert!(rows[1].error.as_ref().unwrap().contains("line 3"));
    }

    #[test]
    fn quoted_values_with_newlines_and_doubled_quotes_are_fine() {
        let text = "title,year\n\"two\nlines \"\"quoted\"\"\",2020\nB,2021\n";
        let rows = read_delimited(text, b',').unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.error.is_none()));
        assert_eq!(unterminated_quote(text, b','), None);
    }

    #[test]
    fn lines_count_blank_lines() {
        let rows = read_delimited("title\nA\n\n\nB\n", b',').unwrap();
        assert_eq!(
            titles(&rows),
            vec![(2, Some("A".into()), false), (5, Some("B".into()), false)]
        );
    }

    #[test]
    fn a_quote_inside_an_unquoted_value_opens_nothing() {
        assert_eq!(unterminated_quote("title\n5\" disk\nB\n", b','), None);
    }
}
