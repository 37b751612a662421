use model::RecordKind;

/// Parses a record kind from the command line: singular, plural or Chinese.
pub fn parse_kind(s: &str) -> Result<RecordKind, String> {
    let k = s.trim().to_lowercase();
    Ok(match k.as_str() {
        "organization" | "organizations" | "org" | "orgs" | "organisation" | "机构" | "单位" => {
            RecordKind::Organization
        }
        "person" | "persons" | "people" | "expert" | "experts" | "专家" | "人员" => {
            RecordKind::Person
        }
        "outcome" | "outcomes" | "成果" => RecordKind::Outcome,
        "demand" | "demands" | "need" | "needs" | "需求" => RecordKind::Demand,
        _ => {
            return Err(format!(
                "unknown kind '{s}': use organization, person, outcome or demand"
            ))
        }
    })
}
