//! The review's arithmetic. A scoring form lists weighted criteria; each reviewer fills one sheet per
//! application; an application's result is the weighted mean of its criterion means, scaled to 100,
//! where a criterion's mean drops its highest and lowest score once enough reviewers scored
//! (去掉一个最高分和一个最低分). Results are kept in hundredths of a point (integers), so two equal
//! results are equal and a tie is a tie, not a rounding accident.

use std::collections::{BTreeMap, HashSet};

use crate::DataError;

/// One criterion of a scoring form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// A code (`technical_route` …); its words are in the i18n data, or `label` for a custom form.
    pub code: String,
    /// Relative weight, 1–100.
    pub weight: u32,
    /// Highest score, 1–100 (scores are whole numbers from 0).
    pub max: u32,
    /// The criterion's words when it is not one of the shipped codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A scoring form (评审表).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub criteria: Vec<Criterion>,
}

impl Form {
    pub fn load(file: &str, text: &str) -> Result<Form, DataError> {
        let f: Form = toml::from_str(text).map_err(|e| DataError {
            file: file.into(),
            message: e.to_string(),
        })?;
        f.check().map_err(|message| DataError {
            file: file.into(),
            message,
        })?;
        Ok(f)
    }

    /// Whether the form can be used: 1–12 criteria with distinct codes, weights and maxima 1–100.
    pub fn check(&self) -> Result<(), String> {
        if self.criteria.is_empty() || self.criteria.len() > 12 {
            return Err("a scoring form has 1 to 12 criteria".into());
        }
        let mut seen = HashSet::new();
        for c in &self.criteria {
            if c.code.trim().is_empty() || c.code.len() > 60 || !seen.insert(c.code.as_str()) {
                return Err(format!(
                    "criterion `{}`: give each criterion a distinct code of at most 60 characters",
                    c.code
                ));
            }
            if !(1..=100).contains(&c.weight) || !(1..=100).contains(&c.max) {
                return Err(format!(
                    "criterion `{}`: weight and max must each be 1 to 100",
                    c.code
                ));
            }
            if c.label.as_ref().is_some_and(|l| l.chars().count() > 100) {
                return Err(format!(
                    "criterion `{}`: a label has at most 100 characters",
                    c.code
                ));
            }
        }
        Ok(())
    }

    /// Whether a sheet scores every criterion within its range (and nothing else).
    pub fn check_sheet(&self, sheet: &Sheet) -> Result<(), String> {
        for c in &self.criteria {
            match sheet.get(&c.code) {
                None => return Err(format!("score `{}` is missing", c.code)),
                Some(&s) if s > c.max => {
                    return Err(format!("score `{}`: give 0 to {}", c.code, c.max))
                }
                Some(_) => {}
            }
        }
        if let Some(k) = sheet
            .keys()
            .find(|k| !self.criteria.iter().any(|c| &c.code == *k))
        {
            return Err(format!("`{k}` is not a criterion of this form"));
        }
        Ok(())
    }
}

/// One reviewer's scores for one application: criterion code → score.
pub type Sheet = BTreeMap<String, u32>;

/// An application's result: hundredths of a point out of 100, and each criterion's (trimmed) mean
/// in hundredths of its own scale — the structured feedback every applicant receives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Standing {
    pub total_centi: i64,
    pub per_criterion: Vec<(String, i64)>,
    /// Whether the highest and lowest scores were dropped.
    pub trimmed: bool,
    pub sheets: usize,
}

/// The result of the sheets one application received (`None`: no sheet yet).
pub fn result_of(form: &Form, sheets: &[Sheet], trim_from: usize) -> Option<Standing> {
    if sheets.is_empty() {
        return None;
    }
    let trimmed = sheets.len() >= trim_from;
    let mut weighted = 0.0;
    let mut weights = 0.0;
    let mut per = vec![];
    for c in &form.criteria {
        let mut scores: Vec<u32> = sheets
            .iter()
            .filter_map(|s| s.get(&c.code))
            .copied()
            .collect();
        if scores.is_empty() {
            continue;
        }
        scores.sort_unstable();
        let kept = if trimmed && scores.len() >= 3 {
            &scores[1..scores.len() - 1]
        } else {
            &scores[..]
        };
        let mean = kept.iter().map(|&s| f64::from(s)).sum::<f64>() / kept.len() as f64;
        per.push((c.code.clone(), (mean * 100.0).round() as i64));
        weighted += f64::from(c.weight) * mean / f64::from(c.max);
        weights += f64::from(c.weight);
    }
    let total = if weights > 0.0 {
        weighted / weights * 100.0
    } else {
        0.0
    };
    Some(Standing {
        total_centi: (total * 100.0).round() as i64,
        per_criterion: per,
        trimmed,
        sheets: sheets.len(),
    })
}

/// An application's place: 1 for the best; equal results share a place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ranked {
    pub application_id: i64,
    pub total_centi: i64,
    pub place: usize,
}

/// Ranks results, best first (equal results share a place; order among them by id, for a stable page).
pub fn rank(results: &[(i64, i64)]) -> Vec<Ranked> {
    let mut v = results.to_vec();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out: Vec<Ranked> = Vec::with_capacity(v.len());
    for (i, (id, total)) in v.into_iter().enumerate() {
        let place = match out.last() {
            Some(prev) if prev.total_centi == total => prev.place,
            _ => i + 1,
        };
        out.push(Ranked {
            application_id: id,
            total_centi: total,
            place,
        });
    }
    out
}

