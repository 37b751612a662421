use model::FieldError;
use std::path::Path;

/// A rejected row: where, which field, and why.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub file: String,
    pub line: usize,
    /// The field as the user named it (their header, with the canonical name when different).
    pub column: String,
    pub error: FieldError,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.column)?;
        if !self.error.value.is_empty() {
            write!(f, " = '{}'", self.error.value)?;
        }
        write!(f, ": {}", self.error.reason)
    }
}

/// Writes rejections as CSV (UTF-8 with BOM so Excel opens Chinese text correctly).
pub fn write_report_csv(path: &Path, rejections: &[Rejection]) -> std::io::Result<()> {
    let mut out = Vec::from(&b"\xEF\xBB\xBF"[..]);
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(["file", "line", "field", "value", "reason"])?;
        for r in rejections {
            w.write_record([
                r.file.as_str(),
                &r.line.to_string(),
                r.column.as_str(),
                r.error.value.as_str(),
                r.error.reason.as_str(),
            ])?;
        }
        w.flush()?;
    }
    std::fs::write(path, out)
}
