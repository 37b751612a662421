//! Booking a pilot platform's equipment: request, confirm, decline with a reason, propose another
//! period, accept, cancel, maintenance blocks; the calendar of one machine, the platform's queue and
//! its utilisation per month. Moves are checked against `data/workflows/booking.toml`; the store
//! writes each with its event, notices and audit row, and the database refuses a double booking.

use pilot::calendar::{self, HOUR};
use store::{Booked, BookingRow, PlatformRow};

pub use super::schedule::{CalendarDay, EquipmentUse, Slots, TakenPeriod, UtilisationFace};
use super::Library;
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// What requesting a period (or blocking one for maintenance) takes.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    pub equipment_id: i64,
    /// Start, Beijing time on a whole hour: `2027-03-01T08:00` (or with an offset).
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub starts_at: String,
    /// End (exclusive), as the start.
    #[cfg_attr(feature = "openapi", schema(max_length = 40))]
    pub ends_at: String,
    /// What the run is for (shown to the platform only).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub purpose: String,
    /// The engagement or challenge the run serves (the requester must be a party to it).
    #[serde(default)]
    pub engagement_id: Option<i64>,
    #[serde(default)]
    pub challenge_id: Option<i64>,
    /// Join the queue when the period is taken instead of being refused.
    #[serde(default)]
    pub wait: bool,
    /// A maintenance block (the platform's staff only).
    #[serde(default)]
    pub maintenance: bool,
}

/// A move of a booking.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookingMoveInput {
    /// `confirmed`, `declined`, `proposed`, `cancelled` or `released`.
    pub to: String,
    /// Why (declining, cancelling a confirmed booking) or what the proposal says.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: String,
    /// A proposal's period.
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    /// The version read.
    pub version: i64,
}

/// A booking as its reader sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BookingFace {
    pub id: i64,
    pub equipment_id: i64,
    pub equipment: String,
    pub platform_id: i64,
    pub platform: String,
    pub status: String,
    /// Unix seconds; and as Beijing time (`2027-03-01 08:00`).
    pub starts_at: i64,
    pub ends_at: i64,
    pub starts: String,
    pub ends: String,
    pub hours: i64,
    /// The requesting organization (its parties and the operators only).
    pub requester: Option<String>,
    pub purpose: String,
    pub note: String,
    pub engagement_id: Option<i64>,
    pub challenge_id: Option<i64>,
    /// A request or proposal lapses at this moment unless answered.
    pub hold_until: Option<i64>,
    pub version: i64,
    /// Moves the reader may make now.
    pub moves: Vec<String>,
    /// Fee at the equipment's hourly price, fen (when it has one).
    pub fee_fen: Option<i64>,
}

/// What a booking write came to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum BookingResult {
    Done(Box<BookingFace>),
    /// The period overlaps a held one: only its period is told.
    Taken {
        starts_at: i64,
        ends_at: i64,
    },
}

/// Beijing time of Unix seconds, `YYYY-MM-DD HH:MM`.
pub fn beijing(t: i64) -> String {
    chrono::DateTime::from_timestamp(t + calendar::BEIJING, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Reads `2027-03-01T08:00`, `2027-03-01 08:00` (Beijing) or RFC 3339 with an offset.
pub fn parse_time(field: &str, s: &str) -> Result<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    for f in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Ok(t.and_utc().timestamp() - calendar::BEIJING);
        }
    }
    Err(EngineError::Input(format!(
        "{field}: `{s}` is not a time; write it as 2027-03-01T08:00 (Beijing time)"
    )))
}

impl Library {
    fn hold_secs(&self) -> i64 {
        self.settings.hold_days * 24 * HOUR
    }

