//! A machine's calendar (free and taken periods, who holds one only for its holder and the
//! platform), a platform's utilisation per month and its queue, and an organization's bookings.

use pilot::calendar::{self, HOUR};
use store::BookingRow;

use super::booking::{beijing, BookingFace};
use super::Library;
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// One taken period in a calendar.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TakenPeriod {
    pub starts_at: i64,
    pub ends_at: i64,
    pub starts: String,
    pub ends: String,
    /// The reader's own organization holds it.
    pub mine: bool,
    /// `maintenance` for a block; otherwise `booked` (or, for the platform's staff, the status).
    pub kind: String,
    /// The booking's id (its parties and the platform's staff only).
    pub booking_id: Option<i64>,
}

/// A day of one machine's calendar.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarDay {
    /// YYYY-MM-DD (Beijing).
    pub date: String,
    /// Free periods (bookable now), `HH:00–HH:00`, with their Unix seconds.
    pub free: Vec<(i64, i64)>,
    pub free_text: Vec<String>,
    pub taken: Vec<TakenPeriod>,
    pub open_hours: i64,
}

/// A machine's calendar over some days.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Slots {
    pub equipment_id: i64,
    pub equipment: String,
    pub platform_id: i64,
    pub hours: String,
    pub auto_confirm: bool,
    pub days: Vec<CalendarDay>,
}

/// One machine's month.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EquipmentUse {
    pub equipment_id: i64,
    pub name: String,
    pub bookable_hours: f64,
    pub booked_hours: f64,
    pub maintenance_hours: f64,
    /// booked / bookable; none when nothing was bookable.
    pub share: Option<f64>,
}

/// A platform's month: per machine, in total, and the queue now.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UtilisationFace {
    pub platform_id: i64,
    pub month: String,
    pub equipment: Vec<EquipmentUse>,
    pub bookable_hours: f64,
    pub booked_hours: f64,
    pub share: Option<f64>,
    /// Requests awaiting the platform's answer, and requests waiting behind a taken period.
    pub awaiting_answer: i64,
    pub waiting: i64,
}

