//! Arguments of `shuanglian user …` and `shuanglian grant …` (account administration).

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user of an organization with a role. Without --password-stdin a random password is
    /// made and printed once.
    Add {
        username: String,
        /// admin, enterprise, institution, platform_operator, government, financier or broker.
        #[arg(long)]
        role: String,
        /// The user's organization: its exact name, its USCC, or #ID.
        #[arg(long)]
        org: Option<String>,
        /// The name people see (default: the username).
        #[arg(long, default_value = "")]
        display_name: String,
        /// Read the password from the first line of standard input (at least 10 characters).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users: name, role, organization, whether disabled.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: their sessions end at once and they cannot sign in.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
    /// Set a user's e-mail address and phone (shown to the other side of an engagement once
    /// introduced; notification mail goes to the address). An empty value clears it.
    Contact {
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
    /// Link an account to the expert of the registry it reviews challenges as (揭榜挂帅 reviewers);
    /// `--unlink` removes the link.
    Expert {
        username: String,
        /// The expert's registry id (`shuanglian search --kind expert` shows it).
        expert_id: Option<i64>,
        #[arg(long)]
        unlink: bool,
    },
    /// Give a user a new password (random and printed once, or --password-stdin); their sessions end.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// Let users of ORG read the NDA-only demands of OWNER (each by exact name, USCC or #ID).
    Add {
        #[arg(long)]
        owner: String,
        #[arg(long = "to")]
        grantee: String,
    },
    /// Withdraw a grant: the owner's NDA-only demands are hidden from the grantee at once.
    Revoke {
        #[arg(long)]
        owner: String,
        #[arg(long = "to")]
        grantee: String,
    },
    /// List grants.
    List {
        #[arg(long)]
        json: bool,
    },
}
