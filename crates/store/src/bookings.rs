//! Equipment bookings as stored. No two holding bookings of one equipment share a moment: the
//! database refuses it (an exclusion constraint on PostgreSQL, triggers on SQLite; see migration
//! 0010), and every write first locks the equipment's row, so concurrent requests for one machine
//! queue up and the loser is told which period is taken instead of meeting a constraint error.
//! Expired holds lapse inside the next write on their equipment, and the waiting queue behind a
//! freed period moves up in the same transaction.

use crate::audit::{append_audit, AuditEntry};
use crate::notices::NewNotice;
use crate::{dispatch, dispatch_write, Result, Store, WriteTx};

/// Bookings one organization makes in 24 hours, whatever became of them.
pub const MAX_A_DAY: i64 = 50;

/// Statuses that hold their period (the constraint's list).
pub const HOLDING: [&str; 4] = ["requested", "proposed", "confirmed", "blocked"];
const HOLDING_SQL: &str = "('requested', 'proposed', 'confirmed', 'blocked')";

/// A booking (or maintenance block) as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct BookingRow {
    pub id: i64,
    pub equipment_id: i64,
    pub platform_id: i64,
    pub status: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub requester_org: Option<i64>,
    pub requester_user: Option<i64>,
    pub purpose: String,
    pub engagement_id: Option<i64>,
    pub challenge_id: Option<i64>,
    pub note: String,
    pub hold_until: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, equipment_id, platform_id, status, starts_at, ends_at, requester_org, \
    requester_user, purpose, engagement_id, challenge_id, note, hold_until, version, created_at, updated_at";

/// One event of a booking's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct BookingEventRow {
    pub id: i64,
    pub booking_id: i64,
    pub at: i64,
    pub actor_user: Option<i64>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: String,
}

/// A booking to write.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub equipment_id: i64,
    pub platform_id: i64,
    /// `requested`, `confirmed` (equipment confirmed on request) or `blocked` (maintenance).
    pub status: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub requester_org: Option<i64>,
    pub requester_user: Option<i64>,
    pub purpose: String,
    pub engagement_id: Option<i64>,
    pub challenge_id: Option<i64>,
    pub note: String,
    /// Seconds a request or proposal holds its period.
    pub hold_secs: i64,
    /// Queue behind a taken period instead of being refused (at most `max_waiting` wait).
    pub wait: bool,
    pub max_waiting: i64,
    /// Requests the requester's organization may hold on this platform at once.
    pub max_pending: i64,
    /// Hours of this machine's future the requester's organization may hold at once (so no one
    /// books an open-booking machine out for months).
    pub max_future_hours: i64,
    pub actor: String,
    pub notify: Vec<NewNotice>,
}

/// What a booking write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Booked {
    /// Written, with its status (`waiting` when queued).
    Done {
        id: i64,
        status: String,
    },
    /// The period overlaps this held period (nothing else about it is told).
    Conflict {
        starts_at: i64,
        ends_at: i64,
    },
    /// The organization already holds this many requests on the platform.
    TooMany(i64),
    /// The organization already holds this many hours of the machine's future.
    TooManyHours(i64),
    /// The queue behind the period is full.
    QueueFull,
    /// The version seen is not the current one, or the booking is no longer at the stage expected.
    Stale,
    Missing,
}

/// A status move to write.
#[derive(Debug, Clone)]
pub struct BookingMove {
    pub id: i64,
    pub from: String,
    pub to: String,
    pub version: i64,
    /// A new period (a proposal).
    pub period: Option<(i64, i64)>,
    pub note: String,
    pub hold_secs: i64,
    pub actor_user: i64,
    pub actor: String,
    pub notify: Vec<NewNotice>,
}

fn is_overlap(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("23P01") || d.message().contains("booking_overlap")
        }
        _ => false,
    }
}