impl Library {
    /// A machine's calendar from a Beijing date over `days` (1–31): free and taken periods.
    pub async fn slots(
        &self,
        actor: Option<&Actor>,
        equipment: i64,
        from: &str,
        days: i64,
    ) -> Result<Slots> {
        let (e, p) = self.equipment_and_platform(equipment).await?;
        let staff = Self::is_staff(actor, &p);
        if e.active == 0 && !staff {
            return Err(EngineError::NotFound(format!("no equipment #{equipment}")));
        }
        if !(1..=31).contains(&days) {
            return Err(EngineError::Input("days: give 1 to 31".into()));
        }
        let date = chrono::NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d").map_err(|_| {
            EngineError::Input(format!(
                "from: `{from}` is not a date; write it as YYYY-MM-DD"
            ))
        })?;
        let today = super::seeds_today(&self.store);
        if (date - today).num_days().abs() > self.settings.horizon_days + 31 {
            return Err(EngineError::Input(format!(
                "from: give a day within {} days of today",
                self.settings.horizon_days
            )));
        }
        let start = calendar::midnight(date);
        let end = start + days * 24 * HOUR;
        let hours = pilot::Hours::parse(&e.hours).map_err(EngineError::Setup)?;
        let rows = self
            .store
            .bookings_between(e.id, -1, &store::HOLDING, start, end)
            .await?;
        let org = actor.and_then(|a| a.org);
        let now = calendar::ceil_hour(self.store.now_ts());
        let busy: Vec<(i64, i64)> = rows.iter().map(|b| (b.starts_at, b.ends_at)).collect();
        let mut out = vec![];
        for d in 0..days {
            let (ds, de) = (start + d * 24 * HOUR, start + (d + 1) * 24 * HOUR);
            let open = hours.windows(ds, de);
            let free: Vec<(i64, i64)> = calendar::subtract(&hours.windows(ds.max(now), de), &busy);
            let taken = rows
                .iter()
                .filter(|b| calendar::overlaps((b.starts_at, b.ends_at), (ds, de)))
                .map(|b| {
                    let mine = org.is_some() && b.requester_org == org;
                    TakenPeriod {
                        starts_at: b.starts_at,
                        ends_at: b.ends_at,
                        starts: beijing(b.starts_at),
                        ends: beijing(b.ends_at),
                        mine,
                        kind: if b.status == "blocked" {
                            "maintenance".into()
                        } else if staff {
                            b.status.clone()
                        } else {
                            "booked".into()
                        },
                        booking_id: (mine || staff).then_some(b.id),
                    }
                })
                .collect();
            out.push(CalendarDay {
                date: (date + chrono::Days::new(d as u64)).to_string(),
                free_text: free
                    .iter()
                    .map(|(a, b)| format!("{}–{}", &beijing(*a)[11..], hour_end(*a, *b)))
                    .collect(),
                free,
                taken,
                open_hours: open.iter().map(|(a, b)| (b - a) / HOUR).sum(),
            });
        }
        Ok(Slots {
            equipment_id: e.id,
            equipment: e.name.clone(),
            platform_id: p.id,
            hours: e.hours.clone(),
            auto_confirm: e.auto_confirm != 0,
            days: out,
        })
    }

    /// A platform's month: its staff, the operators and officials (government users) read it.
    pub async fn utilisation(
        &self,
        actor: &Actor,
        platform: i64,
        month: &str,
    ) -> Result<UtilisationFace> {
        let p = self.platform_row(platform).await?;
        if !(Self::is_staff(Some(actor), &p) || actor.official) {
            return Err(EngineError::Forbidden(
                "a platform's utilisation is read by its staff, the operators and government users"
                    .into(),
            ));
        }
        let (from, to) = calendar::month(month).map_err(EngineError::Input)?;
        let rows = self
            .store
            .bookings_between(-1, p.id, &["confirmed", "blocked"], from, to)
            .await?;
        let mut equipment = vec![];
        let (mut bookable, mut booked) = (0.0, 0.0);
        for e in self.store.equipment_of(p.id).await? {
            let hours = pilot::Hours::parse(&e.hours).unwrap_or(pilot::Hours::Always);
            let mine = |status: &str| -> Vec<(i64, i64)> {
                rows.iter()
                    .filter(|b| b.equipment_id == e.id && b.status == status)
                    .map(|b| (b.starts_at, b.ends_at))
                    .collect()
            };
            let u = calendar::utilisation(&hours, from, to, &mine("blocked"), &mine("confirmed"));
            bookable += u.bookable_hours;
            booked += u.booked_hours;
            equipment.push(EquipmentUse {
                equipment_id: e.id,
                name: e.name.clone(),
                bookable_hours: u.bookable_hours,
                booked_hours: u.booked_hours,
                maintenance_hours: u.maintenance_hours,
                share: u.share,
            });
        }
        let queue = self
            .store
            .bookings_of_platform(p.id, &["requested", "proposed", "waiting"], 1_000)
            .await?;
        let now = self.store.now_ts();
        let live = |b: &&BookingRow| b.hold_until.is_none_or(|h| h >= now) || b.status == "waiting";
        Ok(UtilisationFace {
            platform_id: p.id,
            month: month.trim().to_string(),
            equipment,
            bookable_hours: bookable,
            booked_hours: booked,
            share: (bookable > 0.0).then(|| booked / bookable),
            awaiting_answer: queue
                .iter()
                .filter(live)
                .filter(|b| b.status == "requested")
                .count() as i64,
            waiting: queue.iter().filter(|b| b.status == "waiting").count() as i64,
        })
    }

    /// The platform's queue (requests to answer, proposals out, the waiting), oldest first.
    pub async fn queue(&self, actor: &Actor, platform: i64) -> Result<Vec<BookingFace>> {
        let p = self.platform_row(platform).await?;
        if !Self::is_staff(Some(actor), &p) {
            return Err(EngineError::Forbidden(
                "a platform's queue is read by its staff and the operators".into(),
            ));
        }
        let rows = self
            .store
            .bookings_of_platform(p.id, &["requested", "proposed", "waiting"], 500)
            .await?;
        let mut out = vec![];
        for b in rows {
            let f = self.booking_face(actor, &b, &p).await?;
            if f.status != "lapsed" {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// The bookings the actor's organization made, newest first; or, for a platform's staff, the
    /// platform's confirmed and blocked ones too.
    pub async fn my_bookings(&self, actor: &Actor, limit: i64) -> Result<Vec<BookingFace>> {
        let Some(org) = actor.org else {
            return Ok(vec![]);
        };
        let mut out = vec![];
        for b in self.store.bookings_of_org(org, limit).await? {
            let p = self.platform_row(b.platform_id).await?;
            out.push(self.booking_face(actor, &b, &p).await?);
        }
        Ok(out)
    }
}

fn hour_end(a: i64, b: i64) -> String {
    // A window ending at midnight reads 24:00, not 00:00.
    if beijing(a)[..10] != beijing(b)[..10] && beijing(b)[11..] == *"00:00" {
        "24:00".into()
    } else {
        beijing(b)[11..].to_string()
    }
}
