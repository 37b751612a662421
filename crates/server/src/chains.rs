//! The chain map over HTTP: clusters with their status summary, a cluster's gaps with its graph, a
//! node's fillers, and manual overrides. Open needs count only when the viewer may see them.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chain::{ClusterGaps, GapStatus, Membership, Node, NodeGap, Supply, Tier};
use engine::chains::{self, DemandScope, NodeFillers};

use crate::access::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::{ApiJson, ApiPath, ApiQuery};

/// Region and date of an analysis.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChainParams {
    /// The region that counts as local: a district, city or province (name, alias or code);
    /// default 重庆市.
    pub region: Option<String>,
    /// Needs open on this date count as demand pressure (YYYY-MM-DD; default today).
    pub as_of: Option<String>,
}

/// A cluster with its counts by status, for the overview.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClusterSummary {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub memberships: Vec<Membership>,
    pub nodes: usize,
    pub strong: usize,
    pub weak: usize,
    pub missing: usize,
    pub bottlenecks: usize,
    /// The most urgent nodes of its key-technology map (up to 3).
    pub key_technologies: Vec<String>,
}

/// The taxonomy's clusters with the gap summary for a region.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ChainsView {
    pub version: String,
    pub effective_from: String,
    pub fingerprint: String,
    pub region: String,
    pub region_name: String,
    pub tiers: Vec<Tier>,
    pub clusters: Vec<ClusterSummary>,
    /// The city-wide key-technology map: the most urgent weak, missing or bottleneck links of every
    /// cluster (up to 20), by priority.
    pub key_technologies: Vec<KeyTechnology>,
}

/// One link of the city-wide key-technology map.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct KeyTechnology {
    pub cluster: String,
    pub node: NodeGap,
}

/// A cluster's gap analysis with what a graph needs: its chains, nodes and supply edges.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClusterGapsView {
    pub memberships: Vec<Membership>,
    pub chains: Vec<chain::Chain>,
    pub region_name: String,
    /// Supply edges with at least one end in this cluster.
    pub edges: Vec<Supply>,
    pub gaps: ClusterGaps,
}

/// A node, its gap, who is on it, and who could fill it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NodeFillersView {
    pub node: Node,
    pub cluster: String,
    pub cluster_zh: String,
    pub region_name: String,
    #[schema(value_type = Object)]
    pub result: NodeFillers,
}

/// A person's decision that a record is (or is not) on a node.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct OverrideRequest {
    /// organization, person, outcome or demand.
    pub record_kind: String,
    pub record_id: i64,
    pub node: String,
    /// add, remove, or clear (drop an earlier decision: the rules decide again).
    pub action: String,
    #[serde(default)]
    pub note: String,
}

/// The demands whose needs count for this viewer: all for an admin, else those they may see.
pub async fn demand_scope(state: &AppState, viewer: &Viewer) -> ApiResult<Option<HashSet<i64>>> {
    if viewer.is_admin() {
        return Ok(None);
    }
    // Public demands by one query, confidential ones from the partitions the viewer's pass opens:
    // no work is done on a demand the viewer may not see.
    let mut ids: HashSet<i64> = state.store.public_demand_ids().await?.into_iter().collect();
    let pass = state.policy.demand_pass(viewer);
    ids.extend(state.read_confidential().ids(&pass));
    Ok(Some(ids))
}

fn scope(ids: &Option<HashSet<i64>>) -> DemandScope<'_> {
    match ids {
        None => DemandScope::All,
        Some(s) => DemandScope::Only(s),
    }
}

fn parse_params(p: &ChainParams) -> ApiResult<(model::Region, chrono::NaiveDate)> {
    let region = chains::analysis_region(p.region.as_deref())?;
    let date = match p.as_of.as_deref() {
        None | Some("") => chrono::Local::now().date_naive(),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ApiError::invalid(format!("as_of '{s}': write a date as YYYY-MM-DD")))?,
    };
    Ok((region, date))
}

