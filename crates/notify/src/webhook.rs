//! Posts a JSON event to an organization's webhook (HTTP/1.1, `Connection: close`); a 2xx answer is
//! success. Only the status line is read back.

use std::net::IpAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::NotifyError;

/// How webhooks are called.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Allow loopback, private and link-local targets (tests; a closed network).
    pub allow_private: bool,
    pub timeout: Duration,
}

impl Default for Webhook {
    fn default() -> Self {
        Webhook {
            allow_private: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Loopback, private, link-local, unspecified or multicast: an address inside the operator's network.
fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_multicast()
                || v.is_broadcast()
                || v.octets()[0] == 100 && (v.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v) => {
            v.is_loopback()
                || v.is_unspecified()
                || v.is_multicast()
                || (v.segments()[0] & 0xfe00) == 0xfc00
                || (v.segments()[0] & 0xffc0) == 0xfe80
                || v.to_ipv4_mapped().is_some_and(|m| internal(IpAddr::V4(m)))
        }
    }
}

impl Webhook {
    /// Posts `json` to `url`; the status code on success (2xx).
    pub async fn post(&self, url: &str, json: &str) -> Result<u16, NotifyError> {
        let secs = self.timeout.as_secs();
        tokio::time::timeout(self.timeout, self.exchange(url, json))
            .await
            .map_err(|_| NotifyError::Timeout(secs))?
    }

    async fn exchange(&self, url: &str, json: &str) -> Result<u16, NotifyError> {
        if url.starts_with("https://") {
            return Err(NotifyError::Address(format!(
                "{url}: https webhooks go through a TLS-terminating egress proxy; give its http:// address"
            )));
        }
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| NotifyError::Address(format!("{url}: not an http:// URL")))?;
        if rest.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(NotifyError::Address(url.to_string()));
        }
        let (hostport, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h.trim_matches(|c| c == '[' || c == ']'),
                p.parse::<u16>()
                    .map_err(|_| NotifyError::Address(url.to_string()))?,
            ),
            _ => (hostport, 80),
        };
        let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| NotifyError::Connect(hostport.to_string(), e))?
            .collect();
        let Some(addr) = addrs
            .iter()
            .copied()
            .find(|a| self.allow_private || !internal(a.ip()))
        else {
            return Err(NotifyError::Address(format!(
                "{url}: the host is inside the platform's own network"
            )));
        };
        let mut stream = TcpStream::connect(addr)
            .await
            .map_err(|e| NotifyError::Connect(hostport.to_string(), e))?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {hostport}\r\nUser-Agent: shuanglian\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
            json.len()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut line = String::new();
        BufReader::new(stream)
            .take(1024)
            .read_line(&mut line)
            .await?;
        let code: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if (200..300).contains(&code) {
            Ok(code)
        } else {
            Err(NotifyError::Refused(line.trim_end().to_string()))
        }
    }
}
