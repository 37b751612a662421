use std::fmt;
use std::path::{Path, PathBuf};

/// Where the store lives: an SQLite file (embedded default) or a PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    /// `schema` isolates one deployment (or one test) inside a shared database.
    Postgres {
        url: String,
        schema: Option<String>,
    },
}

impl Target {
    /// The database file inside a data directory.
    pub const SQLITE_FILE: &'static str = "shuanglian.db";

    /// Chooses the store from the `--database-url` (or env) value, else the data directory.
    /// Accepts `postgres://…`, `postgresql://…` and `sqlite://PATH`.
    pub fn resolve(data_dir: &Path, database_url: Option<&str>) -> Result<Target, String> {
        match database_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(Target::Sqlite(data_dir.join(Self::SQLITE_FILE))),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Target::Postgres {
                    url: url.to_string(),
                    schema: None,
                })
            }
            Some(url) => match url.strip_prefix("sqlite://") {
                Some(path) => Ok(Target::Sqlite(PathBuf::from(path))),
                None => Err(format!(
                    "database URL '{url}' is not supported: use postgres://USER@HOST:PORT/DB, \
                     sqlite://PATH, or leave it unset to use the data directory"
                )),
            },
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            Target::Postgres { url, schema } => {
                // Never print a password.
                let shown = match (url.find("://"), url.rfind('@')) {
                    (Some(s), Some(at)) if at > s => {
                        let creds = &url[s + 3..at];
                        let user = creds.split(':').next().unwrap_or("");
                        format!("{}{}@{}", &url[..s + 3], user, &url[at + 1..])
                    }
                    _ => url.clone(),
                };
                match schema {
                    Some(s) => write!(f, "{shown} (schema {s})"),
                    None => f.write_str(&shown),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_urls_and_hides_passwords() {
        let t = Target::resolve(Path::new("d"), None).unwrap();
        assert_eq!(t, Target::Sqlite(PathBuf::from("d/shuanglian.db")));
        let t = Target::resolve(Path::new("d"), Some("postgres://u:secret@h:5432/db")).unwrap();
        assert_eq!(t.to_string(), "postgres://u@h:5432/db");
        assert!(Target::resolve(Path::new("d"), Some("mysql://x"))
            .unwrap_err()
            .contains("not supported"));
    }
}