    /// Checks a period for a machine: whole hours, ahead, within the horizon, not too long, and
    /// (for a request) within opening hours.
    fn check_period(&self, hours: &pilot::Hours, s: i64, e: i64, maintenance: bool) -> Result<()> {
        if s % HOUR != 0 || e % HOUR != 0 {
            return Err(EngineError::Input(
                "starts_at, ends_at: bookings start and end on whole hours".into(),
            ));
        }
        if e <= s {
            return Err(EngineError::Input(
                "ends_at: the end comes after the start".into(),
            ));
        }
        let now = self.store.now_ts();
        if e <= now || (!maintenance && s < calendar::ceil_hour(now)) {
            return Err(EngineError::Input(
                "starts_at: the period has begun; book from the next whole hour on".into(),
            ));
        }
        if s > now + self.settings.horizon_days * 24 * HOUR {
            return Err(EngineError::Input(format!(
                "starts_at: book at most {} days ahead",
                self.settings.horizon_days
            )));
        }
        if (e - s) / HOUR > self.settings.max_hours {
            return Err(EngineError::Input(format!(
                "ends_at: a booking lasts at most {} hours; book longer runs as several",
                self.settings.max_hours
            )));
        }
        if !maintenance && !hours.covers(s, e) {
            return Err(EngineError::Input(format!(
                "starts_at, ends_at: the period is outside the equipment's opening hours ({})",
                hours.describe()
            )));
        }
        Ok(())
    }

    pub(super) async fn equipment_and_platform(
        &self,
        id: i64,
    ) -> Result<(store::EquipmentRow, PlatformRow)> {
        let missing = || EngineError::NotFound(format!("no equipment #{id}"));
        let e = self.store.equipment(id).await?.ok_or_else(missing)?;
        let p = self.platform_row(e.platform_id).await?;
        Ok((e, p))
    }

    /// Requests a period (or blocks one for maintenance).
    pub async fn request(&self, actor: &Actor, req: &BookingInput) -> Result<BookingResult> {
        let (e, p) = self.equipment_and_platform(req.equipment_id).await?;
        let staff = Self::is_staff(Some(actor), &p);
        if e.active == 0 && !staff {
            return Err(EngineError::NotFound(format!("no equipment #{}", e.id)));
        }
        super::check_len("purpose", &req.purpose, 2_000)?;
        let hours = pilot::Hours::parse(&e.hours).map_err(EngineError::Setup)?;
        let s = parse_time("starts_at", &req.starts_at)?;
        let en = parse_time("ends_at", &req.ends_at)?;
        self.check_period(&hours, s, en, req.maintenance)?;
        let (status, requester_org) = if req.maintenance {
            if !staff {
                return Err(EngineError::Forbidden(
                    "only the platform's staff block equipment for maintenance".into(),
                ));
            }
            ("blocked", None)
        } else {
            let Some(org) = actor.org else {
                return Err(EngineError::Forbidden(
                    "book as a user of an enterprise, university or institute".into(),
                ));
            };
            if org == p.org_id {
                return Err(EngineError::Input(
                    "a platform blocks its own equipment with `maintenance`, it does not book it"
                        .into(),
                ));
            }
            if actor.official {
                return Err(EngineError::Forbidden(
                    "government users read utilisation; enterprises and teams book".into(),
                ));
            }
            self.check_links(actor, req).await?;
            (
                if e.auto_confirm != 0 {
                    "confirmed"
                } else {
                    "requested"
                },
                Some(org),
            )
        };
        let event = format!("booking_{status}");
        let notify = if req.maintenance {
            vec![]
        } else {
            self.deals
                .notices(&[p.org_id], &[], actor.user_id, &event)
                .await?
        };
        let b = store::NewBooking {
            equipment_id: e.id,
            platform_id: p.id,
            status: status.into(),
            starts_at: s,
            ends_at: en,
            requester_org,
            requester_user: (!req.maintenance).then_some(actor.user_id),
            purpose: req.purpose.trim().to_string(),
            engagement_id: req.engagement_id,
            challenge_id: req.challenge_id,
            note: String::new(),
            hold_secs: self.hold_secs(),
            wait: req.wait,
            max_waiting: self.settings.max_waiting,
            max_pending: self.settings.max_pending_per_org,
            max_future_hours: self.settings.max_future_hours_per_org,
            actor: actor.username.clone(),
            notify,
        };
        match self.store.book(&b).await? {
            Booked::Done { id, .. } => Ok(BookingResult::Done(Box::new(self.show_booking(actor, id).await?))),
            Booked::Conflict { starts_at, ends_at } => Ok(BookingResult::Taken { starts_at, ends_at }),
            Booked::TooMany(n) => Err(EngineError::Limited(format!(
                "your organization already holds {n} open requests at this platform; wait for its answers or cancel one"
            ))),
            Booked::TooManyHours(h) => Err(EngineError::Limited(format!(
                "your organization already holds {h} hours of this machine ahead; let a booking finish or cancel one first"
            ))),
            Booked::QueueFull => Err(EngineError::Limited(
                "the waiting queue of this equipment is full; choose another period".into(),
            )),
            Booked::Stale | Booked::Missing => Err(EngineError::Conflict(
                "the equipment changed while you booked; try again".into(),
            )),
        }
    }