/// The overview for the API and the page.
pub async fn chains_for(
    state: &AppState,
    viewer: &Viewer,
    p: &ChainParams,
) -> ApiResult<ChainsView> {
    state.sees_own_writes(viewer).await;
    let (region, date) = parse_params(p)?;
    let ids = demand_scope(state, viewer).await?;
    let map = &state.chains;
    let codes: Vec<String> = map
        .taxonomy
        .clusters
        .iter()
        .map(|c| c.code.clone())
        .collect();
    let all = chains::gaps_for(&state.store, map, &codes, &region, scope(&ids), date).await?;
    let clusters = map
        .taxonomy
        .clusters
        .iter()
        .map(|c| {
            let g = all.iter().find(|g| g.cluster == c.code);
            let count = |s: GapStatus| {
                g.map(|g| g.nodes.iter().filter(|n| n.status == s).count())
                    .unwrap_or(0)
            };
            ClusterSummary {
                code: c.code.clone(),
                zh: c.zh.clone(),
                en: c.en.clone(),
                memberships: c.memberships.clone(),
                nodes: c.nodes.len(),
                strong: count(GapStatus::Strong),
                weak: count(GapStatus::Weak),
                missing: count(GapStatus::Missing),
                bottlenecks: g
                    .map(|g| g.nodes.iter().filter(|n| n.bottleneck).count())
                    .unwrap_or(0),
                key_technologies: g
                    .map(|g| g.key_technologies.iter().take(3).cloned().collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let mut key_technologies: Vec<KeyTechnology> = all
        .iter()
        .flat_map(|g| {
            g.nodes
                .iter()
                .filter(|n| g.key_technologies.contains(&n.node))
                .map(|n| KeyTechnology {
                    cluster: g.cluster.clone(),
                    node: n.clone(),
                })
        })
        .collect();
    key_technologies.sort_by(|a, b| {
        b.node
            .priority
            .total_cmp(&a.node.priority)
            .then_with(|| b.node.counts.open_needs.cmp(&a.node.counts.open_needs))
            .then_with(|| a.node.node.cmp(&b.node.node))
    });
    key_technologies.truncate(20);
    Ok(ChainsView {
        key_technologies,
        version: map.taxonomy.version.clone(),
        effective_from: map.taxonomy.effective_from.clone(),
        fingerprint: map.taxonomy.fingerprint.clone(),
        region: region.key().to_string(),
        region_name: region.name_zh().to_string(),
        tiers: map.taxonomy.tiers.clone(),
        clusters,
    })
}

/// The clusters of the 33618 system and the 6+3 future industries, with each one's count of strong,
/// weak and missing links for the region.
#[utoipa::path(get, path = "/api/v1/chains", tag = "chains", params(ChainParams),
    responses((status = 200, body = ChainsView), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list_chains(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiQuery(p): ApiQuery<ChainParams>,
) -> ApiResult<Json<ChainsView>> {
    Ok(Json(chains_for(&state, &viewer, &p).await?))
}

/// One cluster's gaps for the API and the page.
pub async fn gaps_for(
    state: &AppState,
    viewer: &Viewer,
    cluster: &str,
    p: &ChainParams,
) -> ApiResult<ClusterGapsView> {
    state.sees_own_writes(viewer).await;
    let (region, date) = parse_params(p)?;
    let map = &state.chains;
    let c = map.taxonomy.cluster(cluster).ok_or_else(|| {
        ApiError::not_found(format!(
            "no cluster '{cluster}': GET /api/v1/chains lists the codes"
        ))
    })?;
    let ids = demand_scope(state, viewer).await?;
    let gaps = chains::cluster_gaps(&state.store, map, &c.code, &region, scope(&ids), date)
        .await?
        .expect("the cluster exists");
    let mine: HashSet<&str> = c.nodes.iter().map(|n| n.code.as_str()).collect();
    let edges = map
        .taxonomy
        .supply_edges()
        .filter(|e| mine.contains(e.from.as_str()) || mine.contains(e.to.as_str()))
        .cloned()
        .collect();
    Ok(ClusterGapsView {
        memberships: c.memberships.clone(),
        chains: c.chains.clone(),
        region_name: region.name_zh().to_string(),
        edges,
        gaps,
    })
}

/// Per node of a cluster: local enterprises, innovation supply by TRL band, labs, experts, PoC
/// centres, pilot platforms and open needs; the status (strong / weak / missing) and bottleneck flag
/// with the thresholds and reasons; the key-technology ranking; and the graph's edges.
#[utoipa::path(get, path = "/api/v1/chains/{cluster}/gaps", tag = "chains",
    params(("cluster" = String, Path, description = "Cluster code, e.g. ICV-NEV"), ChainParams),
    responses((status = 200, body = ClusterGapsView), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn cluster_gaps(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(cluster): ApiPath<String>,
    ApiQuery(p): ApiQuery<ChainParams>,
) -> ApiResult<Json<ClusterGapsView>> {
    Ok(Json(gaps_for(&state, &viewer, &cluster, &p).await?))
}

/// Fillers query: the analysis scope and how many of each kind.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FillerParams {
    pub region: Option<String>,
    pub as_of: Option<String>,
    /// How many of each kind, 1–50 (default 8).
    pub limit: Option<usize>,
}

/// One node's fillers for the API and the page.
pub async fn fillers_for(
    state: &AppState,
    viewer: &Viewer,
    node: &str,
    p: &FillerParams,
) -> ApiResult<NodeFillersView> {
    state.sees_own_writes(viewer).await;
    let (region, date) = parse_params(&ChainParams {
        region: p.region.clone(),
        as_of: p.as_of.clone(),
    })?;
    let limit = match p.limit.unwrap_or(8) {
        n @ 1..=50 => n,
        n => return Err(ApiError::invalid(format!("limit {n}: give 1 to 50"))),
    };
    let map = &state.chains;
    let n = map.taxonomy.node(node).ok_or_else(|| {
        ApiError::not_found(format!(
            "no chain node '{node}': GET /api/v1/chains/{{cluster}}/gaps lists a cluster's nodes"
        ))
    })?;
    let cluster = map
        .taxonomy
        .cluster(n.cluster())
        .expect("a node's cluster exists");
    let ids = demand_scope(state, viewer).await?;
    let engines = state.engines.read().await;
    let result = chains::node_fillers(
        &state.store,
        map,
        Some((&engines, &state.ranking)),
        node,
        &region,
        scope(&ids),
        date,
        limit,
    )
    .await?
    .expect("the node exists");
    Ok(NodeFillersView {
        node: n.clone(),
        cluster: cluster.code.clone(),
        cluster_zh: cluster.zh.clone(),
        region_name: region.name_zh().to_string(),
        result,
    })
}

/// Who could fill a node: outcomes, experts, labs and pilot platforms, local first, then the
/// Chengdu–Chongqing region, then elsewhere, each with its reasons; and the enterprises already on it.
#[utoipa::path(get, path = "/api/v1/chains/nodes/{id}/fillers", tag = "chains",
    params(("id" = String, Path, description = "Node code, e.g. ICV-NEV.bms"), FillerParams),
    responses((status = 200, body = NodeFillersView), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn node_fillers(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<FillerParams>,
) -> ApiResult<Json<NodeFillersView>> {
    Ok(Json(fillers_for(&state, &viewer, &id, &p).await?))
}

/// Puts a record on a node (or keeps it off) by hand; the decision wins over every rule and takes
/// effect at once. Admins and platform operators only.
#[utoipa::path(post, path = "/api/v1/chains/overrides", tag = "chains",
    request_body = OverrideRequest,
    responses((status = 204), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn put_override(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    ApiJson(r): ApiJson<OverrideRequest>,
) -> ApiResult<Response> {
    override_for(&state, &viewer, r).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Records a manual assignment for the API and the node page's form.
pub async fn override_for(state: &AppState, viewer: &Viewer, r: OverrideRequest) -> ApiResult<()> {
    let u = crate::api::signed_in(viewer)?;
    if !viewer.is_operator() {
        return Err(ApiError::forbidden(
            "only admins and platform operators correct chain assignments",
        ));
    }
    // A demand the user may not see is not found, whatever the override says.
    let pass = state.policy.demand_pass(viewer);
    if r.record_kind == "demand"
        && viewer
            .demand(&state.store, &pass, r.record_id)
            .await?
            .is_none()
    {
        return Err(ApiError::not_found(format!("demand {}", r.record_id)));
    }
    state.refresh().await?;
    if r.action == "clear" {
        let _guard = state.sync_lock.lock().await;
        if !chains::clear_override(
            &state.store,
            &state.chains,
            &r.record_kind,
            r.record_id,
            &r.node,
        )
        .await?
        {
            return Err(ApiError::not_found(format!(
                "no decision on {} {} and {}",
                r.record_kind, r.record_id, r.node
            )));
        }
        return Ok(());
    }
    let o = store::ChainOverride {
        record_kind: r.record_kind,
        record_id: r.record_id,
        node: r.node,
        action: r.action,
        note: r.note,
        created_by: u.username.clone(),
        created_at: chrono::Utc::now().timestamp(),
    };
    let _guard = state.sync_lock.lock().await;
    chains::set_override(&state.store, &state.chains, &o).await?;
    Ok(())
}
