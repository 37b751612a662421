//! What the challenge pages' forms say, as the board's inputs: fields that may repeat, yuan typed
//! as people type them, lines of `a，b，c`, the posting form, the application form, consortium
//! members by name, a scoring form typed as lines. Each refusal is in the page's words.

use std::collections::BTreeMap;

use engine::challenges::{
    ApplicationInput, BudgetLine, ChallengeInput, Detail, TargetMetric, TeamMember,
};

use super::{t, Lang};
use crate::state::AppState;

/// A posted form as fields (a name may repeat: winners, scores).
pub(super) struct Fields(pub(super) Vec<(String, String)>);

impl Fields {
    pub(super) fn parse(body: &[u8]) -> Fields {
        Fields(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    pub(super) fn get(&self, k: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }
    pub(super) fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }
    pub(super) fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k)).filter(|s| !s.is_empty())
    }
    pub(super) fn int(&self, k: &str) -> Option<i64> {
        self.get(k).parse().ok()
    }
}

/// Yuan as typed (`12.5`, `1,200`, `1 200`) in integer fen; `None` when blank or not a number.
pub(super) fn fen_of(s: &str, l: Lang) -> Result<Option<i64>, String> {
    let s = s.trim().replace([',', '，', ' '], "");
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..1e12).contains(&v) => Ok(Some((v * 100.0).round() as i64)),
        _ => Err(t("form_amount_number", l).to_string()),
    }
}

/// Lines of `a，b，c` (Chinese or Latin commas, or tabs) as their parts.
pub(super) fn lines(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| {
            l.split([',', '，', '\t'])
                .map(|p| p.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|p| p.iter().any(|x| !x.is_empty()))
        .collect()
}

pub(super) fn challenge_input(
    f: &Fields,
    l: Lang,
    state_end_user: Option<i64>,
) -> Result<ChallengeInput, String> {
    let mut targets = vec![];
    for i in 1..=20 {
        let name = f.get(&format!("t{i}_name"));
        if name.is_empty() {
            continue;
        }
        let threshold: f64 = f
            .get(&format!("t{i}_threshold"))
            .replace([',', '，'], "")
            .parse()
            .map_err(|_| t("form_amount_number", l).to_string())?;
        targets.push(TargetMetric {
            name,
            unit: f.get(&format!("t{i}_unit")),
            threshold,
            direction: f
                .opt(&format!("t{i}_dir"))
                .unwrap_or_else(|| "at_least".into()),
            method: f.get(&format!("t{i}_method")),
        });
    }
    let mut market_targets = BTreeMap::new();
    if let Some(a) = f.int("adopters") {
        market_targets.insert("adopters".to_string(), a);
    }
    if let Some(r) = fen_of(&f.get("revenue_yuan"), l)? {
        market_targets.insert("revenue_fen".to_string(), r);
    }
    if let Some(r) = fen_of(&f.get("cost_saved_yuan"), l)? {
        market_targets.insert("cost_saved_fen".to_string(), r);
    }
    if let Some(o) = f.int("orders") {
        market_targets.insert("orders".to_string(), o);
    }
    Ok(ChallengeInput {
        kind: f.opt("kind"),
        title: f.get("title"),
        summary: f.get("summary"),
        demand_id: f.int("demand"),
        poster_org_id: None,
        end_user_org_id: state_end_user,
        budget_fen: fen_of(&f.get("budget_yuan"), l)?.unwrap_or(0),
        matching_fen: fen_of(&f.get("matching_yuan"), l)?.unwrap_or(0),
        deadline: f.opt("deadline"),
        visibility: f.opt("visibility"),
        winners_max: f.int("winners_max").unwrap_or(1),
        blind: f.get("blind") == "on",
        notice_days: None,
        detail: Detail {
            targets,
            market_targets,
            ip_terms: f.get("ip_terms"),
            form: scoring_form(&f.get("scoring"), l)?,
            offer: f.get("offer"),
        },
        version: f.int("version"),
    })
}

/// A scoring form typed as lines `criterion，weight，max` (blank: the challenge uses the default).
pub(super) fn scoring_form(text: &str, l: Lang) -> Result<Option<contest::Form>, String> {
    let rows = lines(text);
    if rows.is_empty() {
        return Ok(None);
    }
    let mut criteria = vec![];
    for (i, p) in rows.iter().enumerate() {
        let number = |k: usize| p.get(k).and_then(|x| x.parse::<u32>().ok());
        let (Some(weight), Some(max)) = (number(1), number(2)) else {
            return Err(format!("{}：{}", t("ch_scoring_line", l), i + 1));
        };
        criteria.push(contest::Criterion {
            code: format!("c{}", i + 1),
            weight,
            max,
            label: Some(p[0].clone()),
        });
    }
    Ok(Some(contest::Form { criteria }))
}

/// The end user named on the form (blank: the poster), or the form again with why not.
pub(super) async fn end_user_of(
    state: &AppState,
    f: &Fields,
    l: Lang,
) -> Result<Option<i64>, String> {
    let name = f.get("end_user");
    if name.is_empty() {
        return Ok(None);
    }
    match state.store.find_organization(&name, None).await {
        Ok(Some(o)) => Ok(Some(o.id)),
        _ => Err(format!("{}：{name}", t("ch_end_user_unknown", l))),
    }
}

pub(super) fn application_input(
    f: &Fields,
    l: Lang,
    submit: bool,
    members: Vec<i64>,
) -> Result<ApplicationInput, String> {
    let team = lines(&f.get("team"))
        .into_iter()
        .map(|p| TeamMember {
            person_id: None,
            name: p[0].clone(),
            role: p.get(1).cloned().unwrap_or_default(),
        })
        .collect();
    let mut budget = vec![];
    for p in lines(&f.get("budget")) {
        let amount = fen_of(p.get(1).map(String::as_str).unwrap_or(""), l)?.unwrap_or(0);
        budget.push(BudgetLine {
            item: p[0].clone(),
            amount_fen: amount,
        });
    }
    Ok(ApplicationInput {
        plan: f.get("plan"),
        pledge: f.get("pledge"),
        team,
        budget,
        members,
        submit,
        version: f.int("app_version"),
    })
}

/// Consortium members typed by name, as organization ids.
pub(super) async fn members_of(state: &AppState, f: &Fields, l: Lang) -> Result<Vec<i64>, String> {
    let text = f.get("members");
    let mut names: Vec<&str> = vec![];
    for name in text.lines().map(str::trim).filter(|s| !s.is_empty()) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    // The engine's cap, before any lookup: a pasted list costs at most that many queries.
    let cap = state.board.settings.max_members;
    if names.len() > cap {
        return Err(format!("{}：{cap}", t("ch_members_too_many", l)));
    }
    let mut out = vec![];
    for name in names {
        match state.store.find_organization(name, None).await {
            Ok(Some(o)) => out.push(o.id),
            _ => return Err(format!("{}：{name}", t("ch_member_unknown", l))),
        }
    }
    Ok(out)
}
