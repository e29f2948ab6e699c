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

    /// The latest moment at or before `t` when the clock here read `hour`:00, on `weekday`
    /// when given (digests: seven each morning, or each Monday morning).
    pub fn latest_hour(
        &self,
        t: Timestamp,
        hour: i8,
        weekday: Option<jiff::civil::Weekday>,
    ) -> Timestamp {
        let Some(now) = self.zoned(t) else {
            return t;
        };
        let mut day = now.date();
        // Eight days back always holds a match, whatever the clock changes.
        for _ in 0..8 {
            let on_day = weekday.is_none_or(|w| day.weekday() == w);
            let at = day
                .at(hour, 0, 0, 0)
                .to_zoned(self.0.clone())
                .map(|z| Timestamp(z.timestamp().as_second()));
            if let Ok(at) = at
                && on_day
                && at <= t
            {
                return at;
            }
            match day.yesterday() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        t
    }

    /// The zone's IANA name, for a form's hint ("Europe/London").
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// A moment typed with the GOV.UK date input (day, month, year) and an optional time
    /// (`9:30`, `14:30`, `9:30am`, `2pm`; midnight when empty), read in this zone. `None` when
    /// nothing was typed. At the autumn clock change, a time that happens twice is the first
    /// of the two (summer time); in spring, a time that never happens moves an hour on.
    /// Errors are GOV.UK messages that start with `what` ("Publication date").
    pub fn parse_date_time(
        &self,
        what: &str,
        input: &DateTimeInput,
    ) -> Result<Option<Timestamp>, String> {
        let parts = [input.day.trim(), input.month.trim(), input.year.trim()];
        if parts.iter().all(|p| p.is_empty()) {
            return match input.time.trim().is_empty() {
                true => Ok(None),
                false => Err(format!("{what} must include a day, month and year")),
            };
        }
        let missing: Vec<&str> = (["day", "month", "year"].into_iter())
            .zip(parts)
            .filter(|(_, p)| p.is_empty())
            .map(|(name, _)| name)
            .collect();
        match missing.as_slice() {
            [] => {}
            [one] => return Err(format!("{what} must include a {one}")),
            [a, b] => return Err(format!("{what} must include a {a} and {b}")),
            _ => unreachable!("not every part is empty"),
        }
        let number = |s: &str| s.parse::<i16>().ok().filter(|_| s.len() <= 4);
        let real_date = || format!("{what} must be a real date");
        let [day, month, year] = parts;
        if year.len() != 4 {
            return Err("Year must include 4 numbers".into());
        }
        let (Some(d), Some(m), Some(y)) = (number(day), number(month), number(year)) else {
            return Err(real_date());
        };
        let date = jiff::civil::Date::new(y, m as i8, d as i8).map_err(|_| real_date())?;
        let (hour, minute) = parse_time(&input.time).ok_or_else(|| {
            "Enter the time like 9:30am, 14:30 or 2pm, or leave it empty for midnight".to_string()
        })?;
        let zoned =
            (date.at(hour, minute, 0, 0).to_zoned(self.0.clone())).map_err(|_| real_date())?;
        Ok(Some(Timestamp(zoned.timestamp().as_second())))
    }

    /// When something typed with the `opens-` and `closes-` date inputs opens and closes
    /// (a closing day without a time closes at its end), each checked, and the closing after
    /// the opening; what is wrong goes into `errors` against the day fields.
    pub fn opening_window(
        &self,
        opens: &DateTimeInput,
        closes: &DateTimeInput,
        errors: &mut crate::domain::FieldErrors,
    ) -> Option<(Timestamp, Timestamp)> {
        let opens = errors.check(
            "opens-day",
            self.required_date_time("Opening date", "Enter the date it opens", opens),
        );
        let closes = errors.check(
            "closes-day",
            self.required_date_time(
                "Closing date",
                "Enter the date it closes",
                &closes.clone().closing(),
            ),
        );
        let (opens, closes) = opens.zip(closes)?;
        if closes <= opens {
            errors.add("closes-day", "Closing date must be after the opening date");
            return None;
        }
        Some((opens, closes))
    }

    /// [`Zone::parse_date_time`] for a moment that must be given; `missing` when it is not.
    pub fn required_date_time(
        &self,
        what: &str,
        missing: &str,
        input: &DateTimeInput,
    ) -> Result<Timestamp, String> {
        self.parse_date_time(what, input)?
            .ok_or_else(|| missing.to_string())
    }

    /// A moment as the date input and time field show it for editing, in this zone.
    pub fn date_time_input(&self, t: Timestamp) -> DateTimeInput {
        match self.zoned(t) {
            Some(z) => DateTimeInput {
                day: z.day().to_string(),
                month: z.month().to_string(),
                year: z.year().to_string(),
                time: z.strftime("%H:%M").to_string(),
            },
            None => DateTimeInput::default(),
        }
    }
}

/// What a person typed: the three boxes of the GOV.UK date input, and a time. A form reads
/// one as `PREFIX-day`, `PREFIX-month`, `PREFIX-year` and `PREFIX-time` (the names the date
/// input macro writes) with `#[serde(flatten, with = "…")]` and one of the prefixes below.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DateTimeInput {
    pub day: String,
    pub month: String,
    pub year: String,
    pub time: String,
}

