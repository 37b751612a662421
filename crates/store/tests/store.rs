//! The store's test suite. Every test runs on SQLite; when `SHUANGLIAN_TEST_DATABASE_URL` names a
//! PostgreSQL server (CI sets it), the same test also runs there, each in a schema of its own.

use model::{
    BudgetRange, Confidentiality, Demand, OrgKind, Organization, Outcome, OutcomeKind, Person,
    PersonKind, Record, RecordKind,
};
use store::{Store, Target, WriteOutcome};

mod common;
use common::{backends, cleanup};

fn paper(title: &str, year: i32) -> Outcome {
    let mut o = Outcome::new(OutcomeKind::Paper, title);
    o.year = Some(year);
    o
}

fn enterprise(name: &str, uscc: &str) -> Organization {
    let mut o = Organization::new(OrgKind::Enterprise, name);
    o.uscc = Some(uscc.parse().unwrap());
    o
}

#[tokio::test]
async fn insert_then_unchanged_then_update() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let name = s.backend_name();
        let recs = vec![
            Record::Outcome(paper("锂离子电池正极材料研究", 2021)),
            Record::Outcome(paper("SiC MOSFET packaging", 2022)),
        ];
        let r = s.write_batch(&recs, "test").await.unwrap();
        assert!(matches!(r[0], WriteOutcome::Inserted(_)), "{name}");
        assert!(matches!(r[1], WriteOutcome::Inserted(_)), "{name}");
        let again = s.write_batch(&recs, "test").await.unwrap();
        assert!(
            again
                .iter()
                .all(|w| matches!(w, WriteOutcome::Unchanged(_))),
            "{name}: {again:?}"
        );

        let mut changed = paper("锂离子电池正极材料研究", 2021);
        changed.trl = Some(model::Trl::new(4).unwrap());
        let upd = s
            .write_batch(&[Record::Outcome(changed.clone())], "test")
            .await
            .unwrap();
        assert_eq!(upd, vec![WriteOutcome::Updated(r[0].id())], "{name}");
        let got = s
            .get(RecordKind::Outcome, r[0].id())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.record, Record::Outcome(changed), "{name}");
        assert!(got.updated_at >= got.created_at);
        assert_eq!(s.counts().await.unwrap().outcomes, 2, "{name}");
    }
    cleanup(all).await;
}

#[tokio::test]
async fn a_doi_added_later_updates_the_title_matched_record() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let first = s
            .write_batch(&[Record::Outcome(paper("Graphene anodes", 2020))], "t")
            .await
            .unwrap()[0];
        let mut with_doi = paper("Graphene Anodes.", 2020);
        with_doi.doi = Some("10.1000/ga".parse().unwrap());
        let second = s
            .write_batch(&[Record::Outcome(with_doi)], "t")
            .await
            .unwrap()[0];
        assert_eq!(
            second,
            WriteOutcome::Updated(first.id()),
            "{}",
            s.backend_name()
        );

        // Same title and year but another DOI: a different paper, stored separately.
        let mut other = paper("Graphene anodes", 2020);
        other.doi = Some("10.1000/other".parse().unwrap());
        let third = s.write_batch(&[Record::Outcome(other)], "t").await.unwrap()[0];
        assert!(
            matches!(third, WriteOutcome::Inserted(_)),
            "{}",
            s.backend_name()
        );
        assert_eq!(s.counts().await.unwrap().outcomes, 2);
        assert!(s.check_consistency().await.unwrap().is_empty());
    }
    cleanup(all).await;
}

#[tokio::test]
async fn organizations_match_by_uscc_even_when_renamed() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let a = s
            .write_batch(
                &[Record::Organization(enterprise(
                    "重庆甲公司",
                    "91350100M000100Y43",
                ))],
                "t",
            )
            .await
            .unwrap()[0];
        let b2 = s
            .write_batch(
                &[Record::Organization(enterprise(
                    "重庆甲科技股份有限公司",
                    "91350100M000100Y43",
                ))],
                "t",
            )
            .await
            .unwrap()[0];
        assert_eq!(b2, WriteOutcome::Updated(a.id()), "{}", s.backend_name());
        assert_eq!(s.counts().await.unwrap().organizations, 1);
    }
    cleanup(all).await;
}

