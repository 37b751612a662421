//! One profile on one date with its assessor inputs: each kind of test read against it (a metric
//! threshold, a tiered or banded score, a qualification, an assessor's judgment), with the gap in
//! words when it fails or is unknown.

use chrono::NaiveDate;

use super::*;

pub(super) struct Ctx<'a> {
    pub(super) profile: &'a Profile,
    pub(super) as_of: NaiveDate,
    pub(super) inputs: &'a AssessorInputs,
}

impl Ctx<'_> {
    pub(super) fn metric(&self, m: &str) -> Option<f64> {
        self.profile.metric(m, self.as_of)
    }

    /// A yes/no test: its outcome, the value, the threshold in words, the gap in words.
    pub(super) fn test(&self, t: &Test) -> (Outcome, Option<f64>, Option<String>, Option<Gap>) {
        if !t.first.is_empty() {
            // The first sub-test that decides (its input given) is the answer: the data where it is
            // there, the judgment standing in for it only where it is not.
            let mut gaps = vec![];
            for s in &t.first {
                let r = self.test(s);
                if r.0 != Outcome::Unknown {
                    return r;
                }
                gaps.extend(r.3);
            }
            let gap = (!gaps.is_empty()).then(|| Gap {
                en: gaps
                    .iter()
                    .map(|g| g.en.as_str())
                    .collect::<Vec<_>>()
                    .join(" or "),
                zh: gaps
                    .iter()
                    .map(|g| g.zh.as_str())
                    .collect::<Vec<_>>()
                    .join(" 或 "),
            });
            return (Outcome::Unknown, None, None, gap);
        }
        if !t.any.is_empty() || !t.all.is_empty() {
            // A nested test says which of its parts is missing: "a or b" / "a; b".
            let (subs, join, join_zh) = if t.any.is_empty() {
                (&t.all, "; ", "；")
            } else {
                (&t.any, " or ", " 或 ")
            };
            let results: Vec<_> = subs.iter().map(|s| self.test(s)).collect();
            let outcome = if t.any.is_empty() {
                Outcome::all(results.iter().map(|r| r.0))
            } else {
                Outcome::any(results.iter().map(|r| r.0))
            };
            let missing: Vec<Gap> = results
                .iter()
                .filter(|r| r.0 != Outcome::Pass)
                .filter_map(|r| r.3.clone())
                .collect();
            let gap = (outcome != Outcome::Pass && !missing.is_empty()).then(|| Gap {
                en: missing
                    .iter()
                    .map(|g| g.en.as_str())
                    .collect::<Vec<_>>()
                    .join(join),
                zh: missing
                    .iter()
                    .map(|g| g.zh.as_str())
                    .collect::<Vec<_>>()
                    .join(join_zh),
            });
            return (outcome, None, None, gap);
        }
        let op = t.op.as_deref().unwrap_or("true");
        let (value, label, label_zh) = match (&t.metric, &t.assessor) {
            (Some(m), _) => (self.metric(m), m.clone(), metric_zh(m)),
            // Named by what is judged, never by the input's key.
            (None, Some(a)) => (
                self.inputs.get(a).copied(),
                match &t.en {
                    Some(en) => format!("an assessor's judgment ({en})"),
                    None => "an assessor's judgment".to_string(),
                },
                match &t.zh {
                    Some(zh) => format!("评审意见（{zh}）"),
                    None => "评审意见".to_string(),
                },
            ),
            (None, None) => (None, String::new(), String::new()),
        };
        // The threshold, possibly picked by another metric's tier.
        let mut tier_note = String::new();
        let mut tier_note_zh = String::new();
        let threshold = if t.tiers.is_empty() {
            t.value
        } else {
            let by = t.by.as_deref().unwrap_or("");
            match self.metric(by) {
                None => None,
                Some(b) => tier_for(&t.tiers, b).map(|tier| {
                    (tier_note, tier_note_zh) = match tier.upto {
                        Some(u) => (
                            format!(" (tier: {by} ≤ {})", fmt_value(by, u)),
                            format!("（档位：{} ≤ {}）", metric_zh(by), fmt_value(by, u)),
                        ),
                        None => (
                            format!(" (tier: {by} above the others)"),
                            format!("（档位：{} 高于其他档）", metric_zh(by)),
                        ),
                    };
                    tier.value
                }),
            }
        };
        let metric_name = t.metric.as_deref().unwrap_or("");
        let Some(v) = value else {
            let (why, why_zh) = if label.is_empty() {
                ("input".to_string(), "输入".to_string())
            } else {
                (label, label_zh)
            };
            // A flag that can only add a pass counts as "no" when nobody set it.
            let outcome = if t.missing.as_deref() == Some("fail") {
                Outcome::Fail
            } else {
                Outcome::Unknown
            };
            return (
                outcome,
                None,
                threshold.map(|x| format!("{op} {}", fmt_value(metric_name, x))),
                Some(Gap {
                    en: format!("{why}: not given"),
                    zh: format!("{why_zh}：未提供"),
                }),
            );
        };
        let verdict = match op {
            "true" => Some(v != 0.0),
            "false" => Some(v == 0.0),
            _ => threshold.map(|x| meets(op, v, x)),
        };
        let th_words = match op {
            "true" | "false" => Some(op.to_string()),
            _ => threshold.map(|x| format!("{op} {}{tier_note}", fmt_value(metric_name, x))),
        };
        match verdict {
            None => (
                Outcome::Unknown,
                Some(v),
                th_words,
                Some(Gap {
                    en: format!(
                        "{}: the tier's metric is not given",
                        t.by.as_deref().unwrap_or("")
                    ),
                    zh: format!(
                        "{}：未提供（据此确定门槛）",
                        metric_zh(t.by.as_deref().unwrap_or(""))
                    ),
                }),
            ),
            Some(true) => (Outcome::Pass, Some(v), th_words, None),
            Some(false) => {
                let yes_no = |b: bool| if b { "是" } else { "否" };
                let gap = match (op, threshold) {
                    ("true" | "false", _) => Gap {
                        en: format!(
                            "{label} is {}, needs {op}",
                            if v != 0.0 { "true" } else { "false" }
                        ),
                        zh: format!(
                            "{label_zh}：{}，要求{}",
                            yes_no(v != 0.0),
                            yes_no(op == "true")
                        ),
                    },
                    (_, Some(x)) => {
                        self.gap_words(metric_name, v, op, x, (&tier_note, &tier_note_zh))
                    }
                    _ => Gap {
                        en: String::new(),
                        zh: String::new(),
                    },
                };
                (Outcome::Fail, Some(v), th_words, Some(gap))
            }
        }
    }

    /// "R&D ratio 3.2% < 4% …: +¥1.60m R&D needed" where the shortfall can be put in money.
    pub(super) fn gap_words(
        &self,
        metric: &str,
        v: f64,
        op: &str,
        x: f64,
        note: (&str, &str),
    ) -> Gap {
        let (tier_note, tier_note_zh) = note;
        let (vs, xs) = fmt_apart(metric, v, x);
        let mut s = format!("{metric} {vs} fails {op} {xs}{tier_note}");
        let mut zh = format!(
            "{} {vs}，未达到 {} {xs}{tier_note_zh}",
            metric_zh(metric),
            zh_op(op),
        );
        let money_of = |m: &str| self.metric(m);
        let extra = match metric {
            "rd_ratio_last_year" => money_of("revenue_last_year")
                .map(|r| x * r - money_of("rd_expense_last_year").unwrap_or(0.0)),
            "rd_ratio_3y" => {
                let y = chrono::Datelike::year(&self.as_of) - 1;
                let sum = |f: fn(&crate::profile::Financials) -> Option<f64>| -> Option<f64> {
                    (0..3)
                        .map(|k| {
                            self.profile
                                .financials
                                .iter()
                                .find(|fy| fy.year == y - k)
                                .and_then(f)
                        })
                        .sum()
                };
                match (sum(|f| f.revenue), sum(|f| f.rd_expense)) {
                    (Some(rev), Some(rd)) => Some(x * rev - rd),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(e) = extra.filter(|e| *e > 0.0) {
            s.push_str(&format!(": +¥{:.2}m R&D needed", e / 1_000_000.0));
            zh.push_str(&format!("：还需增加研发投入 ¥{:.1}万", e / 10_000.0));
        } else if op.starts_with('>') {
            s.push_str(&format!(": short by {}", fmt_value(metric, x - v)));
            zh.push_str(&format!("：差 {}", fmt_value(metric, x - v)));
        } else if op.starts_with('<') {
            s.push_str(&format!(": over by {}", fmt_value(metric, v - x)));
            zh.push_str(&format!("：超出 {}", fmt_value(metric, v - x)));
        }
        Gap { en: s, zh }
    }

    /// Points of an indicator as (lower, upper) bounds, the value shown, the gap to the next band.
    pub(super) fn points(&self, ind: &Indicator) -> ((f64, f64), Option<f64>, Option<Gap>) {
        let max = ind.max_points;
        let banded = band_points;
        if !ind.bands.is_empty() {
            let m = ind.metric.as_deref().unwrap_or("");
            return match self.metric(m) {
                Some(v) => {
                    let p = banded(v, &ind.bands);
                    let next = ind.bands.iter().rev().find(|b| b.points > p && b.min > v);
                    let gap = next.map(|b| Gap {
                        en: format!(
                            "{m} {} → {} for {} points",
                            fmt_value(m, v),
                            fmt_value(m, b.min),
                            b.points
                        ),
                        zh: format!(
                            "{} {}，达到 {} 可得 {} 分",
                            metric_zh(m),
                            fmt_value(m, v),
                            fmt_value(m, b.min),
                            b.points
                        ),
                    });
                    ((p, p), Some(v), gap)
                }
                None => ((0.0, max), None, Some(not_given(m))),
            };
        }
        if !ind.bands_desc.is_empty() {
            let m = ind.metric.as_deref().unwrap_or("");
            return match self.metric(m) {
                Some(v) => {
                    let p = band_desc_points(&ind.bands_desc, v);
                    ((p, p), Some(v), None)
                }
                None => ((0.0, max), None, Some(not_given(m))),
            };
        }
        if !ind.best_of.is_empty() {
            let (mut lo, mut hi, mut shown) = (0.0f64, 0.0f64, None);
            for alt in &ind.best_of {
                match self.metric(&alt.metric) {
                    Some(v) => {
                        let p = banded(v, &alt.bands);
                        if p >= lo {
                            shown = Some(v);
                        }
                        lo = lo.max(p);
                        hi = hi.max(p);
                    }
                    None => hi = hi.max(alt.bands.first().map(|b| b.points).unwrap_or(max)),
                }
            }
            return ((lo, hi), shown, None);
        }
        if !ind.ladder.is_empty() {
            let mut lo = None;
            let mut hi = None;
            for step in &ind.ladder {
                match self.metric(&step.metric) {
                    Some(v) if v >= step.min => {
                        lo.get_or_insert(step.points);
                        hi.get_or_insert(step.points);
                        break;
                    }
                    Some(_) => {}
                    None => {
                        hi.get_or_insert(step.points);
                    }
                }
            }
            return ((lo.unwrap_or(0.0), hi.unwrap_or(0.0)), None, None);
        }
        if let Some(a) = &ind.assessor {
            return match self.inputs.get(a) {
                Some(v) => {
                    let p = v.clamp(0.0, max);
                    ((p, p), Some(*v), None)
                }
                None => ((0.0, max), None, Some(assessor_not_given(&ind.zh, &ind.en))),
            };
        }
        if let Some(pt) = ind.points_true {
            let m = ind.metric.as_deref().unwrap_or("");
            return match self.metric(m) {
                Some(v) => {
                    let p = if v != 0.0 {
                        pt
                    } else {
                        ind.points_false.unwrap_or(0.0)
                    };
                    ((p, p), Some(v), None)
                }
                None => (
                    (
                        ind.points_false.unwrap_or(0.0).min(pt),
                        pt.max(ind.points_false.unwrap_or(0.0)),
                    ),
                    None,
                    Some(not_given(m)),
                ),
            };
        }
        ((0.0, max), None, None)
    }
}
