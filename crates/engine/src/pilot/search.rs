//! Capability search over the library: words (the entry, its services and its equipment) and typed
//! parameter filters compared in base units ("最高温度 ≥ 300 °C" finds a furnace recorded at 600 K),
//! qualifications, the TRL span to cover, the type, field and cluster, and the region scope.
//! Chongqing's platforms come first, then alliance members (成渝绵), then the rest; each hit names the
//! machines that meet every filter and with which values.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use store::{EquipmentRow, PlatformRow};

use super::{is_local, Library, PlatformDetail, MAX_EQUIPMENT, MAX_PLATFORMS};
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// A search of the library.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformQuery {
    /// Words (Chinese or English).
    #[serde(default)]
    pub q: String,
    /// Typed filters, each `parameter comparison value unit`: `最高温度>=300°C`, `volume>=0.5m3`.
    #[serde(default)]
    pub filters: Vec<String>,
    /// Qualifications all required (CMA, CNAS, GMP …).
    #[serde(default)]
    pub qualifications: Vec<String>,
    /// The TRL span to cover: the platform takes work in at or below `trl_from` and brings it to at
    /// least `trl_to` (TRL 5→7).
    #[serde(default)]
    pub trl_from: Option<i64>,
    #[serde(default)]
    pub trl_to: Option<i64>,
    /// `poc_centre`, `pilot_platform`, `pilot_base`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `local` (Chongqing), `alliance` (Chongqing or an alliance member), `all` (default).
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

/// A machine that meets every filter, with the values that did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquipmentMatch {
    pub id: i64,
    pub name: String,
    /// "最高温度 350 °C" for each filter, in the order given.
    pub values: Vec<String>,
}

/// One platform found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformHit {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub level: String,
    pub field: String,
    pub cluster: String,
    pub region_code: Option<String>,
    pub local: bool,
    pub alliance: bool,
    pub trl_in: i64,
    pub trl_out: i64,
    pub summary: String,
    pub qualifications: Vec<String>,
    pub services: Vec<String>,
    /// Share of the query's words found (1 when no words were given).
    pub score: f64,
    /// The query's words it holds.
    pub words: Vec<String>,
    pub equipment: Vec<EquipmentMatch>,
}

/// Terms of each entry, kept while the entry is unchanged.
pub(crate) type TermCache = Mutex<HashMap<(char, i64), (i64, Arc<HashSet<String>>)>>;

