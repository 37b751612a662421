//! Opening hours of equipment and the arithmetic of a booking calendar: which periods are bookable,
//! what is free between bookings, the earliest free period of a length, and utilisation (booked
//! hours / bookable hours). Periods are half-open `[start, end)` in Unix seconds; days and opening
//! hours are Beijing time (UTC+8, no daylight saving). Bookings start and end on whole hours, so two
//! adjacent periods (one ends at 10:00, the next starts at 10:00) never overlap.

use chrono::{Datelike, NaiveDate};

/// Seconds in an hour: the booking grid.
pub const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
/// Beijing time is UTC+8 all year.
pub const BEIJING: i64 = 8 * HOUR;

/// When equipment can be booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hours {
    /// Around the clock (continuous runs: fermentation, ageing, furnaces).
    Always,
    /// Weekly windows.
    Weekly(Vec<Window>),
}

/// One weekly window: on these weekdays (Monday first), from one whole hour to another (24 = midnight).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub days: [bool; 7],
    pub from_hour: u8,
    pub to_hour: u8,
}

const DAY_NAMES: [[&str; 4]; 7] = [
    ["mon", "周一", "星期一", "monday"],
    ["tue", "周二", "星期二", "tuesday"],
    ["wed", "周三", "星期三", "wednesday"],
    ["thu", "周四", "星期四", "thursday"],
    ["fri", "周五", "星期五", "friday"],
    ["sat", "周六", "星期六", "saturday"],
    ["sun", "周日", "星期日", "sunday"],
];

fn day_index(s: &str) -> Option<usize> {
    let s = s.trim().to_lowercase();
    let s = s.replace("周天", "周日").replace("星期天", "星期日");
    DAY_NAMES.iter().position(|n| n.contains(&s.as_str()))
}

fn hour_of(s: &str) -> Option<u8> {
    let s = s.trim();
    let (h, m) = s.split_once(':').unwrap_or((s, "00"));
    let h: u8 = h.trim().parse().ok()?;
    (m.trim() == "00" && h <= 24).then_some(h)
}

