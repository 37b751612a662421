//! Length caps on what a client writes: a title or a name is at most [`MAX_TITLE_CHARS`], any other
//! text at most [`MAX_TEXT_CHARS`], a list at most [`MAX_LIST_ITEMS`] items. The request body cap
//! (`max_body_bytes`) bounds a request as a whole; these keep one field from filling it.

use model::Record;

use crate::error::{ApiError, ApiResult, Code};

pub const MAX_TITLE_CHARS: usize = 500;
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_LIST_ITEMS: usize = 200;

const TITLE_FIELDS: [&str; 4] = ["title", "name", "display_name", "owner"];

/// 422 naming the first field past its cap.
pub fn check_record(record: &Record) -> ApiResult<()> {
    let value = serde_json::to_value(record).map_err(ApiError::internal)?;
    match first_oversized(&value, "") {
        Some(problem) => Err(ApiError::new(Code::TooLong, problem)),
        None => Ok(()),
    }
}

fn first_oversized(v: &serde_json::Value, path: &str) -> Option<String> {
    match v {
        serde_json::Value::String(s) => {
            let last = path.rsplit('.').next().unwrap_or(path);
            let cap = if TITLE_FIELDS.contains(&last) {
                MAX_TITLE_CHARS
            } else {
                MAX_TEXT_CHARS
            };
            let n = s.chars().count();
            (n > cap).then(|| format!("{path}: {n} characters, at most {cap}: shorten it"))
        }
        serde_json::Value::Array(items) => {
            if items.len() > MAX_LIST_ITEMS {
                return Some(format!(
                    "{path}: {} items, at most {MAX_LIST_ITEMS}",
                    items.len()
                ));
            }
            items
                .iter()
                .enumerate()
                .find_map(|(i, x)| first_oversized(x, &format!("{path}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            first_oversized(x, &p)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_title_and_a_long_abstract_are_named() {
        let v = serde_json::json!({"title": "x".repeat(501), "abstract": "y"});
        assert!(first_oversized(&v, "").unwrap().starts_with("title: 501"));
        let v = serde_json::json!({"title": "ok", "abstract": "y".repeat(20_001)});
        assert!(first_oversized(&v, "").unwrap().starts_with("abstract:"));
        let v = serde_json::json!({"title": "ok", "keywords": vec!["k"; 201]});
        assert!(first_oversized(&v, "").unwrap().contains("201 items"));
        let v = serde_json::json!({"title": "标题".repeat(250), "owners": ["甲"]});
        assert_eq!(first_oversized(&v, ""), None);
    }
}
