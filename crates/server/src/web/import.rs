//! The admin import page: upload a CSV, JSONL or XLSX file, parsed by the same importer as the
//! command line within the upload caps (`ingest::Limits::upload`) on the bounded CPU pool, the accepted
//! rows written by the engine's import use case and the rejected ones reported by line.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use model::{Record, RecordKind};

use super::{ctx, gate, respond, t, Choice, Ctx, Frame, LangParam};
use crate::state::AppState;
use crate::ApiQuery;

/// Largest file the import page takes.
pub(super) const MAX_IMPORT_BYTES: usize = 32 << 20;

/// Rejected rows shown on the page (the rest are counted).
const PROBLEMS_SHOWN: usize = 500;

struct Report {
    file: String,
    written: engine::import::Written,
    rejected_rows: usize,
    warnings: Vec<String>,
    problems: Vec<ingest::Rejection>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    f: Frame,
    kinds: Vec<Choice>,
    error: Option<String>,
    report: Option<Report>,
}

fn render(c: &Ctx, status: StatusCode, error: Option<String>, report: Option<Report>) -> Response {
    let l = c.lang;
    let page = ImportPage {
        f: c.frame(t("import_title", l)),
        kinds: Choice::coded(
            l,
            "import_kind_",
            &["organization", "person", "outcome", "demand"],
            None,
        ),
        error,
        report,
    };
    respond(c, status, &page)
}

fn import_error(c: &Ctx, message: &str) -> Response {
    render(c, StatusCode::BAD_REQUEST, Some(message.to_string()), None)
}

pub(super) async fn import_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    let heading = t("import_title", c.lang);
    if let Some(r) = gate(&c, heading, c.viewer.is_admin(), "admin_only") {
        return r;
    }
    render(&c, StatusCode::OK, None, None)
}

pub(super) async fn import_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    let l = c.lang;
    if let Some(r) = gate(&c, t("import_title", l), c.viewer.is_admin(), "admin_only") {
        return r;
    }
    let (mut csrf, mut kind, mut file) = (String::new(), String::new(), None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let filename = field.file_name().map(str::to_string);
                match field.bytes().await {
                    Ok(bytes) => match name.as_str() {
                        "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                        "kind" => kind = String::from_utf8_lossy(&bytes).into_owned(),
                        "file" => file = Some((filename.unwrap_or_else(|| "upload".into()), bytes)),
                        _ => {}
                    },
                    Err(e) => return import_error(&c, &format!("{}: {e}", t("import_failed", l))),
                }
            }
            Ok(None) => break,
            Err(e) => return import_error(&c, &format!("{}: {e}", t("import_failed", l))),
        }
    }
    if csrf != c.csrf {
        return import_error(&c, t("csrf_failed", l));
    }
    let Some(kind) = RecordKind::ALL.into_iter().find(|k| k.as_str() == kind) else {
        return import_error(
            &c,
            &format!("kind '{kind}': organization, person, outcome or demand"),
        );
    };
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return import_error(&c, t("import_no_file", l));
    };
    match import(&state, &c, kind, filename, bytes).await {
        Ok(report) => render(&c, StatusCode::OK, None, Some(report)),
        Err(message) => import_error(&c, &message),
    }
}

/// Parses the upload on the CPU pool and writes its accepted rows through the engine.
async fn import(
    state: &AppState,
    c: &Ctx,
    kind: RecordKind,
    filename: String,
    bytes: axum::body::Bytes,
) -> Result<Report, String> {
    let l = c.lang;
    let failed = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "import from the web page failed");
        t("import_failed", l).to_string()
    };
    let (base, parsed) = state
        .cpu
        .run(move || {
            engine::import::parse_upload(&filename, &bytes, kind, ingest::Limits::upload())
        })
        .await
        .map_err(|e| failed(&e.message))?
        .map_err(|e| match e {
            engine::EngineError::Input(m) => m,
            other => failed(&other),
        })?;
    let rejected_rows = ingest::rejected_lines(&parsed.rejected);
    let records: Vec<Record> = parsed.accepted.into_iter().map(|a| a.record).collect();
    let actor = format!(
        "web:{}",
        c.viewer.user().map_or("", |u| u.username.as_str())
    );
    let job = engine::import::ImportJob {
        kind,
        file: &base,
        file_sha256: &parsed.sha256,
        rejected_rows,
        actor: &actor,
        batch: 1000,
    };
    let written = engine::import::write_records(&state.store, &job, &records, |_| {})
        .await
        .map_err(|e| failed(&e))?;
    if let Err(e) = state.refresh().await {
        tracing::warn!(error = ?e, "indexes not yet up to date after a web import; the follower retries");
    }
    let mut problems = parsed.rejected;
    problems.truncate(PROBLEMS_SHOWN);
    Ok(Report {
        file: base,
        written,
        rejected_rows,
        warnings: parsed.warnings,
        problems,
    })
}
