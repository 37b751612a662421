//! The detail pages of the registry's public records, written for the people who come to them: an
//! outcome's owner, stage, protection, cooperation modes and adopters; an organization's needs,
//! outcomes, people, chain position, tier standing and (to those allowed) credit; an expert's
//! fields, organization and outcomes. Codes are shown as words (`labels`), never as stored.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use model::{Organization, Outcome, Person, Record, RecordKind};
use store::Stored;

use super::demands::{demand_rows, DemandRow};
use super::format::{number, query, yuan};
use super::labels;
use super::pages::{record_href, AnswerShow};
use super::{ctx, not_found_page, respond, t, Ctx, Frame, Lang, LangParam};
use crate::api;
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

/// Related records listed on a page before "and N more".
const LISTED: i64 = 20;

/// A link with its words.
pub(super) struct Link {
    pub(crate) href: String,
    pub(crate) text: String,
}

/// An outcome in a list: title, kind and stage.
struct OutcomeRow {
    href: String,
    title: String,
    facts: String,
}

fn outcome_rows(items: &[Stored], l: Lang) -> Vec<OutcomeRow> {
    items
        .iter()
        .filter_map(|s| match &s.record {
            Record::Outcome(o) => Some(OutcomeRow {
                href: record_href(RecordKind::Outcome, s.id),
                title: o.title.clone(),
                facts: outcome_facts(o, l),
            }),
            _ => None,
        })
        .collect()
}

fn outcome_facts(o: &Outcome, l: Lang) -> String {
    let mut facts = vec![labels::code("ok_", o.kind.as_str(), l)];
    if let Some(t) = o.trl {
        facts.push(format!("TRL {}", t.get()));
    }
    if let Some(y) = o.year {
        facts.push(y.to_string());
    }
    facts.join(" · ")
}

/// Chain links of clusters and nodes, by name.
fn chain_links(state: &AppState, clusters: &[String], nodes: &[String], l: Lang) -> Vec<Link> {
    clusters
        .iter()
        .map(|c| Link {
            href: format!("/chains/{c}"),
            text: labels::cluster(state, c, l),
        })
        .chain(nodes.iter().map(|n| Link {
            href: format!("/chains/nodes/{n}"),
            text: labels::node(state, n, l),
        }))
        .collect()
}

/// The organization page of `name` (by USCC first), when the registry has one.
async fn org_link(state: &AppState, name: &str, uscc: Option<&str>) -> Option<String> {
    match state.store.find_organization(name, uscc).await {
        Ok(Some(o)) => Some(record_href(RecordKind::Organization, o.id)),
        _ => None,
    }
}

async fn load(state: &AppState, c: &Ctx, kind: RecordKind, id: i64) -> Result<Stored, Response> {
    match state.store.get(kind, id).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(not_found_page(c)),
        Err(e) => Err(crate::ApiError::from(e).into_response()),
    }
}

struct OutcomeShow {
    id: i64,
    kind: String,
    trl: Option<String>,
    year: Option<i32>,
    /// Only for a language the UI has a name for.
    language: Option<String>,
    summary: Option<String>,
    keywords: String,
    owners: Vec<(String, Option<String>)>,
    protection: Vec<(String, String)>,
    doi: Option<String>,
    modes: String,
    chain: Vec<Link>,
    onward: Vec<Link>,
}

#[derive(Template)]
#[template(path = "outcome.html")]
struct OutcomePage {
    f: Frame,
    o: OutcomeShow,
    answer: Option<AnswerShow>,
    error: Option<String>,
    /// 发起对接 on this item (a signed-in organization that is not its holder).
    engage: Option<String>,
    /// For its holder: NDA-only needs whose public summary fits the outcome (id, summary, shared words).
    teasers: Vec<(i64, String, String)>,
}

