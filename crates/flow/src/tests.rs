use super::*;

const PARTIES: &[&str] = &[
    "seeker",
    "provider",
    "opener",
    "counterpart",
    "broker",
    "operator",
];
const GUARDS: &[&str] = &[
    "reason_given",
    "nda_signature",
    "nda_settled",
    "agreement_given",
    "report_given",
];

fn engagement() -> Definition {
    Definition::load("engagement.toml", ENGAGEMENT, PARTIES, GUARDS).unwrap()
}

/// Who the actor is, by role: each row's party set.
fn actors() -> Vec<(&'static str, BTreeSet<&'static str>)> {
    vec![
        ("seeker who opened", ["seeker", "opener"].into()),
        ("seeker, other side", ["seeker", "counterpart"].into()),
        ("provider who opened", ["provider", "opener"].into()),
        ("provider, other side", ["provider", "counterpart"].into()),
        ("broker", ["broker"].into()),
        ("operator", ["operator"].into()),
        ("outsider", BTreeSet::new()),
    ]
}

/// Every stage × actor: the stages the actor may move to, all guards holding. Written out by hand
/// from the rules, so a change to the definition shows here.
#[test]
fn every_stage_and_role_moves_exactly_as_the_rules_say() {
    let def = engagement();
    let open_close = ["closed_lost", "withdrawn"];
    let expected = |stage: &str, actor: &str| -> Vec<&'static str> {
        let side = actor.starts_with("seeker") || actor.starts_with("provider");
        let opener = actor.ends_with("opened");
        let provider = actor.starts_with("provider");
        let mut v: Vec<&'static str> = vec![];
        let worker = side || actor == "broker";
        match stage {
            "interest" if side && !opener => v.push("introduced"),
            "introduced" => {
                if provider {
                    v.push("nda_signed");
                }
                if worker {
                    v.extend(["evaluation", "negotiation"]);
                }
            }
            "nda_signed" if worker => v.extend(["evaluation", "negotiation"]),
            "evaluation" if worker => v.push("negotiation"),
            "negotiation" if worker => v.push("contracted"),
            "contracted" | "follow_up" if worker => v.push("follow_up"),
            _ => {}
        }
        if def.is_open(stage) {
            if worker || actor == "operator" {
                v.push(open_close[0]);
            }
            if opener {
                v.push(open_close[1]);
            }
        }
        v
    };
    let mut checked = 0;
    for from in def.states.iter().map(|s| s.code.as_str()) {
        for (name, parties) in actors() {
            let mut want = expected(from, name);
            want.sort_unstable();
            let mut got: Vec<&str> = def
                .states
                .iter()
                .map(|s| s.code.as_str())
                .filter(|to| def.check(from, to, &parties, |_| true).is_ok())
                .collect();
            got.sort_unstable();
            assert_eq!(got, want, "from {from} as {name}");
            let mut offered = def.moves(from, &parties);
            offered.sort_unstable();
            assert_eq!(offered, want, "offered moves from {from} as {name}");
            checked += 1;
        }
    }
    assert_eq!(checked, 9 * 7);
}

#[test]
fn refusals_say_what_is_missing() {
    let def = engagement();
    let seeker: BTreeSet<&str> = ["seeker", "opener"].into();
    let provider: BTreeSet<&str> = ["provider", "counterpart"].into();
    assert_eq!(
        def.check("interest", "contracted", &seeker, |_| true),
        Err(Refusal::NotAllowed {
            from: "interest".into(),
            to: "contracted".into()
        })
    );
    match def.check("interest", "introduced", &seeker, |_| true) {
        Err(Refusal::WrongParty { by, .. }) => assert_eq!(by, vec!["counterpart".to_string()]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        def.check("introduced", "evaluation", &provider, |g| g
            != "nda_settled"),
        Err(Refusal::Guard("nda_settled".into()))
    );
    assert_eq!(
        def.check("negotiation", "closed_lost", &provider, |g| g
            != "reason_given"),
        Err(Refusal::Guard("reason_given".into()))
    );
    assert!(matches!(
        def.check("interest", "nowhere", &seeker, |_| true),
        Err(Refusal::UnknownState(_))
    ));
}

#[test]
fn grades_follow_the_furthest_stage_unless_the_reason_says_otherwise() {
    let def = engagement();
    assert_eq!(def.grade(["interest"], None), None);
    assert_eq!(def.grade(["interest", "introduced"], None), Some(1));
    assert_eq!(
        def.grade(["interest", "introduced", "evaluation"], Some("price")),
        Some(2)
    );
    assert_eq!(
        def.grade(
            ["interest", "introduced", "evaluation"],
            Some("not_relevant")
        ),
        Some(0)
    );
    assert_eq!(
        def.grade(["negotiation", "contracted", "follow_up"], None),
        Some(3)
    );
}

#[test]
fn a_broken_definition_is_refused_with_its_place() {
    let bad_state = ENGAGEMENT.replace("to = \"contracted\"", "to = \"contractd\"");
    let e = Definition::load("x.toml", &bad_state, PARTIES, GUARDS).unwrap_err();
    assert!(e.to_string().contains("`contractd`"), "{e}");
    let bad_party = ENGAGEMENT.replace("by = [\"opener\"]", "by = [\"anyone\"]");
    let e = Definition::load("x.toml", &bad_party, PARTIES, GUARDS).unwrap_err();
    assert!(e.to_string().contains("`anyone`"), "{e}");
    let bad_guard = ENGAGEMENT.replace("[\"report_given\"]", "[\"paid\"]");
    let e = Definition::load("x.toml", &bad_guard, PARTIES, GUARDS).unwrap_err();
    assert!(e.to_string().contains("guard `paid`"), "{e}");
    let e = Definition::load("x.toml", "states = 3", PARTIES, GUARDS).unwrap_err();
    assert!(e.to_string().starts_with("x.toml: not a workflow"), "{e}");
}
