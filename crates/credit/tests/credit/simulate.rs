//! Risk sharing on hand-worked books.

use credit::simulate::{parse_yuan, Defaults, Loan};
use credit::{read_loan_book_csv, simulate, Breaker, SimOptions};

/// Yuan to fen.
fn fen(yuan: i64) -> i64 {
    yuan * 100
}

fn loan(id: &str, yuan: i64, start: u32, default_month: Option<u32>) -> Loan {
    Loan {
        id: id.into(),
        principal_fen: yuan * 100,
        annual_rate: 0.0435,
        term_months: 12,
        start_month: start,
        grade: Some("C".into()),
        pd: None,
        default_month,
    }
}

#[test]
fn one_default_splits_80_20_plus_interest() {
    let book = vec![
        loan("L1", 1_000_000, 0, Some(7)),
        loan("L2", 2_000_000, 0, None),
    ];
    let r = simulate(&book, &SimOptions::default()).unwrap();
    let run = &r.first_run;
    assert_eq!(run.defaults, 1);
    assert_eq!(run.fund_loss_fen, fen(800_000));
    // Months 7..=12 of interest lost: 1,000,000 × 4.35% × 6/12 = 21,750.
    assert_eq!(run.bank_interest_loss_fen, fen(21_750));
    assert_eq!(run.bank_loss_fen, fen(200_000) + fen(21_750));
    assert_eq!(run.outcomes[0].month, 7);
    assert_eq!(r.fund_loss.median_fen, fen(800_000));
    assert_eq!(r.tripped_runs, 0);
}

#[test]
fn fund_share_is_a_parameter() {
    let book = vec![loan("L1", 1_000_000, 0, Some(1))];
    let opts = SimOptions {
        fund_share: 0.5,
        ..Default::default()
    };
    let run = simulate(&book, &opts).unwrap().first_run;
    assert_eq!(run.fund_loss_fen, fen(500_000));
    assert_eq!(run.bank_loss_fen, fen(500_000) + fen(43_500));
}

#[test]
fn payout_cap_trips_at_the_crossing_loan() {
    // Fund ¥1 m, cap 100%: pays 400k, 400k, then 200k of 400k (cap reached → trip at L3), then 0.
    let book: Vec<Loan> = (1..=4)
        .map(|i| loan(&format!("L{i}"), 500_000, 0, Some(i)))
        .collect();
    let opts = SimOptions {
        fund_size_fen: Some(fen(1_000_000)),
        breaker: Breaker {
            payout_cap: Some(1.0),
            ..Default::default()
        },
        ..Default::default()
    };
    let run = simulate(&book, &opts).unwrap().first_run;
    let fund: Vec<i64> = run.outcomes.iter().map(|o| o.fund_fen / 100).collect();
    assert_eq!(fund, [400_000, 400_000, 200_000, 0]);
    let trip = run.trip.unwrap();
    assert_eq!(
        (trip.loan_id.as_str(), trip.month, trip.reason.as_str()),
        ("L3", 3, "payout_cap")
    );
    assert_eq!(run.fund_loss_fen, fen(1_000_000));
    assert_eq!(run.uncompensated_fen, fen(600_000));
    let interest: i64 = run.outcomes.iter().map(|o| o.interest_lost_fen).sum();
    assert_eq!(
        run.bank_loss_fen,
        fen(2_000_000) - fen(1_000_000) + interest
    );
}

