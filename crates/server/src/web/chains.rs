//! The chain-map pages: the cluster overview, a cluster's graph with its gap table and key
//! technologies, and a node's drill-down with its fillers. The tables are server-rendered (they work
//! without JavaScript); the graph and the SVG/PNG export are drawn by `chains.js` with the vendored
//! ECharts. Views are built here; `templates/chain*.html` render them.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chain::{Filler, GapStatus, NodeGap};

use super::{ctx, not_found_page, respond, t, Ctx, Frame, Lang, MessagePage};
use crate::chains::{self as api, ChainParams, FillerParams};
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

#[derive(serde::Deserialize, Default)]
pub(super) struct ChainQuery {
    lang: Option<String>,
    region: Option<String>,
    /// Set after a manual assignment was saved.
    saved: Option<String>,
}

/// The node page's manual-assignment form.
#[derive(serde::Deserialize)]
pub(super) struct OverrideForm {
    csrf: String,
    record_kind: String,
    record_id: String,
    action: String,
    #[serde(default)]
    note: String,
}

/// A failed chain page as a page (the message names the fix), not a JSON body.
fn error_page(c: &Ctx, e: crate::error::ApiError) -> Response {
    let title = t("chain_title", c.lang);
    MessagePage::new(c, title, &e.message)
        .link("/chains", title)
        .respond(c, e.status)
}

/// The manual-assignment form alone, after a failed save.
#[derive(Template)]
#[template(path = "chain_override.html")]
struct OverridePage {
    f: Frame,
    node_code: String,
    override_error: Option<String>,
}

/// `POST /chains/nodes/{id}/override`: the form's manual assignment, through the API's checks.
pub(super) async fn override_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    axum::extract::Form(f): axum::extract::Form<OverrideForm>,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    let l = c.lang;
    let fail = |c: &Ctx, status: StatusCode, message: &str| {
        let page = OverridePage {
            f: c.frame(t("chain_override", l)),
            node_code: code.clone(),
            override_error: Some(message.to_string()),
        };
        respond(c, status, &page)
    };
    if f.csrf != c.csrf {
        return fail(&c, StatusCode::FORBIDDEN, t("csrf_failed", l));
    }
    let Ok(record_id) = f.record_id.trim().parse::<i64>() else {
        return fail(
            &c,
            StatusCode::BAD_REQUEST,
            &format!("{}: '{}'", t("chain_record_id_bad", l), f.record_id),
        );
    };
    let r = crate::chains::OverrideRequest {
        record_kind: f.record_kind,
        record_id,
        node: code.clone(),
        action: f.action,
        note: f.note,
    };
    match api::override_for(&state, &c.viewer, r).await {
        Ok(()) => {
            axum::response::Redirect::to(&format!("/chains/nodes/{code}?saved=1")).into_response()
        }
        Err(e) => fail(&c, e.status, &e.message),
    }
}

/// A gap status as a coloured chip, with the bottleneck chip beside it.
struct Chip {
    class: &'static str,
    label: &'static str,
    bottleneck: Option<&'static str>,
}

fn chip(s: GapStatus, bottleneck: bool, l: Lang) -> Chip {
    let (label, class) = match s {
        GapStatus::Strong => ("chain_strong", "st-strong"),
        GapStatus::Weak => ("chain_weak", "st-weak"),
        GapStatus::Missing => ("chain_missing", "st-missing"),
    };
    Chip {
        class,
        label: t(label, l),
        bottleneck: bottleneck.then(|| t("chain_bottleneck", l)),
    }
}

/// Reasons in the page's language, joined.
fn reasons_in(reasons: &[chain::Reason], l: Lang) -> String {
    reasons
        .iter()
        .map(|r| pick(&r.zh, &r.en, l))
        .collect::<Vec<_>>()
        .join("；")
}

