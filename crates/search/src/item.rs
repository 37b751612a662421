//! What the indexes know of a record: its searchable text and its filter values.

use model::{Confidentiality, Record, RecordKind};

/// A record reduced to what search needs. Contact details are never part of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchItem {
    pub record_kind: RecordKind,
    /// The record's id in the store.
    pub id: u64,
    /// Sub-kind: `paper`, `patent`, `lab`, `expert`, `public` (for demands: their confidentiality)…
    pub kind: String,
    pub lang: String,
    pub region: Option<String>,
    pub clusters: Vec<String>,
    pub trl: Option<u8>,
    pub year: Option<i32>,
    pub title: String,
    pub body: String,
    pub keywords: Vec<String>,
}

impl SearchItem {
    /// The text of the `all` field: title, body and keywords.
    pub fn all_text(&self) -> String {
        let mut s = String::with_capacity(self.title.len() + self.body.len() + 64);
        s.push_str(&self.title);
        s.push('\n');
        s.push_str(&self.body);
        for k in &self.keywords {
            s.push('\n');
            s.push_str(k);
        }
        s
    }

    /// Builds the searchable view of a stored record. Demands other than public ones are left out of
    /// the shared index until per-user visibility reaches search (see docs/architecture.md).
    pub fn from_record(id: u64, record: &Record) -> Option<SearchItem> {
        let lang_of = |t: &str| model::Lang::detect(t).to_string();
        Some(match record {
            Record::Outcome(o) => SearchItem {
                record_kind: RecordKind::Outcome,
                id,
                kind: o.kind.to_string(),
                lang: o.lang.to_string(),
                region: None,
                clusters: o.clusters.clone(),
                trl: o.trl.map(|t| t.get()),
                year: o.year,
                title: o.title.clone(),
                body: o.abstract_text.clone().unwrap_or_default(),
                keywords: o.keywords.clone(),
            },
            Record::Organization(o) => {
                let mut body = vec![];
                body.extend(o.description.clone());
                body.extend(o.business_scope.clone());
                SearchItem {
                    record_kind: RecordKind::Organization,
                    id,
                    kind: o.kind.to_string(),
                    lang: lang_of(&o.name),
                    region: o.region.as_ref().map(|r| r.key().to_string()),
                    clusters: o.clusters.clone(),
                    trl: None,
                    year: None,
                    title: o.name.clone(),
                    body: body.join("\n"),
                    keywords: o.products.clone(),
                }
            }
            Record::Person(p) => SearchItem {
                record_kind: RecordKind::Person,
                id,
                kind: p.kind.to_string(),
                lang: lang_of(&p.name),
                region: p.region.as_ref().map(|r| r.key().to_string()),
                clusters: p.clusters.clone(),
                trl: None,
                year: None,
                title: format!("{} {}", p.name, p.affiliation.as_deref().unwrap_or("")),
                body: p.bio.clone().unwrap_or_default(),
                keywords: p.fields.clone(),
            },
            Record::Demand(d) => {
                if d.confidentiality != Confidentiality::Public {
                    return None;
                }
                SearchItem {
                    record_kind: RecordKind::Demand,
                    id,
                    kind: d.confidentiality.to_string(),
                    lang: lang_of(&d.title),
                    region: d.region.as_ref().map(|r| r.key().to_string()),
                    clusters: d.clusters.clone(),
                    trl: d.trl_needed.map(|t| t.get()),
                    year: None,
                    title: d.title.clone(),
                    body: format!("{}\n{}", d.problem, d.target_metrics.join("\n")),
                    keywords: d.keywords.clone(),
                }
            }
        })
    }
}
