//! No double booking, on both back-ends: 100 simultaneous requests for overlapping periods of one
//! machine leave exactly one holding it; random overlapping and adjacent periods never leave two
//! holding bookings that share a moment; adjacent periods are both allowed; and the database itself
//! refuses an overlapping row written behind the store's back.

use model::{OrgKind, Organization, Record};
use rand::{Rng, SeedableRng};
use store::{Booked, BookingMove, EquipmentFields, NewBooking, PlatformFields, Store};

mod common;
use common::{backends, cleanup, Backend};

const H: i64 = 3600;
/// 2030-01-01 00:00 Beijing: far enough ahead for any clock.
const T0: i64 = 1_893_427_200 - 8 * H;

async fn machine(s: &Store, org_name: &str) -> (i64, i64, i64) {
    let org = Organization::new(OrgKind::PilotPlatform, org_name);
    let org_id = s
        .write_batch(&[Record::Organization(org)], "t")
        .await
        .unwrap()[0]
        .id();
    let requester = Organization::new(OrgKind::Enterprise, format!("{org_name} 用户企业"));
    let req_id = s
        .write_batch(&[Record::Organization(requester)], "t")
        .await
        .unwrap()[0]
        .id();
    let p = s
        .upsert_platform(
            org_id,
            &PlatformFields {
                kind: "pilot_platform".into(),
                form: "specialised".into(),
                level: "municipal".into(),
                field: String::new(),
                cluster: String::new(),
                region_code: None,
                trl_in: 4,
                trl_out: 7,
                detail: "{}".into(),
                search_text: String::new(),
            },
            "t",
        )
        .await
        .unwrap()
        .id();
    let e = s
        .upsert_equipment(
            p,
            &EquipmentFields {
                name: "500 L 反应釜".into(),
                model: String::new(),
                hours: "24x7".into(),
                auto_confirm: true,
                active: true,
                detail: "{}".into(),
                search_text: String::new(),
            },
            "t",
        )
        .await
        .unwrap()
        .id();
    (p, e, req_id)
}

fn request(p: i64, e: i64, org: i64, s: i64, en: i64, status: &str) -> NewBooking {
    NewBooking {
        equipment_id: e,
        platform_id: p,
        status: status.into(),
        starts_at: s,
        ends_at: en,
        requester_org: Some(org),
        requester_user: Some(1),
        purpose: String::new(),
        engagement_id: None,
        challenge_id: None,
        note: String::new(),
        hold_secs: 3 * 24 * H,
        wait: false,
        max_waiting: 50,
        max_pending: 1_000,
        max_future_hours: 1_000_000,
        actor: "t".into(),
        notify: vec![],
    }
}