fn pick<'a>(zh: &'a str, en: &'a str, l: Lang) -> &'a str {
    match l {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A cluster's listing in a tier: which tier, confirmed or not, since when, on what source.
struct ListingShow {
    tier: String,
    status: &'static str,
    effective: String,
    source: String,
}

fn listing(state: &AppState, m: &chain::Membership, l: Lang) -> ListingShow {
    ListingShow {
        tier: state
            .chains
            .taxonomy
            .tier(&m.tier)
            .map(|t| pick(&t.zh, &t.en, l).to_string())
            .unwrap_or_else(|| m.tier.clone()),
        status: match m.status {
            chain::Status::Confirmed => t("chain_confirmed", l),
            chain::Status::Unconfirmed => t("chain_unconfirmed", l),
        },
        effective: match &m.effective_to {
            Some(to) => format!("{}–{to}", m.effective_from),
            None => m.effective_from.clone(),
        },
        source: m.source.clone(),
    }
}

/// A key technology: the link, its status and why it is urgent.
struct KeyTechShow {
    code: String,
    name: String,
    cluster: String,
    chip: Chip,
    priority: f32,
    importance: u8,
    why: String,
}

fn key_tech(n: &NodeGap, cluster: &str, l: Lang) -> KeyTechShow {
    KeyTechShow {
        code: n.node.clone(),
        name: pick(&n.zh, &n.en, l).to_string(),
        cluster: cluster.to_string(),
        chip: chip(n.status, n.bottleneck, l),
        priority: n.priority,
        importance: n.importance,
        why: reasons_in(&n.reasons, l),
    }
}

struct ClusterRow {
    code: String,
    name: String,
    listing: Vec<ListingShow>,
    nodes: usize,
    strong: usize,
    weak: usize,
    missing: usize,
    bottlenecks: usize,
    keys: Vec<(String, String)>,
}

struct TierShow {
    name: String,
    clusters: Vec<ClusterRow>,
}

#[derive(Template)]
#[template(path = "chains.html")]
struct OverviewPage {
    f: Frame,
    region_action: String,
    region_name: String,
    version: String,
    effective_from: String,
    key_tech: Vec<KeyTechShow>,
    tiers: Vec<TierShow>,
}

/// `/chains`: every cluster by tier, with its status counts for the region.
pub(super) async fn overview(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ChainQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let p = ChainParams {
        region: q.region.clone(),
        as_of: None,
    };
    let v = match api::chains_for(&state, &c.viewer, &p).await {
        Ok(v) => v,
        Err(e) => return error_page(&c, e),
    };
    let rank_of = |code: &str| {
        v.tiers
            .iter()
            .find(|t| t.code == code)
            .map(|t| t.rank)
            .unwrap_or(u32::MAX)
    };
    let mut tiers = v.tiers.clone();
    tiers.sort_by_key(|t| t.rank);
    let tiers = tiers
        .iter()
        .map(|tier| TierShow {
            name: pick(&tier.zh, &tier.en, l).to_string(),
            // A cluster is shown under the best-ranked tier it belongs to.
            clusters: v
                .clusters
                .iter()
                .filter(|s| {
                    s.memberships
                        .iter()
                        .min_by_key(|m| rank_of(&m.tier))
                        .is_some_and(|m| m.tier == tier.code)
                })
                .map(|s| ClusterRow {
                    code: s.code.clone(),
                    name: pick(&s.zh, &s.en, l).to_string(),
                    listing: s
                        .memberships
                        .iter()
                        .map(|m| listing(&state, m, l))
                        .collect(),
                    nodes: s.nodes,
                    strong: s.strong,
                    weak: s.weak,
                    missing: s.missing,
                    bottlenecks: s.bottlenecks,
                    keys: s
                        .key_technologies
                        .iter()
                        .filter_map(|k| state.chains.taxonomy.node(k))
                        .map(|n| (n.code.clone(), pick(&n.zh, &n.en, l).to_string()))
                        .collect(),
                })
                .collect::<Vec<_>>(),
        })
        .filter(|t| !t.clusters.is_empty())
        .collect();
    let page = OverviewPage {
        f: c.frame(t("chain_title", l)),
        region_action: "/chains".into(),
        region_name: v.region_name.clone(),
        version: v.version.clone(),
        effective_from: v.effective_from.clone(),
        // The city-wide key-technology map first: what to attack before anything else.
        key_tech: v
            .key_technologies
            .iter()
            .map(|k| key_tech(&k.node, &super::labels::cluster(&state, &k.cluster, l), l))
            .collect(),
        tiers,
    };
    respond(&c, StatusCode::OK, &page)
}

/// A row of the gap table.
struct NodeRow {
    code: String,
    status: &'static str,
    bottleneck: bool,
    chip: Chip,
    child: bool,
    name: String,
    stage: &'static str,
    importance: u8,
    local_enterprises: usize,
    enterprises: usize,
    local_supply: usize,
    open_needs: usize,
    why: String,
}

fn stage_name(s: chain::Stage, l: Lang) -> &'static str {
    match l {
        Lang::Zh => s.label_zh(),
        Lang::En => s.as_str(),
    }
}

fn node_row(n: &NodeGap, l: Lang) -> NodeRow {
    NodeRow {
        code: n.node.clone(),
        status: n.status.as_str(),
        bottleneck: n.bottleneck,
        chip: chip(n.status, n.bottleneck, l),
        child: n.parent.is_some(),
        name: pick(&n.zh, &n.en, l).to_string(),
        stage: stage_name(n.stage, l),
        importance: n.importance,
        local_enterprises: n.counts.local_enterprises,
        enterprises: n.counts.enterprises,
        local_supply: n.counts.local_supply,
        open_needs: n.counts.open_needs,
        why: reasons_in(&n.reasons, l),
    }
}

#[derive(Template)]
#[template(path = "chain_cluster.html")]
struct ClusterPage {
    f: Frame,
    code: String,
    name: String,
    region: String,
    region_action: String,
    region_name: String,
    listing: Vec<ListingShow>,
    th: chain::GapConfig,
    /// Strong, weak, missing, bottleneck.
    counts: (usize, usize, usize, usize),
    key_tech: Vec<KeyTechShow>,
    nodes: Vec<NodeRow>,
}

/// `/chains/{cluster}`: the graph, the key-technology map and the gap table.
pub(super) async fn cluster_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChainQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let p = ChainParams {
        region: q.region.clone(),
        as_of: None,
    };
    let v = match api::gaps_for(&state, &c.viewer, &code, &p).await {
        Ok(v) => v,
        Err(e) if e.status == StatusCode::NOT_FOUND => return not_found_page(&c),
        Err(e) => return error_page(&c, e),
    };
    let g = &v.gaps;
    let count = |s: GapStatus| g.nodes.iter().filter(|n| n.status == s).count();
    let page = ClusterPage {
        f: c.frame(&format!(
            "{} · {}",
            pick(&g.zh, &g.en, l),
            t("chain_title", l)
        )),
        code: g.cluster.clone(),
        name: pick(&g.zh, &g.en, l).to_string(),
        region: g.region.clone(),
        region_action: format!("/chains/{}", g.cluster),
        region_name: v.region_name.clone(),
        listing: v
            .memberships
            .iter()
            .map(|m| listing(&state, m, l))
            .collect(),
        th: g.thresholds.clone(),
        counts: (
            count(GapStatus::Strong),
            count(GapStatus::Weak),
            count(GapStatus::Missing),
            g.nodes.iter().filter(|n| n.bottleneck).count(),
        ),
        key_tech: g
            .key_technologies
            .iter()
            .filter_map(|code| g.nodes.iter().find(|n| &n.node == code))
            .map(|n| key_tech(n, &g.cluster, l))
            .collect(),
        nodes: g.nodes.iter().map(|n| node_row(n, l)).collect(),
    };
    respond(&c, StatusCode::OK, &page)
}

