//! AUC and KS on hand-worked examples.

use credit::{auc, ks};

#[test]
fn auc_counts_ordered_pairs() {
    // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered.
    let s = [0.1, 0.4, 0.35, 0.8];
    let y = [false, false, true, true];
    assert!((auc(&s, &y).unwrap() - 0.75).abs() < 1e-12);
}

#[test]
fn auc_counts_ties_as_half() {
    // Positive 0.5 ties both negatives (2 × ½), positive 0.9 beats both (2): 3 / 4.
    let s = [0.5, 0.5, 0.5, 0.9];
    let y = [true, false, false, true];
    assert!((auc(&s, &y).unwrap() - 0.75).abs() < 1e-12);
    assert_eq!(auc(&[1.0; 4], &[true, false, true, false]), Some(0.5));
}

#[test]
fn auc_extremes_and_one_class() {
    assert_eq!(auc(&[0.9, 0.8, 0.1], &[true, true, false]), Some(1.0));
    assert_eq!(auc(&[0.1, 0.2, 0.9], &[true, true, false]), Some(0.0));
    assert_eq!(auc(&[0.1, 0.2], &[true, true]), None);
}

#[test]
fn ks_is_the_largest_gap() {
    // Descending: T T F T F F → gaps 1/3, 2/3, 1/3, 2/3, 1/3, 0.
    let s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
    let y = [true, true, false, true, false, false];
    assert!((ks(&s, &y).unwrap() - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn ks_never_splits_a_tie() {
    // Cutting inside the 0.5 tie would show a gap of 1; the tie moves together: 0.5.
    let s = [0.9, 0.5, 0.5, 0.1];
    let y = [true, true, false, false];
    assert!((ks(&s, &y).unwrap() - 0.5).abs() < 1e-12);
    assert_eq!(ks(&[0.3; 4], &[true, false, true, false]), Some(0.0));
    assert_eq!(ks(&[0.9, 0.1], &[true, false]), Some(1.0));
}
