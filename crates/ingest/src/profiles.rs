//! Enterprise profiles from files: JSON (an array or JSONL, the names of `docs/data-formats.md`) or a
//! table (CSV, TSV, XLSX) with one row per enterprise and year, headers in Chinese or English
//! (`data/import/profile-columns.csv`) and money in yuan, 万元 or 亿元 as the header says. An
//! enterprise with any bad cell is rejected whole, with every problem named; the others are kept.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use rules::{Award, Financials, Profile};

use crate::read::{read_file, FileFormat, RawRow, RawValue, ReadError};

const COLUMNS: &str = include_str!("../../../data/import/profile-columns.csv");

/// Profiles read from a file, with the problems of the ones left out.
#[derive(Debug, Default)]
pub struct ProfileFile {
    /// Good profiles with the line (JSON item, or first table row) they start on.
    pub profiles: Vec<(usize, Profile)>,
    /// "file: line N: column X (field): problem (fix: …)".
    pub problems: Vec<String>,
}

struct Column {
    field: &'static str,
    year_level: bool,
    aliases: Vec<&'static str>,
}

fn columns() -> &'static [Column] {
    static C: OnceLock<Vec<Column>> = OnceLock::new();
    C.get_or_init(|| {
        COLUMNS
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut p = l.splitn(3, ',');
                let field = p.next().expect("field");
                let level = p.next().expect("level");
                Column {
                    field,
                    year_level: level == "year",
                    aliases: p.next().unwrap_or("").split('|').collect(),
                }
            })
            .collect()
    })
}

/// A header's field and the factor its unit multiplies by: `营业收入（万元）` → (`revenue`, 10⁴).
fn header_field(header: &str) -> Option<(&'static Column, f64)> {
    let h = header.trim();
    let (name, unit) = match h.rfind(['(', '（']) {
        Some(i) if h.ends_with(')') || h.ends_with('）') => {
            let unit = h[i..]
                .trim_start_matches(['(', '（'])
                .trim_end_matches([')', '）'])
                .trim();
            (h[..i].trim(), unit)
        }
        _ => (h, ""),
    };
    let factor = match unit {
        "万元" => 1e4,
        "亿元" => 1e8,
        "%" => 0.01,
        _ => 1.0,
    };
    let lower = name.to_ascii_lowercase();
    columns()
        .iter()
        .find(|c| c.field == lower || c.aliases.contains(&name))
        .map(|c| (c, factor))
}

/// Reads profiles from `path` (format from the extension unless given).
pub fn read_profiles(
    path: &Path,
    format: Option<FileFormat>,
    sheet: Option<&str>,
) -> Result<ProfileFile, ReadError> {
    let name = path.display().to_string();
    let format = format
        .or_else(|| FileFormat::from_path(path))
        .ok_or_else(|| ReadError::UnknownFormat { path: name.clone() })?;
    if format == FileFormat::Jsonl {
        let text = std::fs::read_to_string(path).map_err(|e| ReadError::Io {
            path: name.clone(),
            source: e,
        })?;
        return Ok(profiles_from_json(&name, &text));
    }
    let table = read_file(path, Some(format), sheet)?;
    Ok(profiles_from_rows(&name, &table.rows))
}

/// Profiles from JSON text: an array, or one object per line.
pub fn profiles_from_json(name: &str, text: &str) -> ProfileFile {
    let mut out = ProfileFile::default();
    let take = |out: &mut ProfileFile, place: String, line: usize, v: serde_json::Value| {
        match serde_json::from_value::<Profile>(v) {
            Ok(p) => {
                let problems = p.check();
                if problems.is_empty() {
                    out.profiles.push((line, p));
                } else {
                    out.problems.extend(
                        problems
                            .into_iter()
                            .map(|pr| format!("{name}: {place}: {pr}")),
                    );
                }
            }
            Err(e) => out.problems.push(format!(
                "{name}: {place}: {e} (fix: see docs/data-formats.md, enterprise profiles)"
            )),
        }
    };
    if text.trim_start().starts_with('[') {
        match serde_json::from_str::<Vec<serde_json::Value>>(text) {
            Ok(all) => {
                for (i, v) in all.into_iter().enumerate() {
                    take(&mut out, format!("item {}", i + 1), i + 1, v);
                }
            }
            Err(e) => out.problems.push(format!(
                "{name}: line {}: not a JSON array of profiles: {e}",
                e.line()
            )),
        }
        return out;
    }
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(v) => take(&mut out, format!("line {}", i + 1), i + 1, v),
            Err(e) => out.problems.push(format!(
                "{name}: line {}: not valid JSON ({e}): one profile object per line",
                i + 1
            )),
        }
    }
    out
}