    /// The engagement or challenge a run serves must be the requester's.
    async fn check_links(&self, actor: &Actor, req: &BookingInput) -> Result<()> {
        if let Some(id) = req.engagement_id {
            let ok = self.store.engagement(id).await?.is_some_and(|e| {
                actor.org == Some(e.seeker_org) || actor.org == Some(e.provider_org)
            });
            if !ok {
                return Err(EngineError::NotFound(format!("no engagement #{id}")));
            }
        }
        if let Some(id) = req.challenge_id {
            let touching = self
                .store
                .challenges_touching(actor.org, actor.user_id)
                .await?;
            let own =
                self.store.challenge(id).await?.is_some_and(|c| {
                    actor.org == Some(c.poster_org) || actor.org == c.end_user_org
                });
            if !(own || touching.contains(&id)) {
                return Err(EngineError::NotFound(format!("no challenge #{id}")));
            }
        }
        Ok(())
    }

    async fn booking_for(&self, actor: &Actor, id: i64) -> Result<(BookingRow, PlatformRow)> {
        let missing = || EngineError::NotFound(format!("no booking #{id}"));
        let b = self.store.booking(id).await?.ok_or_else(missing)?;
        let p = self.platform_row(b.platform_id).await?;
        if Self::parties(actor, &p, b.requester_org).is_empty() {
            return Err(missing());
        }
        Ok((b, p))
    }

    /// A booking, for its requester, the platform's staff and the operators.
    pub async fn show_booking(&self, actor: &Actor, id: i64) -> Result<BookingFace> {
        let (b, p) = self.booking_for(actor, id).await?;
        self.booking_face(actor, &b, &p).await
    }

    pub(crate) async fn booking_face(
        &self,
        actor: &Actor,
        b: &BookingRow,
        p: &PlatformRow,
    ) -> Result<BookingFace> {
        let e = self.store.equipment(b.equipment_id).await?;
        let parties = Self::parties(actor, p, b.requester_org);
        let requester = match b.requester_org {
            Some(org) => Some(self.deals.org_face(org).await?.name),
            None => None,
        };
        let now = self.store.now_ts();
        let status = if matches!(b.status.as_str(), "requested" | "proposed")
            && b.hold_until.is_some_and(|h| h < now)
        {
            "lapsed".to_string()
        } else {
            b.status.clone()
        };
        let moves = self
            .booking
            .moves(&status, &parties)
            .into_iter()
            .map(str::to_string)
            .collect();
        let fee = e
            .as_ref()
            .and_then(|e| Self::equipment_detail(e).fee_fen_per_hour)
            .map(|f| f.saturating_mul((b.ends_at - b.starts_at) / HOUR));
        Ok(BookingFace {
            id: b.id,
            equipment_id: b.equipment_id,
            equipment: e.map(|e| e.name).unwrap_or_default(),
            platform_id: p.id,
            platform: p.org_name.clone(),
            status,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            starts: beijing(b.starts_at),
            ends: beijing(b.ends_at),
            hours: (b.ends_at - b.starts_at) / HOUR,
            requester,
            purpose: b.purpose.clone(),
            note: b.note.clone(),
            engagement_id: b.engagement_id,
            challenge_id: b.challenge_id,
            hold_until: b.hold_until,
            version: b.version,
            moves,
            fee_fen: fee,
        })
    }

