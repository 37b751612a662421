//! Column-name mapping, from the data file `data/import/columns.csv`.

use model::RecordKind;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::RawRow;

const TABLE: &str = include_str!("../../../data/import/columns.csv");

struct Entry {
    kind: &'static str,
    field: &'static str,
    aliases: Vec<&'static str>,
}

fn entries() -> &'static [Entry] {
    static E: OnceLock<Vec<Entry>> = OnceLock::new();
    E.get_or_init(|| {
        TABLE
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut parts = l.splitn(3, ',');
                let kind = parts.next().expect("kind");
                let field = parts.next().expect("field");
                let aliases = parts
                    .next()
                    .unwrap_or("")
                    .split('|')
                    .filter(|a| !a.is_empty())
                    .collect();
                Entry {
                    kind,
                    field,
                    aliases,
                }
            })
            .collect()
    })
}

/// The canonical field names of `kind`, in documentation order.
pub fn canonical_fields(kind: RecordKind) -> Vec<&'static str> {
    entries()
        .iter()
        .filter(|e| e.kind == kind.as_str())
        .map(|e| e.field)
        .collect()
}

/// Reduces a header for matching: width, case, spaces, `_`/`-` and required-markers do not matter.
pub(crate) fn header_key(h: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = h.nfkc().collect::<String>().to_lowercase();
    let trimmed = folded
        .trim()
        .trim_start_matches('\u{feff}')
        .trim_end_matches("(必填)")
        .trim_end_matches("(选填)")
        .trim_end_matches('*')
        .trim_start_matches('*');
    trimmed
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-'))
        .collect()
}

/// Maps the headers of one kind to canonical fields.
pub struct ColumnMap {
    kind: RecordKind,
    by_header: HashMap<String, &'static str>,
}

impl ColumnMap {
    pub fn new(kind: RecordKind) -> Self {
        let mut by_header = HashMap::new();
        for e in entries().iter().filter(|e| e.kind == kind.as_str()) {
            by_header.insert(header_key(e.field), e.field);
            for a in &e.aliases {
                by_header.entry(header_key(a)).or_insert(e.field);
            }
        }
        // Nested JSON written by our own export: `contact.email`, `budget.min`.
        for (nested, field) in [
            ("contact.email", "email"),
            ("contact.phone", "phone"),
            ("budget.min", "budget_min"),
            ("budget.max", "budget_max"),
        ] {
            if entries()
                .iter()
                .any(|e| e.kind == kind.as_str() && e.field == field)
            {
                by_header.insert(header_key(nested), field);
            }
        }
        ColumnMap { kind, by_header }
    }

    pub fn kind(&self) -> RecordKind {
        self.kind
    }

    /// The canonical field for a header, if known.
    pub fn field(&self, header: &str) -> Option<&'static str> {
        self.by_header.get(&header_key(header)).copied()
    }

    /// How to name a field in a report: the user's own header, with the canonical name when it differs.
    pub fn column_label(&self, field: &str, row: &RawRow) -> String {
        for (header, _) in &row.values {
            if self.field(header) == Some(field) && header != field {
                return format!("{field} ({header})");
            }
        }
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_english_headers_map_to_the_same_field() {
        let m = ColumnMap::new(RecordKind::Outcome);
        assert_eq!(m.field("成果名称"), Some("title"));
        assert_eq!(m.field("Title"), Some("title"));
        assert_eq!(m.field("技术成熟度*"), Some("trl"));
        assert_eq!(m.field("ＤＯＩ"), Some("doi"));
        assert_eq!(m.field("patent-no"), Some("patent_no"));
        assert_eq!(m.field("_id"), Some("source_id"));
        assert_eq!(m.field("favourite colour"), None);
    }

    #[test]
    fn no_alias_points_to_two_fields_of_one_kind() {
        for kind in RecordKind::ALL {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for e in entries().iter().filter(|e| e.kind == kind.as_str()) {
                for name in std::iter::once(&e.field).chain(e.aliases.iter()) {
                    if let Some(prev) = seen.insert(header_key(name), e.field) {
                        assert_eq!(
                            prev, e.field,
                            "{kind}: '{name}' maps to {prev} and {}",
                            e.field
                        );
                    }
                }
            }
        }
    }
}
