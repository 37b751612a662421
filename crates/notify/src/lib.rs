//! Notifications beyond the inbox: e-mail over SMTP and JSON posts to an organization's webhook.
//!
//! Both speak plain TCP with a time limit on the whole exchange and a cap on what is read back, so a
//! slow or hostile peer costs one bounded task. Addresses are checked before they reach a protocol
//! line (no CR/LF, no angle brackets: no header or command injection). Webhooks to loopback,
//! private or link-local addresses are refused unless the operator allows them, so a user who sets
//! a webhook cannot make the server call into its own network.
//!
//! Shortcut, named: there is no TLS here. SMTP goes to a relay the operator runs (port 25 or 587
//! without STARTTLS, optionally with AUTH PLAIN), and `https://` webhooks are refused with a message
//! that says to front them with a TLS-terminating egress proxy.

mod smtp;
mod webhook;

pub use smtp::Smtp;
pub use webhook::Webhook;

/// Why a delivery failed (kept with the delivery for the operator; never shown to other users).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("bad address: {0}")]
    Address(String),
    #[error("connecting to {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the server answered `{0}`")]
    Refused(String),
    #[error("no answer within {0} s")]
    Timeout(u64),
}

/// Base64 (RFC 4648, with padding).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
