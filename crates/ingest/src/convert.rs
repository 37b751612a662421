//! One raw row → one validated domain record, or the list of everything wrong with it.

use std::collections::HashMap;
use std::str::FromStr;

use model::{
    parse_date, BudgetRange, Confidentiality, CooperationMode, Demand, DemandStatus, Doi, Fen,
    FieldError, IpcCode, Lang, OrgKind, Organization, Outcome, OutcomeKind, PatentNumber, Person,
    PersonKind, Record, RecordKind, Region, TransferMode, Trl, Uscc,
};

use crate::{ColumnMap, ParseOptions, RawRow, RawValue};

/// The outcome of converting one row.
pub struct Converted {
    pub result: Result<Record, Vec<FieldError>>,
    /// Headers not mapped to a field (their values went to `extra`).
    pub unknown_fields: Vec<String>,
    /// Region names not in the region table (kept as free text).
    pub free_text_regions: Vec<String>,
}

/// Separators of list cells: Chinese and ASCII semicolons, the enumeration comma, and `|`.
/// Keywords, fields and products also split on commas.
const LIST_SEPARATORS: &[char] = &[';', '；', '、', '|', '\n'];
const WORD_LIST_SEPARATORS: &[char] = &[';', '；', '、', '|', '\n', ',', '，'];

struct Fields<'a> {
    values: HashMap<&'static str, &'a RawValue>,
    errors: Vec<FieldError>,
}

fn text_of(v: &RawValue) -> String {
    match v {
        RawValue::Text(s) => s.trim().to_string(),
        RawValue::List(items) => items.join("; "),
        RawValue::Json(j) => j.to_string(),
    }
}

impl<'a> Fields<'a> {
    fn text(&self, field: &str) -> Option<String> {
        self.values
            .get(field)
            .map(|v| text_of(v))
            .filter(|s| !s.is_empty())
    }

    fn required(&mut self, field: &str) -> String {
        match self.text(field) {
            Some(s) => s,
            None => {
                self.errors.push(FieldError::missing(field));
                String::new()
            }
        }
    }

    fn list_with(&self, field: &str, seps: &[char]) -> Vec<String> {
        match self.values.get(field) {
            None => vec![],
            Some(RawValue::List(items)) => items
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(v) => text_of(v)
                .split(seps)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }

    /// Names and other values that may contain commas.
    fn list(&self, field: &str) -> Vec<String> {
        self.list_with(field, LIST_SEPARATORS)
    }

    /// Keywords, fields, products, codes: commas separate too.
    fn words(&self, field: &str) -> Vec<String> {
        self.list_with(field, WORD_LIST_SEPARATORS)
    }

    fn parse<T: FromStr<Err = String>>(&mut self, field: &str) -> Option<T> {
        let raw = self.text(field)?;
        match raw.parse::<T>() {
            Ok(v) => Some(v),
            Err(reason) => {
                self.errors.push(FieldError::new(field, &raw, reason));
                None
            }
        }
    }

    fn parse_or<T: FromStr<Err = String>>(&mut self, field: &str, default: T) -> T {
        if self.text(field).is_none() {
            return default;
        }
        self.parse(field).unwrap_or(default)
    }

    fn parse_list<T: FromStr<Err = String>>(&mut self, field: &str) -> Vec<T> {
        let mut out = vec![];
        for item in self.words(field) {
            match item.parse::<T>() {
                Ok(v) => out.push(v),
                Err(reason) => self.errors.push(FieldError::new(field, &item, reason)),
            }
        }
        out
    }

    fn year(&mut self) -> Option<i32> {
        let raw = self.text("year")?;
        let digits = raw.trim_end_matches('年').trim_end_matches(".0");
        match digits.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => match parse_date(&raw) {
                Ok(d) => Some(chrono::Datelike::year(&d)),
                Err(_) => {
                    self.errors.push(FieldError::new(
                        "year",
                        &raw,
                        "year must be a 4-digit year such as 2024",
                    ));
                    None
                }
            },
        }
    }

