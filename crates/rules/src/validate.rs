//! Checks a scheme as a whole: ids, metrics, operators, band order, block sums and references, and a
//! source and status on every top-level criterion.

use std::collections::HashSet;

use crate::scheme::{Indicator, Scheme, Test};

/// The metrics the evaluation computes from an enterprise profile (`data/rules/README.md`).
pub const METRICS: &[&str] = &[
    "employees",
    "st_staff_ratio",
    "rd_staff_ratio",
    "years_registered",
    "revenue_last_year",
    "total_assets_last_year",
    "rd_expense_last_year",
    "rd_expense_avg_2y",
    "rd_ratio_last_year",
    "rd_ratio_3y",
    "rd_domestic_share_3y",
    "rd_to_total_cost_last_year",
    "high_tech_revenue_share",
    "main_revenue_share",
    "main_revenue_growth_last_year",
    "main_revenue_growth_avg_2y",
    "debt_ratio_last_year",
    "net_margin_last_year",
    "net_asset_growth_hte",
    "sales_growth_hte",
    "equity_financing_2y",
    "equity_financing_3y",
    "ip_class1",
    "ip_class1_self_developed",
    "ip_class1_high_value",
    "ip_class2",
    "has_hte",
    "prohibited_industry",
    "major_accident",
    "serious_violation",
    "abnormal_operation",
    "serious_dishonesty",
    "registered_in_mainland",
    "national_award_top3_5y",
    "provincial_award_top3_3y",
    "national_award_top5_3y",
    "national_award_top3_3y",
    "award_3y",
    "rd_ratio_prev_year",
    "rd_institution_level",
    "standards_led_5y",
    "years_in_niche",
    "niche_market_share",
    "strategic_emerging_product",
];

const OPS: &[&str] = &["<=", "<", ">=", ">", "==", "true", "false"];

/// One thing wrong with a scheme file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    /// The criterion, e.g. `indicator st_staff`.
    pub item: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.item.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.item, self.message)
        }
    }
}

struct Checker<'a> {
    file: &'a str,
    out: Vec<Problem>,
    ids: HashSet<String>,
    blocks: HashSet<String>,
}

