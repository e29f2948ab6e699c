//! Time as the product shows it. The store keeps Unix seconds; these are the few ways a
//! moment is written: for people ("21 November 2026"), for data and forms ("2026-11-21"),
//! and for machines (RFC 3339). All in UTC.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

fn at(secs: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// "21 November 2026" (GOV.UK style: no leading zero on the day).
pub fn long_date(secs: i64) -> String {
    let format = format_description!("[day padding:none] [month repr:long] [year]");
    at(secs)
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// "21 November 2026, 14:05 UTC".
pub fn long_date_time(secs: i64) -> String {
    let format =
        format_description!("[day padding:none] [month repr:long] [year], [hour]:[minute] UTC");
    at(secs)
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// "2026-11-21": dates in data, downloads and forms.
pub fn iso_date(secs: i64) -> String {
    let format = format_description!("[year]-[month]-[day]");
    at(secs)
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// "2026-11-21T14:05:00Z": feeds, the API, `<time datetime>`.
pub fn rfc3339(secs: i64) -> String {
    at(secs)
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Midnight UTC of a `YYYY-MM-DD` date, as Unix seconds.
pub fn parse_iso_date(s: &str) -> Option<i64> {
    let format = format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), format)
        .ok()
        .map(|d| d.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_writes_one_moment() {
        let t = 1_795_270_000; // 21 November 2026, 14:06:40 UTC
        assert_eq!(long_date(t), "21 November 2026");
        assert_eq!(long_date_time(t), "21 November 2026, 14:06 UTC");
        assert_eq!(iso_date(t), "2026-11-21");
        assert_eq!(rfc3339(t), "2026-11-21T14:06:40Z");
        assert_eq!(parse_iso_date(" 2026-11-21 "), Some(1_795_219_200));
        assert_eq!(parse_iso_date("21/11/2026"), None);
    }
}
