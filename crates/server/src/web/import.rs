//! The admin import page: upload a CSV, JSONL or XLSX file, parsed by the same importer as the
//! command line within the upload caps (`ingest::Limits::upload`) on the bounded CPU pool, the accepted
//! rows written and the rejected ones reported by line.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use model::{Record, RecordKind};

use super::{ctx, esc, login_html, page, t, Ctx, LangParam};
use crate::state::AppState;
use crate::ApiQuery;

/// Largest file the import page takes.
pub(super) const MAX_IMPORT_BYTES: usize = 32 << 20;

fn import_html(c: &Ctx, report: &str) -> String {
    let l = c.lang;
    let mut kinds = String::new();
    for k in ["organization", "person", "outcome", "demand"] {
        let _ = write!(
            kinds,
            "<option value=\"{k}\">{}</option>",
            t(&format!("import_kind_{k}"), l)
        );
    }
    format!(
        "<h1>{}</h1><p class=\"lead\">{}</p><form class=\"stack\" method=\"post\" action=\"/admin/import\" \
         enctype=\"multipart/form-data\" id=\"import-form\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label for=\"kind\">{}</label><select id=\"kind\" name=\"kind\">{kinds}</select>\
         <label for=\"file\">{}</label><input type=\"file\" id=\"file\" name=\"file\" accept=\".csv,.jsonl,.xlsx,.json\" required>\
         <p><button type=\"submit\">{}</button></p></form>{report}",
        t("import_title", l),
        t("import_lead", l),
        esc(&c.csrf),
        t("import_kind", l),
        t("import_file", l),
        t("import_button", l)
    )
}

/// The import page is for admins only; others get a 403 page (or the sign-in form).
fn admin_gate(c: &Ctx) -> Option<Response> {
    let l = c.lang;
    match c.viewer.user() {
        None => {
            let body = format!(
                "<h1>{}</h1><p>{}</p>{}",
                t("import_title", l),
                t("need_login", l),
                login_html(c, None)
            );
            Some(page(c, t("import_title", l), &body))
        }
        Some(_) if !c.viewer.is_admin() => {
            let body = format!("<h1>403</h1><p>{}</p>", t("admin_only", l));
            let mut r = page(c, "403", &body);
            *r.status_mut() = StatusCode::FORBIDDEN;
            Some(r)
        }
        Some(_) => None,
    }
}

pub(super) async fn import_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangParam>,
) -> Response {
    let c = ctx(&state, &headers, q.lang.as_deref()).await;
    if let Some(r) = admin_gate(&c) {
        return r;
    }
    let body = import_html(&c, "");
    page(&c, t("import_title", c.lang), &body)
}

