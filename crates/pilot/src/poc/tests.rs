//! Each criterion at its band edges, worked by hand from data/rules/poc.toml.
use super::*;

fn facts() -> SeedFacts {
    SeedFacts {
        trl: Some(4),
        ip: IpRight::None,
        claims: 0,
        years_left: None,
        needs: vec![],
        node: NodeStanding::Unknown,
        conversions: 0,
    }
}

#[test]
fn the_trl_band_is_inclusive_at_both_edges() {
    let r = PocRules::shipped();
    for (trl, inside) in [(2, false), (3, true), (5, true), (6, false)] {
        let f = SeedFacts {
            trl: Some(trl),
            ..facts()
        };
        assert_eq!(r.score(&f).in_band, inside, "TRL {trl}");
    }
    assert!(
        !r.score(&SeedFacts {
            trl: None,
            ..facts()
        })
        .in_band,
        "unknown TRL is no seed"
    );
}

#[test]
fn ip_strength_orders_rights_and_counts_claims_and_term() {
    let r = PocRules::shipped();
    // A granted invention with 10 claims and 10 years left: 1.0 × (0.6 + 0.2 + 0.2) = 1.0 → 30 points.
    let full = SeedFacts {
        ip: IpRight::GrantedInvention,
        claims: 10,
        years_left: Some(10.0),
        ..facts()
    };
    assert_eq!(r.score(&full).parts[0].points, 30.0);
    assert_eq!(r.score(&full).parts[0].raise, None);
    // 5 claims, 5 years: 1.0 × (0.6 + 0.1 + 0.1) = 0.8 → 24.
    let half = SeedFacts {
        claims: 5,
        years_left: Some(5.0),
        ..full.clone()
    };
    assert_eq!(r.score(&half).parts[0].points, 24.0);
    // Claims and years past full marks count as full (20 claims, 15 years): 30.
    let over = SeedFacts {
        claims: 20,
        years_left: Some(15.0),
        ..full.clone()
    };
    assert_eq!(r.score(&over).parts[0].points, 30.0);
    // Utility model with everything full: 0.6 → 18; an application: 0.4 → 12; none: 0.
    let um = SeedFacts {
        ip: IpRight::UtilityModel,
        ..full.clone()
    };
    assert_eq!(r.score(&um).parts[0].points, 18.0);
    assert_eq!(r.score(&um).parts[0].raise.as_deref(), Some("ip_grant"));
    let app = SeedFacts {
        ip: IpRight::Application,
        ..full.clone()
    };
    assert_eq!(r.score(&app).parts[0].points, 12.0);
    assert_eq!(r.score(&facts()).parts[0].points, 0.0);
    assert_eq!(r.score(&facts()).parts[0].raise.as_deref(), Some("ip_file"));
    // An expired term counts zero for its share: 1.0 × (0.6 + 0.2 + 0) = 0.8 → 24.
    let expired = SeedFacts {
        years_left: Some(-1.0),
        ..full
    };
    assert_eq!(r.score(&expired).parts[0].points, 24.0);
}

#[test]
fn market_pull_counts_relevance_and_budget_up_to_full() {
    let r = PocRules::shipped();
    // Below the relevance threshold (0.35) nothing counts.
    let weak = SeedFacts {
        needs: vec![(0.34, None)],
        ..facts()
    };
    assert_eq!(r.score(&weak).pull, 0.0);
    // At the threshold it counts: 0.35 / 3.0 × 30 = 3.5 points.
    let edge = SeedFacts {
        needs: vec![(0.35, None)],
        ..facts()
    };
    assert_eq!(r.score(&edge).parts[1].points, 3.5);
    // A need of 500万元 (full budget) doubles: 0.9 × 2 = 1.8 → 1.8/3 × 30 = 18.
    let rich = SeedFacts {
        needs: vec![(0.9, Some(500_000_000))],
        ..facts()
    };
    assert!((r.score(&rich).pull - 1.8).abs() < 1e-9);
    assert_eq!(r.score(&rich).parts[1].points, 18.0);
    // Half the full budget: factor 1.5.
    let half = SeedFacts {
        needs: vec![(1.0, Some(250_000_000))],
        ..facts()
    };
    assert!((r.score(&half).pull - 1.5).abs() < 1e-9);
    // Pull at or above 3 is full marks, whatever more there is.
    let many = SeedFacts {
        needs: vec![(1.0, None); 5],
        ..facts()
    };
    assert_eq!(r.score(&many).parts[1].points, 30.0);
    assert_eq!(r.score(&many).parts[1].raise, None);
}

#[test]
fn chain_and_team_at_their_edges() {
    let r = PocRules::shipped();
    for (node, points) in [
        (NodeStanding::Missing, 20.0),
        (NodeStanding::Weak, 12.0),
        (NodeStanding::Covered, 0.0),
        (NodeStanding::Unknown, 0.0),
    ] {
        assert_eq!(
            r.score(&SeedFacts { node, ..facts() }).parts[2].points,
            points,
            "{node:?}"
        );
    }
    for (n, points) in [(0, 0.0), (1, 6.7), (3, 20.0), (7, 20.0)] {
        assert_eq!(
            r.score(&SeedFacts {
                conversions: n,
                ..facts()
            })
            .parts[3]
                .points,
            points,
            "{n}"
        );
    }
}

#[test]
fn the_total_adds_the_parts() {
    let r = PocRules::shipped();
    let f = SeedFacts {
        trl: Some(4),
        ip: IpRight::GrantedInvention,
        claims: 5,
        years_left: Some(5.0),
        needs: vec![(0.9, Some(500_000_000))],
        node: NodeStanding::Weak,
        conversions: 3,
    };
    // 24 + 18 + 12 + 20 = 74.
    assert_eq!(r.score(&f).score, 74.0);
}

#[test]
fn bad_rules_are_refused() {
    let bad = POC.replace("team = 20", "team = 25");
    assert!(PocRules::load("poc.toml", &bad)
        .unwrap_err()
        .message
        .contains("sum to 100"));
}

#[test]
fn patent_types_from_application_numbers() {
    assert_eq!(patent_type("CN202310123456.7"), Some("invention"));
    assert_eq!(patent_type("CN202420000001.1"), Some("utility_model"));
    assert_eq!(patent_type("ZL202330000001.1"), Some("design"));
    assert_eq!(patent_type("CN12345"), None);
}
