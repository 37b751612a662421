//! Fitting on SYNTHETIC loans from the known model in `credit::synthetic`.

use credit::rng::SplitMix64;
use credit::synthetic::true_pd;
use credit::{
    auc, fit, read_labelled_csv, synthetic_loans, write_labelled_csv, FitOptions, TRUE_TERMS,
};

#[test]
fn recovers_the_true_model_on_held_out_rows() {
    let rows = synthetic_loans(20_000, 11);
    let rate = rows.iter().filter(|r| r.default).count() as f64 / rows.len() as f64;
    let report = fit(&rows, &FitOptions::default()).unwrap();
    let held: Vec<_> = report.holdout_index.iter().map(|&i| &rows[i]).collect();
    let truth = auc(
        &held.iter().map(|r| true_pd(r)).collect::<Vec<_>>(),
        &held.iter().map(|r| r.default).collect::<Vec<_>>(),
    )
    .unwrap();
    let got = report.holdout_auc.unwrap();
    let ks = report.holdout_ks.unwrap();
    eprintln!(
        "default rate {rate:.4}; held-out AUC fit {got:.4} vs true {truth:.4}; KS {ks:.4}; train AUC {:.4} KS {:.4}; iterations {}",
        report.train_auc, report.train_ks, report.iterations
    );
    for f in &report.features {
        eprintln!(
            "  {:<18} IV {:.4} coef {:+.4} direction {:+.4}",
            f.name, f.iv, f.coefficient, f.direction
        );
    }
    assert!(report.converged);
    assert!((got - truth).abs() < 0.03, "fit {got} vs true {truth}");
    assert!(ks > 0.3, "KS {ks}");
    assert_eq!(report.holdout_rows, 6000);
    assert_eq!(report.train_rows + report.holdout_rows, rows.len());
    for t in TRUE_TERMS {
        let f = report
            .features
            .iter()
            .find(|f| f.name == t.feature)
            .unwrap();
        assert_eq!(
            f.direction.signum(),
            t.coefficient.signum(),
            "{}",
            t.feature
        );
        assert!(
            f.coefficient < 0.0,
            "{}: WoE coefficient {}",
            t.feature,
            f.coefficient
        );
        assert_eq!(
            f.bins.iter().any(|b| b.missing),
            t.missing_rate > 0.0,
            "{}",
            t.feature
        );
    }
    // Points: a safer row scores higher, and PDO points double the odds.
    let o = &report.options;
    let safest = rows
        .iter()
        .map(|r| report.points(r))
        .fold(f64::MIN, f64::max);
    let riskiest = rows
        .iter()
        .map(|r| report.points(r))
        .fold(f64::MAX, f64::min);
    assert!(safest > riskiest);
    let r = &rows[0];
    let odds_good = (1.0 - report.predict_pd(r)) / report.predict_pd(r);
    let expect = o.base_points + o.pdo * (odds_good / o.base_odds).log2();
    assert!((report.points(r) - expect).abs() < 1e-6);
}

#[test]
fn shuffled_labels_give_chance_auc() {
    let mut rows = synthetic_loans(20_000, 12);
    let mut labels: Vec<bool> = rows.iter().map(|r| r.default).collect();
    SplitMix64::new(99).shuffle(&mut labels);
    for (r, l) in rows.iter_mut().zip(labels) {
        r.default = l;
    }
    let report = fit(&rows, &FitOptions::default()).unwrap();
    let got = report.holdout_auc.unwrap();
    eprintln!(
        "shuffled: held-out AUC {got:.4}, train AUC {:.4}",
        report.train_auc
    );
    assert!((got - 0.5).abs() < 0.06, "{got}");
}

#[test]
fn fit_is_deterministic_and_seeded() {
    let rows = synthetic_loans(3000, 5);
    let a = fit(&rows, &FitOptions::default()).unwrap();
    let b = fit(&rows, &FitOptions::default()).unwrap();
    assert_eq!(a, b);
    let c = fit(
        &rows,
        &FitOptions {
            seed: 7,
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(a.holdout_index, c.holdout_index);
    // Stratified: each class is held out at 30% (rounded).
    let d = rows.iter().filter(|r| r.default).count();
    assert_eq!(a.holdout_defaults, (0.3 * d as f64).round() as usize);
}

#[test]
fn fit_errors_name_the_fix() {
    assert!(fit(&[], &FitOptions::default())
        .unwrap_err()
        .to_string()
        .contains("fix:"));
    let mut rows = synthetic_loans(200, 1);
    for r in &mut rows {
        r.default = false;
    }
    let e = fit(&rows, &FitOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no defaults"), "{e}");
}

#[test]
fn csv_round_trip_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let rows = synthetic_loans(50, 3);
    let path = dir.path().join("loans.csv");
    write_labelled_csv(&rows, std::fs::File::create(&path).unwrap()).unwrap();
    assert_eq!(read_labelled_csv(&path).unwrap(), rows);

    let bad = |text: &str| {
        let p = dir.path().join("bad.csv");
        std::fs::write(&p, text).unwrap();
        read_labelled_csv(&p).unwrap_err()
    };
    let e = bad("uscc,rd,default\n915,0.03,0\n916,0.02,yes\n");
    assert_eq!((e.line, e.column.as_deref()), (Some(3), Some("default")));
    assert!(e.to_string().contains("bad.csv:3, column 'default'"), "{e}");
    let e = bad("id,rd,default\na,3%,1\n");
    assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("rd")));
    assert!(e.fix.contains("no %"));
    let e = bad("id,rd\na,0.1\n");
    assert!(e.to_string().contains("no 'default' column"), "{e}");
    let e = bad("id,rd,default\na,0.1\n");
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("2 fields where the header has 3"), "{e}");
    // Empty = missing; the id column is not a feature.
    let p = dir.path().join("ok.csv");
    std::fs::write(&p, "id,rd,default\na,,1\n").unwrap();
    let r = read_labelled_csv(&p).unwrap();
    assert_eq!(r[0].features.len(), 1);
    assert_eq!(r[0].get("rd"), None);
    assert_eq!(r[0].id.as_deref(), Some("a"));
}

/// The shipped sample is exactly `synthetic_loans(500, 2026)`; regenerate with
/// `CREDIT_WRITE_SAMPLES=1 cargo test -p shuanglian-credit shipped_sample`.
#[test]
fn shipped_sample_matches_the_generator() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/credit/synthetic_loans_sample.csv");
    let mut want = vec![];
    write_labelled_csv(&synthetic_loans(500, 2026), &mut want).unwrap();
    if std::env::var_os("CREDIT_WRITE_SAMPLES").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    assert_eq!(std::fs::read(&path).unwrap(), want);
    let rows = read_labelled_csv(&path).unwrap();
    assert!(rows
        .iter()
        .all(|r| r.id.as_deref().unwrap().starts_with("SYN-")));
}
