//! Writers: JSONL (the canonical form), CSV and XLSX with the canonical column names, so an exported
//! file re-imports unchanged. Confidential demands and private contacts are withheld unless asked for.

use std::io::Write;

use model::{Confidentiality, Record, RecordKind};

use crate::canonical_fields;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
    Xlsx,
}

impl std::str::FromStr for ExportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "jsonl" | "json" => Ok(ExportFormat::Jsonl),
            "csv" => Ok(ExportFormat::Csv),
            "xlsx" => Ok(ExportFormat::Xlsx),
            _ => Err(format!(
                "unknown export format '{s}': use jsonl, csv or xlsx"
            )),
        }
    }
}

/// What an export may include beyond what any registered user could see.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// Include demands marked `registered` or `nda`.
    pub include_confidential: bool,
    /// Include contact details people did not make public.
    pub include_private: bool,
}

/// What was written and what was held back.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub written: usize,
    pub withheld_confidential: usize,
    pub contacts_redacted: usize,
}

/// Applies the export options; `None` means the record must not be exported at all.
fn redact(rec: &Record, opts: ExportOptions, summary: &mut ExportSummary) -> Option<Record> {
    match rec {
        Record::Demand(d)
            if d.confidentiality != Confidentiality::Public && !opts.include_confidential =>
        {
            summary.withheld_confidential += 1;
            None
        }
        Record::Person(p) if !opts.include_private && p.has_private_details() => {
            summary.contacts_redacted += 1;
            Some(Record::Person(p.public_view()))
        }
        other => Some(other.clone()),
    }
}

/// Tabular columns of a kind: canonical fields, with the budget as two amounts and `extra` last.
fn tabular_columns(kind: RecordKind) -> Vec<&'static str> {
    let mut cols: Vec<&'static str> = canonical_fields(kind)
        .into_iter()
        .filter(|c| *c != "budget")
        .collect();
    cols.push("extra");
    cols
}

fn cell(obj: &serde_json::Map<String, serde_json::Value>, col: &str) -> serde_json::Value {
    let nested = |outer: &str, inner: &str| {
        obj.get(outer)
            .and_then(|o| o.get(inner))
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    };
    match col {
        "email" | "phone" => nested("contact", col),
        "budget_min" => nested("budget", "min"),
        "budget_max" => nested("budget", "max"),
        _ => obj.get(col).cloned().unwrap_or(serde_json::Value::Null),
    }
}

fn cell_text(v: &serde_json::Value, col: &str) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("; "),
        serde_json::Value::Object(o) if col == "extra" && o.is_empty() => String::new(),
        other => other.to_string(),
    }
}

/// Writes `records` of `kind` in `format` to `out`.
pub fn export_records<W: Write>(
    kind: RecordKind,
    records: &[Record],
    format: ExportFormat,
    opts: ExportOptions,
    mut out: W,
) -> std::io::Result<ExportSummary> {
    let mut summary = ExportSummary::default();
    let visible: Vec<Record> = records
        .iter()
        .filter_map(|r| redact(r, opts, &mut summary))
        .collect();
    summary.written = visible.len();
    let cols = tabular_columns(kind);
    let rows = || {
        visible.iter().map(|r| {
            let v = serde_json::to_value(r).expect("records serialise");
            let obj = v.as_object().cloned().unwrap_or_default();
            cols.iter().map(move |c| cell(&obj, c)).collect::<Vec<_>>()
        })
    };
    match format {
        ExportFormat::Jsonl => {
            for r in &visible {
                serde_json::to_writer(&mut out, r)?;
                out.write_all(b"\n")?;
            }
        }
        ExportFormat::Csv => {
            // BOM so Excel shows Chinese text; our importer strips it.
            out.write_all(b"\xEF\xBB\xBF")?;
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(&cols)?;
            for row in rows() {
                let texts: Vec<String> = row
                    .iter()
                    .zip(&cols)
                    .map(|(v, c)| cell_text(v, c))
                    .collect();
                w.write_record(&texts)?;
            }
            w.flush()?;
        }
        ExportFormat::Xlsx => {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            let err = |e: rust_xlsxwriter::XlsxError| std::io::Error::other(e.to_string());
            ws.set_name(kind.plural()).map_err(err)?;
            let bold = rust_xlsxwriter::Format::new().set_bold();
            for (c, name) in cols.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *name, &bold)
                    .map_err(err)?;
            }
            for (r, row) in rows().enumerate() {
                let r = r as u32 + 1;
                for (c, (v, name)) in row.iter().zip(&cols).enumerate() {
                    let c = c as u16;
                    match v {
                        serde_json::Value::Null => {}
                        serde_json::Value::Number(n) if n.is_i64() => {
                            ws.write_number(r, c, n.as_i64().unwrap_or_default() as f64)
                                .map_err(err)?;
                        }
                        other => {
                            ws.write_string(r, c, cell_text(other, name)).map_err(err)?;
                        }
                    }
                }
            }
            let buf = wb.save_to_buffer().map_err(err)?;
            out.write_all(&buf)?;
        }
    }
    out.flush()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Person, PersonKind};

    /// An export without private details withholds a private contact and the unmapped columns
    /// (`extra`: a WeChat id under an unknown header), as the API does; with them, both stay.
    #[test]
    fn private_contacts_and_unmapped_columns_are_withheld_alike() {
        let mut p = Person::new(PersonKind::Expert, "李明");
        p.contact.email = Some("li@example.edu.cn".into());
        p.extra.insert("微信".into(), "wx_liming".into());
        let records = [Record::Person(p)];
        let mut out = vec![];
        let s = export_records(
            RecordKind::Person,
            &records,
            ExportFormat::Jsonl,
            ExportOptions::default(),
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(s.contacts_redacted, 1);
        assert!(
            !text.contains("wx_liming") && !text.contains("li@example"),
            "{text}"
        );
        let mut out = vec![];
        let opts = ExportOptions {
            include_private: true,
            ..ExportOptions::default()
        };
        export_records(
            RecordKind::Person,
            &records,
            ExportFormat::Jsonl,
            opts,
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("wx_liming") && text.contains("li@example"),
            "{text}"
        );
    }
}
