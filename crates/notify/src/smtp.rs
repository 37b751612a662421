//! A small SMTP client (RFC 5321): EHLO, optional AUTH PLAIN, one message per connection, UTF-8
//! subject (RFC 2047) and a base64 text body.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::{base64, NotifyError};

/// Longest reply line read from the server.
const MAX_REPLY: usize = 4096;

/// Where mail goes and as whom.
#[derive(Debug, Clone)]
pub struct Smtp {
    host: String,
    port: u16,
    from: String,
    auth: Option<(String, String)>,
    timeout: Duration,
}

/// An address fit for an SMTP command and a header line.
fn check_address(a: &str) -> Result<(), NotifyError> {
    let ok = a.len() <= 254
        && a.contains('@')
        && !a
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';'));
    if ok {
        Ok(())
    } else {
        Err(NotifyError::Address(a.to_string()))
    }
}

impl Smtp {
    /// From `smtp://[user:password@]host[:port]` (port 25 by default) and a sender address.
    pub fn parse(url: &str, from: &str) -> Result<Smtp, NotifyError> {
        let bad = || NotifyError::Address(format!("{url}: write it as smtp://host:port"));
        let rest = url.strip_prefix("smtp://").ok_or_else(bad)?;
        let (auth, hostport) = match rest.rsplit_once('@') {
            Some((cred, hp)) => {
                let (u, p) = cred.split_once(':').ok_or_else(bad)?;
                (Some((u.to_string(), p.to_string())), hp)
            }
            None => (None, rest),
        };
        let hostport = hostport.trim_end_matches('/');
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
            None => (hostport.to_string(), 25),
        };
        if host.is_empty() {
            return Err(bad());
        }
        check_address(from)?;
        Ok(Smtp {
            host,
            port,
            from: from.to_string(),
            auth,
            timeout: Duration::from_secs(20),
        })
    }

    /// Sends one message; the whole exchange is bounded by the timeout.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), NotifyError> {
        check_address(to)?;
        let secs = self.timeout.as_secs();
        tokio::time::timeout(self.timeout, self.exchange(to, subject, body))
            .await
            .map_err(|_| NotifyError::Timeout(secs))?
    }

    async fn exchange(&self, to: &str, subject: &str, body: &str) -> Result<(), NotifyError> {
        let addr = format!("{}:{}", self.host, self.port);
        let stream = TcpStream::connect(&addr)
            .await
            .map_err(|e| NotifyError::Connect(addr.clone(), e))?;
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        expect(&mut r, 220).await?;
        command(&mut w, &mut r, "EHLO shuanglian", 250).await?;
        if let Some((user, pass)) = &self.auth {
            let token = base64(format!("\0{user}\0{pass}").as_bytes());
            command(&mut w, &mut r, &format!("AUTH PLAIN {token}"), 235).await?;
        }
        command(&mut w, &mut r, &format!("MAIL FROM:<{}>", self.from), 250).await?;
        command(&mut w, &mut r, &format!("RCPT TO:<{to}>"), 250).await?;
        command(&mut w, &mut r, "DATA", 354).await?;
        let message = self.message(to, subject, body);
        w.write_all(message.as_bytes()).await?;
        w.write_all(b"\r\n.\r\n").await?;
        expect(&mut r, 250).await?;
        let _ = command(&mut w, &mut r, "QUIT", 221).await;
        Ok(())
    }

    /// The message: headers, then the body in base64 lines of 76 (no line can start with a dot).
    fn message(&self, to: &str, subject: &str, body: &str) -> String {
        let now = chrono::Utc::now();
        let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
        let encoded = base64(body.as_bytes());
        let lines: Vec<&str> = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        let domain = self.from.rsplit_once('@').map_or("localhost", |(_, d)| d);
        format!(
            "From: <{from}>\r\nTo: <{to}>\r\nSubject: =?UTF-8?B?{subject}?=\r\nDate: {date}\r\n\
             Message-ID: <{id}@{domain}>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}",
            from = self.from,
            subject = base64(subject.replace(['\r', '\n'], " ").as_bytes()),
            date = now.to_rfc2822(),
            id = now.timestamp_nanos_opt().unwrap_or_default(),
            body = lines.join("\r\n"),
        )
    }
}

async fn command<R, W>(w: &mut W, r: &mut R, line: &str, want: u16) -> Result<(), NotifyError>
where
    R: AsyncBufReadExt + Unpin,
    W: AsyncWriteExt + Unpin,
{
    w.write_all(line.as_bytes()).await?;
    w.write_all(b"\r\n").await?;
    expect(r, want).await
}

/// Reads one (possibly multi-line) reply and checks its code.
async fn expect<R: AsyncBufReadExt + Unpin>(r: &mut R, want: u16) -> Result<(), NotifyError> {
    loop {
        let mut line = String::new();
        let n = (&mut *r)
            .take(MAX_REPLY as u64)
            .read_line(&mut line)
            .await?;
        if n == 0 {
            return Err(NotifyError::Refused("connection closed".into()));
        }
        let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        let more = line.as_bytes().get(3) == Some(&b'-');
        if code != want && !(want == 250 && code == 251) {
            return Err(NotifyError::Refused(line.trim_end().to_string()));
        }
        if !more {
            return Ok(());
        }
    }
}

use tokio::io::AsyncReadExt;