/// Someone or something that could fill a link.
struct FillerShow {
    href: String,
    name: String,
    sub_kind: String,
    locality_code: String,
    locality: &'static str,
    score: f32,
    /// The reasons, their quoted record data marked.
    why: Vec<(bool, String)>,
}

fn filler(x: &Filler, l: Lang) -> FillerShow {
    FillerShow {
        href: match x.record_kind.as_str() {
            "outcome" => format!("/outcomes/{}", x.id),
            "person" => format!("/experts/{}", x.id),
            _ => format!("/organizations/{}", x.id),
        },
        name: x.name.clone(),
        sub_kind: super::labels::record_kind(&x.sub_kind, l),
        locality_code: format!("{:?}", x.locality),
        locality: match l {
            Lang::Zh => x.locality.label_zh(),
            Lang::En => match x.locality {
                chain::Locality::Local => "local",
                chain::Locality::Chengyu => "Chengdu–Chongqing",
                chain::Locality::Elsewhere => "elsewhere",
            },
        },
        score: x.score,
        why: super::pages::quoted_runs(&match l {
            Lang::Zh => x.reasons_zh.join("；"),
            Lang::En => x.reasons_en.join("; "),
        }),
    }
}

struct FillerSection {
    title_key: &'static str,
    id: &'static str,
    fillers: Vec<FillerShow>,
}