#[tokio::test]
async fn every_kind_round_trips_with_dates_money_and_private_contact() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let mut d = Demand::new("重庆乙公司", "电池热管理", "需要热失控预警方案");
        d.confidentiality = Confidentiality::Nda;
        d.budget = "50-100万".parse::<BudgetRange>().unwrap();
        d.deadline = Some(chrono::NaiveDate::from_ymd_opt(2027, 6, 30).unwrap());
        d.region = Some("长寿区".parse().unwrap());
        let mut p = Person::new(PersonKind::Expert, "李明");
        p.contact.email = Some("li@example.edu.cn".into());
        p.fields = vec!["正极材料".into()];
        let recs = vec![
            Record::Demand(d),
            Record::Person(p),
            Record::Organization(enterprise("重庆甲公司", "91350100M000100Y43")),
            Record::Outcome(paper("x", 2020)),
        ];
        let ids = s.write_batch(&recs, "t").await.unwrap();
        let every = s.take_issuer().unwrap().demands_everything();
        for (rec, w) in recs.iter().zip(&ids) {
            let got = match rec.kind() {
                RecordKind::Demand => s.get_demand(w.id(), &every).await.unwrap().unwrap(),
                kind => s.get(kind, w.id()).await.unwrap().unwrap(),
            };
            assert_eq!(&got.record, rec, "{}", s.backend_name());
        }
        let c = s.counts().await.unwrap();
        assert_eq!(
            (c.organizations, c.persons, c.outcomes, c.demands),
            (1, 1, 1, 1)
        );
        let by = s.counts_by(RecordKind::Demand).await.unwrap();
        assert_eq!(by, vec![("nda".to_string(), 1)]);
        let Record::Person(stored) = &s
            .get(RecordKind::Person, ids[1].id())
            .await
            .unwrap()
            .unwrap()
            .record
        else {
            panic!()
        };
        assert!(stored.without_private_contact().contact.is_empty());
    }
    cleanup(all).await;
}

#[tokio::test]
async fn writes_append_to_outbox_and_audit_log_but_unchanged_ones_do_not() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let recs: Vec<Record> = (0..5)
            .map(|i| Record::Outcome(paper(&format!("paper {i}"), 2020)))
            .collect();
        s.write_batch(&recs, "t").await.unwrap();
        s.write_batch(&recs, "t").await.unwrap();
        let out = s.outbox_since(0, 100).await.unwrap();
        assert_eq!(out.len(), 5, "{}", s.backend_name());
        assert!(out.iter().all(|e| e.op == "insert" && e.kind == "outcome"));
        assert_eq!(s.outbox_since(out[2].id, 100).await.unwrap().len(), 2);
        assert_eq!(s.audit_count().await.unwrap(), 5);
    }
    cleanup(all).await;
}

#[tokio::test]
async fn list_pages_in_id_order() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let recs: Vec<Record> = (0..25)
            .map(|i| Record::Outcome(paper(&format!("p{i}"), 2000 + i)))
            .collect();
        s.write_batch(&recs, "t").await.unwrap();
        let mut seen = vec![];
        let mut after = 0;
        loop {
            let page = s.list(RecordKind::Outcome, after, 10).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.id;
            seen.extend(page.into_iter().map(|p| p.record.label().to_string()));
        }
        let expected: Vec<String> = (0..25).map(|i| format!("p{i}")).collect();
        assert_eq!(seen, expected, "{}", s.backend_name());
    }
    cleanup(all).await;
}

#[tokio::test]
async fn writing_to_a_closed_store_fails_with_an_error_not_a_panic() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        s.write_batch(&[Record::Outcome(paper("kept", 2020))], "t")
            .await
            .unwrap();
        s.close().await;
        let err = s
            .write_batch(&[Record::Outcome(paper("lost", 2020))], "t")
            .await;
        assert!(err.is_err());
    }
    cleanup(all).await;
}

#[tokio::test]
async fn migrations_are_the_same_versions_on_both_back_ends() {
    let names = |dir: &str| {
        let mut v: Vec<String> =
            std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

#[tokio::test]
async fn reopening_applies_no_migration_twice() {
    let dir = tempfile::tempdir().unwrap();
    let t = Target::Sqlite(dir.path().join("x.db"));
    let s = Store::open(&t).await.unwrap();
    s.write_batch(&[Record::Outcome(paper("a", 2020))], "t")
        .await
        .unwrap();
    s.close().await;
    let s = Store::open(&t).await.unwrap();
    assert_eq!(s.counts().await.unwrap().outcomes, 1);
}

#[tokio::test]
async fn a_record_repeated_within_one_batch_is_stored_once() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let mut later = paper("Repeated", 2020);
        later.keywords = vec!["newer".into()];
        let r = s
            .write_batch(
                &[
                    Record::Outcome(paper("Repeated", 2020)),
                    Record::Outcome(later.clone()),
                ],
                "t",
            )
            .await
            .unwrap();
        assert!(
            matches!(r[0], WriteOutcome::Inserted(_)),
            "{}",
            s.backend_name()
        );
        assert_eq!(
            r[1],
            WriteOutcome::Updated(r[0].id()),
            "{}",
            s.backend_name()
        );
        assert_eq!(s.counts().await.unwrap().outcomes, 1);
        let got = s
            .get(RecordKind::Outcome, r[0].id())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.record, Record::Outcome(later));
        assert!(s.check_consistency().await.unwrap().is_empty());
    }
    cleanup(all).await;
}

