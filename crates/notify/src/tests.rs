use super::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[test]
fn base64_matches_the_rfc_vectors() {
    for (plain, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), enc);
    }
}

fn unbase64(s: &str) -> Vec<u8> {
    const A: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let vals: Vec<u32> = s
        .bytes()
        .filter(|b| *b != b'=' && !b.is_ascii_whitespace())
        .map(|b| A.find(b as char).unwrap() as u32)
        .collect();
    let mut out = vec![];
    for c in vals.chunks(4) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, v)| n | (v << (18 - 6 * i)));
        for i in 0..c.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// A one-message SMTP sink: answers the dialogue and returns the commands and the DATA it got.
async fn sink() -> (u16, tokio::task::JoinHandle<(Vec<String>, String)>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        let (r, mut w) = s.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 sink ready\r\n").await.unwrap();
        let mut commands = vec![];
        let mut data = String::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await.unwrap() == 0 {
                break;
            }
            let cmd = line.trim_end().to_string();
            commands.push(cmd.clone());
            if cmd.starts_with("EHLO") {
                w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await.unwrap();
            } else if cmd == "DATA" {
                w.write_all(b"354 go on\r\n").await.unwrap();
                loop {
                    let mut l = String::new();
                    r.read_line(&mut l).await.unwrap();
                    if l == ".\r\n" {
                        break;
                    }
                    data.push_str(&l);
                }
                w.write_all(b"250 queued\r\n").await.unwrap();
            } else if cmd == "QUIT" {
                w.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                w.write_all(b"250 ok\r\n").await.unwrap();
            }
        }
        (commands, data)
    });
    (port, task)
}

#[tokio::test]
async fn a_mail_reaches_an_smtp_server_with_its_chinese_subject_and_body() {
    let (port, task) = sink().await;
    let smtp = Smtp::parse(
        &format!("smtp://127.0.0.1:{port}"),
        "noreply@shuanglian.test",
    )
    .unwrap();
    let body = "对接 #7 进入「引荐」。\n.a line starting with a dot\n请登录平台查看。";
    smtp.send("ent-a@example.cn", "双链：对接进展", body)
        .await
        .unwrap();
    let (commands, data) = task.await.unwrap();
    assert!(commands.contains(&"MAIL FROM:<noreply@shuanglian.test>".to_string()));
    assert!(commands.contains(&"RCPT TO:<ent-a@example.cn>".to_string()));
    let (head, encoded) = data.split_once("\r\n\r\n").unwrap();
    let subject = head
        .lines()
        .find_map(|l| l.strip_prefix("Subject: =?UTF-8?B?"))
        .unwrap()
        .trim_end_matches("?=");
    assert_eq!(
        String::from_utf8(unbase64(subject)).unwrap(),
        "双链：对接进展"
    );
    let text = String::from_utf8(unbase64(encoded)).unwrap();
    assert_eq!(text, body.replace('\n', "\r\n"));
}

#[tokio::test]
async fn addresses_that_could_inject_commands_are_refused() {
    let smtp = Smtp::parse("smtp://127.0.0.1:1", "noreply@shuanglian.test").unwrap();
    for bad in ["a@b\r\nRCPT TO:<x@y>", "a b@c", "<a@b>", "nobody"] {
        assert!(
            matches!(smtp.send(bad, "s", "b").await, Err(NotifyError::Address(_))),
            "{bad}"
        );
    }
    assert!(Smtp::parse("http://x", "a@b").is_err());
    assert!(Smtp::parse("smtp://:25", "a@b").is_err());
}

#[tokio::test]
async fn a_webhook_gets_the_json_and_internal_targets_are_refused_by_default() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let mut got = String::new();
        while !got.contains("}") {
            let n = s.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
            .await
            .unwrap();
        got
    });
    let url = format!("http://127.0.0.1:{port}/hooks/sl");
    let refused = Webhook::default().post(&url, "{}").await;
    assert!(
        matches!(refused, Err(NotifyError::Address(_))),
        "{refused:?}"
    );
    let open = Webhook {
        allow_private: true,
        ..Webhook::default()
    };
    let code = open
        .post(&url, r#"{"event":"moved","engagement_id":3}"#)
        .await
        .unwrap();
    assert_eq!(code, 204);
    let got = task.await.unwrap();
    assert!(got.starts_with("POST /hooks/sl HTTP/1.1\r\n"), "{got}");
    assert!(
        got.ends_with(r#"{"event":"moved","engagement_id":3}"#),
        "{got}"
    );
    assert!(matches!(
        open.post("https://example.org/x", "{}").await,
        Err(NotifyError::Address(_))
    ));
}