/// Every pair of holding bookings of the machine is disjoint.
async fn assert_disjoint(s: &Store, e: i64, label: &str) -> usize {
    let rows = s
        .bookings_between(e, -1, &store::HOLDING, T0 - 1000 * H, T0 + 10_000 * H)
        .await
        .unwrap();
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            assert!(
                a.ends_at <= b.starts_at || b.ends_at <= a.starts_at,
                "{label}: #{} {}–{} and #{} {}–{} overlap",
                a.id,
                a.starts_at,
                a.ends_at,
                b.id,
                b.starts_at,
                b.ends_at
            );
        }
    }
    rows.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_simultaneous_requests_confirm_exactly_one() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let (p, e, org) = machine(s, "并发中试平台").await;
        let mut tasks = vec![];
        for i in 0..100_i64 {
            let s = s.clone();
            // Every period overlaps every other: all contain [T0+10h, T0+11h).
            let r = request(
                p,
                e,
                org,
                T0 + (i % 10) * H,
                T0 + 11 * H + (i % 7) * H,
                "confirmed",
            );
            tasks.push(tokio::spawn(async move { s.book(&r).await.unwrap() }));
        }
        let mut done = 0;
        let mut refused = 0;
        for t in tasks {
            match t.await.unwrap() {
                Booked::Done { status, .. } => {
                    assert_eq!(status, "confirmed");
                    done += 1;
                }
                Booked::Conflict { starts_at, ends_at } => {
                    assert!(starts_at < ends_at);
                    refused += 1;
                }
                other => panic!("{}: unexpected {other:?}", s.backend_name()),
            }
        }
        assert_eq!((done, refused), (1, 99), "{}", s.backend_name());
        assert_eq!(assert_disjoint(s, e, s.backend_name()).await, 1);
    }
    cleanup(all).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_overlapping_and_adjacent_periods_never_double_book() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        for round in 0..3_u64 {
            let (p, e, org) = machine(s, &format!("随机中试平台 {round}")).await;
            let mut rng = rand::rngs::StdRng::seed_from_u64(round + 7);
            let mut tasks = vec![];
            for _ in 0..60 {
                let start = T0 + rng.gen_range(0..48) * H;
                let len = rng.gen_range(1..6) * H;
                let status = if rng.gen_bool(0.5) {
                    "requested"
                } else {
                    "confirmed"
                };
                let r = request(p, e, org, start, start + len, status);
                let s = s.clone();
                tasks.push(tokio::spawn(async move { s.book(&r).await.unwrap() }));
            }
            for t in tasks {
                let got = t.await.unwrap();
                assert!(
                    matches!(got, Booked::Done { .. } | Booked::Conflict { .. }),
                    "{got:?}"
                );
            }
            let n = assert_disjoint(s, e, s.backend_name()).await;
            assert!(n >= 8, "{}: only {n} bookings held", s.backend_name());
        }
    }
    cleanup(all).await;
}

#[tokio::test]
async fn adjacent_periods_are_both_allowed_and_a_proposal_cannot_overlap() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let (p, e, org) = machine(s, "相邻中试平台").await;
        let first = s
            .book(&request(p, e, org, T0, T0 + 2 * H, "confirmed"))
            .await
            .unwrap();
        let second = s
            .book(&request(p, e, org, T0 + 2 * H, T0 + 4 * H, "requested"))
            .await
            .unwrap();
        let before = s
            .book(&request(p, e, org, T0 - 3 * H, T0, "requested"))
            .await
            .unwrap();
        for x in [&first, &second, &before] {
            assert!(
                matches!(x, Booked::Done { .. }),
                "{}: {x:?}",
                s.backend_name()
            );
        }
        // One hour into the first: refused with the first's period.
        let clash = s
            .book(&request(p, e, org, T0 + H, T0 + 2 * H, "requested"))
            .await
            .unwrap();
        assert_eq!(
            clash,
            Booked::Conflict {
                starts_at: T0,
                ends_at: T0 + 2 * H
            }
        );
        // The second proposed onto the first's period: refused; onto a free one: moved.
        let Booked::Done { id, .. } = second else {
            unreachable!()
        };
        let row = s.booking(id).await.unwrap().unwrap();
        let mv = |period: (i64, i64), version: i64| BookingMove {
            id,
            from: "requested".into(),
            to: "proposed".into(),
            version,
            period: Some(period),
            note: String::new(),
            hold_secs: 3 * 24 * H,
            actor_user: 1,
            actor: "t".into(),
            notify: vec![],
        };
        let refused = s
            .move_booking(&mv((T0 + H, T0 + 3 * H), row.version))
            .await
            .unwrap();
        assert!(matches!(refused, Booked::Conflict { .. }), "{refused:?}");
        let moved = s
            .move_booking(&mv((T0 + 5 * H, T0 + 6 * H), row.version))
            .await
            .unwrap();
        assert!(matches!(moved, Booked::Done { .. }), "{moved:?}");
        // The freed period is bookable again.
        let again = s
            .book(&request(p, e, org, T0 + 2 * H, T0 + 4 * H, "requested"))
            .await
            .unwrap();
        assert!(matches!(again, Booked::Done { .. }), "{again:?}");
        assert_disjoint(s, e, s.backend_name()).await;
    }
    cleanup(all).await;
}

