//! Demo pilot platforms (示例数据): the 20 platforms and PoC centres of `data/demo/platforms.csv`
//! across the 成渝绵 alliance with their equipment, imported through the same use case as
//! `platforms import`; then a believable calendar — past runs (utilisation), requests awaiting the
//! platform, one waiting in the queue, a proposal, a decline, a maintenance block.

use ::pilot::calendar::{midnight, HOUR};
use anyhow::Context;
use engine::engagements::Actor;
use engine::pilot::booking::{BookingInput, BookingMoveInput, BookingResult};
use engine::pilot::Library;
use store::{PassIssuer, Store};

const PLATFORMS: &str = include_str!("../../../../data/demo/platforms.csv");
const EQUIPMENT: &str = include_str!("../../../../data/demo/equipment.csv");

fn actor(u: &store::User, operator: bool) -> Actor {
    Actor {
        user_id: u.id,
        username: u.username.clone(),
        org: u.organization_id,
        operator,
        broker: false,
        official: false,
    }
}

fn at(t: i64) -> String {
    engine::pilot::booking::beijing(t).replace(' ', "T")
}

/// Seeds the library and its calendar; the number of bookings written.
pub async fn seed(store: &Store, issuer: &PassIssuer) -> anyhow::Result<(usize, usize)> {
    let lib = Library::new(store.clone(), issuer.demands_everything(), false)?;
    let dir = tempfile::tempdir()?;
    let (pf, ef) = (
        dir.path().join("platforms.csv"),
        dir.path().join("equipment.csv"),
    );
    std::fs::write(&pf, PLATFORMS)?;
    std::fs::write(&ef, EQUIPMENT)?;
    let admin = store
        .user_by_name("admin")
        .await?
        .context("demo account admin")?;
    let s = lib.import(&actor(&admin, true), &pf, Some(&ef)).await?;
    if !s.problems.is_empty() {
        anyhow::bail!("demo platforms: {}", s.problems.join("\n"));
    }
    let user = |name: &'static str| async move {
        store
            .user_by_name(name)
            .await?
            .with_context(|| format!("demo account {name}"))
    };
    let (ent_a, ent_b, inst, lab) = (
        actor(&user("ent-a").await?, false),
        actor(&user("ent-b").await?, false),
        actor(&user("inst").await?, false),
        actor(&user("lab").await?, false),
    );
    let staff = actor(&user("pilot-staff").await?, false);
    let base = lib.mine(&staff).await?.context("pilot-staff's platform")?;
    let machines = store.equipment_of(base.id).await?;
    let machine = |prefix: &str| {
        machines
            .iter()
            .find(|m| m.name.starts_with(prefix))
            .map(|m| m.id)
            .with_context(|| format!("demo equipment {prefix}"))
    };
    let reactor = machine("500 L")?;
    let small = machine("100 L")?;
    let kiln = machine("电池材料回转窑")?;
    let dryer = machine("离心喷雾干燥机")?;
    let now = store.now_ts();
    let today = chrono::DateTime::from_timestamp(now + 8 * HOUR, 0)
        .context("clock")?
        .date_naive();
    let d0 = midnight(today);
    let day = 24 * HOUR;
    let mut n = 0;
    // Past runs, written as the record of what happened (confirmed), for utilisation.
    for (machine, org, start, hours) in [
        (reactor, ent_a.org, d0 - 26 * day + 8 * HOUR, 48),
        (reactor, ent_b.org, d0 - 19 * day + 8 * HOUR, 72),
        (reactor, inst.org, d0 - 9 * day + 8 * HOUR, 36),
        (small, ent_b.org, d0 - 15 * day + 8 * HOUR, 24),
        (kiln, ent_a.org, d0 - 12 * day, 96),
        (kiln, lab.org, d0 - 4 * day, 48),
    ] {
        store
            .book(&store::NewBooking {
                equipment_id: machine,
                platform_id: base.id,
                status: "confirmed".into(),
                starts_at: start,
                ends_at: start + hours * HOUR,
                requester_org: org,
                requester_user: None,
                purpose: "中试放大批次（示例）".into(),
                engagement_id: None,
                challenge_id: None,
                note: String::new(),
                hold_secs: 0,
                wait: false,
                max_waiting: 50,
                max_pending: 100,
                max_future_hours: 100_000,
                actor: "demo".into(),
                notify: vec![],
            })
            .await?;
        n += 1;
    }
    let request = |who: &Actor, equipment: i64, s: i64, hours: i64, purpose: &str, wait: bool| {
        let req = BookingInput {
            equipment_id: equipment,
            starts_at: at(s),
            ends_at: at(s + hours * HOUR),
            purpose: purpose.into(),
            engagement_id: None,
            challenge_id: None,
            wait,
            maintenance: false,
        };
        let who = who.clone();
        let lib = &lib;
        async move {
            match lib.request(&who, &req).await? {
                BookingResult::Done(b) => anyhow::Ok(b),
                BookingResult::Taken { .. } => anyhow::bail!("demo booking overlaps"),
            }
        }
    };
    // Awaiting the platform, and one waiting behind it.
    request(
        &ent_a,
        reactor,
        d0 + 3 * day + 8 * HOUR,
        24,
        "磷酸铁锂前驱体 300 kg 放大批次（示例）",
        false,
    )
    .await?;
    request(
        &ent_b,
        reactor,
        d0 + 3 * day + 20 * HOUR,
        12,
        "电解液添加剂合成验证（示例）",
        true,
    )
    .await?;
    // Confirmed by the platform.
    let b = request(
        &inst,
        small,
        d0 + 5 * day + 8 * HOUR,
        12,
        "高压加氢催化剂评价（示例）",
        false,
    )
    .await?;
    lib.move_booking(
        &staff,
        b.id,
        &BookingMoveInput {
            to: "confirmed".into(),
            note: String::new(),
            starts_at: None,
            ends_at: None,
            version: b.version,
        },
    )
    .await?;
    // A proposal of another period.
    let b = request(
        &ent_b,
        small,
        d0 + 10 * day + 8 * HOUR,
        12,
        "正极材料包覆小试放大（示例）",
        false,
    )
    .await?;
    lib.move_booking(
        &staff,
        b.id,
        &BookingMoveInput {
            to: "proposed".into(),
            note: "原时段设备保养，建议顺延一天（示例）".into(),
            starts_at: Some(at(d0 + 11 * day + 8 * HOUR)),
            ends_at: Some(at(d0 + 11 * day + 20 * HOUR)),
            version: b.version,
        },
    )
    .await?;
    // Declined with a reason.
    let b = request(
        &ent_a,
        kiln,
        d0 + 14 * day,
        48,
        "硅碳负极烧结（示例）",
        false,
    )
    .await?;
    lib.move_booking(
        &staff,
        b.id,
        &BookingMoveInput {
            to: "declined".into(),
            note: "该温区不适合含硅物料，请改约绵阳高温烧结炉（示例）".into(),
            starts_at: None,
            ends_at: None,
            version: b.version,
        },
    )
    .await?;
    // Open booking on the dryer (confirmed at once) on the next weekday morning.
    let mut d = d0 + 2 * day;
    while Library::weekday(d) >= 5 {
        d += day;
    }
    request(
        &lab,
        dryer,
        d + 9 * HOUR,
        3,
        "电池材料喷雾造粒验证（示例）",
        false,
    )
    .await?;
    // A maintenance block.
    lib.request(
        &staff,
        &BookingInput {
            equipment_id: kiln,
            starts_at: at(d0 + 7 * day),
            ends_at: at(d0 + 8 * day),
            purpose: "炉膛耐火材料检修（示例）".into(),
            engagement_id: None,
            challenge_id: None,
            wait: false,
            maintenance: true,
        },
    )
    .await?;
    n += 7;
    // The biomedical platform's fermenter is taken for the next two months by a long campaign, so
    // a biomedical outcome's path names the missing local capacity and the alliance's nearest.
    let bio_org = store
        .org_by_name("重庆生物医药中试平台（示例）")
        .await?
        .context("demo bio platform")?;
    let bio = store
        .platform_of_org(bio_org.0)
        .await?
        .context("demo bio platform entry")?;
    let fermenter = store
        .equipment_of(bio.id)
        .await?
        .into_iter()
        .find(|e| e.name.starts_with("200 L"))
        .context("demo fermenter")?;
    for k in 0..2 {
        let start = d0 + k * 30 * day;
        store
            .book(&store::NewBooking {
                equipment_id: fermenter.id,
                platform_id: bio.id,
                status: "confirmed".into(),
                starts_at: start,
                ends_at: start + 30 * day,
                requester_org: ent_b.org,
                requester_user: None,
                purpose: "注册批连续生产（示例）".into(),
                engagement_id: None,
                challenge_id: None,
                note: String::new(),
                hold_secs: 0,
                wait: false,
                max_waiting: 50,
                max_pending: 100,
                max_future_hours: 100_000,
                actor: "demo".into(),
                notify: vec![],
            })
            .await?;
        n += 1;
    }
    seed_conversion(store, &lib, &admin).await?;
    Ok((
        s.platforms_created + s.platforms_updated + s.platforms_unchanged,
        n,
    ))
}

