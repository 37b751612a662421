//! XLSX reading within [`Limits`]: the workbook's parts are first decompressed into a counter (a zip
//! bomb stops at the cap without holding anything), then the sheet is streamed cell by cell and kept
//! sparse, so a sheet that claims a cell at XFD1048576 costs what its real cells cost — never the
//! grid its corners span (a dense range would ask for hundreds of gigabytes).

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use crate::limits::{mib, Limits};
use crate::read::{RawRow, RawValue};

/// The spreadsheet name of a 0-based (row, column), e.g. (0, 0) → `A1`.
pub fn cell_name(row: u32, col: u32) -> String {
    let mut letters = vec![];
    let mut c = col as u64 + 1;
    while c > 0 {
        let r = ((c - 1) % 26) as u8;
        letters.push((b'A' + r) as char);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        letters.into_iter().collect::<String>(),
        row as u64 + 1
    )
}

/// Decompresses every part of the archive into a counter, refusing past the caps.
fn check_archive(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not an XLSX workbook (it must be a zip archive): {e}"))?;
    let mut total: u64 = 0;
    let mut sink = [0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| format!("cannot read part {i} of the workbook: {e}"))?;
        let name = part
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| format!("part {i}"));
        let cap = if name.ends_with("sharedStrings.xml") {
            limits.max_shared_strings_bytes
        } else {
            limits.max_unzipped_bytes
        };
        let mut size: u64 = 0;
        loop {
            let n = part
                .read(&mut sink)
                .map_err(|e| format!("cannot decompress {name} in the workbook: {e}"))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            total += n as u64;
            if size > cap {
                return Err(format!(
                    "{name} decompresses to more than {} (the cap for one part): split the workbook into smaller files",
                    mib(cap)
                ));
            }
            if total > limits.max_unzipped_bytes {
                return Err(format!(
                    "the workbook decompresses to more than {}: split it into smaller files",
                    mib(limits.max_unzipped_bytes)
                ));
            }
        }
    }
    Ok(())
}

fn text_of(cell: &DataRef<'_>) -> String {
    use calamine::{Data, DataType};
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(_) => {
            let d: Data = cell.clone().into();
            match d.as_date() {
                Some(day) => day.to_string(),
                None => d.to_string(),
            }
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#ERROR {e:?}"),
    }
}

/// Reads one sheet (the first when `sheet` is `None`) as rows under the first row's headers.
pub fn read_xlsx(
    bytes: Vec<u8>,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<Vec<RawRow>, String> {
    check_archive(&bytes, limits)?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        format!(
            "cannot open the workbook: {e} (only .xlsx is read: save .xls or .ods files as .xlsx)"
        )
    })?;
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
    let mut reader = wb
        .worksheet_cells_reader(&name)
        .map_err(|e| format!("cannot read sheet '{name}': {e}"))?;
    // Sparse: sheet row → (column, text) of its non-empty cells.
    let mut grid: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    let mut cells = 0usize;
    let mut last = None;
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                let at = last.map_or("at its start".to_string(), |(r, c)| {
                    format!("after cell {}", cell_name(r, c))
                });
                return Err(format!(
                    "sheet '{name}', {at}: {e}: open the file in Excel or WPS and save it again"
                ));
            }
        };
        let (row, col) = cell.get_position();
        last = Some((row, col));
        let value = cell.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        if col as usize >= limits.max_columns {
            return Err(format!(
                "sheet '{name}', cell {}: data past column {} is not read: delete the columns right of your table (or a stray value there)",
                cell_name(row, col),
                limits.max_columns
            ));
        }
        if row as usize > limits.max_rows {
            return Err(format!(
                "sheet '{name}', cell {}: more than {} rows: split the sheet into smaller files (or delete a stray value far below the table)",
                cell_name(row, col),
                limits.max_rows
            ));
        }
        cells += 1;
        if cells > limits.max_cells {
            return Err(format!(
                "sheet '{name}': more than {} filled cells: split the sheet into smaller files",
                limits.max_cells
            ));
        }
        grid.entry(row).or_default().push((col, text_of(value)));
    }
    let mut rows_iter = grid.into_iter();
    let Some((_, header_cells)) = rows_iter.next() else {
        return Ok(vec![]);
    };
    let width = header_cells.iter().map(|(c, _)| *c + 1).max().unwrap_or(0) as usize;
    let mut headers = vec![String::new(); width];
    for (c, v) in header_cells {
        headers[c as usize] = v.trim().to_string();
    }
    let mut out = vec![];
    for (r, cells) in rows_iter {
        if cells.iter().all(|(_, v)| v.trim().is_empty()) {
            continue;
        }
        let mut row = RawRow {
            // Sheet rows are 1-based.
            line: r as usize + 1,
            ..Default::default()
        };
        // Every headed column is a value of the row (empty when its cell is), as in CSV.
        let mut by_col: Vec<String> = vec![String::new(); headers.len()];
        for (c, v) in cells {
            // A value under a column without a header is not a field (as in CSV).
            if let Some(slot) = by_col.get_mut(c as usize) {
                *slot = v;
            }
        }
        for (h, v) in headers.iter().zip(by_col) {
            if !h.is_empty() {
                row.values.push((h.clone(), RawValue::Text(v)));
            }
        }
        out.push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A workbook made by rust_xlsxwriter, with one part's text replaced.
    fn workbook_with(part: &str, from: &str, to: &str) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "title").unwrap();
        ws.write_string(1, 0, "第一行").unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let mut zin = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut text = Vec::new();
            f.read_to_end(&mut text).unwrap();
            if name == part {
                let replaced = String::from_utf8(text).unwrap().replace(from, to);
                assert_ne!(replaced.len(), 0);
                text = replaced.into_bytes();
            }
            out.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            out.write_all(&text).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_bad_shared_string_index_names_the_cell() {
        // The second cell (A2) points at shared string 1; make it 999.
        let bytes = workbook_with("xl/worksheets/sheet1.xml", "<v>1</v>", "<v>999</v>");
        let e = read_xlsx(bytes, None, &Limits::default()).unwrap_err();
        assert!(e.contains("A1") || e.contains("A2"), "{e}");
    }

    #[test]
    fn a_part_past_its_decompressed_cap_is_refused() {
        let bytes = workbook_with("xl/worksheets/sheet1.xml", "", "");
        let tight = Limits {
            max_unzipped_bytes: 1000,
            ..Limits::default()
        };
        let e = read_xlsx(bytes, None, &tight).unwrap_err();
        assert!(e.contains("decompresses to more than"), "{e}");
    }

    #[test]
    fn cells_are_named_as_spreadsheets_name_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
    }
}
