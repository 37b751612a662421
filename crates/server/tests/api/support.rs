//! A test platform: a store (SQLite, or a PostgreSQL schema of its own), records, users, and the router
//! called in-process.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use model::{Confidentiality, Demand, OrgKind, Organization, Record};
use server::{AppState, ServerConfig};
use store::{Store, Target};
use tower::ServiceExt;

static SEQ: AtomicUsize = AtomicUsize::new(0);

pub const PASSWORD: &str = "correct horse 7";

/// The bearer token `/metrics` wants on a test platform.
pub const METRICS_TOKEN: &str = "metrics-test-token-0123";

/// A store per back-end under test: SQLite always, PostgreSQL when configured.
pub struct Platform {
    pub state: Arc<AppState>,
    pub app: axum::Router,
    pub backend: &'static str,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

pub async fn backends() -> Vec<(Store, tempfile::TempDir, Option<(String, String)>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&Target::Sqlite(dir.path().join("t.db")))
        .await
        .unwrap();
    let mut out = vec![(sqlite, dir, None)];
    if let Ok(url) = std::env::var("SHUANGLIAN_TEST_DATABASE_URL") {
        let schema = format!(
            "srv_{}_{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst),
            chrono::Utc::now().timestamp_micros()
        );
        let store = Store::open(&Target::Postgres {
            url: url.clone(),
            schema: Some(schema.clone()),
        })
        .await
        .unwrap_or_else(|e| panic!("SHUANGLIAN_TEST_DATABASE_URL is set but unusable: {e}"));
        out.push((store, tempfile::tempdir().unwrap(), Some((url, schema))));
    }
    out
}

impl Platform {
    /// A platform over `store` holding `records`, with indexes built.
    pub async fn new(
        store: Store,
        dir: tempfile::TempDir,
        pg: Option<(String, String)>,
        records: &[Record],
    ) -> Platform {
        Platform::new_with(store, dir, pg, records, |_| {}).await
    }

    /// [`Platform::new`] with settings changed by `tweak` (e-mail, webhooks …).
    pub async fn new_with(
        store: Store,
        dir: tempfile::TempDir,
        pg: Option<(String, String)>,
        records: &[Record],
        tweak: impl FnOnce(&mut ServerConfig),
    ) -> Platform {
        if !records.is_empty() {
            store.write_batch(records, "test").await.unwrap();
        }
        let mut config = ServerConfig {
            data_dir: dir.path().to_path_buf(),
            model: Some(dir.path().join("no-model.bin")),
            metrics_token: Some(METRICS_TOKEN.into()),
            ..ServerConfig::default()
        };
        tweak(&mut config);
        let backend = store.backend_name();
        let state = AppState::open(store, config).await.unwrap();
        let app = server::router(state.clone());
        Platform {
            state,
            app,
            backend,
            _dir: dir,
            pg,
        }
    }

    pub async fn close(self) {
        self.state.store.close().await;
        if let Some((url, schema)) = self.pg {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&mut c)
                .await
                .unwrap();
        }
    }

    /// The same database opened again, as a restarted server would (a store of its own, with its
    /// own pass issuer).
    pub async fn reopen_store(&self) -> Store {
        let target = match &self.pg {
            Some((url, schema)) => Target::Postgres {
                url: url.clone(),
                schema: Some(schema.clone()),
            },
            None => Target::Sqlite(self._dir.path().join("t.db")),
        };
        Store::open(&target).await.unwrap()
    }

    pub async fn org_id(&self, name: &str) -> i64 {
        self.state
            .store
            .find_organization(name, None)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no organization {name}"))
            .id
    }

    /// Creates a user with [`PASSWORD`].
    pub async fn user(&self, name: &str, role: &str, org: Option<i64>) {
        self.state
            .store
            .upsert_user(
                &store::NewUser {
                    username: name,
                    display_name: name,
                    role,
                    organization_id: org,
                    password_hash: &hash(),
                },
                chrono::Utc::now().timestamp(),
            )
            .await
            .unwrap();
    }

    /// Signs in with a given password and returns the bearer token.
    pub async fn login_with(&self, name: &str, password: &str) -> String {
        let (status, v) = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": name, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// Signs in and returns the bearer token.
    pub async fn login(&self, name: &str) -> String {
        let (status, v) = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": name, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// One request; the answer's status and JSON body (`null` when empty or not JSON).
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let (status, _, bytes) = self
            .raw(method, uri, token, body.map(|b| b.to_string()))
            .await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn raw(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        self.raw_with(method, uri, &headers, body).await
    }

    /// A form post from a signed-in browser: the session cookie and its CSRF token.
    pub async fn form(
        &self,
        uri: &str,
        token: &str,
        fields: &str,
    ) -> (StatusCode, axum::http::HeaderMap) {
        let csrf = server::auth::csrf_for(token);
        let req = Request::builder()
            .method("POST")
            .uri(uri)
            .header("cookie", format!("sl_session={token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}&{fields}")))
            .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        (res.status(), res.headers().clone())
    }

    /// One request with extra headers.
    pub async fn raw_with(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b)),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, headers, bytes)
    }
}

/// One argon2id hash of [`PASSWORD`] for every test user (hashing is deliberately slow).
pub fn hash() -> String {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| server::auth::hash_password(PASSWORD))
        .clone()
}

pub fn enterprise(name: &str, uscc: &str) -> Record {
    let mut o = Organization::new(OrgKind::Enterprise, name);
    o.uscc = Some(uscc.parse().unwrap());
    o.region = model::Region::lookup("渝北区");
    o.products = vec!["动力电池".into()];
    Record::Organization(o)
}

pub fn demand(owner: &str, title: &str, problem: &str, level: Confidentiality) -> Record {
    let mut d = Demand::new(owner, title, problem);
    d.confidentiality = level;
    Record::Demand(d)
}

/// Valid USCCs for test organizations (check characters computed by the model).
pub fn uscc(n: usize) -> String {
    let first17 = format!("91500000MA{:07}", n);
    let c = model::Uscc::check_char(&first17).expect("a valid body");
    format!("{first17}{c}")
}

/// Percent-encodes a query value (every byte outside `A–Z a–z 0–9 - _ .`).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An enterprise profile for the tier and credit engines: three years of figures that make a
/// healthy tech SME (R&D about 6 % of revenue, 30 % S&T staff, one class I and six class II IP).
pub fn tier_profile(uscc: &str, name: &str) -> serde_json::Value {
    let year = |y: i32, rev: f64, rd: f64| {
        serde_json::json!({"year": y, "revenue": rev, "main_revenue": rev * 0.9, "high_tech_revenue": rev * 0.7,
               "rd_expense": rd, "rd_expense_domestic": rd, "total_cost": rev * 0.85,
               "net_assets": rev * 0.4, "total_assets": rev * 0.8, "total_liabilities": rev * 0.4,
               "net_profit": rev * 0.08, "equity_financing": 0})
    };
    serde_json::json!({
        "uscc": uscc, "name": name, "registered_on": "2019-03-01",
        "employees": 120, "st_staff": 36, "rd_staff": 24,
        "financials": [year(2023, 3.0e7, 1.8e6), year(2024, 3.6e7, 2.1e6), year(2025, 4.2e7, 2.6e6)],
        "ip": {"class1": 1, "class1_self_developed": 1, "class1_high_value": 0, "class2": 6},
        "qualifications": [], "rd_institution_level": "municipal"
    })
}
