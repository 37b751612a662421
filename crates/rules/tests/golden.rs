//! Golden boundary tests over every shipped table, driven by the data: at each band's lower bound the
//! band's points (inclusive), just below it the next band's; at each threshold of each yes/no test the
//! side the operator says; at each tier's `upto` that tier (inclusive), just above it the next. A table
//! edit that moves a boundary is tested by the same loop, with no test to update.

use rules::scheme::{Band, Test};
use rules::{band_desc_points, band_points, load_shipped, meets, tier_for, Scheme};

/// A step much smaller than any boundary's scale (ratios, counts, yuan) but visible to f64 at all.
fn below(x: f64) -> f64 {
    x - (x.abs() * 1e-9).max(1e-9)
}
fn above(x: f64) -> f64 {
    x + (x.abs() * 1e-9).max(1e-9)
}

fn check_bands(place: &str, bands: &[Band], checked: &mut usize) {
    for (i, b) in bands.iter().enumerate() {
        assert_eq!(
            band_points(b.min, bands),
            b.points,
            "{place}: at the lower bound {} the band gives {}",
            b.min,
            b.points
        );
        let lower = bands.get(i + 1).map(|n| n.points).unwrap_or(0.0);
        assert_eq!(
            band_points(below(b.min), bands),
            lower,
            "{place}: just below {} the next band down gives {lower}",
            b.min
        );
        *checked += 1;
    }
}

fn check_test(place: &str, t: &Test, checked: &mut usize) {
    for sub in t.any.iter().chain(&t.all) {
        check_test(place, sub, checked);
    }
    let op = t.op.as_deref().unwrap_or("true");
    let thresholds: Vec<f64> = if t.tiers.is_empty() {
        t.value.into_iter().collect()
    } else {
        t.tiers.iter().map(|x| x.value).collect()
    };
    for x in thresholds {
        let (at, under, over) = (
            meets(op, x, x),
            meets(op, below(x), x),
            meets(op, above(x), x),
        );
        let expect = match op {
            ">=" => (true, false, true),
            ">" => (false, false, true),
            "<=" => (true, true, false),
            "<" => (false, true, false),
            "==" => (true, false, false),
            other => panic!("{place}: operator {other} has no boundary rule"),
        };
        assert_eq!(
            (at, under, over),
            expect,
            "{place}: {op} {x} at / below / above"
        );
        *checked += 1;
    }
    for (i, tier) in t.tiers.iter().enumerate() {
        if let Some(u) = tier.upto {
            let at = tier_for(&t.tiers, u).expect("a tier");
            assert_eq!(at.value, tier.value, "{place}: by = {u} is in its own tier");
            let next = tier_for(&t.tiers, above(u)).expect("a tier");
            assert_eq!(
                next.value,
                t.tiers[i + 1].value,
                "{place}: just above {u} the next tier applies"
            );
            *checked += 1;
        }
    }
}

fn check_scheme(s: &Scheme) -> usize {
    let mut checked = 0;
    for (kind, tests) in [
        ("eligibility", &s.eligibility),
        ("condition", &s.conditions),
        ("direct_pass", &s.direct_pass),
    ] {
        for t in tests {
            let place = format!("{} {kind} {}", s.scheme, t.id.as_deref().unwrap_or("?"));
            check_test(&place, t, &mut checked);
        }
    }
    for ind in &s.indicators {
        let place = format!("{} indicator {}", s.scheme, ind.id);
        check_bands(&place, &ind.bands, &mut checked);
        for alt in &ind.best_of {
            check_bands(
                &format!("{place} ({})", alt.metric),
                &alt.bands,
                &mut checked,
            );
        }
        for b in &ind.bands_desc {
            let at = band_desc_points(&ind.bands_desc, b.max);
            if b.exclusive {
                assert_ne!(
                    at, b.points,
                    "{place}: at the exclusive bound {} the band does not apply",
                    b.max
                );
                assert_eq!(
                    band_desc_points(&ind.bands_desc, below(b.max)),
                    b.points,
                    "{place}: just below the exclusive bound {} the band applies",
                    b.max
                );
            } else {
                assert_eq!(
                    at, b.points,
                    "{place}: at the inclusive bound {} the band applies",
                    b.max
                );
            }
            checked += 1;
        }
        for step in &ind.ladder {
            assert!(meets(">=", step.min, step.min), "{place}");
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_boundary_of_every_shipped_table_falls_on_the_documented_side() {
    let schemes = load_shipped().expect("the shipped tables are valid");
    assert_eq!(schemes.len(), 5);
    let mut per_scheme = vec![];
    for s in &schemes {
        let n = check_scheme(s);
        assert!(n > 0, "{}: no boundary found to test", s.scheme);
        per_scheme.push((s.scheme.clone(), n));
    }
    // The tables the issue names carry bands: tech_sme's 20/50/30 and HTE's R&D 5%/4%/3%.
    let n = |code: &str| per_scheme.iter().find(|(s, _)| s == code).unwrap().1;
    assert!(n("tech_sme") >= 15, "{per_scheme:?}");
    assert!(n("hte") >= 15, "{per_scheme:?}");
}

#[test]
fn the_hte_rd_bands_are_5_4_3_percent_by_revenue_with_inclusive_upper_tiers() {
    let schemes = load_shipped().unwrap();
    let hte = schemes.iter().find(|s| s.scheme == "hte").unwrap();
    let rd = hte
        .conditions
        .iter()
        .find(|t| !t.tiers.is_empty())
        .expect("a tiered R&D condition");
    // ≤ ¥50m → 5%; ≤ ¥200m → 4%; above → 3%.
    assert_eq!(tier_for(&rd.tiers, 5e7).unwrap().value, 0.05);
    assert_eq!(tier_for(&rd.tiers, above(5e7)).unwrap().value, 0.04);
    assert_eq!(tier_for(&rd.tiers, 2e8).unwrap().value, 0.04);
    assert_eq!(tier_for(&rd.tiers, above(2e8)).unwrap().value, 0.03);
}
