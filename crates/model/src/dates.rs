//! Dates as written in Chinese and English spreadsheets.

use chrono::{Datelike, NaiveDate};

/// Parses `2026-12-31`, `2026/12/31`, `2026.12.31`, `2026年12月31日`, `20261231`, and a month alone
/// (`2026-12`, `2026年12月`, meaning its last day, as deadlines are usually written).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let t = crate::keys::fold(s);
    let t = t.trim_end_matches('日').trim_end_matches('号');
    let bad = || {
        format!(
            "'{}' is not a date: write it as YYYY-MM-DD, e.g. 2026-12-31",
            s.trim()
        )
    };
    // Spreadsheet date-times come through as "2026-12-31 00:00:00".
    let t = t.split([' ', 't']).next().unwrap_or(t);
    let parts: Vec<&str> = if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        vec![&t[..4], &t[4..6], &t[6..]]
    } else {
        t.split(['-', '/', '.', '年', '月'])
            .filter(|p| !p.is_empty())
            .collect()
    };
    let num = |p: &str| p.parse::<u32>().map_err(|_| bad());
    match parts.as_slice() {
        [y, m, d] => NaiveDate::from_ymd_opt(num(y)? as i32, num(m)?, num(d)?).ok_or_else(bad),
        [y, m] => {
            let (y, m) = (num(y)? as i32, num(m)?);
            let first_next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)
            };
            first_next
                .and_then(|d| d.pred_opt())
                .filter(|d| d.month() == m)
                .ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        for s in [
            "2026-12-31",
            "2026/12/31",
            "2026年12月31日",
            "20261231",
            "2026-12",
            "2026年12月",
            "2026-12-31 00:00:00",
        ] {
            assert_eq!(parse_date(s).unwrap(), d, "{s}");
        }
        assert_eq!(
            parse_date("2026-02").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("soon").is_err());
    }
}
