//! The words a page shows for the codes records carry: kinds, modes, levels, regions, clusters,
//! chain nodes, TRL stages. Codes never reach a page as they are; each has a UI string in both
//! languages (`data/i18n/ui.toml`, checked by a test) or a name in its own table.

use model::Region;

use super::{t, Lang};
use crate::state::AppState;

/// The UI string of a code under a prefix (`ok_patent`, `tm_licence`, …).
pub(crate) fn code(prefix: &str, code: &str, l: Lang) -> String {
    t(&format!("{prefix}{code}"), l).to_string()
}

/// The UI strings of `keys`, in order (a table's column headers).
pub(crate) fn words(keys: &[&str], l: Lang) -> Vec<String> {
    keys.iter().map(|k| t(k, l).to_string()).collect()
}

/// The UI string of a code, when the UI has one.
pub(crate) fn known(prefix: &str, code: &str, l: Lang) -> Option<String> {
    let key = format!("{prefix}{code}");
    let words = t(&key, l);
    (words != key).then(|| words.to_string())
}

/// Codes joined in words: `许可、合作开发`.
pub(crate) fn codes<'a>(prefix: &str, all: impl IntoIterator<Item = &'a str>, l: Lang) -> String {
    all.into_iter()
        .map(|c| code(prefix, c, l))
        .collect::<Vec<_>>()
        .join(sep(l))
}

/// The list separator of a language.
pub(crate) fn sep(l: Lang) -> &'static str {
    match l {
        Lang::Zh => "、",
        Lang::En => ", ",
    }
}

pub(crate) fn region(r: &Region, l: Lang) -> String {
    match l {
        Lang::Zh => r.name_zh().to_string(),
        Lang::En => r.name_en().to_string(),
    }
}

/// A cluster's name (the code itself only for a code the taxonomy does not know).
pub(crate) fn cluster(state: &AppState, code: &str, l: Lang) -> String {
    state
        .chains
        .taxonomy
        .cluster(code)
        .map(|c| {
            if l == Lang::Zh {
                c.zh.clone()
            } else {
                c.en.clone()
            }
        })
        .unwrap_or_else(|| code.to_string())
}

/// A chain node's name.
pub(crate) fn node(state: &AppState, code: &str, l: Lang) -> String {
    state
        .chains
        .taxonomy
        .node(code)
        .map(|n| {
            if l == Lang::Zh {
                n.zh.clone()
            } else {
                n.en.clone()
            }
        })
        .unwrap_or_else(|| code.to_string())
}

/// A record's kind code as words: an outcome kind, an organization kind or a person kind (the
/// codes do not overlap), or a demand's level.
pub(crate) fn record_kind(kind: &str, l: Lang) -> String {
    ["ok_", "org_", "pk_", "level_"]
        .iter()
        .find_map(|p| known(p, kind, l))
        .unwrap_or_else(|| kind.to_string())
}

/// `TRL 6 · 相关环境中的原型演示`: the level and what it means.
pub(crate) fn trl(level: u8, l: Lang) -> String {
    format!("TRL {level} · {}", code("trl_", &level.to_string(), l))
}

/// Chongqing's districts and counties as (key, name), for region choices.
pub(crate) fn chongqing_districts(l: Lang) -> Vec<(String, String)> {
    let Some(cq) = Region::lookup("重庆市") else {
        return vec![];
    };
    cq.with_descendants()
        .into_iter()
        .filter(|r| r != &cq)
        .map(|r| (r.key().to_string(), region(&r, l)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::strings;

    /// Every code a record can carry has words in both languages.
    #[test]
    fn every_code_has_words_in_both_languages() {
        let s = strings();
        let mut missing = vec![];
        let mut need = |key: String| match s.get(&key) {
            Some([zh, en]) if !zh.is_empty() && !en.is_empty() => {}
            _ => missing.push(key),
        };
        for k in model::OutcomeKind::ALL {
            need(format!("ok_{}", k.as_str()));
        }
        for k in model::TransferMode::ALL {
            need(format!("tm_{}", k.as_str()));
        }
        for k in model::CooperationMode::ALL {
            need(format!("cm_{}", k.as_str()));
        }
        for k in model::OrgKind::ALL {
            need(format!("org_{}", k.as_str()));
        }
        for k in model::PersonKind::ALL {
            need(format!("pk_{}", k.as_str()));
        }
        for k in model::DemandStatus::ALL {
            need(format!("status_{}", k.as_str()));
        }
        for k in model::Confidentiality::ALL {
            need(format!("level_{}", k.as_str()));
        }
        for i in 1..=9 {
            need(format!("trl_{i}"));
        }
        assert!(missing.is_empty(), "no UI string for {missing:?}");
    }
}
