//! Evidence files (milestone reports, market records): kept under the data directory by their
//! SHA-256, typed by their content (never by their name), capped in size, and handed only to those
//! with the right — the team that filed them, the poster, the end user and the operators.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use store::{ChallengeOp, EvidenceRow};

use super::{written, Board, ChallengeView};
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// Most evidence files one challenge holds (each up to the settings' size).
pub const MAX_FILES: usize = 500;

/// The type of a file by its first bytes (`None`: not a type evidence may have).
pub fn sniff(name: &str, bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) {
        Some(if name.to_lowercase().ends_with(".csv") {
            "text/csv"
        } else {
            "text/plain"
        })
    } else {
        None
    }
}

/// A file name fit to show and to send back: no path, no control characters, at most 120 characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let s: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ';'))
        .take(120)
        .collect();
    if s.trim().is_empty() {
        "evidence".into()
    } else {
        s.trim().to_string()
    }
}

impl Board {
    fn evidence_path(&self, sha: &str) -> Result<PathBuf> {
        let Some(dir) = &self.evidence_dir else {
            return Err(EngineError::Setup(
                "no data directory for evidence files".into(),
            ));
        };
        Ok(dir.join(&sha[..2]).join(sha))
    }

    /// Attaches a file to a milestone (its team's lead) or to a market record (operators, end user).
    pub async fn add_evidence(
        &self,
        actor: &Actor,
        id: i64,
        milestone: Option<i64>,
        market_months: Option<i64>,
        name: &str,
        bytes: &[u8],
    ) -> Result<ChallengeView> {
        let c = self.challenge_for(Some(actor), id).await?;
        let parties = self.parties(Some(actor), &c);
        let file = self.store.challenge_file(id).await?;
        if bytes.is_empty() || bytes.len() > self.settings.evidence_max_bytes {
            return Err(EngineError::Input(format!(
                "file: give a file of 1 byte to {} bytes",
                self.settings.evidence_max_bytes
            )));
        }
        let name = clean_name(name);
        let Some(mime) =
            sniff(&name, bytes).filter(|m| self.settings.evidence_types.iter().any(|t| t == m))
        else {
            return Err(EngineError::Input(format!(
                "file: {name} is not one of the accepted types ({}); convert it to PDF",
                self.settings.evidence_types.join(", ")
            )));
        };
        let (application_id, market_id, stages) = match (milestone, market_months) {
            (Some(m), None) => {
                let ms = file.milestones.iter().find(|x| x.id == m).ok_or_else(|| {
                    EngineError::NotFound(format!("no milestone #{m} on this challenge"))
                })?;
                let a = file.applications.iter().find(|a| a.id == ms.application_id);
                if a.map(|a| a.lead_org) != actor.org || actor.org.is_none() {
                    return Err(EngineError::Forbidden(
                        "the winning team's lead files its milestone evidence".into(),
                    ));
                }
                (
                    Some(ms.application_id),
                    None,
                    vec!["contracted".to_string(), "in_progress".into()],
                )
            }
            (None, Some(months)) => {
                if !parties.contains("operator") && !parties.contains("end_user") {
                    return Err(EngineError::Forbidden(
                        "market evidence is filed by the operators or the end user".into(),
                    ));
                }
                let rec = file
                    .market
                    .iter()
                    .find(|r| r.months == months)
                    .ok_or_else(|| {
                        EngineError::NotFound(format!("no market record at {months} months"))
                    })?;
                (
                    None,
                    Some(rec.id),
                    vec!["accepted".to_string(), "market_graded".into()],
                )
            }
            _ => {
                return Err(EngineError::Input(
                    "give milestone_id or market_months (one of them)".into(),
                ))
            }
        };
        // Refused before anything is written to disk: the stage, a stopped team, the cap.
        if !stages.contains(&c.stage) {
            return Err(EngineError::Conflict(format!(
                "evidence is filed while the work or the market grading runs; the challenge is at `{}`",
                c.stage
            )));
        }
        if let Some(app) = application_id {
            let active = file
                .applications
                .iter()
                .any(|a| a.id == app && a.result.as_deref() == Some("winner"));
            if !active {
                return Err(EngineError::Conflict("this team was stopped".into()));
            }
        }
        if file.evidence.len() >= MAX_FILES {
            return Err(EngineError::Limited(format!(
                "a challenge holds at most {MAX_FILES} evidence files"
            )));
        }
        let sha = format!("{:x}", Sha256::digest(bytes));
        let path = self.evidence_path(&sha)?;
        if !path.exists() {
            let dir = path.parent().expect("evidence path has a folder");
            let io = |e: std::io::Error| EngineError::Io {
                path: dir.display().to_string(),
                source: e,
            };
            std::fs::create_dir_all(dir).map_err(io)?;
            let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
            std::io::Write::write_all(&mut tmp, bytes).map_err(io)?;
            tmp.persist(&path).map_err(|e| io(e.error))?;
        }
        let w = self
            .change(
                actor,
                id,
                stages,
                ChallengeOp::Evidence {
                    application_id,
                    milestone_id: milestone,
                    market_id,
                    sha256: sha.clone(),
                    name: name.clone(),
                    mime: mime.into(),
                    size: bytes.len() as i64,
                    by: actor.user_id,
                },
                ("evidence_add", format!("{name} sha256 {sha}")),
                vec![],
            )
            .await?;
        written(w, id, "filing evidence")?;
        self.show(Some(actor), id).await
    }

    /// An evidence file for a reader with the right; "not found" for anyone else, alike.
    pub async fn evidence_file(
        &self,
        actor: Option<&Actor>,
        evidence: i64,
    ) -> Result<(EvidenceRow, Vec<u8>)> {
        let missing = || EngineError::NotFound(format!("no evidence file #{evidence}"));
        let e = self.store.evidence(evidence).await?.ok_or_else(missing)?;
        let c = self
            .challenge_for(actor, e.challenge_id)
            .await
            .map_err(|_| missing())?;
        let parties = self.parties(actor, &c);
        let file = self.store.challenge_file(c.id).await?;
        let team = e
            .application_id
            .and_then(|a| file.applications.iter().find(|x| x.id == a))
            .map(|a| Self::orgs_of(&file, a))
            .unwrap_or_default();
        let mine = actor.and_then(|a| a.org).is_some_and(|o| team.contains(&o));
        if !(parties.contains("operator")
            || parties.contains("poster")
            || parties.contains("end_user")
            || mine)
        {
            return Err(missing());
        }
        let path = self.evidence_path(&e.sha256)?;
        let bytes = std::fs::read(&path).map_err(|source| EngineError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok((e, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_content_and_names_are_cleaned() {
        assert_eq!(sniff("a.txt", b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(sniff("a.pdf", b"hello"), Some("text/plain"));
        assert_eq!(sniff("m.csv", b"a,b\n1,2\n"), Some("text/csv"));
        assert_eq!(sniff("x.exe", b"MZ\x90\x00\x03"), None);
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b;c<d>.pdf"), "abcd.pdf");
        assert_eq!(clean_name("\u{7}"), "evidence");
    }
}