    fn date(&mut self, field: &str) -> Option<chrono::NaiveDate> {
        let raw = self.text(field)?;
        match parse_date(&raw) {
            Ok(d) => Some(d),
            Err(reason) => {
                self.errors.push(FieldError::new(field, &raw, reason));
                None
            }
        }
    }

    fn flag(&mut self, field: &str) -> bool {
        let Some(raw) = self.text(field) else {
            return false;
        };
        match raw.to_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "是" | "公开" => true,
            "false" | "no" | "n" | "0" | "否" | "不公开" => false,
            _ => {
                self.errors.push(FieldError::new(
                    field,
                    &raw,
                    "write true or false (是 / 否)",
                ));
                false
            }
        }
    }

    fn region(&mut self, field: &str, free_text: &mut Vec<String>) -> Option<Region> {
        let raw = self.text(field)?;
        let r: Region = raw.parse().ok()?;
        if r.code().is_none() {
            free_text.push(raw);
        }
        Some(r)
    }

    fn budget(&mut self) -> BudgetRange {
        let min: Option<Fen> = self.parse("budget_min");
        let max: Option<Fen> = self.parse("budget_max");
        if min.is_some() || max.is_some() {
            return match BudgetRange::new(min, max) {
                Ok(b) => b,
                Err(reason) => {
                    self.errors.push(FieldError::new("budget_min", "", reason));
                    BudgetRange::default()
                }
            };
        }
        self.parse_or("budget", BudgetRange::default())
    }
}

