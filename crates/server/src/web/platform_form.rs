//! A platform's own staff keep its entry current: the entry's form (summary, services, TRL span,
//! qualifications, fees, contacts, recognition) and the equipment form (add a machine or replace
//! the one of the same name). Both call the same library use cases as the API.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use engine::pilot::{EquipmentInput, PlatformDetail, PlatformFace, PlatformInput};
use engine::EngineError;

use super::challenge_input::Fields;
use super::challenges::PageError;
use super::deal_posts::acting;
use super::platforms::refusal;
use super::{ctx, not_found_page, respond, t, Choice, Ctx, Frame, Lang};
use crate::challenges::maybe_actor;
use crate::state::AppState;
use crate::{ApiPath, ApiQuery};

/// A checkbox of a code list.
struct Check {
    value: String,
    label: String,
    checked: bool,
}

fn checks(l: Lang, prefix: &str, all: &[String], chosen: &[String]) -> Vec<Check> {
    all.iter()
        .map(|v| Check {
            value: v.clone(),
            label: t(&format!("{prefix}{v}"), l).to_string(),
            checked: chosen.contains(v),
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "platform_form.html")]
struct FormPage {
    f: Frame,
    p: PlatformFace,
    services: Vec<Check>,
    modes: Vec<Check>,
    alliances: Vec<Check>,
    fields: Vec<Choice>,
    construction: Vec<Choice>,
    trl_in: Vec<Choice>,
    trl_out: Vec<Choice>,
    fees: String,
    contacts: String,
    error: Option<PageError>,
    saved: bool,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct FormQuery {
    lang: Option<String>,
    saved: Option<String>,
}

async fn render(
    state: &AppState,
    c: &Ctx,
    id: i64,
    error: Option<PageError>,
    saved: bool,
    status: StatusCode,
) -> Response {
    let l = c.lang;
    let a = maybe_actor(&c.viewer);
    let p = match state.library.show(a.as_ref(), id).await {
        Ok(p) if p.staff => p,
        Ok(_) | Err(EngineError::NotFound(_)) => return not_found_page(c),
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let v = &state.library.vocabulary;
    let d = &p.detail;
    let mut fields = vec![Choice {
        value: String::new(),
        label: "—".into(),
        selected: p.field.is_empty(),
    }];
    let all_fields: Vec<&str> = v.fields.iter().map(String::as_str).collect();
    fields.extend(Choice::coded(
        l,
        "pl_field_",
        &all_fields,
        Some(p.field.as_str()),
    ));
    let modes: Vec<&str> = v.construction_modes.iter().map(String::as_str).collect();
    let mut construction = vec![Choice {
        value: String::new(),
        label: "—".into(),
        selected: d.construction_mode.is_empty(),
    }];
    construction.extend(Choice::coded(
        l,
        "pl_mode_",
        &modes,
        Some(d.construction_mode.as_str()),
    ));
    let fees = d
        .fees
        .iter()
        .map(|x| {
            let yuan = |f: i64| super::format::number(f as f64 / 100.0, 2);
            match x.sme_fen {
                Some(s) => format!(
                    "{}|{}|{}|{}",
                    x.item,
                    t(&format!("pl_fee_{}", x.unit), l),
                    yuan(x.fen),
                    yuan(s)
                ),
                None => format!(
                    "{}|{}|{}",
                    x.item,
                    t(&format!("pl_fee_{}", x.unit), l),
                    yuan(x.fen)
                ),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let contacts = d
        .contacts
        .iter()
        .map(|x| {
            format!(
                "{}|{}|{}|{}|{}",
                x.name,
                x.role,
                x.phone,
                x.email,
                if x.public { t("yes", l) } else { t("no", l) }
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let page = FormPage {
        f: c.frame(&format!("{} · {}", t("pl_edit", l), p.name)),
        services: checks(l, "pl_service_", &v.services, &d.services),
        modes: checks(l, "pl_smode_", &v.service_modes, &d.service_modes),
        alliances: checks(l, "pl_alliance_", &v.alliances, &d.alliances),
        fields,
        construction,
        trl_in: Choice::trl(u8::try_from(p.trl_in).ok()),
        trl_out: Choice::trl(u8::try_from(p.trl_out).ok()),
        fees,
        contacts,
        error,
        saved,
        p,
    };
    respond(c, status, &page)
}

pub(super) async fn edit_page(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<FormQuery>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    if c.viewer.user().is_none() {
        return super::MessagePage::sign_in(&c, t("pl_edit", c.lang), t("need_login", c.lang))
            .respond(&c, StatusCode::OK);
    }
    render(&state, &c, id, None, q.saved.is_some(), StatusCode::OK).await
}

async fn refused(state: &AppState, c: &Ctx, id: i64, e: EngineError) -> Response {
    if matches!(e, EngineError::NotFound(_)) {
        return not_found_page(c);
    }
    match refusal(&e, c.lang) {
        Some((status, why)) => render(state, c, id, Some(why), false, status).await,
        None => crate::ApiError::from(e).into_response(),
    }
}

pub(super) async fn edit_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let (c, a) = match acting(&state, &headers, &f.get("csrf")).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let current = match state.library.show(Some(&a), id).await {
        Ok(p) if p.staff => p,
        Ok(_) => return not_found_page(&c),
        Err(e) => return refused(&state, &c, id, e).await,
    };
    let lib = &state.library;
    let fees = match lib.parse_fees(&f.get("fees")) {
        Ok(x) => x,
        Err(e) => return refused(&state, &c, id, EngineError::Input(format!("fees: {e}"))).await,
    };
    let list = |k: &str| -> Vec<String> {
        f.get(k)
            .split([';', '；', ',', '，', '\n'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    let req = PlatformInput {
        kind: current.kind.clone(),
        form: current.form.clone(),
        level: current.level.clone(),
        field: f.get("field"),
        cluster: current.cluster.clone(),
        trl_in: f.int("trl_in").unwrap_or(current.trl_in),
        trl_out: f.int("trl_out").unwrap_or(current.trl_out),
        detail: PlatformDetail {
            summary: f.get("summary"),
            host_org: f.get("host_org"),
            construction_mode: f.get("construction_mode"),
            services: f.all("services"),
            service_modes: f.all("service_modes"),
            alliances: f.all("alliances"),
            qualifications: list("qualifications"),
            fees,
            contacts: engine::pilot::import::parse_contacts(&f.get("contacts")),
            recognition_no: f.get("recognition_no"),
            valid_until: f.opt("valid_until"),
            ..current.detail.clone()
        },
        version: f.int("version"),
    };
    match lib.edit(&a, id, &req).await {
        Ok(_) => Redirect::to(&format!("/platforms/{id}/edit?saved=1")).into_response(),
        Err(e) => refused(&state, &c, id, e).await,
    }
}

pub(super) async fn equipment_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> Response {
    let f = Fields::parse(&body);
    let (c, a) = match acting(&state, &headers, &f.get("csrf")).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let lib = &state.library;
    let parameters = match lib.parse_parameters(&f.get("parameters")) {
        Ok(p) => p,
        Err(e) => {
            return refused(
                &state,
                &c,
                id,
                EngineError::Input(format!("parameters: {e}")),
            )
            .await
        }
    };
    let fee = match super::challenge_input::fen_of(&f.get("fee_per_hour"), c.lang) {
        Ok(x) => x,
        Err(e) => {
            return refused(
                &state,
                &c,
                id,
                EngineError::Input(format!("fee_per_hour: {e}")),
            )
            .await
        }
    };
    let req = EquipmentInput {
        name: f.get("name"),
        model: f.get("model"),
        hours: f.opt("hours").unwrap_or_else(|| "24x7".into()),
        auto_confirm: f.get("auto_confirm") == "1",
        active: f.get("inactive") != "1",
        parameters,
        capacity: f.get("capacity"),
        batch_size: f.get("batch_size"),
        fee_fen_per_hour: fee,
    };
    match lib.save_equipment(&a, id, &req).await {
        Ok(_) => Redirect::to(&format!("/platforms/{id}/edit?saved=1")).into_response(),
        Err(e) => refused(&state, &c, id, e).await,
    }
}