/// Patent filings on the fast track (granted, in progress, ordinary route), a selected PoC seed and
/// its application to a PoC centre (示例数据).
async fn seed_conversion(store: &Store, lib: &Library, admin: &store::User) -> anyhow::Result<()> {
    use engine::pilot::filings::{FilingInput, FilingMoveInput};
    let op = actor(admin, true);
    let outcomes = store.list(model::RecordKind::Outcome, 0, 500).await?;
    let patents: Vec<(i64, model::Outcome)> = outcomes
        .into_iter()
        .filter_map(|s| match s.record {
            model::Record::Outcome(o) if o.patent_no.is_some() => Some((s.id, o)),
            _ => None,
        })
        .take(12)
        .collect();
    let applicant = store.org_by_name("重庆示例理工大学").await?.map(|x| x.0);
    for (i, (id, o)) in patents.iter().enumerate() {
        let filed =
            chrono::NaiveDate::from_ymd_opt(2025, 1 + (i as u32 % 6), 10).context("date")?;
        let ipc: Vec<String> = o.ipc.iter().map(|c| c.as_str().to_string()).collect();
        let f = lib
            .add_filing(
                &op,
                &FilingInput {
                    application_no: o
                        .patent_no
                        .as_ref()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default(),
                    kind: None,
                    ipc,
                    title: o.title.clone(),
                    outcome_id: Some(*id),
                    filed_on: filed.to_string(),
                    claims: 6 + i as i64,
                    applicant_org_id: applicant,
                },
            )
            .await?;
        // In turn: fast track to grant, fast track in progress, ordinary grant, just filed.
        let steps: Vec<(&str, i64)> = match (i % 4, f.industry.is_some()) {
            (0, true) => vec![
                ("pre_examined", 20),
                ("fast_track", 35),
                ("granted", 120 + i as i64),
            ],
            (1, true) => vec![("pre_examined", 15), ("fast_track", 30)],
            (2, _) | (0, false) => vec![("granted", 540 + i as i64)],
            _ => vec![],
        };
        let mut version = f.version;
        for (to, days) in steps {
            let on = filed + chrono::Duration::days(days);
            let g = lib
                .move_filing(
                    &op,
                    f.id,
                    &FilingMoveInput {
                        to: to.into(),
                        on_date: on.to_string(),
                        version,
                    },
                )
                .await?;
            version = g.version;
        }
    }
    // A selected seed sent to the university's PoC centre.
    let seed = patents
        .iter()
        .find(|(_, o)| o.trl.is_some_and(|t| (3..=5).contains(&t.get())));
    if let Some((id, _)) = seed {
        lib.select_seed(
            &op,
            *id,
            true,
            "知识产权与本地需求俱佳，建议优先支持（示例）",
            "{}",
        )
        .await?;
        let centre = store
            .org_by_name("重庆示例大学概念验证中心（示例）")
            .await?
            .context("demo PoC centre")?;
        let centre = store
            .platform_of_org(centre.0)
            .await?
            .context("demo PoC centre entry")?;
        lib.send_to_centre(
            &op,
            &engine::pilot::applications::PocApplicationInput {
                outcome_id: *id,
                platform_id: centre.id,
                note: "请评估原理验证与样机制作周期（示例）".into(),
            },
        )
        .await?;
    }
    Ok(())
}
