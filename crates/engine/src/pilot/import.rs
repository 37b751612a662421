//! The resource library from a file: an XLSX workbook with a sheet `平台` (platforms) and a sheet
//! `设备` (equipment), or CSV files (platforms, and equipment apart). Headers in Chinese or English
//! (`data/import/platform-columns.csv`; the template is `data/import/platforms-template.csv` and
//! `equipment-template.csv`). Each platform names a registry organization; a row with any bad
//! cell is rejected whole with file, line, column and fix, and the good rows are kept.

use std::collections::HashMap;
use std::path::Path;

use ingest::{read_file, FileFormat, RawRow, RawValue};

use super::{EquipmentInput, Fee, Library, ParamInput, PlatformDetail, PlatformInput, TrackRecord};
use crate::engagements::Actor;
use crate::{EngineError, Result};

const COLUMNS: &str = include_str!("../../../../data/import/platform-columns.csv");
/// The sheets an XLSX workbook holds them in.
pub const PLATFORM_SHEET: &str = "平台";
pub const EQUIPMENT_SHEET: &str = "设备";

/// What an import did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportSummary {
    pub platforms_created: usize,
    pub platforms_updated: usize,
    pub platforms_unchanged: usize,
    pub equipment_created: usize,
    pub equipment_updated: usize,
    pub equipment_unchanged: usize,
    /// "file: line N: column X: problem (fix)".
    pub problems: Vec<String>,
}

fn field_of(sheet: &str, header: &str) -> Option<&'static str> {
    let h = pilot::units::key(header);
    COLUMNS.lines().skip(1).find_map(|l| {
        let mut p = l.splitn(3, ',');
        let (field, s, aliases) = (p.next()?, p.next()?, p.next()?);
        (s == sheet
            && (pilot::units::key(field) == h
                || aliases.split('|').any(|a| pilot::units::key(a) == h)))
        .then_some(field)
    })
}

fn text(v: &RawValue) -> String {
    match v {
        RawValue::Text(s) => s.trim().to_string(),
        RawValue::List(l) => l.join(";"),
        RawValue::Json(j) => j.to_string(),
    }
}