/// The UI's words (Chinese, English) for one of the library's codes.
pub(crate) fn code_labels(prefix: &str, code: &str) -> Vec<String> {
    static UI: OnceLock<HashMap<String, toml::Value>> = OnceLock::new();
    let ui = UI.get_or_init(|| {
        toml::from_str(include_str!("../../../../data/i18n/ui.toml")).unwrap_or_default()
    });
    ui.get(&format!("{prefix}{code}"))
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The words of a code, so "小批量试生产" finds `small_batch`.
fn code_words(prefix: &str, code: &str) -> String {
    code_labels(prefix, code).join(" ")
}

const MAX_Q: usize = 200;
const MAX_FILTERS: usize = 10;

impl Library {
    fn terms(
        &self,
        key: (char, i64),
        stamp: i64,
        text: impl FnOnce() -> String,
    ) -> Arc<HashSet<String>> {
        if let Some((s, t)) = self.terms.lock().expect("term cache").get(&key) {
            if *s == stamp {
                return t.clone();
            }
        }
        let t: Arc<HashSet<String>> = Arc::new(
            text::Analyzer::shared()
                .terms(&text())
                .into_iter()
                .collect(),
        );
        self.terms
            .lock()
            .expect("term cache")
            .insert(key, (stamp, t.clone()));
        t
    }

    fn platform_text(p: &PlatformRow, d: &PlatformDetail) -> String {
        let mut s = format!(
            "{} {} {}",
            p.org_name,
            p.search_text,
            code_words("pl_type_", &p.kind)
        );
        for code in &d.services {
            s.push(' ');
            s.push_str(&code_words("pl_service_", code));
        }
        if !p.field.is_empty() {
            s.push(' ');
            s.push_str(&code_words("pl_field_", &p.field));
        }
        s
    }

    /// Searches the library (anyone may: it is public).
    pub async fn search(
        &self,
        _actor: Option<&Actor>,
        q: &PlatformQuery,
    ) -> Result<Vec<PlatformHit>> {
        super::check_len("q", &q.q, MAX_Q)?;
        if q.filters.len() > MAX_FILTERS || q.qualifications.len() > MAX_FILTERS {
            return Err(EngineError::Input(format!(
                "filters, qualifications: at most {MAX_FILTERS} each"
            )));
        }
        let filters = q
            .filters
            .iter()
            .filter(|f| !f.trim().is_empty())
            .map(|f| {
                super::check_len("filters", f, 100)?;
                self.units
                    .filter(f)
                    .map_err(|e| EngineError::Input(format!("filters: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        for t in [q.trl_from, q.trl_to].into_iter().flatten() {
            if !(1..=9).contains(&t) {
                return Err(EngineError::Input(
                    "trl_from, trl_to: give levels 1–9".into(),
                ));
            }
        }
        let scope = q.scope.as_deref().unwrap_or("all");
        if !matches!(scope, "local" | "alliance" | "all") {
            return Err(EngineError::Input(
                "scope: use `local`, `alliance` or `all`".into(),
            ));
        }
        if let Some(k) = &q.kind {
            super::one_of("kind", k, &self.vocabulary.types)?;
        }
        let limit = q.limit.unwrap_or(50).clamp(1, 200);
        let query_terms: Vec<String> = {
            let mut seen = HashSet::new();
            text::Analyzer::shared()
                .terms(&q.q)
                .into_iter()
                .filter(|t| seen.insert(t.clone()))
                .collect()
        };
        let platforms = self.store.platforms(MAX_PLATFORMS).await?;
        let mut by_platform: HashMap<i64, Vec<EquipmentRow>> = HashMap::new();
        for e in self.store.all_equipment(MAX_EQUIPMENT).await? {
            if e.active != 0 {
                by_platform.entry(e.platform_id).or_default().push(e);
            }
        }
        let mut hits = vec![];
        for p in platforms {
            let d = Self::detail_of(&p);
            let local = is_local(p.region_code.as_deref());
            let alliance = !local && !d.alliances.is_empty();
            if (scope == "local" && !local) || (scope == "alliance" && !local && !alliance) {
                continue;
            }
            if q.kind.as_ref().is_some_and(|k| *k != p.kind)
                || q.field
                    .as_ref()
                    .is_some_and(|f| !f.is_empty() && *f != p.field)
                || q.cluster
                    .as_ref()
                    .is_some_and(|c| !c.is_empty() && *c != p.cluster)
                || q.service
                    .as_ref()
                    .is_some_and(|s| !s.is_empty() && !d.services.contains(s))
            {
                continue;
            }
            if q.trl_from.is_some_and(|t| p.trl_in > t) || q.trl_to.is_some_and(|t| p.trl_out < t) {
                continue;
            }
            let has_all = q
                .qualifications
                .iter()
                .filter(|x| !x.trim().is_empty())
                .all(|want| {
                    let want = pilot::units::key(want);
                    d.qualifications
                        .iter()
                        .any(|h| pilot::units::key(h).contains(&want))
                });
            if !has_all {
                continue;
            }
            let machines = by_platform.remove(&p.id).unwrap_or_default();
            let mut matched = vec![];
            for e in &machines {
                let detail = Self::equipment_detail(e);
                let measures: Vec<pilot::Measure> = detail
                    .parameters
                    .iter()
                    .filter_map(|x| self.units.measure(&x.name, x.value, &x.unit).ok())
                    .collect();
                let mut values = vec![];
                let all = filters
                    .iter()
                    .all(|f| match measures.iter().find(|m| f.passes(m)) {
                        Some(m) => {
                            let label = self
                                .units
                                .parameter(&f.param)
                                .map_or(f.param.clone(), |p| p.zh.clone());
                            values.push(format!("{label} {} {}", m.value, m.unit));
                            true
                        }
                        None => false,
                    });
                if all && !filters.is_empty() {
                    matched.push(super::EquipmentMatch {
                        id: e.id,
                        name: e.name.clone(),
                        values,
                    });
                }
            }
            if !filters.is_empty() && matched.is_empty() {
                continue;
            }
            let (score, words) = if query_terms.is_empty() {
                (1.0, vec![])
            } else {
                let own = self.terms(('p', p.id), p.updated_at, || Self::platform_text(&p, &d));
                let kit: Vec<Arc<HashSet<String>>> = machines
                    .iter()
                    .map(|e| self.terms(('e', e.id), e.updated_at, || e.search_text.clone()))
                    .collect();
                let words: Vec<String> = query_terms
                    .iter()
                    .filter(|t| own.contains(*t) || kit.iter().any(|k| k.contains(*t)))
                    .cloned()
                    .collect();
                (words.len() as f64 / query_terms.len() as f64, words)
            };
            if score <= 0.0 {
                continue;
            }
            hits.push(PlatformHit {
                id: p.id,
                name: p.org_name.clone(),
                kind: p.kind.clone(),
                level: p.level.clone(),
                field: p.field.clone(),
                cluster: p.cluster.clone(),
                region_code: p.region_code.clone(),
                local,
                alliance,
                trl_in: p.trl_in,
                trl_out: p.trl_out,
                summary: d.summary.clone(),
                qualifications: d.qualifications.clone(),
                services: d.services.clone(),
                score,
                words,
                equipment: matched,
            });
        }
        hits.sort_by(|a, b| {
            let tier = |h: &PlatformHit| {
                if h.local {
                    0
                } else if h.alliance {
                    1
                } else {
                    2
                }
            };
            tier(a)
                .cmp(&tier(b))
                .then(b.score.total_cmp(&a.score))
                .then(a.name.cmp(&b.name))
        });
        hits.truncate(limit);
        Ok(hits)
    }
}