#[tokio::test]
async fn embeddings_are_cached_by_model_and_text() {
    let bs = backends().await;
    for b in &bs {
        let s = &b.store;
        let (h1, h2) = (
            store::text_hash("锂电池正极材料"),
            store::text_hash("SiC MOSFET"),
        );
        assert!(s
            .cached_embeddings("m1", std::slice::from_ref(&h1))
            .await
            .unwrap()
            .is_empty());
        let v1 = vec![0.25f32, -1.5, 3.0e-7];
        s.put_embeddings(
            "m1",
            &[(h1.clone(), v1.clone()), (h2.clone(), vec![1.0; 3])],
        )
        .await
        .unwrap();
        // The same text again is kept as it was (same text, same vector).
        s.put_embeddings("m1", &[(h1.clone(), vec![9.0; 3])])
            .await
            .unwrap();
        let got = s
            .cached_embeddings("m1", &[h1.clone(), h2.clone(), "nope".into()])
            .await
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[&h1], v1);
        // Another model does not see them.
        assert!(s.cached_embeddings("m2", &[h1]).await.unwrap().is_empty());
        assert_eq!(s.embedding_count("m1").await.unwrap(), 2);
        // Only the texts still in use are kept.
        let keep: std::collections::HashSet<String> = [h2.clone()].into_iter().collect();
        assert_eq!(s.retain_embeddings("m1", &keep).await.unwrap(), 1);
        assert_eq!(s.embedding_count("m1").await.unwrap(), 1);
        assert_eq!(s.cached_embeddings("m1", &[h2]).await.unwrap().len(), 1);
    }
    cleanup(bs).await;
}

#[tokio::test]
async fn owners_are_found_by_uscc_first_then_by_exact_name() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let mut lab = Organization::new(OrgKind::Lab, "先进电池材料重点实验室");
        lab.region = model::Region::lookup("北碚区");
        s.write_batch(
            &[
                Record::Organization(enterprise("重庆甲公司", "91350100M000100Y43")),
                Record::Organization(lab),
            ],
            "t",
        )
        .await
        .unwrap();
        let name = |o: Option<store::Stored>| o.map(|s| s.record.label().to_string());
        let by_uscc = s
            .find_organization("别的名字", Some("91350100M000100Y43"))
            .await
            .unwrap();
        assert_eq!(
            name(by_uscc).as_deref(),
            Some("重庆甲公司"),
            "{}",
            s.backend_name()
        );
        // A USCC match wins over a name match.
        let both = s
            .find_organization("先进电池材料重点实验室", Some("91350100M000100Y43"))
            .await
            .unwrap();
        assert_eq!(
            name(both).as_deref(),
            Some("重庆甲公司"),
            "{}",
            s.backend_name()
        );
        let by_name = s
            .find_organization("先进电池材料重点实验室", None)
            .await
            .unwrap()
            .expect("found by name");
        let Record::Organization(o) = &by_name.record else {
            panic!("an organization")
        };
        assert_eq!(o.region.as_ref().map(|r| r.name_zh()), Some("北碚区"));
        assert!(s
            .find_organization("先进电池材料", None)
            .await
            .unwrap()
            .is_none());
    }
    cleanup(all).await;
}