fn list(s: &str) -> Vec<String> {
    s.split([';', '；', '、', ',', '，'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// A row's cells by field, and the headers they came from.
fn cells(sheet: &str, row: &RawRow) -> HashMap<&'static str, (String, String)> {
    row.values
        .iter()
        .filter_map(|(h, v)| field_of(sheet, h).map(|f| (f, (h.clone(), text(v)))))
        .collect()
}

fn yuan_to_fen(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('元').trim();
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && (0.0..=1e9).contains(&v)).then(|| (v * 100.0).round() as i64)
}

/// Contacts written `name|role|phone|email|public(是/否); …`.
pub fn parse_contacts(text: &str) -> Vec<super::Contact> {
    text.split([';', '；', '\n'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|line| {
            let p: Vec<&str> = line.split('|').map(str::trim).collect();
            super::Contact {
                name: p.first().copied().unwrap_or_default().to_string(),
                role: p.get(1).copied().unwrap_or_default().to_string(),
                phone: p.get(2).copied().unwrap_or_default().to_string(),
                email: p.get(3).copied().unwrap_or_default().to_string(),
                public: p.get(4).is_some_and(|x| {
                    matches!(
                        x.to_lowercase().as_str(),
                        "是" | "公开" | "yes" | "public" | "true" | "1"
                    )
                }),
            }
        })
        .collect()
}

impl Library {
    /// A fee schedule written `item|unit|yuan[|SME yuan]; …` (unit a code or its word).
    pub fn parse_fees(&self, text: &str) -> std::result::Result<Vec<Fee>, String> {
        let mut fees = vec![];
        for line in text
            .split([';', '；', '\n'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
        {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            let bad = || {
                format!("`{line}` (fix: write item|unit|price in yuan[|SME price], e.g. 设备租用|小时|800)")
            };
            if !(3..=4).contains(&parts.len()) {
                return Err(bad());
            }
            let unit = self
                .code_of("pl_fee_", &self.vocabulary.fee_units, parts[1])
                .ok_or_else(bad)?;
            fees.push(Fee {
                item: parts[0].to_string(),
                unit,
                fen: yuan_to_fen(parts[2]).ok_or_else(bad)?,
                sme_fen: match parts.get(3) {
                    Some(x) => Some(yuan_to_fen(x).ok_or_else(bad)?),
                    None => None,
                },
            });
        }
        Ok(fees)
    }

    /// Capability parameters written `最高温度=300°C; 容积=500L`.
    pub fn parse_parameters(&self, text: &str) -> std::result::Result<Vec<ParamInput>, String> {
        let mut parameters = vec![];
        for item in text
            .split([';', '；', '\n'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
        {
            let bad =
                |why: String| format!("`{item}`: {why} (fix: write 最高温度=300°C; 容积=500L)");
            let (name, rest) = item
                .split_once(['=', '：', ':'])
                .ok_or_else(|| bad("no `=`".into()))?;
            let rest = rest.trim();
            let cut = rest
                .char_indices()
                .find(|(_, ch)| !(ch.is_ascii_digit() || matches!(ch, '.' | '-' | '+')))
                .map_or(rest.len(), |(i, _)| i);
            let value: f64 = rest[..cut].parse().map_err(|_| bad("no number".into()))?;
            let unit = rest[cut..].trim().to_string();
            self.units.measure(name, value, &unit).map_err(bad)?;
            parameters.push(ParamInput {
                name: name.trim().to_string(),
                value,
                unit,
            });
        }
        Ok(parameters)
    }

    /// A code of the library's vocabulary from a code or its Chinese or English word.
    pub fn code_of(&self, prefix: &str, allowed: &[String], value: &str) -> Option<String> {
        let v = value.trim();
        if allowed.iter().any(|a| a == v) {
            return Some(v.to_string());
        }
        let k = pilot::units::key(v);
        allowed
            .iter()
            .find(|code| {
                super::search::code_labels(prefix, code)
                    .iter()
                    .any(|w| pilot::units::key(w) == k)
            })
            .cloned()
    }

    fn platform_row_input(
        &self,
        c: &HashMap<&'static str, (String, String)>,
    ) -> std::result::Result<PlatformInput, (String, String)> {
        let get = |f: &str| c.get(f).map(|(_, v)| v.clone()).unwrap_or_default();
        let col = |f: &str| {
            c.get(f)
                .map(|(h, _)| h.clone())
                .unwrap_or_else(|| f.to_string())
        };
        let v = &self.vocabulary;
        let code = |f: &str,
                    prefix: &str,
                    allowed: &[String],
                    required: bool|
         -> std::result::Result<String, (String, String)> {
            let raw = get(f);
            if raw.is_empty() && !required {
                return Ok(String::new());
            }
            self.code_of(prefix, allowed, &raw).ok_or_else(|| {
                (
                    col(f),
                    format!(
                        "`{raw}` is not known (fix: use one of {})",
                        allowed.join(", ")
                    ),
                )
            })
        };
        let codes = |f: &str,
                     prefix: &str,
                     allowed: &[String]|
         -> std::result::Result<Vec<String>, (String, String)> {
            list(&get(f))
                .iter()
                .map(|x| {
                    self.code_of(prefix, allowed, x).ok_or_else(|| {
                        (
                            col(f),
                            format!(
                                "`{x}` is not known (fix: use one of {})",
                                allowed.join(", ")
                            ),
                        )
                    })
                })
                .collect()
        };
        let trl = get("trl");
        let (trl_in, trl_out) = trl
            .split(['-', '–', '→', '~', '至'])
            .map(|x| {
                x.trim()
                    .trim_start_matches(['T', 't', 'R', 'r', 'L', 'l'])
                    .trim()
                    .parse::<i64>()
            })
            .collect::<std::result::Result<Vec<_>, _>>()
            .ok()
            .filter(|v| v.len() == 2)
            .map(|v| (v[0], v[1]))
            .ok_or_else(|| {
                (
                    col("trl"),
                    format!("`{trl}` is not a TRL span (fix: write it as 4-7)"),
                )
            })?;
        let fees = self
            .parse_fees(&get("fees"))
            .map_err(|e| (col("fees"), e))?;
        let contacts = parse_contacts(&get("contacts"));
        let count = |f: &str| -> std::result::Result<i64, (String, String)> {
            let raw = get(f);
            if raw.is_empty() {
                return Ok(0);
            }
            raw.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| (col(f), format!("`{raw}` (fix: a whole number, 0 or more)")))
        };
        let valid_until = Some(get("valid_until")).filter(|s| !s.is_empty());
        Ok(PlatformInput {
            kind: code("kind", "pl_type_", &v.types, true)?,
            form: code("form", "pl_form_", &v.forms, true)?,
            level: {
                let l = code("level", "pl_level_", &v.levels, false)?;
                if l.is_empty() {
                    "none".into()
                } else {
                    l
                }
            },
            field: code("field", "pl_field_", &v.fields, false)?,
            cluster: get("cluster"),
            trl_in,
            trl_out,
            detail: PlatformDetail {
                summary: get("summary"),
                host_org: get("host_org"),
                co_builders: list(&get("co_builders")),
                construction_mode: code(
                    "construction_mode",
                    "pl_mode_",
                    &v.construction_modes,
                    false,
                )?,
                chain_nodes: list(&get("chain_nodes")),
                services: codes("services", "pl_service_", &v.services)?,
                qualifications: list(&get("qualifications")),
                service_modes: codes("service_modes", "pl_smode_", &v.service_modes)?,
                fees,
                alliances: codes("alliances", "pl_alliance_", &v.alliances)?,
                contacts,
                track_record: TrackRecord {
                    projects: count("projects")?,
                    products: count("products")?,
                    firms_incubated: count("firms_incubated")?,
                },
                recognition_no: get("recognition_no"),
                valid_until,
            },
            version: None,
        })
    }

    fn equipment_row_input(
        &self,
        c: &HashMap<&'static str, (String, String)>,
    ) -> std::result::Result<EquipmentInput, (String, String)> {
        let get = |f: &str| c.get(f).map(|(_, v)| v.clone()).unwrap_or_default();
        let col = |f: &str| {
            c.get(f)
                .map(|(h, _)| h.clone())
                .unwrap_or_else(|| f.to_string())
        };
        let parameters = self
            .parse_parameters(&get("parameters"))
            .map_err(|e| (col("parameters"), e))?;
        let fee = get("fee_per_hour");
        Ok(EquipmentInput {
            name: get("name"),
            model: get("model"),
            hours: Some(get("hours"))
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "24x7".into()),
            auto_confirm: matches!(get("auto_confirm").as_str(), "是" | "yes" | "true" | "1"),
            active: true,
            parameters,
            capacity: get("capacity"),
            batch_size: get("batch_size"),
            fee_fen_per_hour: if fee.is_empty() {
                None
            } else {
                Some(yuan_to_fen(&fee).ok_or_else(|| {
                    (
                        col("fee_per_hour"),
                        format!("`{fee}` (fix: yuan per hour, e.g. 800)"),
                    )
                })?)
            },
        })
    }

    /// Imports platforms (and their equipment) as `actor` (an operator or the command line).
    pub async fn import(
        &self,
        actor: &Actor,
        platforms: &Path,
        equipment: Option<&Path>,
    ) -> Result<ImportSummary> {
        if !actor.operator {
            return Err(EngineError::Forbidden(
                "operators import the resource library".into(),
            ));
        }
        let xlsx = FileFormat::from_path(platforms) == Some(FileFormat::Xlsx);
        let read = |path: &Path, sheet: Option<&str>| {
            read_file(path, None, sheet).map_err(|e| EngineError::Input(e.to_string()))
        };
        let p_table = if xlsx {
            read(platforms, Some(PLATFORM_SHEET)).or_else(|_| read(platforms, None))?
        } else {
            read(platforms, None)?
        };
        let mut s = ImportSummary::default();
        let file = platforms.display().to_string();
        let mut ids: HashMap<String, i64> = HashMap::new();
        for row in &p_table.rows {
            let line = row.line;
            if let Some(e) = &row.error {
                s.problems.push(format!("{file}: line {line}: {e}"));
                continue;
            }
            let c = cells("platform", row);
            let name = c
                .get("organization")
                .map(|x| x.1.clone())
                .unwrap_or_default();
            let Some((org, region)) = self.store.org_by_name(&name).await? else {
                s.problems.push(format!(
                    "{file}: line {line}: column 平台名称: no organization `{name}` in the registry (fix: import it with `import organization` first, spelled the same)"
                ));
                continue;
            };
            let input = match self.platform_row_input(&c) {
                Ok(i) => i,
                Err((col, why)) => {
                    s.problems
                        .push(format!("{file}: line {line}: column {col}: {why}"));
                    continue;
                }
            };
            let mut f = match self.fields(&input) {
                Ok(f) => f,
                Err(e) => {
                    s.problems.push(format!("{file}: line {line}: {e}"));
                    continue;
                }
            };
            let region_text = c.get("region").map(|x| x.1.clone()).unwrap_or_default();
            f.region_code = if region_text.is_empty() {
                region
            } else {
                match model::Region::lookup(&region_text).and_then(|r| r.code().map(str::to_string))
                {
                    Some(code) => Some(code),
                    None => {
                        s.problems.push(format!("{file}: line {line}: column 所在地区: `{region_text}` is not a region the platform knows (fix: a district or city name, e.g. 渝北区 or 成都市)"));
                        continue;
                    }
                }
            };
            match self.store.upsert_platform(org, &f, &actor.username).await? {
                store::Upserted::Created(id) => {
                    s.platforms_created += 1;
                    ids.insert(name, id);
                }
                store::Upserted::Updated(id) => {
                    s.platforms_updated += 1;
                    ids.insert(name, id);
                }
                store::Upserted::Unchanged(id) => {
                    s.platforms_unchanged += 1;
                    ids.insert(name, id);
                }
            }
        }
        let e_table = match (equipment, xlsx) {
            (Some(path), _) => Some((
                path.display().to_string(),
                read(
                    path,
                    if FileFormat::from_path(path) == Some(FileFormat::Xlsx) {
                        Some(EQUIPMENT_SHEET)
                    } else {
                        None
                    },
                )?,
            )),
            (None, true) => read(platforms, Some(EQUIPMENT_SHEET))
                .ok()
                .map(|t| (file.clone(), t)),
            (None, false) => None,
        };
        if let Some((efile, table)) = e_table {
            for row in &table.rows {
                let line = row.line;
                if let Some(e) = &row.error {
                    s.problems.push(format!("{efile}: line {line}: {e}"));
                    continue;
                }
                let c = cells("equipment", row);
                let name = c
                    .get("organization")
                    .map(|x| x.1.clone())
                    .unwrap_or_default();
                let platform = match ids.get(&name) {
                    Some(id) => Some(*id),
                    None => match self.store.org_by_name(&name).await? {
                        Some((org, _)) => self.store.platform_of_org(org).await?.map(|p| p.id),
                        None => None,
                    },
                };
                let Some(platform) = platform else {
                    s.problems.push(format!("{efile}: line {line}: column 平台名称: no platform `{name}` in the library (fix: list it in the platforms sheet)"));
                    continue;
                };
                let input = match self.equipment_row_input(&c) {
                    Ok(i) => i,
                    Err((col, why)) => {
                        s.problems
                            .push(format!("{efile}: line {line}: column {col}: {why}"));
                        continue;
                    }
                };
                let f = match self.equipment_fields(&input) {
                    Ok(f) => f,
                    Err(e) => {
                        s.problems.push(format!("{efile}: line {line}: {e}"));
                        continue;
                    }
                };
                match self
                    .store
                    .upsert_equipment(platform, &f, &actor.username)
                    .await?
                {
                    store::Upserted::Created(_) => s.equipment_created += 1,
                    store::Upserted::Updated(_) => s.equipment_updated += 1,
                    store::Upserted::Unchanged(_) => s.equipment_unchanged += 1,
                }
            }
        }
        Ok(s)
    }
}
