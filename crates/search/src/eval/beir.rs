//! Reading a benchmark in BEIR format: `corpus.jsonl` (`_id`, `title`, `text`), `queries.jsonl`
//! (`_id`, `text`) and `qrels/<split>.tsv` (header `query-id corpus-id score`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::metrics::Judgements;

/// A corpus document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub id: String,
    pub title: String,
    pub text: String,
}

/// A query that has judgements in the chosen split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub id: String,
    pub text: String,
}

/// A loaded benchmark split.
#[derive(Debug, Default)]
pub struct BeirSet {
    pub corpus: Vec<Doc>,
    /// Only the queries with judgements in the split, in file order.
    pub queries: Vec<Query>,
    pub qrels: HashMap<String, Judgements>,
    /// Non-fatal findings, e.g. judgements naming unknown documents.
    pub warnings: Vec<String>,
}

/// Why a benchmark directory cannot be used; always names the file and, where it applies, the line.
#[derive(Debug, thiserror::Error)]
pub enum BeirError {
    #[error("{path}: missing. A BEIR directory holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv{hint}")]
    Missing { path: PathBuf, hint: String },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

fn read(path: &Path, hint: String) -> Result<String, BeirError> {
    if !path.exists() {
        return Err(BeirError::Missing {
            path: path.to_path_buf(),
            hint,
        });
    }
    std::fs::read_to_string(path).map_err(|e| BeirError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

/// Parses a JSONL file of objects, handing each (line number, object) to `f`.
fn each_object(
    path: &Path,
    text: &str,
    mut f: impl FnMut(usize, &serde_json::Map<String, serde_json::Value>) -> Result<(), String>,
) -> Result<(), BeirError> {
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |message: String| BeirError::Line {
            path: path.to_path_buf(),
            line: i + 1,
            message,
        };
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| err(format!("not valid JSON: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| err("expected a JSON object".into()))?;
        f(i + 1, obj).map_err(err)?;
    }
    Ok(())
}

fn field(obj: &serde_json::Map<String, serde_json::Value>, name: &str) -> Option<String> {
    match obj.get(name)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Loads `dir` with the judgements of `split`.
pub fn load(dir: &Path, split: &str) -> Result<BeirSet, BeirError> {
    let qrels_path = dir.join("qrels").join(format!("{split}.tsv"));
    let splits_hint = {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("qrels"))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()?
                            .strip_suffix(".tsv")
                            .map(String::from)
                    })
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        if names.is_empty() {
            String::new()
        } else {
            format!("; splits here: {}", names.join(", "))
        }
    };

    let mut set = BeirSet::default();
    let corpus_path = dir.join("corpus.jsonl");
    let text = read(&corpus_path, String::new())?;
    let mut doc_ids = HashSet::new();
    each_object(&corpus_path, &text, |_, obj| {
        let id = field(obj, "_id").ok_or("missing \"_id\"")?;
        if !doc_ids.insert(id.clone()) {
            return Err(format!("document id {id} appears twice"));
        }
        set.corpus.push(Doc {
            id,
            title: field(obj, "title").unwrap_or_default(),
            text: field(obj, "text").unwrap_or_default(),
        });
        Ok(())
    })?;

    let qtext = read(&qrels_path, splits_hint)?;
    let mut unknown_docs = 0usize;
    for (i, line) in qtext.lines().enumerate() {
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        if line.trim().is_empty() || (i == 0 && cols.first() == Some(&"query-id")) {
            continue;
        }
        let err = |message: String| BeirError::Line {
            path: qrels_path.clone(),
            line: i + 1,
            message,
        };
        if cols.len() != 3 {
            return Err(err(format!(
                "expected 3 tab-separated columns (query-id corpus-id score), found {}",
                cols.len()
            )));
        }
        let score: i32 = cols[2]
            .parse()
            .map_err(|_| err(format!("score '{}' is not a whole number", cols[2])))?;
        if !doc_ids.contains(cols[1]) {
            unknown_docs += 1;
        }
        set.qrels
            .entry(cols[0].to_string())
            .or_default()
            .insert(cols[1].to_string(), score);
    }
    if unknown_docs > 0 {
        set.warnings.push(format!(
            "{}: {unknown_docs} judgements name documents not in corpus.jsonl; they count as relevant but unretrievable",
            qrels_path.display()
        ));
    }

    let queries_path = dir.join("queries.jsonl");
    let text = read(&queries_path, String::new())?;
    let mut seen = HashSet::new();
    each_object(&queries_path, &text, |_, obj| {
        let id = field(obj, "_id").ok_or("missing \"_id\"")?;
        if !set.qrels.contains_key(&id) {
            return Ok(());
        }
        let q = field(obj, "text").unwrap_or_default();
        if q.trim().is_empty() {
            return Err(format!("query {id} has empty text"));
        }
        seen.insert(id.clone());
        set.queries.push(Query { id, text: q });
        Ok(())
    })?;
    let unknown_queries = set.qrels.keys().filter(|q| !seen.contains(*q)).count();
    if unknown_queries > 0 {
        set.warnings.push(format!(
            "{}: {unknown_queries} judged query ids are not in queries.jsonl; skipped",
            qrels_path.display()
        ));
        set.qrels.retain(|q, _| seen.contains(q));
    }
    Ok(set)
}

/// Mixes more documents into a loaded set (a mixed registry: Chinese papers among English abstracts,
/// or the other way round): `path` is a BEIR directory (its `corpus.jsonl`) or a JSONL file whose objects
/// have `_id` or `id`, `title`, and `text` or `abstract`. A document whose id the set already holds is
/// skipped when its title is the same (the same document) and refused otherwise. Returns how many were
/// added.
pub fn add_corpus(set: &mut BeirSet, path: &Path) -> Result<usize, BeirError> {
    let file = if path.is_dir() {
        path.join("corpus.jsonl")
    } else {
        path.to_path_buf()
    };
    let text = read(
        &file,
        " (--add-corpus takes a BEIR directory or a JSONL file of documents)".into(),
    )?;
    let known: HashMap<String, usize> = set
        .corpus
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i))
        .collect();
    let mut added: Vec<Doc> = vec![];
    let mut seen = HashSet::new();
    each_object(&file, &text, |_, obj| {
        let id = field(obj, "_id")
            .or_else(|| field(obj, "id"))
            .ok_or("missing \"_id\" (or \"id\")")?;
        let title = field(obj, "title").unwrap_or_default();
        let body = field(obj, "text")
            .or_else(|| field(obj, "abstract"))
            .unwrap_or_default();
        if let Some(&i) = known.get(&id) {
            if set.corpus[i].title == title {
                return Ok(());
            }
            return Err(format!(
                "document id {id} is already in the set with another title; give the added documents other ids"
            ));
        }
        if !seen.insert(id.clone()) {
            return Err(format!("document id {id} appears twice"));
        }
        added.push(Doc {
            id,
            title,
            text: body,
        });
        Ok(())
    })?;
    let n = added.len();
    set.corpus.extend(added);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, corpus: &str, queries: &str, qrels: &str) {
        std::fs::create_dir_all(dir.join("qrels")).unwrap();
        std::fs::write(dir.join("corpus.jsonl"), corpus).unwrap();
        std::fs::write(dir.join("queries.jsonl"), queries).unwrap();
        std::fs::write(dir.join("qrels/test.tsv"), qrels).unwrap();
    }

    const CORPUS: &str = "{\"_id\":\"d1\",\"title\":\"A\",\"text\":\"alpha\"}\n{\"_id\":\"d2\",\"title\":\"B\",\"text\":\"beta\"}\n";

    #[test]
    fn loads_judged_queries_and_warns_about_unknown_ids() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            CORPUS,
            "{\"_id\":\"q1\",\"text\":\"alpha?\"}\n{\"_id\":\"q2\",\"text\":\"unjudged\"}\n",
            "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td9\t2\nq7\td2\t1\n",
        );
        let s = load(t.path(), "test").unwrap();
        assert_eq!(s.corpus.len(), 2);
        assert_eq!(
            s.queries,
            vec![Query {
                id: "q1".into(),
                text: "alpha?".into()
            }]
        );
        assert_eq!(s.qrels["q1"]["d9"], 2);
        assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
        assert!(s.warnings[0].contains("1 judgements name documents not in corpus"));
        assert!(s.warnings[1].contains("1 judged query ids"));
    }

    #[test]
    fn added_documents_join_the_corpus_and_clashing_ids_are_refused() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            CORPUS,
            "{\"_id\":\"q1\",\"text\":\"alpha?\"}\n",
            "q1\td1\t1\n",
        );
        let mut s = load(t.path(), "test").unwrap();
        let extra = t.path().join("papers.jsonl");
        std::fs::write(
            &extra,
            "{\"id\":\"c1\",\"title\":\"锂电池\",\"abstract\":\"热失控\"}\n{\"_id\":\"d1\",\"title\":\"A\"}\n",
        )
        .unwrap();
        assert_eq!(add_corpus(&mut s, &extra).unwrap(), 1);
        assert_eq!(s.corpus.len(), 3);
        assert_eq!(s.corpus[2].text, "热失控");
        std::fs::write(&extra, "{\"id\":\"d2\",\"title\":\"other\"}\n").unwrap();
        let e = add_corpus(&mut s, &extra).unwrap_err().to_string();
        assert!(
            e.contains("papers.jsonl:1: document id d2 is already in the set"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "{\"_id\":\"d1\"}\n{oops\n", "", "");
        let e = load(t.path(), "test").unwrap_err().to_string();
        assert!(e.contains("corpus.jsonl:2: not valid JSON"), "{e}");

        write(
            t.path(),
            CORPUS,
            "{\"_id\":\"q1\",\"text\":\" \"}\n",
            "q1\td1\t1\n",
        );
        let e = load(t.path(), "test").unwrap_err().to_string();
        assert!(
            e.contains("queries.jsonl:1: query q1 has empty text"),
            "{e}"
        );

        write(t.path(), CORPUS, "", "q1\td1\n");
        let e = load(t.path(), "test").unwrap_err().to_string();
        assert!(
            e.contains("test.tsv:1: expected 3 tab-separated columns"),
            "{e}"
        );

        let e = load(t.path(), "dev").unwrap_err().to_string();
        assert!(
            e.contains("dev.tsv: missing") && e.contains("splits here: test"),
            "{e}"
        );
    }
}
