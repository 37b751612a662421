//! Reviewer conflicts of interest (回避). A reviewer is conflicted with an application when they
//! belong to the applicant's organization or any consortium member's, when they co-authored an
//! outcome with a member of the applicant's team, when their organization had an engagement or
//! contract with one of the applicant's organizations in the last years (settings.toml), or when
//! they declared a recusal. Each conflict names its reason, so the refusal can say it.

use std::collections::HashSet;

use crate::fold_name;

/// What is known of a reviewer.
#[derive(Debug, Clone, Default)]
pub struct ReviewerFacts {
    pub name: String,
    /// The organization of the reviewer's account, and any registry organization their affiliation names.
    pub org_ids: Vec<i64>,
    /// The affiliation as written in the expert registry.
    pub affiliation: Option<String>,
    /// Outcome author lists the reviewer is on (each a list of names).
    pub coauthor_lists: Vec<Vec<String>>,
    /// Organizations the reviewer's organizations dealt with (engagement or contract) within the window.
    pub recent_partners: HashSet<i64>,
    /// The reviewer declared a recusal for this challenge (with this reason).
    pub recusal: Option<String>,
}

/// What is known of one applying side (the lead and each consortium member).
#[derive(Debug, Clone, Default)]
pub struct Party {
    pub org_ids: Vec<i64>,
    pub org_names: Vec<String>,
    /// Names of the team's persons.
    pub team: Vec<String>,
}

/// One reason a reviewer may not review an application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    /// `same_org`, `coauthor`, `recent_deal`, `recused`.
    pub reason: String,
    /// What it concerns: the organization, the co-author's name, the declared reason.
    pub detail: String,
}

/// Every conflict between a reviewer and an applying side (empty: none).
pub fn conflicts_of(r: &ReviewerFacts, p: &Party) -> Vec<Conflict> {
    let mut out = vec![];
    if let Some(why) = &r.recusal {
        out.push(Conflict {
            reason: "recused".into(),
            detail: why.clone(),
        });
    }
    let names: Vec<String> = p.org_names.iter().map(|n| fold_name(n)).collect();
    let same_id = p.org_ids.iter().position(|o| r.org_ids.contains(o));
    let same_name = r
        .affiliation
        .as_deref()
        .map(fold_name)
        .filter(|a| !a.is_empty())
        .and_then(|a| names.iter().position(|n| *n == a));
    if let Some(i) = same_id.or(same_name) {
        out.push(Conflict {
            reason: "same_org".into(),
            detail: p.org_names.get(i).cloned().unwrap_or_default(),
        });
    }
    let me = fold_name(&r.name);
    let team: Vec<(String, &String)> = p.team.iter().map(|t| (fold_name(t), t)).collect();
    'lists: for list in &r.coauthor_lists {
        let folded: Vec<String> = list.iter().map(|n| fold_name(n)).collect();
        if !folded.contains(&me) {
            continue;
        }
        for (t, shown) in &team {
            if *t != me && folded.contains(t) {
                out.push(Conflict {
                    reason: "coauthor".into(),
                    detail: (*shown).clone(),
                });
                break 'lists;
            }
        }
    }
    if let Some(i) = p.org_ids.iter().position(|o| r.recent_partners.contains(o)) {
        out.push(Conflict {
            reason: "recent_deal".into(),
            detail: p.org_names.get(i).cloned().unwrap_or_default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applicant() -> Party {
        Party {
            org_ids: vec![10, 11],
            org_names: vec!["重庆大学".into(), "长安汽车".into()],
            team: vec!["王芳".into(), "Li Wei".into()],
        }
    }

    #[test]
    fn a_stranger_is_clear() {
        let r = ReviewerFacts {
            name: "赵强".into(),
            org_ids: vec![20],
            affiliation: Some("西南大学".into()),
            coauthor_lists: vec![vec!["赵强".into(), "陈明".into()]],
            recent_partners: [30].into(),
            recusal: None,
        };
        assert!(conflicts_of(&r, &applicant()).is_empty());
    }

    #[test]
    fn each_reason_is_found_and_named() {
        let base = ReviewerFacts {
            name: "赵强".into(),
            ..Default::default()
        };
        let by_id = ReviewerFacts {
            org_ids: vec![11],
            ..base.clone()
        };
        assert_eq!(
            conflicts_of(&by_id, &applicant()),
            vec![Conflict {
                reason: "same_org".into(),
                detail: "长安汽车".into()
            }]
        );
        let by_name = ReviewerFacts {
            affiliation: Some(" 重庆 大学".into()),
            ..base.clone()
        };
        assert_eq!(conflicts_of(&by_name, &applicant())[0].detail, "重庆大学");
        let coauthor = ReviewerFacts {
            coauthor_lists: vec![vec!["li wei".into(), "赵强".into()]],
            ..base.clone()
        };
        let c = conflicts_of(&coauthor, &applicant());
        assert_eq!(
            (c[0].reason.as_str(), c[0].detail.as_str()),
            ("coauthor", "Li Wei")
        );
        let deal = ReviewerFacts {
            recent_partners: [10].into(),
            ..base.clone()
        };
        assert_eq!(conflicts_of(&deal, &applicant())[0].reason, "recent_deal");
        let recused = ReviewerFacts {
            recusal: Some("former student".into()),
            ..base
        };
        assert_eq!(conflicts_of(&recused, &applicant())[0].reason, "recused");
    }

    #[test]
    fn being_on_a_list_without_the_team_is_no_conflict() {
        let r = ReviewerFacts {
            name: "赵强".into(),
            coauthor_lists: vec![vec!["赵强".into()], vec!["王芳".into(), "陈明".into()]],
            ..Default::default()
        };
        assert!(conflicts_of(&r, &applicant()).is_empty());
    }
}