/// How a viewer may open an engagement on a supply item: `(is the item's holder, link for others)`.
async fn engage_with(state: &AppState, c: &Ctx, kind: &str, id: i64) -> (bool, Option<String>) {
    let Some(org) = c.viewer.user().and_then(|u| u.organization_id) else {
        return (false, None);
    };
    let item = engine::engagements::ItemRef {
        kind: kind.to_string(),
        id,
    };
    match state.desk.provider_of(&item).await {
        Ok(holder) if holder == org => (true, None),
        Ok(_) => (false, Some(format!("/engagements/new?kind={kind}&id={id}"))),
        Err(_) => (false, None),
    }
}

pub(super) async fn outcome_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let stored = match load(&state, &c, RecordKind::Outcome, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Record::Outcome(o) = &stored.record else {
        return not_found_page(&c);
    };
    let mut owners = vec![];
    for (i, name) in o.owners.iter().enumerate() {
        let uscc = if i == 0 {
            o.owner_uscc.as_ref().map(|u| u.as_str())
        } else {
            None
        };
        owners.push((name.clone(), org_link(&state, name, uscc).await));
    }
    let mut protection = vec![];
    if let Some(p) = &o.patent_no {
        protection.push((t("patent_no", l).to_string(), p.to_string()));
    }
    if !o.ipc.is_empty() {
        let codes: Vec<String> = o.ipc.iter().map(|x| x.to_string()).collect();
        protection.push((t("ipc", l).to_string(), codes.join(labels::sep(l))));
    }
    let title = o.title.clone();
    let mut onward = vec![];
    if o.trl.is_none_or(|x| x.get() < 7) {
        onward.push(Link {
            href: format!("/match?{}", query(&[("q", &title), ("kind", "platform")])),
            text: t("onward_platforms", l).to_string(),
        });
    }
    onward.push(Link {
        href: format!("/search?{}", query(&[("q", &title), ("kind", "demand")])),
        text: t("onward_needs", l).to_string(),
    });
    onward.push(Link {
        href: format!("/match?{}", query(&[("q", &title), ("kind", "expert")])),
        text: t("onward_experts", l).to_string(),
    });
    let show = OutcomeShow {
        id,
        kind: labels::code("ok_", o.kind.as_str(), l),
        trl: o.trl.map(|x| labels::trl(x.get(), l)),
        year: o.year,
        language: labels::known("lang_", o.lang.as_str(), l),
        summary: o.abstract_text.clone(),
        keywords: o.keywords.join(labels::sep(l)),
        owners,
        protection,
        doi: o.doi.as_ref().map(|d| d.to_string()),
        modes: labels::codes("tm_", o.transfer_modes.iter().map(|m| m.as_str()), l),
        chain: chain_links(&state, &o.clusters, &o.chain_nodes, l),
        onward,
    };
    let (holder, engage) = engage_with(&state, &c, "outcome", id).await;
    let teasers = if holder {
        let item = engine::engagements::ItemRef {
            kind: "outcome".into(),
            id,
        };
        state
            .desk
            .teasers_for(&item, 5)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|m| (m.demand_id, m.summary, m.shared.join(labels::sep(l))))
            .collect()
    } else {
        vec![]
    };
    let mut page = OutcomePage {
        teasers,
        f: c.frame(&title),
        o: show,
        answer: None,
        error: None,
        engage,
    };
    match api::adopters_for(&state, id, None, 10).await {
        Ok(a) if holder => {
            page.answer = Some(AnswerShow::new(&state, a, l).engage_links(|k, org| {
                if k == "organization" {
                    format!("/engagements/new?kind=outcome&id={id}&seeker={org}")
                } else {
                    String::new()
                }
            }))
        }
        Ok(a) => page.answer = Some(AnswerShow::new(&state, a, l)),
        Err(e) => page.error = Some(e.message),
    }
    respond(&c, StatusCode::OK, &page)
}