/// Converts one row to a record of `kind`, or collects every field error of the row.
pub fn convert_row(
    kind: RecordKind,
    map: &ColumnMap,
    row: &RawRow,
    opts: &ParseOptions,
) -> Converted {
    let mut unknown_fields = vec![];
    let mut extra = serde_json::Map::new();
    let mut values: HashMap<&'static str, &RawValue> = HashMap::new();
    let mut errors = vec![];
    if let Some(e) = &row.error {
        errors.push(FieldError::new("(row)", "", e.clone()));
    }
    for (header, value) in &row.values {
        if header == "extra" {
            match value {
                RawValue::Json(serde_json::Value::Object(obj)) => extra.extend(obj.clone()),
                RawValue::Text(s) if s.trim().is_empty() => {}
                RawValue::Text(s) => match serde_json::from_str::<serde_json::Value>(s) {
                    Ok(serde_json::Value::Object(obj)) => extra.extend(obj),
                    _ => errors.push(FieldError::new(
                        "extra",
                        s,
                        "extra must be a JSON object such as {\"discipline\": \"工学\"}",
                    )),
                },
                _ => errors.push(FieldError::new("extra", "", "extra must be a JSON object")),
            }
            continue;
        }
        match map.field(header) {
            Some(field) => {
                // A second column for the same field only fills it when the first was empty.
                let empty = values.get(field).is_none_or(|v| text_of(v).is_empty());
                if empty {
                    values.insert(field, value);
                }
            }
            None => {
                let json = match value {
                    RawValue::Text(s) => serde_json::Value::String(s.clone()),
                    RawValue::List(items) => serde_json::Value::from(items.clone()),
                    RawValue::Json(j) => j.clone(),
                };
                if !(matches!(&json, serde_json::Value::String(s) if s.trim().is_empty())) {
                    extra.insert(header.clone(), json);
                }
                unknown_fields.push(header.clone());
            }
        }
    }
    let mut f = Fields { values, errors };
    let mut free_text_regions = vec![];
    let source = f.text("source").or_else(|| opts.default_source.clone());

    let record = match kind {
        RecordKind::Organization => {
            let mut o =
                Organization::new(f.parse_or("kind", OrgKind::Enterprise), f.required("name"));
            o.uscc = f.parse::<Uscc>("uscc");
            o.region = f.region("region", &mut free_text_regions);
            o.address = f.text("address");
            o.clusters = f.words("clusters");
            o.chain_nodes = f.words("chain_nodes");
            o.products = f.words("products");
            o.industry_codes = f.words("industry_codes");
            o.business_scope = f.text("business_scope");
            o.description = f.text("description");
            o.host = f.text("host");
            o.website = f.text("website");
            o.source = source;
            o.extra = extra;
            Record::Organization(o)
        }
        RecordKind::Person => {
            let mut p = Person::new(f.parse_or("kind", PersonKind::Expert), f.required("name"));
            p.affiliation = f.text("affiliation");
            p.title = f.text("title");
            p.fields = f.words("fields");
            p.bio = f.text("bio");
            p.region = f.region("region", &mut free_text_regions);
            p.orcid = f.text("orcid");
            p.contact.email = f.text("email");
            p.contact.phone = f.text("phone");
            p.contact_public = f.flag("contact_public");
            p.clusters = f.words("clusters");
            p.chain_nodes = f.words("chain_nodes");
            p.source = source;
            p.extra = extra;
            Record::Person(p)
        }
        RecordKind::Outcome => {
            let mut o = Outcome::new(f.parse_or("kind", OutcomeKind::Paper), f.required("title"));
            o.abstract_text = f.text("abstract");
            o.keywords = f.words("keywords");
            o.lang = match f.text("lang") {
                Some(l) => Lang::try_from(l.clone()).unwrap_or_else(|reason| {
                    f.errors.push(FieldError::new("lang", &l, reason));
                    Lang::en()
                }),
                None => Lang::detect(&format!(
                    "{} {}",
                    o.title,
                    o.abstract_text.as_deref().unwrap_or("")
                )),
            };
            o.owners = f.list("owners");
            o.owner_uscc = f.parse::<Uscc>("owner_uscc");
            o.trl = f.parse::<Trl>("trl");
            o.ipc = f.parse_list::<IpcCode>("ipc");
            o.year = f.year();
            o.doi = f.parse::<Doi>("doi");
            o.patent_no = f.parse::<PatentNumber>("patent_no");
            o.transfer_modes = f.parse_list::<TransferMode>("transfer_modes");
            o.clusters = f.words("clusters");
            o.chain_nodes = f.words("chain_nodes");
            o.source = source;
            o.source_id = f.text("source_id");
            o.licence = f.text("licence").or_else(|| opts.default_licence.clone());
            o.extra = extra;
            Record::Outcome(o)
        }
        RecordKind::Demand => {
            let owner = f.required("owner");
            let title = f.required("title");
            let problem = f.required("problem");
            let mut d = Demand::new(owner, title, problem);
            d.code = f.text("code");
            d.owner_uscc = f.parse::<Uscc>("owner_uscc");
            d.target_metrics = f.list("target_metrics");
            d.keywords = f.words("keywords");
            d.budget = f.budget();
            d.deadline = f.date("deadline");
            d.trl_needed = f.parse::<Trl>("trl_needed");
            d.clusters = f.words("clusters");
            d.chain_nodes = f.words("chain_nodes");
            d.cooperation = f.parse_list::<CooperationMode>("cooperation");
            // No default: guessing "public" could publish a secret; guessing "nda" hides a public call.
            d.confidentiality = match f.text("confidentiality") {
                Some(_) => f.parse("confidentiality").unwrap_or(Confidentiality::Nda),
                None => {
                    f.errors.push(FieldError::new(
                        "confidentiality",
                        "",
                        format!(
                            "confidentiality is required: one of {}",
                            Confidentiality::accepted()
                        ),
                    ));
                    Confidentiality::Nda
                }
            };
            d.public_summary = f
                .text("public_summary")
                .filter(|_| d.confidentiality == Confidentiality::Nda);
            d.status = f.parse_or("status", DemandStatus::Open);
            d.region = f.region("region", &mut free_text_regions);
            d.source = source;
            d.extra = extra;
            Record::Demand(d)
        }
    };
    let mut errors = f.errors;
    // Cross-field checks, skipping fields already reported.
    for e in record.check() {
        if !errors.iter().any(|x| x.field == e.field) {
            errors.push(e);
        }
    }
    Converted {
        result: if errors.is_empty() {
            Ok(record)
        } else {
            Err(errors)
        },
        unknown_fields,
        free_text_regions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> RawRow {
        RawRow {
            line: 2,
            values: pairs
                .iter()
                .map(|(h, v)| (h.to_string(), RawValue::Text(v.to_string())))
                .collect(),
            error: None,
        }
    }

    fn convert(kind: RecordKind, pairs: &[(&str, &str)]) -> Converted {
        convert_row(
            kind,
            &ColumnMap::new(kind),
            &row(pairs),
            &ParseOptions::default(),
        )
    }

    #[test]
    fn demand_needs_an_explicit_confidentiality() {
        let c = convert(
            RecordKind::Demand,
            &[
                ("需求名称", "热管理"),
                ("需求单位", "甲公司"),
                ("需求描述", "…"),
            ],
        );
        let errs = c.result.unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "confidentiality");
        assert!(errs[0].reason.contains("nda (保密)"));
    }

    #[test]
    fn every_bad_field_of_a_row_is_reported_at_once() {
        let c = convert(
            RecordKind::Outcome,
            &[
                ("title", ""),
                ("trl", "12"),
                ("doi", "nope"),
                ("ipc", "H01M 4/36; XX"),
            ],
        );
        let fields: Vec<String> = c.result.unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "trl", "ipc", "doi"]);
    }

    #[test]
    fn list_cells_split_on_chinese_and_ascii_separators() {
        let c = convert(
            RecordKind::Outcome,
            &[
                ("title", "x"),
                ("keywords", "锂电池；正极材料、碳包覆, LFP"),
                ("owners", "重庆示例大学; Li, Ming"),
            ],
        );
        let Record::Outcome(o) = c.result.unwrap() else {
            panic!()
        };
        assert_eq!(o.keywords, ["锂电池", "正极材料", "碳包覆", "LFP"]);
        // Owner names may contain commas: only semicolons and the like separate them.
        assert_eq!(o.owners, ["重庆示例大学", "Li, Ming"]);
    }

    #[test]
    fn budget_columns_and_range_text_agree() {
        let base = [
            ("title", "t"),
            ("owner", "o"),
            ("problem", "p"),
            ("confidentiality", "public"),
        ];
        let mut a = base.to_vec();
        a.push(("预算", "50-100万"));
        let mut b = base.to_vec();
        b.extend([("budget_min", "500000"), ("budget_max", "1000000")]);
        let (Record::Demand(da), Record::Demand(db)) = (
            convert(RecordKind::Demand, &a).result.unwrap(),
            convert(RecordKind::Demand, &b).result.unwrap(),
        ) else {
            panic!()
        };
        assert_eq!(da.budget, db.budget);
        let mut bad = base.to_vec();
        bad.extend([("budget_min", "100万"), ("budget_max", "50万")]);
        let errs = convert(RecordKind::Demand, &bad).result.unwrap_err();
        assert!(errs[0].reason.contains("swap"));
    }

    #[test]
    fn unknown_columns_go_to_extra_and_are_listed() {
        let c = convert(
            RecordKind::Outcome,
            &[("title", "x"), ("学科", "工学"), ("empty", "")],
        );
        assert_eq!(c.unknown_fields, ["学科", "empty"]);
        let Record::Outcome(o) = c.result.unwrap() else {
            panic!()
        };
        assert_eq!(o.extra.get("学科").unwrap(), "工学");
        assert!(
            !o.extra.contains_key("empty"),
            "blank unknown cells add nothing"
        );
    }

    #[test]
    fn an_unknown_region_is_kept_and_flagged() {
        let c = convert(
            RecordKind::Organization,
            &[("name", "Lab"), ("kind", "lab"), ("region", "慕尼黑")],
        );
        assert_eq!(c.free_text_regions, ["慕尼黑"]);
        assert!(c.result.is_ok());
    }
}