#[tokio::test]
async fn users_sessions_and_grants_behave_alike_on_both_back_ends() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let who = s.backend_name();
        let new = |name: &'static str, org: Option<i64>| store::NewUser {
            username: name,
            display_name: name,
            role: "enterprise",
            organization_id: org,
            password_hash: "$argon2id$fake",
        };
        let a = s.upsert_user(&new("ent-a", Some(7)), 100).await.unwrap();
        // Upserting again keeps the id and takes the new values.
        let again = s
            .upsert_user(
                &store::NewUser {
                    role: "admin",
                    ..new("ent-a", Some(8))
                },
                101,
            )
            .await
            .unwrap();
        assert_eq!(a, again, "{who}");
        let u = s.user_by_name("ent-a").await.unwrap().unwrap();
        assert_eq!(
            (u.role.as_str(), u.organization_id),
            ("admin", Some(8)),
            "{who}"
        );
        assert!(s.user_by_name("nobody").await.unwrap().is_none());
        // A session lives until it expires or is revoked; a disabled user's sessions stop at once.
        s.create_session("h1", a, 100, 200).await.unwrap();
        assert_eq!(s.session_user("h1", 150).await.unwrap().unwrap().id, a);
        assert!(s.session_user("h1", 200).await.unwrap().is_none(), "{who}");
        assert!(s.session_user("other", 150).await.unwrap().is_none());
        s.set_user_disabled(a, true).await.unwrap();
        assert!(s.session_user("h1", 150).await.unwrap().is_none(), "{who}");
        s.set_user_disabled(a, false).await.unwrap();
        assert!(s.revoke_session("h1").await.unwrap());
        assert!(!s.revoke_session("h1").await.unwrap());
        assert!(s.session_user("h1", 150).await.unwrap().is_none(), "{who}");
        s.create_session("h2", a, 100, 500).await.unwrap();
        s.create_session("h3", a, 100, 500).await.unwrap();
        assert_eq!(s.revoke_user_sessions(a).await.unwrap(), 2, "{who}");
        // Grants: granted twice is one grant; revoked is gone.
        s.grant_access(1, 2, 100).await.unwrap();
        s.grant_access(1, 2, 101).await.unwrap();
        s.grant_access(3, 2, 100).await.unwrap();
        assert_eq!(s.grants_to(2).await.unwrap(), vec![1, 3], "{who}");
        assert!(s.revoke_access(1, 2).await.unwrap());
        assert_eq!(s.grants_to(2).await.unwrap(), vec![3]);
        assert!(s.grants_to(1).await.unwrap().is_empty());
    }
    cleanup(all).await;
}

/// A confidential demand is read only with a pass that reaches it: `get` and `pages` give public
/// demands only; `get_demand` and `pages_with` give what the pass reaches (its owner organization's
/// NDA-only demands to a member pass naming it, everything to an everything pass, nothing more).
#[tokio::test]
async fn confidential_demands_need_a_pass_that_reaches_them() {
    let all = backends().await;
    for b in &all {
        let s = &b.store;
        let who = s.backend_name();
        let org = enterprise("重庆丙公司", "91350100M000100Y43");
        let mut nda = Demand::new("重庆丙公司", "保密需求", "不公开的描述");
        nda.confidentiality = Confidentiality::Nda;
        let mut registered = Demand::new("重庆丙公司", "登记需求", "登记可见");
        registered.confidentiality = Confidentiality::Registered;
        let public = Demand::new("重庆丙公司", "公开需求", "公开的描述");
        let ids = s
            .write_batch(
                &[
                    Record::Organization(org),
                    Record::Demand(nda),
                    Record::Demand(registered),
                    Record::Demand(public),
                ],
                "t",
            )
            .await
            .unwrap();
        let (org_id, nda_id, reg_id, pub_id) = (ids[0].id(), ids[1].id(), ids[2].id(), ids[3].id());
        assert!(
            s.get(RecordKind::Demand, nda_id).await.unwrap().is_none(),
            "{who}"
        );
        assert!(
            s.get(RecordKind::Demand, reg_id).await.unwrap().is_none(),
            "{who}"
        );
        assert!(
            s.get(RecordKind::Demand, pub_id).await.unwrap().is_some(),
            "{who}"
        );
        let issuer = s.take_issuer().unwrap();
        let nobody = issuer.demands_nothing();
        let other = issuer.demands_of([org_id + 1000], []);
        let owner = issuer.demands_of([org_id], []);
        let every = issuer.demands_everything();
        let reach = |p: &store::DemandPass| {
            let p = p.clone();
            async move {
                let mut got = vec![];
                for id in [nda_id, reg_id, pub_id] {
                    got.push(s.get_demand(id, &p).await.unwrap().is_some());
                }
                let mut walked = 0;
                let mut pages = s.pages_with(RecordKind::Demand, 2, &p);
                while let Some(page) = pages.next().await.unwrap() {
                    walked += page.len();
                }
                (got, walked)
            }
        };
        assert_eq!(reach(&nobody).await, (vec![false, false, true], 1), "{who}");
        assert_eq!(reach(&other).await, (vec![false, true, true], 2), "{who}");
        assert_eq!(reach(&owner).await, (vec![true, true, true], 3), "{who}");
        assert_eq!(reach(&every).await, (vec![true, true, true], 3), "{who}");
        let mut plain = 0;
        let mut pages = s.pages(RecordKind::Demand, 2);
        while let Some(page) = pages.next().await.unwrap() {
            plain += page.len();
        }
        assert_eq!(
            plain, 1,
            "{who}: a walk without a pass sees public demands only"
        );
    }
    cleanup(all).await;
}
