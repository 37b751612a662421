use super::*;

/// Unix seconds of a Beijing date and hour.
fn at(y: i32, m: u32, d: u32, h: i64) -> i64 {
    midnight(NaiveDate::from_ymd_opt(y, m, d).unwrap()) + h * HOUR
}

#[test]
fn midnight_is_beijing() {
    // 2027-03-01 00:00 Beijing = 2027-02-28 16:00 UTC.
    assert_eq!(at(2027, 3, 1, 0), 1_803_830_400);
}

#[test]
fn weekday_windows() {
    let h = Hours::parse("mon-fri 08:00-18:00; sat 09-12").unwrap();
    // 2027-03-01 is a Monday.
    let w = h.windows(at(2027, 3, 1, 0), at(2027, 3, 8, 0));
    assert_eq!(w.len(), 6);
    assert_eq!(w[0], (at(2027, 3, 1, 8), at(2027, 3, 1, 18)));
    assert_eq!(w[5], (at(2027, 3, 6, 9), at(2027, 3, 6, 12)));
    assert!(h.covers(at(2027, 3, 1, 8), at(2027, 3, 1, 18)));
    assert!(
        !h.covers(at(2027, 3, 1, 7), at(2027, 3, 1, 9)),
        "before opening"
    );
    assert!(
        !h.covers(at(2027, 3, 1, 17), at(2027, 3, 2, 9)),
        "across the night"
    );
    assert_eq!(
        h.describe(),
        "mon,tue,wed,thu,fri 08:00-18:00; sat 09:00-12:00"
    );
    assert_eq!(Hours::parse(&h.describe()).unwrap(), h);
}

#[test]
fn chinese_days_and_round_the_clock() {
    let h = Hours::parse("周一至周五 09:00-17:00").unwrap();
    assert!(h.covers(at(2027, 3, 5, 9), at(2027, 3, 5, 17)));
    assert!(!h.covers(at(2027, 3, 6, 9), at(2027, 3, 6, 10)), "Saturday");
    assert_eq!(Hours::parse("24x7").unwrap(), Hours::Always);
    assert!(Hours::Always.covers(at(2027, 3, 1, 0), at(2027, 3, 31, 0)));
    // Whole days back to back merge into one window (a run across midnight).
    let all = Hours::parse("mon-sun 00:00-24:00").unwrap();
    assert_eq!(all.windows(at(2027, 3, 1, 20), at(2027, 3, 3, 4)).len(), 1);
}

#[test]
fn bad_hours_say_what_to_fix() {
    for bad in [
        "mon-fri 8:30-18:00",
        "mon-fri 18:00-08:00",
        "funday 08-10",
        "08:00-18:00",
    ] {
        let e = Hours::parse(bad).unwrap_err();
        assert!(e.contains("mon") || e.contains("周一"), "{bad}: {e}");
    }
}

#[test]
fn adjacent_periods_do_not_overlap() {
    assert!(!overlaps((0, 10), (10, 20)));
    assert!(overlaps((0, 11), (10, 20)));
    assert!(overlaps((5, 6), (0, 20)));
}

#[test]
fn free_time_and_earliest_slot() {
    let h = Hours::parse("mon-fri 08:00-18:00").unwrap();
    let busy = [
        (at(2027, 3, 1, 8), at(2027, 3, 1, 12)),
        (at(2027, 3, 1, 13), at(2027, 3, 1, 18)),
    ];
    let free = subtract(&h.windows(at(2027, 3, 1, 0), at(2027, 3, 2, 0)), &busy);
    assert_eq!(free, vec![(at(2027, 3, 1, 12), at(2027, 3, 1, 13))]);
    // Four hours: not on Monday (one free hour), Tuesday 08:00.
    let e = earliest_free(&h, &busy, at(2027, 3, 1, 0), 4 * HOUR, at(2027, 4, 1, 0));
    assert_eq!(e, Some((at(2027, 3, 2, 8), at(2027, 3, 2, 12))));
    // Asked from 09:30 on Tuesday: starts on the next whole hour.
    let e = earliest_free(&h, &busy, at(2027, 3, 2, 9) + 1800, HOUR, at(2027, 4, 1, 0));
    assert_eq!(e, Some((at(2027, 3, 2, 10), at(2027, 3, 2, 11))));
    // Longer than any opening window: none.
    assert_eq!(
        earliest_free(&h, &[], at(2027, 3, 1, 0), 11 * HOUR, at(2027, 4, 1, 0)),
        None
    );
}

#[test]
fn utilisation_of_a_month() {
    // March 2027 has 23 weekdays: 230 open hours, 10 of them maintenance; booked: one whole day and
    // a Monday-to-Friday run whose nights are closed (50 open hours).
    let h = Hours::parse("mon-fri 08:00-18:00").unwrap();
    let (from, to) = month("2027-03").unwrap();
    let maint = [(at(2027, 3, 3, 8), at(2027, 3, 3, 18))];
    let booked = [
        (at(2027, 3, 1, 8), at(2027, 3, 1, 18)),
        (at(2027, 3, 8, 8), at(2027, 3, 12, 18)), // Mon–Fri, nights closed: 50 open hours
    ];
    let u = utilisation(&h, from, to, &maint, &booked);
    assert_eq!(u.maintenance_hours, 10.0);
    assert_eq!(u.bookable_hours, 220.0);
    assert_eq!(u.booked_hours, 60.0);
    assert!((u.share.unwrap() - 60.0 / 220.0).abs() < 1e-12);
    // A month with nothing open has no share.
    let closed = Hours::Weekly(vec![]);
    assert_eq!(utilisation(&closed, from, to, &[], &[]).share, None);
}

#[test]
fn months_parse() {
    let (a, b) = month("2027-12").unwrap();
    assert_eq!(b - a, 31 * 24 * HOUR);
    assert!(month("2027-13").is_err());
    assert!(month("March").is_err());
}
