//! How numbers, money, dates and tables read on a page: one place, so every page says 万元 in
//! Chinese and ¥ in English, dates in China time, and exports carry the same words as the page.

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use super::Lang;

/// An amount of yuan: `50 万元` / `¥500,000`.
pub(crate) fn yuan(amount: u64, l: Lang) -> String {
    match l {
        Lang::Zh if amount >= 10_000 && amount.is_multiple_of(100) => {
            let wan = amount as f64 / 10_000.0;
            format!("{} 万元", trim_zeros(&format!("{wan:.2}")))
        }
        Lang::Zh => format!("{} 元", grouped(amount)),
        Lang::En => format!("¥{}", grouped(amount)),
    }
}

/// An amount kept in integer fen, in the page's words (whole yuan as [`yuan`] says them; cents
/// shown when there are any).
pub(crate) fn fen(amount: i64, l: Lang) -> String {
    let amount = amount.max(0) as u64;
    if amount.is_multiple_of(100) {
        return yuan(amount / 100, l);
    }
    let (y, f) = (amount / 100, amount % 100);
    match l {
        Lang::Zh => format!("{}.{f:02} 元", grouped(y)),
        Lang::En => format!("¥{}.{f:02}", grouped(y)),
    }
}

/// `1234567` → `1,234,567`.
pub(crate) fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `12.50` → `12.5`, `3.00` → `3`.
pub(crate) fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// A number with at most `places` decimals, trailing zeros dropped.
pub(crate) fn number(x: f64, places: usize) -> String {
    trim_zeros(&format!("{x:.places$}"))
}

/// A share (0.062) as a percentage (`6.2%`).
pub(crate) fn percent(x: f64) -> String {
    format!("{}%", number(x * 100.0, 1))
}

/// A Unix time as a date and minute in China time (UTC+8), the platform's time zone.
pub(crate) fn china_time(unix: i64) -> String {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// `k=v&k=v`, each part form-encoded; empty values left out.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        q.append_pair(k, v);
    }
    q.finish()
}

/// A table as an XLSX download named `file` (headers bold, columns sized to the text).
pub(crate) fn xlsx_download(
    file: &str,
    sheet: &str,
    headers: &[String],
    rows: &[Vec<String>],
) -> Response {
    let built = (|| -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(sheet)?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, cell)?;
            }
        }
        ws.autofit();
        wb.save_to_buffer()
    })();
    match built {
        Ok(bytes) => download(
            file,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes,
        ),
        Err(e) => crate::ApiError::internal(format!("xlsx export: {e}")).into_response(),
    }
}

/// A table as a CSV download (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese).
pub(crate) fn csv_download(file: &str, headers: &[String], rows: &[Vec<String>]) -> Response {
    let mut out = String::from("\u{feff}");
    for row in std::iter::once(headers).chain(rows.iter().map(Vec::as_slice)) {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    download(file, "text/csv; charset=utf-8", out.into_bytes())
}

/// A CSV cell, quoted when needed; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a
/// spreadsheet never runs a cell as a formula.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn download(file: &str, kind: &'static str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{file}\"");
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_in_each_language() {
        assert_eq!(yuan(500_000, Lang::Zh), "50 万元");
        assert_eq!(yuan(1_250_000, Lang::Zh), "125 万元");
        assert_eq!(yuan(125_500, Lang::Zh), "12.55 万元");
        assert_eq!(yuan(800, Lang::Zh), "800 元");
        assert_eq!(yuan(500_000, Lang::En), "¥500,000");
        assert_eq!(yuan(0, Lang::En), "¥0");
    }

    #[test]
    fn numbers_and_shares() {
        assert_eq!(percent(0.062), "6.2%");
        assert_eq!(percent(0.1), "10%");
        assert_eq!(number(4.0, 2), "4");
        assert_eq!(number(1.25, 2), "1.25");
        assert_eq!(china_time(0), "1970-01-01 08:00");
    }

    #[test]
    fn csv_cells_never_run_as_formulas() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
