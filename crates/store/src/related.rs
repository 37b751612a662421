//! What a detail page shows beside a record: an organization's outcomes and people, a person's
//! outcomes. Public records only (outcomes and people are public; demands go through passes).

use model::RecordKind;

use crate::{dispatch, stored_from_row, Result, Store, Stored};

/// `s` as a LIKE pattern that matches it literally inside a JSON document, quoted as JSON writes
/// a string (`"name"`), with LIKE's wildcards escaped by `!`.
fn json_string_pattern(s: &str) -> String {
    let quoted = serde_json::to_string(s).expect("a string serialises");
    let escaped: String = quoted
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '!' => vec!['!', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

impl Store {
    /// Up to `limit` outcomes owned by the organization with this USCC or naming `name` among
    /// their owners, newest first, and how many there are in all.
    pub async fn outcomes_owned_by(
        &self,
        name: &str,
        uscc: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<Stored>, i64)> {
        let pattern = json_string_pattern(name);
        let cond = "(owner_uscc = $1 OR doc LIKE $2 ESCAPE '!')";
        let sql = format!(
            "SELECT id, doc, created_at, updated_at FROM outcomes WHERE {cond} \
             ORDER BY COALESCE(year, 0) DESC, id DESC LIMIT $3"
        );
        let count = format!("SELECT COUNT(*) FROM outcomes WHERE {cond}");
        let u = uscc.unwrap_or("");
        dispatch!(self, pool => {
            let rows = sqlx::query(&sql).bind(u).bind(&pattern).bind(limit).fetch_all(pool).await?;
            let n: i64 = sqlx::query_scalar(&count).bind(u).bind(&pattern).fetch_one(pool).await?;
            let items = rows
                .iter()
                .map(|r| stored_from_row(RecordKind::Outcome, r))
                .collect::<Result<Vec<_>>>()?;
            Ok((items, n))
        })
    }

    /// Up to `limit` experts and researchers whose affiliation is `name`, and how many in all.
    pub async fn people_of(&self, name: &str, limit: i64) -> Result<(Vec<Stored>, i64)> {
        let cond = "affiliation = $1 AND kind <> 'broker'";
        let sql = format!(
            "SELECT id, doc, created_at, updated_at FROM persons WHERE {cond} ORDER BY name LIMIT $2"
        );
        let count = format!("SELECT COUNT(*) FROM persons WHERE {cond}");
        dispatch!(self, pool => {
            let rows = sqlx::query(&sql).bind(name).bind(limit).fetch_all(pool).await?;
            let n: i64 = sqlx::query_scalar(&count).bind(name).fetch_one(pool).await?;
            let items = rows
                .iter()
                .map(|r| stored_from_row(RecordKind::Person, r))
                .collect::<Result<Vec<_>>>()?;
            Ok((items, n))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::json_string_pattern;

    #[test]
    fn names_are_matched_literally() {
        assert_eq!(json_string_pattern("重庆大学"), "%\"重庆大学\"%");
        assert_eq!(json_string_pattern("a_b%"), "%\"a!_b!%\"%");
        assert_eq!(json_string_pattern("x\"y"), "%\"x\\\"y\"%");
    }
}