pub(super) async fn import_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    mut form: axum::extract::Multipart,
) -> Response {
    let c = ctx(&state, &headers, None).await;
    let l = c.lang;
    if let Some(r) = admin_gate(&c) {
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
    match import_bytes(&state, &c, kind, &filename, &bytes).await {
        Ok(report) => {
            let body = import_html(&c, &report);
            page(&c, t("import_title", l), &body)
        }
        Err(message) => import_error(&c, &message),
    }
}

fn import_error(c: &Ctx, message: &str) -> Response {
    let body = import_html(
        c,
        &format!(
            "<p class=\"error\" id=\"import-error\">{}</p>",
            esc(message)
        ),
    );
    let mut r = page(c, t("import_title", c.lang), &body);
    *r.status_mut() = StatusCode::BAD_REQUEST;
    r
}

/// At most `max` characters of a file name, keeping its extension (an OS refuses names past 255
/// bytes; 60 characters stay under it even when every one is a 3-byte Chinese character).
fn short_file_name(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if e.chars().count() <= 10 => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    let keep = max.saturating_sub(ext.chars().count());
    format!("{}{ext}", stem.chars().take(keep).collect::<String>())
}

/// Parses an uploaded file with the same importer as the command line, writes the accepted rows, and
/// renders the row-level report.
async fn import_bytes(
    state: &AppState,
    c: &Ctx,
    kind: RecordKind,
    filename: &str,
    bytes: &[u8],
) -> Result<String, String> {
    let l = c.lang;
    // Keep only a safe base name: the extension picks the format.
    let base: String = std::path::Path::new(filename)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(|ch| ch.is_alphanumeric() || matches!(ch, '.' | '-' | '_'))
        .collect();
    let base = if base.is_empty() {
        "upload.csv".to_string()
    } else {
        short_file_name(&base, 60)
    };
    let dir = tempfile::tempdir().map_err(|e| format!("{}: {e}", t("import_failed", l)))?;
    let path = dir.path().join(&base);
    std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", t("import_failed", l)))?;
    let started_at = chrono::Utc::now();
    let opts = ingest::ParseOptions {
        default_source: Some(base.clone()),
        limits: ingest::Limits::upload(),
        ..ingest::ParseOptions::default()
    };
    // Parsing is CPU work with a bounded memory footprint (the upload caps): off the async workers.
    let parse_path = path.clone();
    let parsed = state
        .cpu
        .run(move || ingest::parse_file(&parse_path, kind, &opts))
        .await
        .map_err(|_| t("import_failed", l).to_string())?
        .map_err(|e| e.to_string().replace(&*dir.path().to_string_lossy(), ""))?;
    let rejected_rows = ingest::rejected_lines(&parsed.rejected);
    let records: Vec<Record> = parsed.accepted.into_iter().map(|a| a.record).collect();
    let actor = format!(
        "web:{}",
        c.viewer.user().map_or("", |u| u.username.as_str())
    );
    let (mut inserted, mut updated, mut unchanged) = (0, 0, 0);
    for chunk in records.chunks(1000) {
        let results = state.store.write_batch(chunk, &actor).await.map_err(|e| {
            tracing::error!(error = %e, "import from the web page failed");
            t("import_failed", l).to_string()
        })?;
        for r in results {
            match r {
                store::WriteOutcome::Inserted(_) => inserted += 1,
                store::WriteOutcome::Updated(_) => updated += 1,
                store::WriteOutcome::Unchanged(_) => unchanged += 1,
            }
        }
    }
    let run = store::ImportRun {
        kind,
        file: base.clone(),
        file_sha256: parsed.sha256.clone(),
        started_at,
        finished_at: chrono::Utc::now(),
        inserted,
        updated,
        unchanged,
        rejected: rejected_rows as i64,
        actor,
    };
    if let Err(e) = state.store.record_import_run(&run).await {
        tracing::error!(error = %e, "recording the import run failed");
    }
    if let Err(e) = state.refresh().await {
        tracing::warn!(error = ?e, "indexes not yet up to date after a web import; the follower retries");
    }
    let mut b = format!(
        "<h2>{}</h2><table class=\"kv\" id=\"import-summary\"><tr><th>{}</th><td>{}</td></tr>\
         <tr><th>{}</th><td id=\"import-inserted\">{inserted}</td></tr><tr><th>{}</th><td>{updated}</td></tr>\
         <tr><th>{}</th><td>{unchanged}</td></tr><tr><th>{}</th><td id=\"import-rejected\">{rejected_rows}</td></tr></table>",
        t("import_report", l),
        t("import_file", l),
        esc(&base),
        t("import_inserted", l),
        t("import_updated", l),
        t("import_unchanged", l),
        t("import_rejected", l),
    );
    for w in &parsed.warnings {
        let _ = write!(b, "<p class=\"notes\">{}</p>", esc(w));
    }
    if !parsed.rejected.is_empty() {
        let _ = write!(
            b,
            "<table class=\"kv\" id=\"import-problems\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("import_line", l),
            t("import_field", l),
            t("import_value", l),
            t("import_reason", l)
        );
        for r in parsed.rejected.iter().take(500) {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                r.line,
                esc(&r.column),
                esc(&r.error.value),
                esc(&r.error.reason)
            );
        }
        b.push_str("</table>");
    }
    Ok(b)
}
