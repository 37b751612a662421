//! The shipped tier tables load and validate; broken copies are refused with the criterion named.

use rules::{load_shipped, parse_scheme, validate_scheme, SHIPPED};

fn problems_of(file: &str, text: &str) -> Vec<String> {
    let s = parse_scheme(file, text).unwrap_or_else(|e| panic!("{e}"));
    let known: Vec<String> = [
        "tech_sme",
        "hte",
        "innovative_sme",
        "zjtx_sme",
        "little_giant",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    validate_scheme(file, &s, &known)
        .iter()
        .map(|p| p.to_string())
        .collect()
}

fn shipped(name: &str) -> &'static str {
    SHIPPED.iter().find(|(f, _)| *f == name).unwrap().1
}

#[test]
fn the_five_shipped_schemes_are_valid() {
    let schemes = load_shipped().unwrap_or_else(|p| {
        panic!(
            "{}",
            p.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let codes: Vec<&str> = schemes.iter().map(|s| s.scheme.as_str()).collect();
    assert_eq!(
        codes,
        [
            "tech_sme",
            "hte",
            "innovative_sme",
            "zjtx_sme",
            "little_giant"
        ]
    );
    let tech = &schemes[0];
    assert_eq!(tech.pass.min_score, Some(60.0));
    assert_eq!(tech.pass.guards, ["st_staff"]);
    assert_eq!(tech.direct_pass.len(), 4);
    let hte = &schemes[1];
    assert_eq!(hte.pass.min_score, Some(71.0));
    // The HTE R&D condition has the 5% / 4% / 3% tiers by last year's revenue.
    let rd = hte
        .conditions
        .iter()
        .find(|c| c.metric.as_deref() == Some("rd_ratio_3y"))
        .unwrap();
    let values: Vec<f64> = rd.tiers.iter().map(|t| t.value).collect();
    assert_eq!(values, [0.05, 0.04, 0.03]);
    assert_eq!(rd.tiers[0].upto, Some(50_000_000.0));
}

#[test]
fn broken_tables_are_refused_with_the_criterion_named() {
    let t = shipped("tech_sme.toml");
    // Bands out of order.
    let p = problems_of(
        "tech_sme.toml",
        &t.replacen("min = 0.25, points = 16", "min = 0.35, points = 16", 1),
    );
    assert!(
        p.iter()
            .any(|p| p.contains("indicator st_staff") && p.contains("bands must fall")),
        "{p:?}"
    );
    // An unknown metric.
    let p = problems_of(
        "tech_sme.toml",
        &t.replacen("metric = \"employees\"", "metric = \"headcount\"", 1),
    );
    assert!(
        p.iter().any(|p| p.contains("unknown metric 'headcount'")),
        "{p:?}"
    );
    // A guard naming no indicator.
    let p = problems_of(
        "tech_sme.toml",
        &t.replacen("guards = [\"st_staff\"]", "guards = [\"staff\"]", 1),
    );
    assert!(
        p.iter().any(|p| p.contains("'staff' is not an indicator")),
        "{p:?}"
    );
    // Points that no longer add up to 100.
    let p = problems_of(
        "tech_sme.toml",
        &t.replacen("max_points = 20", "max_points = 25", 1),
    );
    assert!(
        p.iter()
            .any(|p| p.contains("max_points") || p.contains("add up to")),
        "{p:?}"
    );
    // An unknown key is a parse error naming the file.
    let e = parse_scheme(
        "tech_sme.toml",
        &t.replacen("[pass]", "[pass]\nmin_scor = 1", 1),
    )
    .unwrap_err();
    assert!(
        e.starts_with("tech_sme.toml") && e.contains("min_scor"),
        "{e}"
    );
}

#[test]
fn qualifications_are_read_by_code_or_chinese_name() {
    use rules::qualification_code as code;
    assert_eq!(code("hte"), "hte");
    assert_eq!(code("高新技术企业"), "hte");
    assert_eq!(code("专精特新“小巨人”企业"), "little_giant");
    assert_eq!(code("专精特新\"小巨人\""), "little_giant");
    assert_eq!(code("科技型中小企业"), "tech_sme");
    assert_eq!(code(" Other "), "other", "unknown ones kept, lower-cased");
}
