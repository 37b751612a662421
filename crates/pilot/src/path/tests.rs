//! Hand-worked paths: a bottleneck of pilot capacity, one of financing, one with no local pilot.
use super::*;

const DAY: i64 = 86_400;
const NOW: i64 = 1_800_000_000;

fn machine(id: i64, local: bool, days_ahead: Option<i64>, cost: i64) -> MachineFact {
    MachineFact {
        platform_id: id,
        platform: format!("平台{id}"),
        equipment_id: id * 10,
        equipment: format!("500 L 发酵罐 {id}"),
        local,
        alliance: !local,
        earliest: days_ahead.map(|d| NOW + d * DAY),
        cost_fen: Some(cost),
    }
}

fn facts() -> PathFacts {
    PathFacts {
        trl: Some(5),
        now: NOW,
        centres: vec![],
        machines: vec![machine(1, true, Some(3), 5_000_000)],
        adopters: vec![AdopterFact {
            org_id: 7,
            name: "重庆某药业".into(),
            local: true,
            credit: Some(Some(("B".into(), 400_000_000))),
        }],
        ip: "granted".into(),
        fast_track_eligible: false,
    }
}

fn date(t: i64) -> String {
    format!("D+{}", (t - NOW) / DAY)
}

fn status<'a>(p: &'a Path, s: &str) -> &'a Step {
    p.steps.iter().find(|x| x.step == s).unwrap()
}

#[test]
fn a_clear_path_has_no_bottleneck() {
    let r = PathRules::shipped();
    let p = r.plan(&facts(), date);
    assert_eq!(status(&p, "poc").status, "skip", "TRL 5 is past the PoC");
    assert_eq!(status(&p, "pilot").status, "ok");
    assert_eq!(status(&p, "pilot").values, ["500 L 发酵罐 1", "D+3"]);
    assert_eq!(status(&p, "financing").status, "ok");
    assert_eq!(p.bottleneck, None);
}

#[test]
fn pilot_capacity_is_the_bottleneck_when_local_machines_are_booked_far_ahead() {
    let r = PathRules::shipped();
    // Local free in 95 days, the alliance machine in 10: 95 > 10 + 30 → the alliance one, named.
    let f = PathFacts {
        machines: vec![
            machine(1, true, Some(95), 5_000_000),
            machine(2, false, Some(10), 6_000_000),
        ],
        ..facts()
    };
    let p = r.plan(&f, date);
    let s = status(&p, "pilot");
    assert_eq!(
        (s.status.as_str(), s.reason.as_str()),
        ("warn", "pilot_local_late")
    );
    assert_eq!(s.values, ["500 L 发酵罐 1", "D+95", "平台2", "D+10"]);
    assert_eq!(s.choice_id, Some(2));
    assert_eq!(p.bottleneck.as_deref(), Some("pilot"));
    // At exactly 30 days later the local one still wins (the edge is "more than").
    let f = PathFacts {
        machines: vec![
            machine(1, true, Some(40), 5_000_000),
            machine(2, false, Some(10), 6_000_000),
        ],
        ..facts()
    };
    let p = r.plan(&f, date);
    assert_eq!(status(&p, "pilot").choice_id, Some(1));
    assert_eq!(p.bottleneck, None);
    // No local machine at all: the nearest alliance machine, as a warning.
    let f = PathFacts {
        machines: vec![
            machine(1, true, None, 0),
            machine(2, false, Some(20), 6_000_000),
        ],
        ..facts()
    };
    let p = r.plan(&f, date);
    assert_eq!(status(&p, "pilot").reason, "pilot_no_local");
    assert_eq!(p.bottleneck.as_deref(), Some("pilot"));
    // Nothing free within the horizon: blocked; no machine that fits at all: blocked, said apart.
    let f = PathFacts {
        machines: vec![machine(1, true, None, 0)],
        ..facts()
    };
    let s = r.plan(&f, date);
    assert_eq!(
        (
            status(&s, "pilot").status.as_str(),
            status(&s, "pilot").reason.as_str()
        ),
        ("blocked", "pilot_none")
    );
    let f = PathFacts {
        machines: vec![],
        ..facts()
    };
    assert_eq!(
        status(&r.plan(&f, date), "pilot").reason,
        "pilot_no_platform"
    );
}

#[test]
fn financing_is_the_bottleneck_when_the_run_costs_more_than_the_credit_line() {
    let r = PathRules::shipped();
    // Grade E: ¥800,000 line; the run costs ¥900,000.
    let f = PathFacts {
        machines: vec![machine(1, true, Some(3), 90_000_000)],
        adopters: vec![AdopterFact {
            org_id: 7,
            name: "重庆某药业".into(),
            local: true,
            credit: Some(Some(("E".into(), 80_000_000))),
        }],
        ..facts()
    };
    let p = r.plan(&f, date);
    let s = status(&p, "financing");
    assert_eq!(
        (s.status.as_str(), s.reason.as_str()),
        ("blocked", "financing_short")
    );
    assert_eq!(s.values, ["E", "80000000", "90000000"]);
    assert_eq!(p.bottleneck.as_deref(), Some("financing"));
    // A run of exactly the line is financed.
    let f = PathFacts {
        machines: vec![machine(1, true, Some(3), 80_000_000)],
        ..f
    };
    assert_eq!(r.plan(&f, date).bottleneck, None);
}

#[test]
fn credit_the_reader_may_not_see_is_hidden_and_never_the_bottleneck() {
    let r = PathRules::shipped();
    let f = PathFacts {
        machines: vec![machine(1, true, Some(3), 90_000_000)],
        adopters: vec![AdopterFact {
            org_id: 7,
            name: "重庆某药业".into(),
            local: true,
            credit: None,
        }],
        ..facts()
    };
    let p = r.plan(&f, date);
    assert_eq!(status(&p, "financing").status, "hidden");
    assert_eq!(p.bottleneck, None);
}

#[test]
fn a_low_trl_starts_with_a_fitting_local_poc_centre() {
    let r = PathRules::shipped();
    let f = PathFacts {
        trl: Some(3),
        centres: vec![
            CentreFact {
                id: 1,
                name: "综合中心".into(),
                local: true,
                field_fit: false,
                open_applications: 0,
            },
            CentreFact {
                id: 2,
                name: "医药中心".into(),
                local: true,
                field_fit: true,
                open_applications: 4,
            },
            CentreFact {
                id: 3,
                name: "成都医药中心".into(),
                local: false,
                field_fit: true,
                open_applications: 0,
            },
        ],
        ip: "none".into(),
        fast_track_eligible: true,
        ..facts()
    };
    let p = r.plan(&f, date);
    assert_eq!(status(&p, "poc").choice_id, Some(2));
    assert_eq!(status(&p, "ip").reason, "ip_none_fast");
    assert_eq!(p.bottleneck.as_deref(), Some("ip"));
    let none = PathFacts {
        centres: vec![],
        ..f
    };
    assert_eq!(r.plan(&none, date).bottleneck.as_deref(), Some("poc"));
}
