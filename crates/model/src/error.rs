use std::fmt;

/// A problem with one field of one record: what is wrong and how to fix it.
///
/// Import reports add the file and line; the model only knows the field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Canonical field name (`uscc`, `trl`, …).
    pub field: String,
    /// The offending value as given, trimmed and cut to a readable length.
    pub value: String,
    /// What is wrong and what to do about it.
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &str, value: &str, reason: impl Into<String>) -> Self {
        let value: String = value.trim().chars().take(80).collect();
        FieldError {
            field: field.to_string(),
            value,
            reason: reason.into(),
        }
    }

    /// A required field that is missing or blank.
    pub fn missing(field: &str) -> Self {
        FieldError::new(field, "", format!("{field} is required: fill it in"))
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}: {}", self.field, self.reason)
        } else {
            write!(f, "{} = '{}': {}", self.field, self.value, self.reason)
        }
    }
}

impl std::error::Error for FieldError {}