struct OrgShow {
    kind: String,
    region: Option<String>,
    address: Option<String>,
    description: Option<String>,
    scope: Option<String>,
    products: String,
    host: Option<Link>,
    website: Option<String>,
    chain: Vec<Link>,
}

/// One scheme's standing on the tier ladder.
struct TierShow {
    name: String,
    result: &'static str,
    result_key: String,
}

/// The newest credit grade, for those allowed to read it.
struct CreditShow {
    href: String,
    grade: String,
    line: String,
    score: String,
}

#[derive(Template)]
#[template(path = "organization.html")]
struct OrgPage {
    f: Frame,
    o: OrgShow,
    demands: Vec<DemandRow>,
    demands_total: i64,
    outcomes: Vec<OutcomeRow>,
    outcomes_total: i64,
    people: Vec<Link>,
    people_total: i64,
    tiers: Option<Vec<TierShow>>,
    whatif: Option<String>,
    credit: Option<CreditShow>,
    credit_unscored: Option<String>,
    engage: Option<String>,
}

/// The tier standing of `uscc` today, for a viewer who may read its profile.
async fn tier_standing(state: &AppState, c: &Ctx, uscc: &str) -> Option<Vec<TierShow>> {
    let pass = state.policy.profile_pass(&c.viewer, uscc).await.ok()??;
    let profile = engine::tiers::profile(&state.store, &pass).await.ok()??;
    let inputs = engine::tiers::assessor_inputs(&state.store, &pass)
        .await
        .ok()?;
    let today = chrono::Utc::now().date_naive();
    let e = state
        .rulebook
        .evaluate(&profile, &[], today, &inputs)
        .ok()?;
    Some(
        e.schemes
            .iter()
            .map(|s| {
                let result = match s.result {
                    rules::Outcome::Pass => "pass",
                    rules::Outcome::Fail => "fail",
                    rules::Outcome::Unknown => "unknown",
                };
                TierShow {
                    name: super::tiers::scheme_name(state, &s.scheme, c.lang),
                    result,
                    result_key: format!("tier_{result}"),
                }
            })
            .collect(),
    )
}