#[derive(Template)]
#[template(path = "chain_node.html")]
struct NodePage {
    f: Frame,
    cluster: String,
    cluster_name: String,
    name: String,
    node_code: String,
    chip: Chip,
    region_action: String,
    region_name: String,
    stage: &'static str,
    importance: u8,
    keywords: String,
    ipc: String,
    industry_codes: String,
    provenance: String,
    source: String,
    counts: chain::Counts,
    reasons: Vec<String>,
    sections: Vec<FillerSection>,
    may_override: bool,
    saved: bool,
    override_error: Option<String>,
}

/// `/chains/nodes/{id}`: a node's definition, gap, who is on it and who could fill it.
pub(super) async fn node_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<ChainQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let l = c.lang;
    let p = FillerParams {
        region: q.region.clone(),
        as_of: None,
        limit: Some(8),
    };
    let v = match api::fillers_for(&state, &c.viewer, &code, &p).await {
        Ok(v) => v,
        Err(e) if e.status == StatusCode::NOT_FOUND => return not_found_page(&c),
        Err(e) => return error_page(&c, e),
    };
    let n = &v.node;
    let g = &v.result.gap;
    let f = &v.result.fillers;
    let section = |title_key, id, list: &[Filler]| FillerSection {
        title_key,
        id,
        fillers: list.iter().map(|x| filler(x, l)).collect(),
    };
    let page = NodePage {
        f: c.frame(&format!(
            "{} · {}",
            pick(&n.zh, &n.en, l),
            t("chain_title", l)
        )),
        cluster: v.cluster.clone(),
        cluster_name: super::labels::cluster(&state, &v.cluster, l),
        name: pick(&n.zh, &n.en, l).to_string(),
        node_code: n.code.clone(),
        chip: chip(g.status, g.bottleneck, l),
        region_action: format!("/chains/nodes/{}", n.code),
        region_name: v.region_name.clone(),
        stage: stage_name(n.stage, l),
        importance: n.importance,
        keywords: match l {
            Lang::Zh => n.keywords_zh.join("、"),
            Lang::En => n.keywords_en.join(", "),
        },
        ipc: n.ipc.join(", "),
        industry_codes: n.industry_codes.join(", "),
        provenance: match n.provenance {
            chain::Provenance::Official => t("chain_official", l).to_string(),
            chain::Provenance::Draft => t("chain_draft", l).to_string(),
        },
        source: n.source.clone(),
        counts: g.counts.clone(),
        reasons: g
            .reasons
            .iter()
            .map(|r| pick(&r.zh, &r.en, l).to_string())
            .collect(),
        sections: vec![
            section("chain_fill_outcomes", "fill-outcomes", &f.outcomes),
            section("chain_fill_experts", "fill-experts", &f.experts),
            section("chain_fill_labs", "fill-labs", &f.labs),
            section("chain_fill_platforms", "fill-platforms", &f.pilot_platforms),
            section("chain_on_link", "on-link", &v.result.enterprises),
        ],
        may_override: c.viewer.is_operator(),
        saved: q.saved.is_some(),
        override_error: None,
    };
    respond(&c, StatusCode::OK, &page)
}