impl Checker<'_> {
    fn problem(&mut self, item: &str, message: impl Into<String>) {
        self.out.push(Problem {
            file: self.file.to_string(),
            item: item.to_string(),
            message: message.into(),
        });
    }

    fn id(&mut self, item: &str, id: &str) {
        if id.is_empty() {
            self.problem(item, "empty id (fix: give the criterion an id)");
        } else if !self.ids.insert(id.to_string()) {
            self.problem(item, format!("id '{id}' used twice in the file"));
        }
    }

    fn metric(&mut self, item: &str, m: &str) {
        if !METRICS.contains(&m) {
            self.problem(
                item,
                format!("unknown metric '{m}' (fix: one of data/rules/README.md's metrics, or an assessor)"),
            );
        }
    }

    fn block(&mut self, item: &str, b: Option<&str>) {
        if let Some(b) = b {
            if !self.blocks.contains(b) {
                self.problem(item, format!("block '{b}' is not a [[block]] of the file"));
            }
        }
    }

    /// A yes/no test, top-level (`named`) or nested.
    fn test(&mut self, kind: &str, t: &Test, named: bool) {
        let item = format!("{kind} {}", t.id.as_deref().unwrap_or("(sub-test)"));
        if named {
            match &t.id {
                Some(id) => self.id(&item, id),
                None => self.problem(&item, "no id"),
            }
            if t.zh.as_deref().unwrap_or("").trim().is_empty()
                || t.en.as_deref().unwrap_or("").trim().is_empty()
            {
                self.problem(&item, "needs zh and en wording");
            }
            if t.source.as_deref().unwrap_or("").trim().is_empty() {
                self.problem(
                    &item,
                    "no source (fix: name the document and where it was seen)",
                );
            }
            if t.status.is_none() {
                self.problem(&item, "no status (fix: confirmed or unconfirmed)");
            }
        } else if let Some(id) = &t.id {
            self.id(&item, id);
        }
        self.block(&item, t.block.as_deref());
        let forms = [
            t.metric.is_some(),
            t.assessor.is_some(),
            !t.any.is_empty() || !t.all.is_empty() || !t.first.is_empty(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if forms != 1 {
            self.problem(
                &item,
                "give exactly one of: metric, assessor, any/all/first sub-tests",
            );
        }
        if let Some(m) = &t.metric {
            self.metric(&item, m);
        }
        if t.metric.is_some() || t.assessor.is_some() {
            match t.op.as_deref() {
                Some(op) if OPS.contains(&op) => {
                    let needs_value = !matches!(op, "true" | "false");
                    if needs_value && t.value.is_none() && t.tiers.is_empty() {
                        self.problem(&item, format!("op '{op}' needs a value (or tiers)"));
                    }
                    if t.assessor.is_some() && needs_value {
                        self.problem(&item, "an assessor test is yes/no: op = \"true\"");
                    }
                }
                Some(op) => self.problem(
                    &item,
                    format!("unknown op '{op}' (fix: one of {})", OPS.join(" ")),
                ),
                None => self.problem(&item, "no op"),
            }
        }
        if !t.tiers.is_empty() {
            match &t.by {
                Some(by) => self.metric(&item, by),
                None => self.problem(&item, "tiers need `by`: the metric that picks the tier"),
            }
            let mut last = f64::NEG_INFINITY;
            for (i, tier) in t.tiers.iter().enumerate() {
                match tier.upto {
                    Some(u) if u > last => last = u,
                    Some(_) => self.problem(&item, "tiers' `upto` must rise"),
                    None if i + 1 != t.tiers.len() => {
                        self.problem(&item, "only the last tier may omit `upto`")
                    }
                    None => {}
                }
            }
        }
        if let Some(m) = &t.missing {
            if m != "fail" && m != "unknown" {
                self.problem(&item, format!("missing '{m}' (fix: fail or unknown)"));
            }
        }
        for s in t.any.iter().chain(t.all.iter()).chain(t.first.iter()) {
            self.test(kind, s, false);
        }
    }

    fn indicator(&mut self, ind: &Indicator) -> f64 {
        let item = format!("indicator {}", ind.id);
        self.id(&item, &ind.id);
        self.block(&item, ind.block.as_deref());
        if ind.source.trim().is_empty() {
            self.problem(&item, "no source");
        }
        let forms = [
            !ind.bands.is_empty(),
            !ind.bands_desc.is_empty(),
            !ind.best_of.is_empty(),
            !ind.ladder.is_empty(),
            ind.assessor.is_some(),
            ind.points_true.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if forms != 1 {
            self.problem(&item, "give exactly one of: bands, bands_desc, best_of, ladder, assessor, points_true/points_false");
        }
        let needs_metric =
            !ind.bands.is_empty() || !ind.bands_desc.is_empty() || ind.points_true.is_some();
        match (&ind.metric, needs_metric) {
            (Some(m), true) => self.metric(&item, m),
            (None, true) => self.problem(&item, "bands and flag points need a metric"),
            _ => {}
        }
        let mut top: f64 = 0.0;
        let mut check_bands = |this: &mut Self, bands: &[crate::scheme::Band]| {
            for w in bands.windows(2) {
                if w[1].min >= w[0].min || w[1].points > w[0].points {
                    this.problem(
                        &item,
                        format!(
                            "bands must fall in `min` and not rise in points ({} then {})",
                            w[0].min, w[1].min
                        ),
                    );
                }
            }
            for b in bands {
                top = top.max(b.points);
            }
        };
        check_bands(self, &ind.bands);
        for alt in &ind.best_of {
            self.metric(&item, &alt.metric);
            check_bands(self, &alt.bands);
        }
        for w in ind.bands_desc.windows(2) {
            if w[1].max < w[0].max {
                self.problem(&item, "bands_desc must rise in `max`");
            }
        }
        for b in &ind.bands_desc {
            top = top.max(b.points);
        }
        for s in &ind.ladder {
            self.metric(&item, &s.metric);
            top = top.max(s.points);
        }
        if let Some(p) = ind.points_true {
            top = top.max(p).max(ind.points_false.unwrap_or(0.0));
        }
        if ind.assessor.is_some() {
            top = ind.max_points;
        }
        if (top - ind.max_points).abs() > 1e-9 {
            self.problem(
                &item,
                format!(
                    "the best points ({top}) differ from max_points ({})",
                    ind.max_points
                ),
            );
        }
        ind.max_points
    }
}

/// Every problem of one scheme; `known` are the scheme codes `requires` may name.
pub fn validate_scheme(file: &str, s: &Scheme, known: &[String]) -> Vec<Problem> {
    let mut c = Checker {
        file,
        out: vec![],
        ids: HashSet::new(),
        blocks: s.blocks.iter().map(|b| b.id.clone()).collect(),
    };
    if chrono::NaiveDate::parse_from_str(&s.effective_from, "%Y-%m-%d").is_err() {
        c.problem(
            "effective_from",
            format!("'{}' is not a date (fix: YYYY-MM-DD)", s.effective_from),
        );
    }
    if s.source.trim().is_empty() {
        c.problem("source", "the scheme names no source document");
    }
    for r in &s.requires {
        if !known.contains(r) || r == &s.scheme {
            c.problem("requires", format!("'{r}' is not another shipped scheme"));
        }
    }
    for t in &s.eligibility {
        c.test("eligibility", t, true);
    }
    for t in &s.conditions {
        c.test("condition", t, true);
    }
    for t in &s.direct_pass {
        c.test("direct_pass", t, true);
    }
    let mut total = 0.0;
    let mut by_block: std::collections::BTreeMap<String, f64> = Default::default();
    for ind in &s.indicators {
        let m = c.indicator(ind);
        *by_block
            .entry(ind.block.clone().unwrap_or_default())
            .or_default() += m;
    }
    for (b, sum) in &by_block {
        let cap = s
            .blocks
            .iter()
            .find(|x| &x.id == b)
            .and_then(|x| x.max_points);
        total += cap.map_or(*sum, |cap| sum.min(cap));
    }
    if s.pass.min_score.is_some() && (total - 100.0).abs() > 1e-9 {
        c.problem(
            "pass",
            format!("a scored scheme's points add up to {total}, not 100"),
        );
    }
    if s.pass.min_score.is_none() && !s.indicators.is_empty() {
        c.problem(
            "pass",
            "indicators without a min_score would score for nothing",
        );
    }
    for g in &s.pass.guards {
        if !s.indicators.iter().any(|i| &i.id == g) {
            c.problem("pass.guards", format!("'{g}' is not an indicator"));
        }
    }
    for b in s.pass.block_min.keys() {
        if !c.blocks.contains(b) {
            c.problem("pass.block_min", format!("'{b}' is not a block"));
        }
    }
    if s.pass.min_score.is_none() && !s.pass.all_conditions {
        c.problem(
            "pass",
            "nothing to pass: give min_score or all_conditions = true",
        );
    }
    c.out
}
