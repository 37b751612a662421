//! Plain-text tables that line up in a terminal whatever the script: widths are display columns
//! (a Chinese character takes two), not bytes or chars.

use unicode_width::UnicodeWidthStr;

/// How a column's cells sit in their width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// `s` padded with spaces to `width` display columns.
pub fn pad(s: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(s.width()));
    match align {
        Align::Left => format!("{s}{fill}"),
        Align::Right => format!("{fill}{s}"),
    }
}

/// The table as lines: a header, a rule, then the rows; columns two spaces apart. The last column
/// is not padded (it may be long text).
pub fn render(headers: &[&str], aligns: &[Align], rows: &[Vec<String>]) -> Vec<String> {
    let n = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let parts: Vec<String> = cells
            .enumerate()
            .map(|(i, c)| {
                let align = aligns.get(i).copied().unwrap_or(Align::Left);
                if i + 1 == n && align == Align::Left {
                    c.to_string()
                } else {
                    pad(c, widths[i], align)
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(&mut headers.iter().copied())];
    let total: usize = widths.iter().sum::<usize>() + 2 * n.saturating_sub(1);
    out.push("-".repeat(total.min(120)));
    for r in rows {
        out.push(line(&mut r.iter().map(String::as_str)));
    }
    out
}

/// Prints [`render`]'s lines.
pub fn print(headers: &[&str], aligns: &[Align], rows: &[Vec<String>]) {
    for l in render(headers, aligns, rows) {
        println!("{l}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_cells_line_up_by_display_width() {
        let rows = vec![
            vec![
                "ICV-01".to_string(),
                "动力电池".to_string(),
                "3".to_string(),
            ],
            vec!["ICV-02".to_string(), "ab".to_string(), "12".to_string()],
        ];
        let lines = render(
            &["code", "node", "n"],
            &[Align::Left, Align::Left, Align::Right],
            &rows,
        );
        // Every line's third column ends at the same display column.
        let ends: Vec<usize> = lines
            .iter()
            .filter(|l| !l.starts_with('-'))
            .map(|l| l.width())
            .collect();
        assert!(ends.windows(2).all(|w| w[0] == w[1]), "{lines:#?}");
        assert_eq!(pad("电池", 6, Align::Left), "电池  ");
        assert_eq!(pad("电池", 6, Align::Right), "  电池");
    }
}