#[tokio::test]
async fn the_waiting_queue_moves_up_when_a_period_is_freed() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let (p, e, org) = machine(s, "排队中试平台").await;
        let Booked::Done { id: held, .. } = s
            .book(&request(p, e, org, T0, T0 + 4 * H, "requested"))
            .await
            .unwrap()
        else {
            panic!()
        };
        let mut w = request(p, e, org, T0 + H, T0 + 2 * H, "requested");
        w.wait = true;
        let Booked::Done {
            id: waiting,
            status,
        } = s.book(&w).await.unwrap()
        else {
            panic!()
        };
        assert_eq!(status, "waiting");
        let v = s.booking(held).await.unwrap().unwrap().version;
        let declined = s
            .move_booking(&BookingMove {
                id: held,
                from: "requested".into(),
                to: "declined".into(),
                version: v,
                period: None,
                note: "设备检修".into(),
                hold_secs: 3 * 24 * H,
                actor_user: 1,
                actor: "t".into(),
                notify: vec![],
            })
            .await
            .unwrap();
        assert!(matches!(declined, Booked::Done { .. }));
        let promoted = s.booking(waiting).await.unwrap().unwrap();
        assert_eq!(promoted.status, "requested", "{}", s.backend_name());
        assert!(promoted.hold_until.is_some());
    }
    cleanup(all).await;
}

/// Runs raw SQL against the back-end under the store; the error's text when refused.
async fn raw(b: &Backend, sql: &str) -> Result<(), String> {
    use sqlx::Connection;
    if let Some((url, schema)) = &b.pg_cleanup {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(&format!("SET search_path TO {schema}"))
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query(sql)
            .execute(&mut c)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    } else {
        let path = b.dir.as_ref().unwrap().path().join("t.db");
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query(sql)
            .execute(&mut c)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[tokio::test]
async fn the_database_refuses_an_overlap_written_behind_the_stores_back() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let (p, e, org) = machine(s, "约束中试平台").await;
        s.book(&request(p, e, org, T0, T0 + 2 * H, "confirmed"))
            .await
            .unwrap();
        let insert = |status: &str, a: i64, z: i64| {
            format!(
                "INSERT INTO bookings (equipment_id, platform_id, status, starts_at, ends_at, created_at, updated_at) \
                 VALUES ({e}, {p}, '{status}', {a}, {z}, 0, 0)"
            )
        };
        let err = raw(b, &insert("confirmed", T0 + H, T0 + 3 * H))
            .await
            .unwrap_err();
        assert!(
            err.contains("booking_overlap") || err.contains("bookings_no_overlap"),
            "{}: {err}",
            s.backend_name()
        );
        // Not holding (declined) may overlap; adjacent may sit next to it.
        raw(b, &insert("declined", T0 + H, T0 + 3 * H))
            .await
            .unwrap();
        raw(b, &insert("blocked", T0 + 2 * H, T0 + 3 * H))
            .await
            .unwrap();
        // Turning the declined row back into a holding one is refused too.
        let err = raw(
            b,
            "UPDATE bookings SET status = 'confirmed' WHERE status = 'declined'",
        )
        .await
        .unwrap_err();
        assert!(err.contains("overlap"), "{}: {err}", s.backend_name());
    }
    cleanup(all).await;
}

#[tokio::test]
async fn an_organization_holds_a_bounded_share_of_a_machines_future() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let (p, e, org) = machine(s, "份额中试平台").await;
        let mut r = request(p, e, org, T0, T0 + 8 * H, "confirmed");
        r.max_future_hours = 10;
        assert!(matches!(s.book(&r).await.unwrap(), Booked::Done { .. }));
        let mut more = request(p, e, org, T0 + 10 * H, T0 + 14 * H, "requested");
        more.max_future_hours = 10;
        assert_eq!(
            s.book(&more).await.unwrap(),
            Booked::TooManyHours(8),
            "{}",
            s.backend_name()
        );
        more.ends_at = T0 + 12 * H;
        assert!(
            matches!(s.book(&more).await.unwrap(), Booked::Done { .. }),
            "exactly the share is fine"
        );
    }
    cleanup(all).await;
}