    /// Moves a booking (see the workflow for who may make which move).
    pub async fn move_booking(
        &self,
        actor: &Actor,
        id: i64,
        req: &BookingMoveInput,
    ) -> Result<BookingResult> {
        let (b, p) = self.booking_for(actor, id).await?;
        super::check_len("note", &req.note, 2_000)?;
        let parties = Self::parties(actor, &p, b.requester_org);
        let period = match (&req.starts_at, &req.ends_at) {
            (Some(s), Some(e)) => Some((parse_time("starts_at", s)?, parse_time("ends_at", e)?)),
            (None, None) => None,
            _ => {
                return Err(EngineError::Input(
                    "starts_at, ends_at: a proposal names both".into(),
                ))
            }
        };
        if period.is_some() && req.to != "proposed" {
            return Err(EngineError::Input(
                "starts_at, ends_at: only a proposal changes the period".into(),
            ));
        }
        if let Some((s, e)) = period {
            let eq = self.store.equipment(b.equipment_id).await?;
            let hours = eq
                .map(|e| pilot::Hours::parse(&e.hours).unwrap_or(pilot::Hours::Always))
                .unwrap_or(pilot::Hours::Always);
            self.check_period(&hours, s, e, false)?;
        }
        let now = self.store.now_ts();
        let holds = |g: &str| match g {
            "reason_given" => !req.note.trim().is_empty(),
            "period_given" => period.is_some(),
            "not_ended" => b.ends_at > now,
            _ => false,
        };
        self.booking
            .check(&b.status, &req.to, &parties, holds)
            .map_err(|r| match r {
                flow::Refusal::WrongParty { .. } => EngineError::Forbidden(r.to_string()),
                flow::Refusal::Guard(g) => EngineError::Input(format!(
                    "{}: {}",
                    req.to,
                    match g.as_str() {
                        "reason_given" => "say why in `note`",
                        "period_given" => "name the period proposed (starts_at, ends_at)",
                        _ => "the booked period has ended",
                    }
                )),
                _ => EngineError::Conflict(format!("booking #{id}: {r}")),
            })?;
        let event = format!("booking_{}", req.to);
        let notify = if parties.contains("requester") && !parties.contains("platform") {
            self.deals
                .notices(&[p.org_id], &[], actor.user_id, &event)
                .await?
        } else {
            let users: Vec<i64> = b.requester_user.into_iter().collect();
            self.deals
                .notices(&[], &users, actor.user_id, &event)
                .await?
        };
        let m = store::BookingMove {
            id,
            from: b.status.clone(),
            to: req.to.clone(),
            version: req.version,
            period,
            note: req.note.trim().to_string(),
            hold_secs: self.hold_secs(),
            actor_user: actor.user_id,
            actor: actor.username.clone(),
            notify,
        };
        match self.store.move_booking(&m).await? {
            Booked::Done { .. } => Ok(BookingResult::Done(Box::new(self.show_booking(actor, id).await?))),
            Booked::Conflict { starts_at, ends_at } => Ok(BookingResult::Taken { starts_at, ends_at }),
            _ => Err(EngineError::Conflict(format!(
                "booking #{id} changed since you read it (or its hold lapsed); reload it and try again"
            ))),
        }
    }
}
