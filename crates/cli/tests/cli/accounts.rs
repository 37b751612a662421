//! `shuanglian user …` and `shuanglian grant …` on the demo's store.

use std::io::Write;
use std::process::Stdio;

use super::{bin, run, text};

fn demo(dir: &std::path::Path) {
    let o = run(dir, &["demo", "--no-shared", "--no-serve"]);
    assert!(o.status.success(), "{:?}", text(&o));
}

#[test]
fn users_are_added_listed_disabled_and_reset_and_grants_managed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    demo(&dir);

    // Add with a password on stdin; a duplicate, a bad role and an unknown organization are refused.
    let mut child = bin()
        .arg("--data-dir")
        .arg(&dir)
        .args([
            "user",
            "add",
            "wang",
            "--role",
            "enterprise",
            "--org",
            "重庆万州锂电材料有限公司",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a-long-password-9\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(
        !text(&o).0.contains("a-long-password-9"),
        "the password is not echoed"
    );
    for (args, says) in [
        (
            vec!["user", "add", "wang", "--role", "enterprise"],
            "exists",
        ),
        (vec!["user", "add", "zhao", "--role", "king"], "role 'king'"),
        (
            vec![
                "user",
                "add",
                "zhao",
                "--role",
                "enterprise",
                "--org",
                "无此机构",
            ],
            "no organization '无此机构'",
        ),
    ] {
        let o = run(&dir, &args);
        assert!(!o.status.success(), "{args:?}");
        assert!(text(&o).1.contains(says), "{args:?}: {:?}", text(&o));
    }
    // A random password is printed once.
    let o = run(
        &dir,
        &[
            "user",
            "add",
            "zhao",
            "--role",
            "institution",
            "--org",
            "重庆示例理工大学",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("password: "), "{:?}", text(&o));

    let o = run(&dir, &["user", "list", "--json"]);
    let users: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let wang = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "wang")
        .unwrap();
    assert_eq!(wang["organization"], "重庆万州锂电材料有限公司");
    assert_eq!(wang["disabled"], false);

    let o = run(&dir, &["user", "disable", "wang"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = run(&dir, &["user", "list", "--json"]);
    let users: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(users
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["username"] == "wang" && u["disabled"] == true));
    let o = run(&dir, &["user", "reset-password", "wang"]);
    assert!(
        o.status.success() && text(&o).0.contains("password: "),
        "{:?}",
        text(&o)
    );
    let o = run(&dir, &["user", "disable", "nobody"]);
    assert!(
        !o.status.success() && text(&o).1.contains("no user 'nobody'"),
        "{:?}",
        text(&o)
    );

    // Grants by name; listed; revoked; revoking again changes nothing.
    let o = run(
        &dir,
        &[
            "grant",
            "add",
            "--owner",
            "重庆长江动力电池系统有限公司",
            "--to",
            "重庆示例理工大学",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let o = run(&dir, &["grant", "list", "--json"]);
    let grants: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        grants
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["owner"] == "重庆长江动力电池系统有限公司"
                && g["grantee"] == "重庆示例理工大学"),
        "{grants}"
    );
    let o = run(
        &dir,
        &[
            "grant",
            "revoke",
            "--owner",
            "重庆长江动力电池系统有限公司",
            "--to",
            "重庆示例理工大学",
        ],
    );
    assert!(
        o.status.success() && text(&o).0.contains("no longer"),
        "{:?}",
        text(&o)
    );
    let o = run(
        &dir,
        &[
            "grant",
            "revoke",
            "--owner",
            "重庆长江动力电池系统有限公司",
            "--to",
            "重庆示例理工大学",
        ],
    );
    assert!(
        o.status.success() && text(&o).0.contains("nothing changed"),
        "{:?}",
        text(&o)
    );
}
