//! Time as the product keeps and shows it. A [`Timestamp`] is a moment in Unix seconds: what
//! the store keeps, and what data, feeds and the API write in UTC (RFC 3339, `YYYY-MM-DD`).
//! People read dates and times in the site's [`Zone`] (Europe/London unless `--time-zone`
//! says otherwise): "21 November 2026", "21 November 2026, 2:06pm GMT".

use serde::{Deserialize, Serialize};
use std::ops::{Add, Sub};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// A moment, as Unix seconds. Serialised as the number, so templates format it with the
/// `date` and `datetime` filters.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(i64);

pub const DAY: i64 = 86_400;

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(OffsetDateTime::now_utc().unix_timestamp())
    }

    pub const fn from_secs(secs: i64) -> Timestamp {
        Timestamp(secs)
    }

    pub const fn secs(self) -> i64 {
        self.0
    }

    /// Midnight UTC of the day this moment falls on.
    pub const fn day(self) -> Timestamp {
        Timestamp(self.0.div_euclid(DAY) * DAY)
    }

    fn utc(self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp(self.0).ok()
    }

    /// "2026-11-21" (UTC): dates in data, downloads and forms.
    pub fn iso_date(self) -> String {
        let format = format_description!("[year]-[month]-[day]");
        self.utc()
            .and_then(|t| t.format(&format).ok())
            .unwrap_or_default()
    }

    /// "2026-11-21T14:05:00Z": feeds, the API, `<time datetime>`.
    pub fn rfc3339(self) -> String {
        self.utc()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_default()
    }

    /// Midnight UTC of a `YYYY-MM-DD` date.
    pub fn parse_iso_date(s: &str) -> Option<Timestamp> {
        let format = format_description!("[year]-[month]-[day]");
        time::Date::parse(s.trim(), format)
            .ok()
            .map(|d| Timestamp(d.midnight().assume_utc().unix_timestamp()))
    }
}

impl From<i64> for Timestamp {
    fn from(secs: i64) -> Self {
        Timestamp(secs)
    }
}

impl Add<i64> for Timestamp {
    type Output = Timestamp;
    fn add(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }
}

impl Sub<i64> for Timestamp {
    type Output = Timestamp;
    fn sub(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_sub(secs))
    }
}

/// Seconds between two moments.
impl Sub for Timestamp {
    type Output = i64;
    fn sub(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// "2026-11-21" (UTC) of a moment; for `.map(iso_date)` over stored seconds too.
pub fn iso_date(t: impl Into<Timestamp>) -> String {
    t.into().iso_date()
}

/// "2026-11-21T14:05:00Z" of a moment.
pub fn rfc3339(t: impl Into<Timestamp>) -> String {
    t.into().rfc3339()
}

/// The time zone in which people read the site's dates and times.
#[derive(Clone, Debug)]
pub struct Zone(jiff::tz::TimeZone);

impl Default for Zone {
    fn default() -> Self {
        Zone::named("Europe/London").expect("the bundled time zone database has Europe/London")
    }
}

impl Zone {
    pub const DEFAULT: &str = "Europe/London";

    /// A zone by its IANA name (`Europe/London`, `UTC`); the error is a sentence for the
    /// command line.
    pub fn named(name: &str) -> Result<Zone, String> {
        jiff::tz::TimeZone::get(name.trim()).map(Zone).map_err(|_| {
            format!("unknown time zone {name:?}: use an IANA name such as Europe/London or UTC")
        })
    }

    pub fn utc() -> Zone {
        Zone(jiff::tz::TimeZone::UTC)
    }

    fn zoned(&self, t: Timestamp) -> Option<jiff::Zoned> {
        let at = jiff::Timestamp::from_second(t.0).ok()?;
        Some(at.to_zoned(self.0.clone()))
    }

    /// "21 November 2026" (GOV.UK style: no leading zero on the day).
    pub fn long_date(&self, t: Timestamp) -> String {
        self.zoned(t)
            .map(|z| z.strftime("%-d %B %Y").to_string())
            .unwrap_or_default()
    }

    /// "21 November 2026, 2:06pm GMT" (GOV.UK style for times, with the zone's abbreviation,
    /// GMT or BST in London).
    pub fn long_date_time(&self, t: Timestamp) -> String {
        let Some(z) = self.zoned(t) else {
            return String::new();
        };
        let hour = match z.hour() % 12 {
            0 => 12,
            h => h,
        };
        let half = if z.hour() < 12 { "am" } else { "pm" };
        let date = z.strftime("%-d %B %Y");
        let zone = z.strftime("%Z");
        format!("{date}, {hour}:{:02}{half} {zone}", z.minute())
    }

    /// A date and time typed in this zone (`YYYY-MM-DD` for midnight, or `YYYY-MM-DDTHH:MM`).
    pub fn parse_local(&self, s: &str) -> Option<Timestamp> {
        let s = s.trim();
        let civil: jiff::civil::DateTime = match s.len() {
            10 => s.parse::<jiff::civil::Date>().ok()?.into(),
            _ => s.parse().ok()?,
        };
        let zoned = civil.to_zoned(self.0.clone()).ok()?;
        Some(Timestamp(zoned.timestamp().as_second()))
    }

    /// `YYYY-MM-DDTHH:MM` in this zone, as a form shows a moment for editing.
    pub fn local_input(&self, t: Timestamp) -> String {
        self.zoned(t)
            .map(|z| z.strftime("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_writes_one_moment() {
        let t = Timestamp::from_secs(1_795_270_000); // 21 November 2026, 14:06:40 UTC
        let london = Zone::default();
        assert_eq!(london.long_date(t), "21 November 2026");
        assert_eq!(london.long_date_time(t), "21 November 2026, 2:06pm GMT");
        assert_eq!(t.iso_date(), "2026-11-21");
        assert_eq!(t.rfc3339(), "2026-11-21T14:06:40Z");
        assert_eq!(
            Timestamp::parse_iso_date(" 2026-11-21 "),
            Some(Timestamp::from_secs(1_795_219_200))
        );
        assert_eq!(Timestamp::parse_iso_date("21/11/2026"), None);
    }

    #[test]
    fn people_read_times_in_the_sites_zone() {
        // 1 July 2026, 23:30 UTC is already 2 July in London (BST, UTC+1).
        let t = Timestamp::from_secs(1_782_948_600);
        let london = Zone::default();
        assert_eq!(london.long_date(t), "2 July 2026");
        assert_eq!(london.long_date_time(t), "2 July 2026, 12:30am BST");
        assert_eq!(t.iso_date(), "2026-07-01");
        assert_eq!(Zone::utc().long_date_time(t), "1 July 2026, 11:30pm UTC");
        assert_eq!(london.local_input(t), "2026-07-02T00:30");
        assert_eq!(london.parse_local("2026-07-02T00:30"), Some(t));
        assert_eq!(
            london.parse_local("2026-07-02"),
            Some(Timestamp::from_secs(1_782_946_800))
        );
        assert_eq!(london.parse_local("2 July"), None);
        assert!(Zone::named("Mars/Olympus").is_err());
    }
}