serde_with::with_prefix!(pub prefix_publish "publish-");
serde_with::with_prefix!(pub prefix_opens "opens-");
serde_with::with_prefix!(pub prefix_closes "closes-");
serde_with::with_prefix!(pub prefix_collected "collected-");

impl DateTimeInput {
    /// A closing moment: without a time, the end of that day (11:59pm), so that "closes on
    /// 30 June" takes answers all of 30 June.
    pub fn closing(mut self) -> Self {
        if self.time.trim().is_empty() {
            self.time = "11:59pm".into();
        }
        self
    }
}

/// `9:30`, `09:30`, `14:30`, `9.30am`, `2pm`, `12am` → (hour, minute); empty → midnight.
fn parse_time(input: &str) -> Option<(i8, i8)> {
    let s = input.trim().to_ascii_lowercase().replace(' ', "");
    if s.is_empty() {
        return Some((0, 0));
    }
    let (clock, half) = match (s.strip_suffix("am"), s.strip_suffix("pm")) {
        (Some(c), _) => (c, Some(false)),
        (_, Some(c)) => (c, Some(true)),
        _ => (s.as_str(), None),
    };
    let (h, m) = match clock.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h, m),
        Some(_) => return None,
        None if half.is_some() => (clock, "0"),
        None => return None,
    };
    let (h, m): (i8, i8) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..60).contains(&m) {
        return None;
    }
    let hour = match half {
        None if (0..24).contains(&h) => h,
        Some(pm) if (1..=12).contains(&h) => h % 12 + if pm { 12 } else { 0 },
        _ => return None,
    };
    Some((hour, m))
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

    fn typed(day: &str, month: &str, year: &str, time: &str) -> DateTimeInput {
        DateTimeInput {
            day: day.into(),
            month: month.into(),
            year: year.into(),
            time: time.into(),
        }
    }

    #[test]
    fn editors_type_dates_in_the_sites_zone_across_the_clock_changes() {
        let london = Zone::default();
        let at = |d: &str, m: &str, y: &str, t: &str| {
            london
                .parse_date_time("Publication date", &typed(d, m, y, t))
                .map(|t| t.map(Timestamp::secs))
        };
        // Saturday 28 October 2023, 9:00 BST is 8:00 UTC; Monday the 30th, 9:00 GMT is 9:00 UTC.
        assert_eq!(at("28", "10", "2023", "9:00"), Ok(Some(1_698_480_000)));
        assert_eq!(at("30", "10", "2023", "9am"), Ok(Some(1_698_656_400)));
        // 1:30 happens twice on 29 October 2023: the first, in BST (00:30 UTC).
        assert_eq!(at("29", "10", "2023", "01:30"), Ok(Some(1_698_539_400)));
        // 1:30 never happens on 26 March 2023: it is taken as 2:30 BST (01:30 UTC).
        assert_eq!(at("26", "3", "2023", "1:30"), Ok(Some(1_679_794_200)));
        // Midnight when no time is given; nothing typed is no date.
        assert_eq!(at("1", "1", "2024", ""), Ok(Some(1_704_067_200)));
        assert_eq!(at("", "", "", ""), Ok(None));
        // What is shown for editing is what was typed.
        let shown = london.date_time_input(Timestamp::from_secs(1_698_480_000));
        assert_eq!(shown, typed("28", "10", "2023", "09:00"));
    }

    #[test]
    fn a_wrong_date_or_time_says_what_to_fix() {
        let london = Zone::default();
        let err = |d: &str, m: &str, y: &str, t: &str| {
            london
                .parse_date_time("Publication date", &typed(d, m, y, t))
                .unwrap_err()
        };
        assert_eq!(
            err("1", "", "2024", ""),
            "Publication date must include a month"
        );
        assert_eq!(
            err("", "", "2024", ""),
            "Publication date must include a day and month"
        );
        assert_eq!(
            err("31", "2", "2024", ""),
            "Publication date must be a real date"
        );
        assert_eq!(
            err("x", "2", "2024", ""),
            "Publication date must be a real date"
        );
        assert_eq!(err("1", "2", "24", ""), "Year must include 4 numbers");
        assert!(err("1", "2", "2024", "25:00").starts_with("Enter the time"));
        assert!(err("1", "2", "2024", "13pm").starts_with("Enter the time"));
        assert_eq!(
            err("", "", "", "9:00"),
            "Publication date must include a day, month and year"
        );
        assert_eq!(parse_time("12am"), Some((0, 0)));
        assert_eq!(parse_time("12:15pm"), Some((12, 15)));
        assert_eq!(parse_time("9.05"), Some((9, 5)));
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
        // Forms show and read the same moment in the zone.
        let shown = london.date_time_input(t);
        assert_eq!(shown, typed("2", "7", "2026", "00:30"));
        assert_eq!(london.parse_date_time("Date", &shown), Ok(Some(t)));
        assert_eq!(
            london.parse_date_time("Date", &typed("2", "7", "2026", "")),
            Ok(Some(Timestamp::from_secs(1_782_946_800)))
        );
        assert!(
            london
                .parse_date_time("Date", &typed("2", "July", "2026", ""))
                .is_err()
        );
        assert!(Zone::named("Mars/Olympus").is_err());
    }
}