/// One enterprise being assembled from its rows.
#[derive(Default)]
struct Building {
    first_line: usize,
    /// Enterprise-level cells as first given: field → (line, text).
    cells: BTreeMap<&'static str, (usize, String)>,
    years: BTreeMap<i32, Financials>,
    problems: Vec<String>,
}

fn text_of(v: &RawValue) -> String {
    match v {
        RawValue::Text(s) => s.trim().to_string(),
        RawValue::List(l) => l.join(";"),
        RawValue::Json(j) => j.to_string(),
    }
}

fn number(s: &str) -> Option<f64> {
    let t: String = s.chars().filter(|c| *c != ',' && *c != '，').collect();
    let t = t.trim();
    if let Some(p) = t.strip_suffix('%') {
        return p.trim().parse::<f64>().ok().map(|x| x / 100.0);
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "是" | "有" | "true" | "yes" | "y" | "1" => Some(true),
        "否" | "无" | "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

fn date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

fn list(s: &str) -> Vec<String> {
    s.split([';', '；', '、', '|'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Profiles from table rows: rows sharing a USCC make one enterprise.
pub fn profiles_from_rows(name: &str, rows: &[RawRow]) -> ProfileFile {
    let mut out = ProfileFile::default();
    let mut order: Vec<String> = vec![];
    let mut by_uscc: BTreeMap<String, Building> = BTreeMap::new();
    for row in rows {
        if let Some(e) = &row.error {
            out.problems.push(format!(
                "{name}: line {}: {e} (the row is left out)",
                row.line
            ));
            continue;
        }
        let mut fields: Vec<(&'static Column, f64, &str, String)> = vec![];
        let mut unknown = vec![];
        for (h, v) in &row.values {
            match header_field(h) {
                Some((c, factor)) => fields.push((c, factor, h.as_str(), text_of(v))),
                None if text_of(v).is_empty() => {}
                None => unknown.push(h.clone()),
            }
        }
        let uscc = fields
            .iter()
            .find(|(c, ..)| c.field == "uscc")
            .map(|f| f.3.clone())
            .unwrap_or_default();
        if uscc.is_empty() {
            out.problems.push(format!(
                "{name}: line {}: column 统一社会信用代码 (uscc) is empty (fix: the 18-character code; every row names its enterprise)",
                row.line
            ));
            continue;
        }
        if !by_uscc.contains_key(&uscc) {
            order.push(uscc.clone());
        }
        let b = by_uscc.entry(uscc.clone()).or_insert_with(|| Building {
            first_line: row.line,
            ..Default::default()
        });
        for h in unknown {
            b.problems.push(format!(
                "{name}: line {}: column '{h}' is not a profile field (fix: rename it to one in docs/data-formats.md, enterprise profiles, or leave it empty)",
                row.line
            ));
        }
        let year_text = fields
            .iter()
            .find(|(c, ..)| c.field == "year")
            .map(|f| f.3.clone())
            .unwrap_or_default();
        let has_year_values = fields
            .iter()
            .any(|(c, _, _, v)| c.year_level && c.field != "year" && !v.is_empty());
        let year = if year_text.is_empty() {
            if has_year_values {
                b.problems.push(format!(
                    "{name}: line {}: column 年度 (year) is empty but the row has yearly figures (fix: the fiscal year, e.g. 2025)",
                    row.line
                ));
            }
            None
        } else {
            match year_text.parse::<i32>() {
                Ok(y) if (1950..=2100).contains(&y) => Some(y),
                _ => {
                    b.problems.push(format!(
                        "{name}: line {}: column 年度 (year): '{year_text}' is not a year (fix: four digits, e.g. 2025)",
                        row.line
                    ));
                    None
                }
            }
        };
        for (c, factor, header, text) in fields {
            if text.is_empty() || c.field == "uscc" || c.field == "year" {
                continue;
            }
            if c.year_level {
                let Some(y) = year else { continue };
                let fin = b.years.entry(y).or_insert_with(|| Financials {
                    year: y,
                    ..Default::default()
                });
                match number(&text) {
                    Some(x) => {
                        let slot = money_slot(fin, c.field);
                        if slot.is_some() {
                            b.problems.push(format!(
                                "{name}: line {}: column {header} ({}): year {y} given twice (fix: one row per enterprise and year)",
                                row.line, c.field
                            ));
                        }
                        *slot = Some(x * factor);
                    }
                    None => b.problems.push(format!(
                        "{name}: line {}: column {header} ({}): '{text}' is not a number (fix: an amount, digits only; the header's unit, e.g. （万元）, scales it)",
                        row.line, c.field
                    )),
                }
                continue;
            }
            let text = if factor != 1.0 {
                // Keep the unit with the value: enterprise-level money is not expected, shares are.
                match number(&text) {
                    Some(x) => (x * factor).to_string(),
                    None => text,
                }
            } else {
                text
            };
            match b.cells.get(c.field) {
                Some((l, prev)) if *prev != text => b.problems.push(format!(
                    "{name}: line {}: column {header} ({}): '{text}' differs from '{prev}' on line {l} (fix: give enterprise-level values once, or the same on every row)",
                    row.line, c.field
                )),
                Some(_) => {}
                None => {
                    b.cells.insert(c.field, (row.line, text));
                }
            }
        }
    }
    for uscc in order {
        let mut b = by_uscc.remove(&uscc).expect("built");
        let mut p = Profile {
            uscc: uscc.clone(),
            financials: std::mem::take(&mut b.years).into_values().collect(),
            ..Default::default()
        };
        for (field, (line, text)) in &b.cells {
            if let Err(fix) = set_field(&mut p, field, text) {
                b.problems.push(format!(
                    "{name}: line {line}: column {} ({field}): '{text}' {fix}",
                    label(field)
                ));
            }
        }
        for pr in p.check() {
            b.problems.push(format!(
                "{name}: line {}: enterprise {uscc}: {pr}",
                b.first_line
            ));
        }
        if b.problems.is_empty() {
            out.profiles.push((b.first_line, p));
        } else {
            out.problems.extend(b.problems);
        }
    }
    out
}

/// The Chinese header of a field, for messages.
fn label(field: &str) -> &'static str {
    columns()
        .iter()
        .find(|c| c.field == field)
        .and_then(|c| c.aliases.first().copied())
        .unwrap_or("")
}

fn money_slot<'a>(f: &'a mut Financials, field: &str) -> &'a mut Option<f64> {
    match field {
        "revenue" => &mut f.revenue,
        "main_revenue" => &mut f.main_revenue,
        "high_tech_revenue" => &mut f.high_tech_revenue,
        "rd_expense" => &mut f.rd_expense,
        "rd_expense_domestic" => &mut f.rd_expense_domestic,
        "total_cost" => &mut f.total_cost,
        "net_assets" => &mut f.net_assets,
        "total_assets" => &mut f.total_assets,
        "total_liabilities" => &mut f.total_liabilities,
        "net_profit" => &mut f.net_profit,
        "equity_financing" => &mut f.equity_financing,
        other => unreachable!("profile-columns.csv names a yearly field the reader lacks: {other}"),
    }
}

/// Sets one enterprise-level field from its cell; the error says what is expected.
fn set_field(p: &mut Profile, field: &str, text: &str) -> Result<(), String> {
    let count = || {
        text.trim()
            .parse::<u32>()
            .map_err(|_| "is not a count (fix: a whole number ≥ 0)".to_string())
    };
    let flag = || yes_no(text).ok_or_else(|| "is not yes/no (fix: 是 or 否)".to_string());
    match field {
        "name" => p.name = text.to_string(),
        "registered_on" => {
            p.registered_on = Some(date(text).ok_or("is not a date (fix: YYYY-MM-DD)")?)
        }
        "employees" => p.employees = Some(count()?),
        "st_staff" => p.st_staff = Some(count()?),
        "rd_staff" => p.rd_staff = Some(count()?),
        "ip_class1" => p.ip.class1 = Some(count()?),
        "ip_class1_self_developed" => p.ip.class1_self_developed = Some(count()?),
        "ip_class1_high_value" => p.ip.class1_high_value = Some(count()?),
        "ip_class2" => p.ip.class2 = Some(count()?),
        "qualifications" => {
            p.qualifications = list(text)
                .iter()
                .map(|q| rules::qualification_code(q))
                .collect()
        }
        "prohibited_industry" => p.flags.prohibited_industry = flag()?,
        "major_accident" => p.flags.major_accident = flag()?,
        "serious_violation" => p.flags.serious_violation = flag()?,
        "abnormal_operation" => p.flags.abnormal_operation = flag()?,
        "strategic_emerging_product" => p.strategic_emerging_product = Some(flag()?),
        "awards" => {
            for a in list(text) {
                let parts: Vec<&str> = a.split([':', '：']).map(str::trim).collect();
                let level = match parts.first().copied() {
                    Some("national" | "国家级") => "national",
                    Some("provincial" | "省级" | "省部级") => "provincial",
                    _ => {
                        return Err(format!(
                            "has award '{a}' (fix: level:year[:rank], e.g. 国家级:2023:2)"
                        ))
                    }
                };
                let year = parts
                    .get(1)
                    .and_then(|y| y.parse::<i32>().ok())
                    .ok_or_else(|| format!("has award '{a}' without a year (fix: level:year[:rank], e.g. 省级:2024:1)"))?;
                let rank = match parts.get(2) {
                    Some(r) => Some(r.parse::<u32>().map_err(|_| {
                        format!("has award '{a}' with rank '{r}' (fix: the organisation's rank, a whole number)")
                    })?),
                    None => None,
                };
                p.awards.push(Award {
                    level: level.to_string(),
                    year,
                    rank,
                });
            }
        }
        "rd_institution_level" => {
            let level = match text.trim() {
                "国家级" => "national",
                "省级" | "省部级" => "provincial",
                "市级" => "municipal",
                "市级以下" => "below_municipal",
                "无" | "未建立" => "none",
                other => other,
            };
            p.rd_institution_level = Some(level.to_string());
        }
        "standards_led" => {
            for y in list(text) {
                p.standards_led.push(y.parse::<i32>().map_err(|_| {
                    format!("has '{y}' (fix: the years a standard was led, e.g. 2023;2025)")
                })?);
            }
        }
        "years_in_niche" => {
            p.years_in_niche = Some(number(text).ok_or("is not a number (fix: years, e.g. 6)")?)
        }
        "niche_market_share" => {
            let x = number(text).ok_or("is not a share (fix: 12% or 0.12)")?;
            p.niche_market_share = Some(x);
        }
        other => {
            unreachable!("profile-columns.csv names an enterprise field the reader lacks: {other}")
        }
    }
    Ok(())
}

/// The canonical column names, for documentation and templates.
pub fn profile_columns() -> Vec<(&'static str, bool, &'static str)> {
    columns()
        .iter()
        .map(|c| {
            (
                c.field,
                c.year_level,
                c.aliases.first().copied().unwrap_or(""),
            )
        })
        .collect()
}
