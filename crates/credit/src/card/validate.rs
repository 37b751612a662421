//! The whole-card check: every problem at once, each naming the key and the fix.

use std::collections::HashSet;

use super::*;

/// Checks the whole card; each problem names the key and the fix.
pub fn validate_card(card: &Card) -> Vec<CardProblem> {
    let mut out = vec![];
    let mut p = |key: String, message: String| out.push(CardProblem { key, message });
    let nonempty = |v: &str| !v.trim().is_empty();

    for (k, v) in [
        ("scheme", &card.scheme),
        ("version", &card.version),
        ("zh", &card.zh),
        ("en", &card.en),
        ("source", &card.source),
        ("missing_zh", &card.missing_zh),
        ("missing_en", &card.missing_en),
        ("no_grade_zh", &card.no_grade_zh),
        ("no_grade_en", &card.no_grade_en),
    ] {
        if !nonempty(v) {
            p(k.into(), "empty (fix: give a value)".into());
        }
    }
    if card.top_reasons == 0 {
        p("top_reasons".into(), "0 (fix: at least 1, e.g. 4)".into());
    }
    if !is_code(&card.no_grade_code) {
        p(
            "no_grade_code".into(),
            format!(
                "'{}' (fix: upper-case letters, digits and _)",
                card.no_grade_code
            ),
        );
    }
    for (k, t, allowed) in [
        ("missing_zh", &card.missing_zh, MISSING_PLACEHOLDERS),
        ("missing_en", &card.missing_en, MISSING_PLACEHOLDERS),
        ("no_grade_zh", &card.no_grade_zh, NO_GRADE_PLACEHOLDERS),
        ("no_grade_en", &card.no_grade_en, NO_GRADE_PLACEHOLDERS),
    ] {
        for ph in placeholders(t) {
            if !allowed.contains(&ph.as_str()) {
                p(
                    k.into(),
                    format!(
                        "unknown placeholder {{{ph}}} (fix: one of {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    let mut flags = HashSet::new();
    for (i, d) in card.disqualifiers.iter().enumerate() {
        let key = format!("disqualifier[{i}] ({})", d.flag);
        if !FLAGS.contains(&d.flag.as_str()) {
            p(
                key.clone(),
                format!("flag '{}' (fix: one of {})", d.flag, FLAGS.join(", ")),
            );
        }
        if !flags.insert(d.flag.clone()) {
            p(
                key.clone(),
                "flag listed twice (fix: one entry per flag)".into(),
            );
        }
        if !is_code(&d.code) {
            p(
                key.clone(),
                format!("code '{}' (fix: upper-case letters, digits and _)", d.code),
            );
        }
        if !nonempty(&d.zh) || !nonempty(&d.en) || !nonempty(&d.source) {
            p(key, "zh, en or source empty (fix: fill all three)".into());
        }
    }

    // Stages and the stage rule.
    let mut stage_ids = HashSet::new();
    if card.stages.is_empty() {
        p(
            "stage".into(),
            "no stages (fix: add [[stage]] entries, e.g. startup, growth, mature)".into(),
        );
    }
    for (i, s) in card.stages.iter().enumerate() {
        let key = format!("stage[{i}] ({})", s.id);
        if !nonempty(&s.id) || !stage_ids.insert(s.id.clone()) {
            p(
                key.clone(),
                "id empty or repeated (fix: a unique id such as startup)".into(),
            );
        }
        if !nonempty(&s.source) {
            p(
                key.clone(),
                "source empty (fix: name the document or 'Shuanglian draft')".into(),
            );
        }
        let last = i + 1 == card.stages.len();
        if s.when_any.is_empty() && !last {
            p(
                key.clone(),
                "has no conditions but is not last, so the stages after it are unreachable (fix: move it last or add when_any)".into(),
            );
        }
        if !s.when_any.is_empty() && last {
            p(
                key.clone(),
                "the last stage has conditions, so some firms get no stage (fix: when_any = [] on the last stage)".into(),
            );
        }
        for (j, c) in s.when_any.iter().enumerate() {
            if !known_metric(&c.metric) {
                p(
                    format!("{key}.when_any[{j}]"),
                    format!(
                        "unknown metric '{}' (fix: a name from rules::METRICS or {})",
                        c.metric,
                        CREDIT_METRICS.join(", ")
                    ),
                );
            }
            if !c.below.is_finite() {
                p(
                    format!("{key}.when_any[{j}]"),
                    "below is not a finite number (fix: a threshold)".into(),
                );
            }
        }
    }
    if !stage_ids.contains(&card.stage_rule.unknown_stage) {
        p(
            "stage_rule.unknown_stage".into(),
            format!(
                "'{}' is not a stage (fix: one of the [[stage]] ids)",
                card.stage_rule.unknown_stage
            ),
        );
    }
    if !nonempty(&card.stage_rule.source) {
        p(
            "stage_rule.source".into(),
            "empty (fix: give a source)".into(),
        );
    }
    if !nonempty(&card.tiers.source) {
        p("tiers.source".into(), "empty (fix: give a source)".into());
    }

    // Factors.
    let mut codes = HashSet::new();
    let mut reason_codes = HashSet::new();
    if card.factors.is_empty() {
        p(
            "factor".into(),
            "no factors (fix: add [[factor]] entries)".into(),
        );
    }
    for (i, f) in card.factors.iter().enumerate() {
        let key = format!("factor[{i}] ({})", f.code);
        if !is_code(&f.code) || !codes.insert(f.code.clone()) {
            p(
                key.clone(),
                "code empty, repeated or not upper-case (fix: a unique code like RD_INTENSITY)"
                    .into(),
            );
        }
        if !GROUPS.contains(&f.group.as_str()) {
            p(
                format!("{key}.group"),
                format!("'{}' (fix: one of {})", f.group, GROUPS.join(", ")),
            );
        }
        if !UNITS.contains(&f.unit.as_str()) {
            p(
                format!("{key}.unit"),
                format!("'{}' (fix: one of {})", f.unit, UNITS.join(", ")),
            );
        }
        if !known_metric(&f.metric) {
            p(
                format!("{key}.metric"),
                format!(
                    "unknown metric '{}' (fix: a name from rules::METRICS or {})",
                    f.metric,
                    CREDIT_METRICS.join(", ")
                ),
            );
        }
        if !is_code(&f.reason_code) || !reason_codes.insert(f.reason_code.clone()) {
            p(
                format!("{key}.reason_code"),
                format!(
                    "'{}' empty, repeated or not upper-case (fix: a unique code like RD_INTENSITY_LOW)",
                    f.reason_code
                ),
            );
        }
        for (k, v) in [
            ("zh", &f.zh),
            ("en", &f.en),
            ("reason_zh", &f.reason_zh),
            ("reason_en", &f.reason_en),
            ("source", &f.source),
        ] {
            if !nonempty(v) {
                p(format!("{key}.{k}"), "empty (fix: give a value)".into());
            }
        }
        for (k, t) in [("reason_zh", &f.reason_zh), ("reason_en", &f.reason_en)] {
            for ph in placeholders(t) {
                if !FACTOR_PLACEHOLDERS.contains(&ph.as_str()) {
                    p(
                        format!("{key}.{k}"),
                        format!(
                            "unknown placeholder {{{ph}}} (fix: one of {})",
                            FACTOR_PLACEHOLDERS.join(", ")
                        ),
                    );
                }
            }
        }
        if f.bands.is_empty() {
            p(
                format!("{key}.bands"),
                "empty (fix: at least one { from, points })".into(),
            );
        }
        for (j, b) in f.bands.iter().enumerate() {
            if !b.from.is_finite() {
                p(
                    format!("{key}.bands[{j}].from"),
                    "not a finite number (fix: a lower bound)".into(),
                );
            }
            if !(0.0..=1.0).contains(&b.points) {
                p(
                    format!("{key}.bands[{j}].points"),
                    format!("{} (fix: a fraction of the weight from 0 to 1)", b.points),
                );
            }
            if j > 0 && b.from <= f.bands[j - 1].from {
                p(
                    format!("{key}.bands[{j}].from"),
                    format!(
                        "{} is not above the previous band's {} (fix: list bands by ascending lower bound)",
                        b.from,
                        f.bands[j - 1].from
                    ),
                );
            }
        }
        let top = f.bands.iter().map(|b| b.points).fold(0.0, f64::max);
        if !f.bands.is_empty() && top != 1.0 {
            p(
                format!("{key}.bands"),
                format!("the best band earns {top}, so the weight is unreachable (fix: give one band points = 1)"),
            );
        }
    }

    // Weights: one table per stage, every factor weighted, summing to 100.
    for id in &stage_ids {
        if !card.weights.contains_key(id) {
            p(
                format!("weights.{id}"),
                "missing (fix: add a [weights.<stage>] table for every stage)".into(),
            );
        }
    }
    for (stage, w) in &card.weights {
        let key = format!("weights.{stage}");
        if !stage_ids.contains(stage) {
            p(
                key.clone(),
                "not a stage (fix: rename to a [[stage]] id or remove it)".into(),
            );
        }
        if !nonempty(&w.source) {
            p(format!("{key}.source"), "empty (fix: give a source)".into());
        }
        for code in &codes {
            if !w.factors.contains_key(code) {
                p(
                    format!("{key}.factors.{code}"),
                    "missing (fix: give the weight, 0 if the factor does not count in this stage)"
                        .into(),
                );
            }
        }
        for (code, v) in &w.factors {
            if !codes.contains(code) {
                p(
                    format!("{key}.factors.{code}"),
                    "not a factor code (fix: use a [[factor]] code)".into(),
                );
            }
            if !v.is_finite() || *v < 0.0 {
                p(
                    format!("{key}.factors.{code}"),
                    format!("{v} (fix: a non-negative weight)"),
                );
            }
        }
        let sum: f64 = w.factors.values().sum();
        if (sum - 100.0).abs() > 1e-9 {
            p(
                format!("{key}.factors"),
                format!("weights sum to {sum} (fix: make them sum to 100)"),
            );
        }
    }

    // Grades: distinct, cut-offs descending in (0, 100], positive lines.
    if card.grades.is_empty() {
        p(
            "grade".into(),
            "no grades (fix: add [[grade]] entries A–E)".into(),
        );
    }
    let mut seen = HashSet::new();
    for (i, g) in card.grades.iter().enumerate() {
        let key = format!("grade[{i}] ({})", g.grade);
        if !nonempty(&g.grade) || !seen.insert(g.grade.clone()) {
            p(
                key.clone(),
                "grade empty or repeated (fix: unique letters A–E)".into(),
            );
        }
        if !(g.min_score > 0.0 && g.min_score <= 100.0) {
            p(
                format!("{key}.min_score"),
                format!("{} (fix: a cut-off above 0 and at most 100)", g.min_score),
            );
        }
        if i > 0 && g.min_score >= card.grades[i - 1].min_score {
            p(
                format!("{key}.min_score"),
                format!(
                    "{} is not below the previous grade's {} (fix: list grades best first with descending cut-offs)",
                    g.min_score,
                    card.grades[i - 1].min_score
                ),
            );
        }
        if g.credit_line_yuan == 0 {
            p(
                format!("{key}.credit_line_yuan"),
                "0 (fix: the grade's credit line in yuan)".into(),
            );
        }
        if !nonempty(&g.line_source) || !nonempty(&g.cutoff_source) {
            p(
                key,
                "line_source or cutoff_source empty (fix: name the document or 'Shuanglian draft')"
                    .into(),
            );
        }
    }
    out
}