macro_rules! event {
    ($tx:expr, $id:expr, $now:expr, $actor:expr, $from:expr, $to:expr, $s:expr, $e:expr, $note:expr) => {
        sqlx::query(
            "INSERT INTO booking_events (booking_id, at, actor_user, from_status, to_status, starts_at, ends_at, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($id).bind($now).bind($actor).bind($from).bind($to).bind($s).bind($e).bind($note)
        .execute(&mut *$tx)
        .await?;
    };
}

macro_rules! notice {
    ($tx:expr, $user:expr, $now:expr, $event:expr, $booking:expr, $to:expr) => {
        sqlx::query(
            "INSERT INTO notifications (user_id, at, event, booking_id, to_stage) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind($user).bind($now).bind($event).bind($booking).bind($to)
        .execute(&mut *$tx)
        .await?;
    };
}

/// Writes the notices of a write (with their deliveries).
macro_rules! notices {
    ($tx:expr, $now:expr, $booking:expr, $to:expr, $notices:expr) => {
        for n in $notices.iter() {
            let nid: i64 = sqlx::query_scalar(
                "INSERT INTO notifications (user_id, at, event, booking_id, to_stage) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(n.user_id).bind($now).bind(&n.event).bind($booking).bind($to)
            .fetch_one(&mut *$tx)
            .await?;
            for (channel, target) in &n.deliveries {
                sqlx::query("INSERT INTO deliveries (notification_id, channel, target, next_at) VALUES ($1, $2, $3, $4)")
                    .bind(nid).bind(channel).bind(target).bind($now)
                    .execute(&mut *$tx).await?;
            }
        }
    };
}

/// Locks the equipment's row for the transaction (PostgreSQL; SQLite has one writer anyway).
macro_rules! lock_equipment {
    ($tx:expr, $id:expr) => {{
        let n = sqlx::query("UPDATE equipment SET updated_at = updated_at WHERE id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        n
    }};
}

/// The first held period of `equipment` overlapping `[s, e)`, other than booking `except`.
macro_rules! held_overlap {
    ($tx:expr, $equipment:expr, $s:expr, $e:expr, $except:expr) => {{
        let sql = format!(
            "SELECT starts_at, ends_at FROM bookings WHERE equipment_id = $1 AND id <> $2 \
             AND status IN {HOLDING_SQL} AND starts_at < $3 AND $4 < ends_at ORDER BY starts_at LIMIT 1"
        );
        let p: Option<(i64, i64)> = sqlx::query_as(&sql)
            .bind($equipment)
            .bind($except)
            .bind($e)
            .bind($s)
            .fetch_optional(&mut *$tx)
            .await?;
        p
    }};
}

/// Lapses the equipment's expired holds and moves its waiting queue up into freed periods, with an
/// event and a notice for each booking concerned.
macro_rules! lapse_and_promote {
    ($tx:expr, $equipment:expr, $now:expr, $hold:expr) => {{
        let lapsed: Vec<(i64, i64, i64, Option<i64>, String)> = sqlx::query_as(
            "SELECT id, starts_at, ends_at, requester_user, status FROM bookings WHERE equipment_id = $1 \
             AND status IN ('requested', 'proposed') AND hold_until IS NOT NULL AND hold_until < $2",
        )
        .bind($equipment)
        .bind($now)
        .fetch_all(&mut *$tx)
        .await?;
        for (id, s, e, user, from) in &lapsed {
            sqlx::query("UPDATE bookings SET status = 'lapsed', version = version + 1, updated_at = $1 WHERE id = $2")
                .bind($now).bind(id).execute(&mut *$tx).await?;
            event!($tx, *id, $now, None::<i64>, Some(from.as_str()), "lapsed", *s, *e, "");
            if let Some(u) = user {
                notice!($tx, *u, $now, "booking_lapsed", *id, "lapsed");
            }
        }
        let waiting: Vec<(i64, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, starts_at, ends_at, requester_user FROM bookings \
             WHERE equipment_id = $1 AND status = 'waiting' ORDER BY id",
        )
        .bind($equipment)
        .fetch_all(&mut *$tx)
        .await?;
        for (id, s, e, user) in waiting {
            if held_overlap!($tx, $equipment, s, e, id).is_some() {
                continue;
            }
            sqlx::query(
                "UPDATE bookings SET status = 'requested', hold_until = $1, version = version + 1, \
                 updated_at = $2 WHERE id = $3",
            )
            .bind($now + $hold).bind($now).bind(id).execute(&mut *$tx).await?;
            event!($tx, id, $now, None::<i64>, Some("waiting"), "requested", s, e, "");
            if let Some(u) = user {
                notice!($tx, u, $now, "booking_promoted", id, "requested");
            }
            // The platform's staff now have a request to answer.
            let staff: Vec<i64> = sqlx::query_scalar(
                "SELECT u.id FROM users u JOIN bookings b ON b.id = $1 \
                 JOIN platforms p ON p.id = b.platform_id \
                 WHERE u.organization_id = p.org_id AND u.disabled = 0 ORDER BY u.id LIMIT 50",
            )
            .bind(id)
            .fetch_all(&mut *$tx)
            .await?;
            for u in staff {
                notice!($tx, u, $now, "booking_requested", id, "requested");
            }
        }
    }};
}

impl Store {
    /// Requests, confirms or blocks a period of one equipment: written, or refused with the
    /// overlapping period, in one transaction with its event, notices and audit row.
    pub async fn book(&self, b: &NewBooking) -> Result<Booked> {
        match self.book_once(b).await? {
            // The constraint refused a row the check let through (another writer outside this
            // process's lock): answer with the period that is taken now.
            Booked::Stale => Ok(self
                .held_overlap(b.equipment_id, b.starts_at, b.ends_at, -1)
                .await?
                .map_or(Booked::Stale, |(s, e)| Booked::Conflict {
                    starts_at: s,
                    ends_at: e,
                })),
            other => Ok(other),
        }
    }

    async fn book_once(&self, b: &NewBooking) -> Result<Booked> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if lock_equipment!(tx, b.equipment_id) == 0 {
                return Ok(Booked::Missing);
            }
            lapse_and_promote!(tx, b.equipment_id, now, b.hold_secs);
            // Requests and open bookings (confirmed at once) alike; maintenance blocks have no org.
            if b.status != "blocked" {
                if let Some(org) = b.requester_org {
                    // Live requests only: holds not yet lapsed, waits whose period is still ahead.
                    let held: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM bookings WHERE platform_id = $1 AND requester_org = $2 \
                         AND ((status IN ('requested', 'proposed') AND (hold_until IS NULL OR hold_until >= $3)) \
                              OR (status = 'waiting' AND ends_at > $3))",
                    )
                    .bind(b.platform_id).bind(org).bind(now).fetch_one(&mut *tx).await?;
                    if held >= b.max_pending {
                        return Ok(Booked::TooMany(held));
                    }
                    // The machine's future it already holds (requests, proposals, confirmations).
                    let future: i64 = sqlx::query_scalar(
                        "SELECT CAST(COALESCE(SUM(ends_at - starts_at), 0) AS BIGINT) FROM bookings \
                         WHERE equipment_id = $1 AND requester_org = $2 AND ends_at > $3 \
                         AND status IN ('requested', 'proposed', 'confirmed')",
                    )
                    .bind(b.equipment_id).bind(org).bind(now).fetch_one(&mut *tx).await?;
                    if future + (b.ends_at - b.starts_at) > b.max_future_hours * 3600 {
                        return Ok(Booked::TooManyHours(future / 3600));
                    }
                    // And a day's bookings of any status (request-and-cancel loops notify staff).
                    let today: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM bookings WHERE requester_org = $1 AND created_at >= $2",
                    )
                    .bind(org).bind(now - 24 * 3600).fetch_one(&mut *tx).await?;
                    if today >= MAX_A_DAY {
                        return Ok(Booked::TooMany(today));
                    }
                }
            }
            let mut status = b.status.clone();
            if let Some((s, e)) = held_overlap!(tx, b.equipment_id, b.starts_at, b.ends_at, -1_i64) {
                if !(b.wait && status == "requested") {
                    return Ok(Booked::Conflict { starts_at: s, ends_at: e });
                }
                let queued: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM bookings WHERE equipment_id = $1 AND status = 'waiting' AND ends_at > $2",
                )
                .bind(b.equipment_id).bind(now).fetch_one(&mut *tx).await?;
                if queued >= b.max_waiting {
                    return Ok(Booked::QueueFull);
                }
                status = "waiting".into();
            }
            let hold = (status == "requested").then_some(now + b.hold_secs);
            let inserted = sqlx::query_scalar::<_, i64>(
                "INSERT INTO bookings (equipment_id, platform_id, status, starts_at, ends_at, requester_org, \
                 requester_user, purpose, engagement_id, challenge_id, note, hold_until, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
            )
            .bind(b.equipment_id).bind(b.platform_id).bind(&status).bind(b.starts_at).bind(b.ends_at)
            .bind(b.requester_org).bind(b.requester_user).bind(&b.purpose).bind(b.engagement_id)
            .bind(b.challenge_id).bind(&b.note).bind(hold).bind(now)
            .fetch_one(&mut *tx)
            .await;
            let id = match inserted {
                Ok(id) => id,
                Err(e) if is_overlap(&e) => return Ok(Booked::Stale),
                Err(e) => return Err(e.into()),
            };
            event!(tx, id, now, b.requester_user, None::<&str>, status.as_str(), b.starts_at, b.ends_at, b.note.as_str());
            // A request that went to the queue is announced as waiting, not as a request to answer.
            let notify: Vec<NewNotice> = b
                .notify
                .iter()
                .map(|n| NewNotice {
                    event: if status == "waiting" { "booking_waiting".into() } else { n.event.clone() },
                    ..n.clone()
                })
                .collect();
            notices!(tx, now, id, status.as_str(), notify);
            let detail = format!("{status} {}–{}", b.starts_at, b.ends_at);
            append_audit!(tx, [AuditEntry::new(&b.actor, "booking_create", "booking", Some(id), &detail)]);
            tx.commit().await?;
            Ok(Booked::Done { id, status })
        })
    }

    /// Moves a booking from one status to another at `version` (with a new period for a proposal).
    pub async fn move_booking(&self, m: &BookingMove) -> Result<Booked> {
        let now = self.now_ts();
        let Some(current) = self.booking(m.id).await? else {
            return Ok(Booked::Missing);
        };
        let (s, e) = m.period.unwrap_or((current.starts_at, current.ends_at));
        let holds = HOLDING.contains(&m.to.as_str());
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_equipment!(tx, current.equipment_id);
            lapse_and_promote!(tx, current.equipment_id, now, m.hold_secs);
            if holds {
                if let Some((cs, ce)) = held_overlap!(tx, current.equipment_id, s, e, m.id) {
                    return Ok(Booked::Conflict { starts_at: cs, ends_at: ce });
                }
            }
            let hold = matches!(m.to.as_str(), "requested" | "proposed").then_some(now + m.hold_secs);
            let updated = sqlx::query(
                "UPDATE bookings SET status = $1, starts_at = $2, ends_at = $3, note = $4, hold_until = $5, \
                 version = version + 1, updated_at = $6 WHERE id = $7 AND status = $8 AND version = $9",
            )
            .bind(&m.to).bind(s).bind(e).bind(&m.note).bind(hold).bind(now)
            .bind(m.id).bind(&m.from).bind(m.version)
            .execute(&mut *tx)
            .await;
            match updated {
                Ok(r) if r.rows_affected() == 0 => return Ok(Booked::Stale),
                Ok(_) => {}
                Err(err) if is_overlap(&err) => return Ok(Booked::Stale),
                Err(err) => return Err(err.into()),
            }
            event!(tx, m.id, now, Some(m.actor_user), Some(m.from.as_str()), m.to.as_str(), s, e, m.note.as_str());
            notices!(tx, now, m.id, m.to.as_str(), m.notify);
            if !holds || m.period.is_some() {
                lapse_and_promote!(tx, current.equipment_id, now, m.hold_secs);
            }
            let detail = format!("{} → {} {s}–{e}", m.from, m.to);
            append_audit!(tx, [AuditEntry::new(&m.actor, "booking_move", "booking", Some(m.id), &detail)]);
            tx.commit().await?;
            Ok(Booked::Done { id: m.id, status: m.to.clone() })
        })
    }

    /// The first held period of an equipment overlapping `[s, e)` (besides booking `except`).
    pub async fn held_overlap(
        &self,
        equipment: i64,
        s: i64,
        e: i64,
        except: i64,
    ) -> Result<Option<(i64, i64)>> {
        let sql = format!(
            "SELECT starts_at, ends_at FROM bookings WHERE equipment_id = $1 AND id <> $2 \
             AND status IN {HOLDING_SQL} AND starts_at < $3 AND $4 < ends_at ORDER BY starts_at LIMIT 1"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(equipment).bind(except).bind(e).bind(s)
            .fetch_optional(pool).await?),
        )
    }

    pub async fn booking(&self, id: i64) -> Result<Option<BookingRow>> {
        let sql = format!("SELECT {COLUMNS} FROM bookings WHERE id = $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    pub async fn booking_events(&self, id: i64) -> Result<Vec<BookingEventRow>> {
        let sql = "SELECT id, booking_id, at, actor_user, from_status, to_status, starts_at, ends_at, note \
                   FROM booking_events WHERE booking_id = $1 ORDER BY id";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await?))
    }

    /// Bookings of an equipment (or, with `equipment` < 0, of a whole platform) in `statuses`
    /// overlapping `[from, to)`, by start. A hold past its time counts as lapsed.
    pub async fn bookings_between(
        &self,
        equipment: i64,
        platform: i64,
        statuses: &[&str],
        from: i64,
        to: i64,
    ) -> Result<Vec<BookingRow>> {
        let list = statuses.join(",");
        let now = self.now_ts();
        let sql = format!(
            "SELECT {COLUMNS} FROM bookings WHERE (equipment_id = $1 OR ($1 < 0 AND platform_id = $2)) \
             AND ',' || $3 || ',' LIKE '%,' || status || ',%' AND starts_at < $4 AND $5 < ends_at \
             AND (hold_until IS NULL OR hold_until >= $6 OR status NOT IN ('requested', 'proposed')) \
             ORDER BY starts_at, id LIMIT 5000"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(equipment).bind(platform).bind(&list)
            .bind(to).bind(from).bind(now).fetch_all(pool).await?),
        )
    }

    /// An organization's bookings, most recent first.
    pub async fn bookings_of_org(&self, org: i64, limit: i64) -> Result<Vec<BookingRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM bookings WHERE requester_org = $1 ORDER BY id DESC LIMIT $2"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(org).bind(limit).fetch_all(pool).await?),
        )
    }

    /// A platform's bookings in `statuses` (the queue: oldest first).
    pub async fn bookings_of_platform(
        &self,
        platform: i64,
        statuses: &[&str],
        limit: i64,
    ) -> Result<Vec<BookingRow>> {
        let list = statuses.join(",");
        let sql = format!(
            "SELECT {COLUMNS} FROM bookings WHERE platform_id = $1 \
             AND ',' || $2 || ',' LIKE '%,' || status || ',%' ORDER BY id LIMIT $3"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(platform).bind(&list).bind(limit)
            .fetch_all(pool).await?),
        )
    }
}