pub(super) async fn organization_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let stored = match load(&state, &c, RecordKind::Organization, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Record::Organization(o) = &stored.record else {
        return not_found_page(&c);
    };
    let uscc = o.uscc.as_ref().map(|u| u.to_string());
    let narrow = store::DemandNarrowing {
        owner: Some((o.name.clone(), uscc.clone())),
        ..Default::default()
    };
    let (demands, _, demands_total) =
        match api::visible_demands_where(&state, &c.viewer, None, narrow, 0, 10, true).await {
            Ok(x) => x,
            Err(e) => return e.into_response(),
        };
    let (outcomes, outcomes_total) = match state
        .store
        .outcomes_owned_by(&o.name, uscc.as_deref(), LISTED)
        .await
    {
        Ok(x) => x,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let (people, people_total) = match state.store.people_of(&o.name, LISTED).await {
        Ok(x) => x,
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let (mut tiers, mut whatif, mut credit, mut credit_unscored) = (None, None, None, None);
    if let Some(u) = &uscc {
        tiers = tier_standing(&state, &c, u).await;
        if tiers.is_some() {
            whatif = Some(format!("/tiers/whatif?uscc={u}"));
        }
        if let Ok(Some(pass)) = state.policy.credit_pass(&c.viewer, u).await {
            if let Ok(mut r) = engine::credit::roster(&state.store, &pass).await {
                if let Some(entry) = r.pop() {
                    match entry.latest {
                        Some(x) => {
                            credit = Some(CreditShow {
                                href: format!("/credit/{u}"),
                                grade: x
                                    .score
                                    .grade
                                    .clone()
                                    .unwrap_or_else(|| t("credit_no_grade", l).to_string()),
                                line: yuan(x.score.credit_line_yuan, l),
                                score: number(x.score.score, 1),
                            })
                        }
                        None => credit_unscored = Some(format!("/credit/{u}")),
                    }
                }
            }
        }
    }
    let show = org_show(&state, o, l).await;
    let engage = if o.kind == model::OrgKind::Enterprise {
        None
    } else {
        engage_with(&state, &c, "organization", id).await.1
    };
    let page = OrgPage {
        f: c.frame(&o.name),
        o: show,
        demands: demand_rows(&state, &demands, l),
        demands_total,
        outcomes: outcome_rows(&outcomes, l),
        outcomes_total,
        people: people
            .iter()
            .filter_map(|s| match &s.record {
                Record::Person(p) => Some(Link {
                    href: record_href(RecordKind::Person, s.id),
                    text: match &p.title {
                        Some(title) => format!("{}（{title}）", p.name),
                        None => p.name.clone(),
                    },
                }),
                _ => None,
            })
            .collect(),
        people_total,
        tiers,
        whatif,
        credit,
        credit_unscored,
        engage,
    };
    respond(&c, StatusCode::OK, &page)
}

async fn org_show(state: &AppState, o: &Organization, l: Lang) -> OrgShow {
    let host = match &o.host {
        Some(h) => Some(Link {
            href: org_link(state, h, None).await.unwrap_or_default(),
            text: h.clone(),
        }),
        None => None,
    };
    OrgShow {
        kind: labels::code("org_", o.kind.as_str(), l),
        region: o.region.as_ref().map(|r| labels::region(r, l)),
        address: o.address.clone(),
        description: o.description.clone(),
        scope: o.business_scope.clone(),
        products: o.products.join(labels::sep(l)),
        host,
        website: o
            .website
            .clone()
            .filter(|w| w.starts_with("https://") || w.starts_with("http://")),
        chain: chain_links(state, &o.clusters, &o.chain_nodes, l),
    }
}

struct ExpertShow {
    kind: String,
    title: Option<String>,
    affiliation: Option<(String, Option<String>)>,
    fields: String,
    bio: Option<String>,
    region: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    chain: Vec<Link>,
}

#[derive(Template)]
#[template(path = "expert.html")]
struct ExpertPage {
    f: Frame,
    p: ExpertShow,
    outcomes: Vec<OutcomeRow>,
    outcomes_total: i64,
    engage: Option<String>,
}

pub(super) async fn expert_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let stored = match load(&state, &c, RecordKind::Person, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    // The expert pages show experts and researchers, as /api/v1/experts does; brokers are not listed.
    let p: Person = match &stored.record {
        Record::Person(p) if matches!(p.kind, model::PersonKind::Broker) => {
            return not_found_page(&c)
        }
        Record::Person(p) if c.viewer.is_admin() => p.clone(),
        Record::Person(p) => p.public_view(),
        _ => return not_found_page(&c),
    };
    let affiliation = match &p.affiliation {
        Some(a) => Some((a.clone(), org_link(&state, a, None).await)),
        None => None,
    };
    let (outcomes, outcomes_total) =
        match state.store.outcomes_owned_by(&p.name, None, LISTED).await {
            Ok(x) => x,
            Err(e) => return crate::ApiError::from(e).into_response(),
        };
    let show = ExpertShow {
        kind: labels::code("pk_", p.kind.as_str(), l),
        title: p.title.clone(),
        affiliation,
        fields: p.fields.join(labels::sep(l)),
        bio: p.bio.clone(),
        region: p.region.as_ref().map(|r| labels::region(r, l)),
        email: p.contact.email.clone(),
        phone: p.contact.phone.clone(),
        chain: chain_links(&state, &p.clusters, &p.chain_nodes, l),
    };
    let (_, engage) = engage_with(&state, &c, "expert", id).await;
    let page = ExpertPage {
        engage,
        f: c.frame(&p.name),
        p: show,
        outcomes: outcome_rows(&outcomes, l),
        outcomes_total,
    };
    respond(&c, StatusCode::OK, &page)
}
