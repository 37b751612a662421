//! The one error shape of the API: `{ "error": { "code", "message" } }` with the right HTTP status.
//! Internal failures are logged with their detail and answered with a generic message, so no stack
//! trace, SQL or file path reaches a client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

tokio::task_local! {
    /// The id of the request being served (set by the request middleware).
    pub static REQUEST_ID: String;
}

/// A new request id: 16 hex characters.
pub fn new_request_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Every error code the API answers with: a stable machine string and its HTTP status, in one place
/// (the table in docs/api.md lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidInput,
    InvalidJson,
    InvalidRecord,
    TooLong,
    OverBudget,
    Unauthorized,
    Forbidden,
    NotYourOrganization,
    NotFound,
    MethodNotAllowed,
    Duplicate,
    Conflict,
    TooLarge,
    UnsupportedMediaType,
    RateLimited,
    Busy,
    Internal,
}

impl Code {
    pub const ALL: [Code; 17] = [
        Code::InvalidInput,
        Code::InvalidJson,
        Code::InvalidRecord,
        Code::TooLong,
        Code::OverBudget,
        Code::Unauthorized,
        Code::Forbidden,
        Code::NotYourOrganization,
        Code::NotFound,
        Code::MethodNotAllowed,
        Code::Duplicate,
        Code::Conflict,
        Code::TooLarge,
        Code::UnsupportedMediaType,
        Code::RateLimited,
        Code::Busy,
        Code::Internal,
    ];

    /// The code as clients read it.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidInput => "invalid_input",
            Code::InvalidJson => "invalid_json",
            Code::InvalidRecord => "invalid_record",
            Code::TooLong => "too_long",
            Code::OverBudget => "over_budget",
            Code::Unauthorized => "unauthorized",
            Code::Forbidden => "forbidden",
            Code::NotYourOrganization => "not_your_organization",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::Duplicate => "duplicate",
            Code::Conflict => "conflict",
            Code::TooLarge => "too_large",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::RateLimited => "rate_limited",
            Code::Busy => "busy",
            Code::Internal => "internal",
        }
    }

    /// The HTTP status it is answered with.
    pub fn status(self) -> StatusCode {
        match self {
            Code::InvalidInput => StatusCode::BAD_REQUEST,
            Code::InvalidJson | Code::InvalidRecord | Code::TooLong | Code::OverBudget => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Forbidden | Code::NotYourOrganization => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Code::Duplicate | Code::Conflict => StatusCode::CONFLICT,
            Code::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Code::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Code::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An API error: a status, a stable machine code and a message for people.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
    /// Seconds the client should wait before trying again (429 and 503), sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

/// The body of every error answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `not_found`, `invalid_input`, `unauthorized`.
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            status: code.status(),
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    /// Adds the `Retry-After` seconds.
    pub fn retry_after(mut self, secs: u64) -> ApiError {
        self.retry_after = Some(secs.max(1));
        self
    }
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::InvalidInput, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::NotFound, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::Unauthorized, message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::Forbidden, message)
    }
    /// The store was busy and nothing was written: the client may send the same request again.
    pub fn busy() -> ApiError {
        ApiError::new(
            Code::Busy,
            "the server is busy and wrote nothing; try again in a moment",
        )
    }
    /// Logs the cause and answers 500 with a message that gives nothing away but the request id
    /// under which the cause is logged.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error");
        let id = REQUEST_ID.try_with(|id| id.clone()).unwrap_or_default();
        let suffix = if id.is_empty() {
            String::new()
        } else {
            format!(" (request id {id})")
        };
        ApiError::new(
            Code::Internal,
            format!("the server could not complete the request; it has been logged{suffix}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str().to_string(),
                message: self.message,
            },
        };
        let retry = self.retry_after.or_else(|| {
            matches!(
                self.status,
                StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
            )
            .then_some(1)
        });
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = retry {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        r
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> ApiError {
        if e.is_busy() {
            tracing::warn!(error = %e, "store busy; answered 503");
            return ApiError::busy();
        }
        ApiError::internal(e)
    }
}

impl From<engine::EngineError> for ApiError {
    fn from(e: engine::EngineError) -> ApiError {
        match e {
            engine::EngineError::Input(m) => ApiError::invalid(m),
            engine::EngineError::NotFound(m) => ApiError::not_found(m),
            engine::EngineError::Forbidden(m) => ApiError::new(Code::Forbidden, m),
            engine::EngineError::Conflict(m) => ApiError::new(Code::Conflict, m),
            engine::EngineError::Limited(m) => {
                let mut e = ApiError::new(Code::RateLimited, m);
                e.retry_after = Some(3600);
                e
            }
            engine::EngineError::Store(s) => ApiError::from(s),
            other => ApiError::internal(other),
        }
    }
}

impl From<search::lexical::LexicalError> for ApiError {
    fn from(e: search::lexical::LexicalError) -> ApiError {
        ApiError::internal(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented_with_its_status() {
        let doc = include_str!("../../../docs/api.md");
        for c in Code::ALL {
            let entry = format!("| `{}` | {} |", c.as_str(), c.status().as_u16());
            assert!(doc.contains(&entry), "docs/api.md does not list {entry}");
        }
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len(), "codes are distinct");
    }
}