/// The winners of a horse race of up to `k` teams. Without `named`, the top `k` — refused, naming
/// the tied applications, when a tie straddles the cut. With `named`, the operator's choice: at most
/// `k`, all ranked, and never passing over a better result for a worse one (only a tie is a choice).
pub fn choose_winners(
    ranking: &[Ranked],
    k: usize,
    named: Option<&[i64]>,
) -> Result<Vec<i64>, String> {
    if k == 0 {
        return Err("the challenge allows no winner".into());
    }
    match named {
        None => {
            if ranking.is_empty() {
                return Err("no application has a result yet".into());
            }
            if ranking.len() > k && ranking[k].total_centi == ranking[k - 1].total_centi {
                let tied: Vec<String> = ranking
                    .iter()
                    .filter(|r| r.total_centi == ranking[k - 1].total_centi)
                    .map(|r| format!("#{}", r.application_id))
                    .collect();
                return Err(format!(
                    "applications {} are tied at the cut of {k}: name the winners explicitly",
                    tied.join(", ")
                ));
            }
            Ok(ranking.iter().take(k).map(|r| r.application_id).collect())
        }
        Some(named) => {
            if named.is_empty() || named.len() > k {
                return Err(format!("name 1 to {k} winners"));
            }
            let mut seen = HashSet::new();
            let mut lowest_named = i64::MAX;
            for id in named {
                let r = ranking
                    .iter()
                    .find(|r| r.application_id == *id)
                    .ok_or_else(|| format!("application #{id} has no result in this review"))?;
                if !seen.insert(*id) {
                    return Err(format!("application #{id} is named twice"));
                }
                lowest_named = lowest_named.min(r.total_centi);
            }
            if let Some(passed) = ranking
                .iter()
                .find(|r| !seen.contains(&r.application_id) && r.total_centi > lowest_named)
            {
                return Err(format!(
                    "application #{} scored higher than a named winner: only a tie is the operator's choice",
                    passed.application_id
                ));
            }
            Ok(named.to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form::load("t", crate::DEFAULT_FORM).unwrap()
    }

    fn sheet(v: [u32; 5]) -> Sheet {
        let codes = [
            "technical_route",
            "target_fit",
            "team",
            "budget_plan",
            "pledge",
        ];
        codes.iter().map(|c| c.to_string()).zip(v).collect()
    }

    #[test]
    fn full_marks_are_100_and_trim_needs_five() {
        let f = form();
        let r = result_of(&f, &[sheet([10; 5])], 5).unwrap();
        assert_eq!(r.total_centi, 10_000);
        // Four sheets: no trim; 10,10,10,2 on every criterion → mean 8.0 → 80.
        let four = vec![
            sheet([10; 5]),
            sheet([10; 5]),
            sheet([10; 5]),
            sheet([2; 5]),
        ];
        let r = result_of(&f, &four, 5).unwrap();
        assert!(!r.trimmed);
        assert_eq!(r.total_centi, 8_000);
        // Five: the 2 and one 10 are dropped → 10 → 100.
        let mut five = four.clone();
        five.push(sheet([10; 5]));
        let r = result_of(&f, &five, 5).unwrap();
        assert!(r.trimmed);
        assert_eq!(r.total_centi, 10_000);
    }

    #[test]
    fn weights_apply() {
        let f = form();
        // Only the technical route (weight 35) full: 35.
        let r = result_of(&f, &[sheet([10, 0, 0, 0, 0])], 5).unwrap();
        assert_eq!(r.total_centi, 3_500);
        assert_eq!(r.per_criterion[0], ("technical_route".into(), 1_000));
    }

    #[test]
    fn sheets_are_checked() {
        let f = form();
        assert!(f.check_sheet(&sheet([10; 5])).is_ok());
        assert!(f.check_sheet(&sheet([11, 1, 1, 1, 1])).is_err());
        let mut s = sheet([1; 5]);
        s.remove("team");
        assert!(f.check_sheet(&s).unwrap_err().contains("team"));
        let mut s = sheet([1; 5]);
        s.insert("charm".into(), 3);
        assert!(f.check_sheet(&s).is_err());
    }

    #[test]
    fn ties_share_a_place_and_block_the_cut() {
        let r = rank(&[(1, 9000), (2, 8000), (3, 8000), (4, 7000)]);
        assert_eq!(
            r.iter().map(|r| r.place).collect::<Vec<_>>(),
            vec![1, 2, 2, 4]
        );
        assert_eq!(choose_winners(&r, 1, None).unwrap(), vec![1]);
        assert_eq!(choose_winners(&r, 3, None).unwrap(), vec![1, 2, 3]);
        let e = choose_winners(&r, 2, None).unwrap_err();
        assert!(e.contains("#2") && e.contains("#3"), "{e}");
        // The operator settles the tie…
        assert_eq!(choose_winners(&r, 2, Some(&[1, 3])).unwrap(), vec![1, 3]);
        // …but may not pass over a better result.
        assert!(choose_winners(&r, 2, Some(&[2, 3])).is_err());
        assert!(choose_winners(&r, 2, Some(&[1, 4])).is_err());
        assert!(choose_winners(&r, 2, Some(&[1, 2, 3])).is_err());
        assert!(choose_winners(&r, 2, Some(&[1, 1])).is_err());
        assert!(choose_winners(&r, 2, Some(&[99])).is_err());
    }
}