impl Hours {
    /// Parses `24x7` (also `always`, `全天`, empty) or windows separated by `;`, each
    /// `DAYS HH:00-HH:00` where DAYS is `mon-fri`, `sat`, `周一至周五`, `mon,wed` …
    pub fn parse(text: &str) -> Result<Hours, String> {
        let t = text.trim();
        if t.is_empty()
            || ["24x7", "24/7", "always", "全天", "全天候", "7x24"]
                .contains(&t.to_lowercase().as_str())
        {
            return Ok(Hours::Always);
        }
        let mut windows = vec![];
        for part in t
            .split([';', '；'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let fix = "write opening hours as `mon-fri 08:00-18:00; sat 09:00-12:00` (whole hours) or `24x7`";
            let (days_text, span) = part
                .rsplit_once(char::is_whitespace)
                .ok_or_else(|| format!("`{part}`: {fix}"))?;
            let (a, b) = span
                .split_once(['-', '–', '至', '~'])
                .ok_or_else(|| format!("`{part}`: {fix}"))?;
            let (from_hour, to_hour) = match (hour_of(a), hour_of(b)) {
                (Some(x), Some(y)) if x < y => (x, y),
                _ => return Err(format!("`{part}`: {fix}")),
            };
            let mut days = [false; 7];
            for group in days_text.split([',', '，', '、']) {
                let group = group.trim();
                match group.split_once(['-', '–', '至', '~']) {
                    Some((x, y)) => {
                        let (Some(x), Some(y)) = (day_index(x), day_index(y)) else {
                            return Err(format!(
                                "`{group}`: name days as mon … sun or 周一 … 周日"
                            ));
                        };
                        let mut d = x;
                        loop {
                            days[d] = true;
                            if d == y {
                                break;
                            }
                            d = (d + 1) % 7;
                        }
                    }
                    None => {
                        let d = day_index(group).ok_or_else(|| {
                            format!("`{group}`: name days as mon … sun or 周一 … 周日")
                        })?;
                        days[d] = true;
                    }
                }
            }
            windows.push(Window {
                days,
                from_hour,
                to_hour,
            });
        }
        if windows.len() > 21 {
            return Err("at most 21 opening windows".into());
        }
        Ok(Hours::Weekly(windows))
    }

    /// The hours as `parse` reads them back.
    pub fn describe(&self) -> String {
        match self {
            Hours::Always => "24x7".into(),
            Hours::Weekly(ws) => ws
                .iter()
                .map(|w| {
                    let days: Vec<&str> = (0..7)
                        .filter(|&d| w.days[d])
                        .map(|d| DAY_NAMES[d][0])
                        .collect();
                    format!(
                        "{} {:02}:00-{:02}:00",
                        days.join(","),
                        w.from_hour,
                        w.to_hour
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// The hours in words: `周一至周五 08:00–18:00；周六 09:00–12:00` / `Mon–Fri 08:00–18:00; Sat …`.
    pub fn words(&self, zh: bool) -> String {
        const ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
        const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let names = if zh { ZH } else { EN };
        match self {
            Hours::Always => (if zh {
                "全天 24 小时开放"
            } else {
                "Open around the clock"
            })
            .into(),
            Hours::Weekly(ws) if ws.is_empty() => (if zh { "暂不开放" } else { "Not open" }).into(),
            Hours::Weekly(ws) => ws
                .iter()
                .map(|w| {
                    // Runs of consecutive days: 周一至周五, 周六.
                    let mut runs: Vec<String> = vec![];
                    let mut d = 0;
                    while d < 7 {
                        if !w.days[d] {
                            d += 1;
                            continue;
                        }
                        let start = d;
                        while d + 1 < 7 && w.days[d + 1] {
                            d += 1;
                        }
                        runs.push(if start == d {
                            names[d].to_string()
                        } else {
                            format!(
                                "{}{}{}",
                                names[start],
                                if zh { "至" } else { "–" },
                                names[d]
                            )
                        });
                        d += 1;
                    }
                    format!(
                        "{} {:02}:00–{:02}:00",
                        runs.join(if zh { "、" } else { ", " }),
                        w.from_hour,
                        w.to_hour
                    )
                })
                .collect::<Vec<_>>()
                .join(if zh { "；" } else { "; " }),
        }
    }

    /// The open windows within `[from, to)`, merged and clipped.
    pub fn windows(&self, from: i64, to: i64) -> Vec<(i64, i64)> {
        if from >= to {
            return vec![];
        }
        let ws = match self {
            Hours::Always => return vec![(from, to)],
            Hours::Weekly(ws) => ws,
        };
        let mut out: Vec<(i64, i64)> = vec![];
        let first_day = (from + BEIJING).div_euclid(DAY);
        let last_day = (to - 1 + BEIJING).div_euclid(DAY);
        for day in first_day..=last_day {
            let midnight = day * DAY - BEIJING;
            // 1970-01-01 was a Thursday (index 3, Monday first).
            let weekday = (day + 3).rem_euclid(7) as usize;
            let mut today: Vec<(i64, i64)> = ws
                .iter()
                .filter(|w| w.days[weekday])
                .map(|w| {
                    (
                        midnight + i64::from(w.from_hour) * HOUR,
                        midnight + i64::from(w.to_hour) * HOUR,
                    )
                })
                .collect();
            today.sort_unstable();
            for (a, b) in today {
                let (a, b) = (a.max(from), b.min(to));
                if a >= b {
                    continue;
                }
                match out.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => out.push((a, b)),
                }
            }
        }
        out
    }

    /// Whether every moment of `[from, to)` is within opening hours.
    pub fn covers(&self, from: i64, to: i64) -> bool {
        from < to && self.windows(from, to) == [(from, to)]
    }
}

/// Whether two half-open periods share a moment (adjacent ones do not).
pub fn overlaps(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// `windows` with the `busy` periods taken out (both sorted or not; the answer is sorted).
pub fn subtract(windows: &[(i64, i64)], busy: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut busy: Vec<(i64, i64)> = busy.iter().copied().filter(|p| p.0 < p.1).collect();
    busy.sort_unstable();
    let mut out = vec![];
    for &(a, b) in windows {
        let mut start = a;
        for &(x, y) in &busy {
            if y <= start || x >= b {
                continue;
            }
            if x > start {
                out.push((start, x));
            }
            start = start.max(y);
            if start >= b {
                break;
            }
        }
        if start < b {
            out.push((start, b));
        }
    }
    out.sort_unstable();
    out
}

/// Seconds of `periods` (which do not overlap each other) that fall within `windows`.
pub fn seconds_within(windows: &[(i64, i64)], periods: &[(i64, i64)]) -> i64 {
    let mut total = 0;
    for &(a, b) in periods {
        for &(x, y) in windows {
            let (s, e) = (a.max(x), b.min(y));
            if s < e {
                total += e - s;
            }
        }
    }
    total
}

/// The first period of `len` seconds, on the hour grid, within opening hours and outside `busy`,
/// starting at or after `from` and ending by `until`.
pub fn earliest_free(
    hours: &Hours,
    busy: &[(i64, i64)],
    from: i64,
    len: i64,
    until: i64,
) -> Option<(i64, i64)> {
    let start = ceil_hour(from);
    let free = subtract(&hours.windows(start, until), busy);
    free.into_iter().find_map(|(a, b)| {
        let a = ceil_hour(a);
        (a + len <= b).then_some((a, a + len))
    })
}

/// The next whole hour at or after `t`.
pub fn ceil_hour(t: i64) -> i64 {
    t.div_euclid(HOUR) * HOUR + if t.rem_euclid(HOUR) == 0 { 0 } else { HOUR }
}

/// `[start, end)` of a month, `YYYY-MM`, in Beijing time.
pub fn month(text: &str) -> Result<(i64, i64), String> {
    let fix = || format!("`{text}`: give a month as YYYY-MM, e.g. 2027-03");
    let (y, m) = text.trim().split_once('-').ok_or_else(fix)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| fix())?, m.parse().map_err(|_| fix())?);
    let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(fix)?;
    if !(2000..=2100).contains(&y) {
        return Err(fix());
    }
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }
    .ok_or_else(fix)?;
    Ok((midnight(first), midnight(next)))
}

/// Unix seconds of a Beijing date's midnight.
pub fn midnight(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce() - 719_163) * DAY - BEIJING
}

/// Booked and bookable hours of one piece of equipment over a span.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Utilisation {
    /// Opening hours less maintenance.
    pub bookable_hours: f64,
    /// Confirmed bookings within the bookable hours.
    pub booked_hours: f64,
    pub maintenance_hours: f64,
    /// booked / bookable, `None` when nothing was bookable.
    pub share: Option<f64>,
}

/// Utilisation over `[from, to)`: `maintenance` and `booked` are periods (each list without overlaps).
pub fn utilisation(
    hours: &Hours,
    from: i64,
    to: i64,
    maintenance: &[(i64, i64)],
    booked: &[(i64, i64)],
) -> Utilisation {
    let open = hours.windows(from, to);
    let maint = seconds_within(&open, maintenance);
    let bookable = subtract(&open, maintenance);
    let bookable_s: i64 = bookable.iter().map(|(a, b)| b - a).sum();
    let booked_s = seconds_within(&bookable, booked);
    let h = |s: i64| s as f64 / HOUR as f64;
    Utilisation {
        bookable_hours: h(bookable_s),
        booked_hours: h(booked_s),
        maintenance_hours: h(maint),
        share: (bookable_s > 0).then(|| booked_s as f64 / bookable_s as f64),
    }
}

#[cfg(test)]
mod tests;