#[test]
fn default_ratio_cap_and_stop_new_lending() {
    // Ten ¥100k loans at month 0 and one more at month 6; cap 15% of principal lent.
    let mut book: Vec<Loan> = (1..=10)
        .map(|i| loan(&format!("L{i}"), 100_000, 0, (i <= 3).then_some(i)))
        .collect();
    book.push(loan("L11", 100_000, 6, Some(1)));
    let opts = SimOptions {
        breaker: Breaker {
            default_ratio_cap: Some(0.15),
            stop_new_lending: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let run = simulate(&book, &opts).unwrap().first_run;
    // L1: 10% of ¥1 m; L2: 20% > 15% → trips at L2 (paid); L3 unpaid; L11 never made.
    let trip = run.trip.clone().unwrap();
    assert_eq!(
        (trip.loan_id.as_str(), trip.month, trip.reason.as_str()),
        ("L2", 2, "default_ratio_cap")
    );
    let fund: Vec<i64> = run.outcomes.iter().map(|o| o.fund_fen / 100).collect();
    assert_eq!(fund, [80_000, 80_000, 0]);
    assert_eq!(run.loans_not_made, 1);
    assert_eq!(run.defaults, 3);
    // Without stopping new lending, L11 is made, defaults in month 7 and is not compensated.
    let opts = SimOptions {
        breaker: Breaker {
            stop_new_lending: false,
            ..opts.breaker
        },
        ..opts
    };
    let run = simulate(&book, &opts).unwrap().first_run;
    assert_eq!(run.defaults, 4);
    assert_eq!(run.loans_not_made, 0);
    assert_eq!(run.outcomes[3].fund_fen, 0);
}

#[test]
fn monte_carlo_is_seeded_and_matches_expectations() {
    let book: Vec<Loan> = (0..200)
        .map(|i| Loan {
            pd: Some(0.05),
            default_month: None,
            ..loan(&format!("L{i}"), 1_000_000, 0, None)
        })
        .collect();
    let opts = SimOptions {
        defaults: Defaults::Drawn {
            runs: 2000,
            seed: 42,
        },
        ..Default::default()
    };
    let a = simulate(&book, &opts).unwrap();
    let b = simulate(&book, &opts).unwrap();
    assert_eq!(a, b);
    eprintln!(
        "MC: defaults mean {:.3} median {} p95 {}; fund median ¥{} p95 ¥{}; bank median ¥{} p95 ¥{}",
        a.defaults.mean,
        a.defaults.median,
        a.defaults.p95,
        a.fund_loss.median_fen / 100,
        a.fund_loss.p95_fen / 100,
        a.bank_loss.median_fen / 100,
        a.bank_loss.p95_fen / 100
    );
    // 200 loans × 5%: mean 10, sd of the mean over 2000 runs ≈ 0.07.
    assert!((a.defaults.mean - 10.0).abs() < 0.3, "{}", a.defaults.mean);
    assert!(a.defaults.p95 > a.defaults.median);
    // No breaker: the fund always pays 80% of defaulted principal.
    assert_eq!(
        a.first_run.fund_loss_fen,
        a.first_run.defaulted_principal_fen * 8 / 10
    );
    let c = simulate(
        &book,
        &SimOptions {
            defaults: Defaults::Drawn {
                runs: 2000,
                seed: 43,
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(a.first_run, c.first_run);
}

#[test]
fn drawn_defaults_need_a_pd() {
    let mut l = loan("L1", 1, 0, None);
    l.grade = Some("Z".into());
    let opts = SimOptions {
        defaults: Defaults::Drawn { runs: 1, seed: 1 },
        ..Default::default()
    };
    let e = simulate(&[l], &opts).unwrap_err().to_string();
    assert!(e.contains("loan L1") && e.contains("grade 'Z'"), "{e}");
    let e = simulate(
        &[loan("L1", 1, 0, None)],
        &SimOptions {
            breaker: Breaker {
                payout_cap: Some(0.5),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("fund_size_fen"), "{e}");
}

#[test]
fn yuan_parse_without_floats() {
    assert_eq!(parse_yuan("1000000"), Some(100_000_000));
    assert_eq!(parse_yuan("12.5"), Some(1250));
    assert_eq!(parse_yuan("0.07"), Some(7));
    assert_eq!(parse_yuan("1,000"), None);
    assert_eq!(parse_yuan("1.005"), None);
    assert_eq!(parse_yuan("-5"), None);
}

#[test]
fn loan_book_csv() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/credit/loan_book_sample.csv");
    let book = read_loan_book_csv(&path).unwrap();
    assert!(!book.is_empty() && book.iter().all(|l| l.id.starts_with("SYN-")));
    let r = simulate(&book, &SimOptions::default()).unwrap();
    assert!(r.first_run.defaults > 0);
    let drawn = SimOptions {
        defaults: Defaults::Drawn { runs: 100, seed: 1 },
        ..Default::default()
    };
    assert_eq!(simulate(&book, &drawn).unwrap().runs, 100);

    let dir = tempfile::tempdir().unwrap();
    let bad = |text: &str| {
        let p = dir.path().join("book.csv");
        std::fs::write(&p, text).unwrap();
        read_loan_book_csv(&p).unwrap_err()
    };
    let e = bad("id,principal,annual_rate,term_months\nA,\"1,000\",0.04,12\n");
    assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("principal")));
    let e = bad("id,principal,annual_rate,term_months\nA,1000,4.35,12\n");
    assert!(e.fix.contains("0.0435"), "{e}");
    let e = bad("id,principle,annual_rate,term_months\n");
    assert_eq!(e.column.as_deref(), Some("principle"));
    let e = bad("id,principal,annual_rate,term_months,default_month\nA,1000,0.04,12,13\n");
    assert_eq!(e.column.as_deref(), Some("default_month"));
    let e = bad("id,principal,annual_rate\nA,1000,0.04\n");
    assert!(e.to_string().contains("no 'term_months' column"), "{e}");
}
