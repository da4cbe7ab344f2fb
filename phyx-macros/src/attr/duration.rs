//! Durations written as string literals in options: `"250ms"`, `"5s"`,
//! `"1m30s"`.

use std::time::Duration;

const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses one or more `<integer><unit>` parts, units `ns`, `us`, `ms`,
/// `s`, `m`, `h`.
pub(super) fn parse(text: &str) -> Result<Duration, String> {
    if text.contains(char::is_whitespace) {
        let compact: String = text.split_whitespace().collect();
        return Err(match parse(&compact) {
            Ok(_) => format!("write durations without spaces: \"{compact}\""),
            Err(_) => expected(text),
        });
    }
    let mut rest = text;
    if rest.is_empty() {
        return Err(expected(text));
    }
    let mut nanos: u128 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(expected(text));
        }
        let number: u128 = rest[..digits].parse().map_err(|_| expected(text))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let Some(&(_, scale)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(if unit.is_empty() {
                format!("duration \"{text}\" needs a unit: write \"{text}ms\", \"{text}s\", \"{text}m\" or \"{text}h\"")
            } else {
                format!("unknown unit `{unit}` in duration \"{text}\"; expected one of `ns`, `us`, `ms`, `s`, `m`, `h`")
            });
        };
        rest = &rest[unit_len..];
        nanos = number
            .checked_mul(scale)
            .and_then(|part| nanos.checked_add(part))
            .ok_or_else(|| format!("duration \"{text}\" is too long"))?;
    }
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| format!("duration \"{text}\" is too long"))?;
    Ok(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

fn expected(text: &str) -> String {
    format!(
        "invalid duration \"{text}\": write a whole number and a unit, e.g. \"250ms\", \"5s\", \"2m\", \"1h\" or \"1m30s\""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit_and_compounds() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("10us"), Ok(Duration::from_micros(10)));
        assert_eq!(parse("7ns"), Ok(Duration::from_nanos(7)));
    }

    #[test]
    fn rejects_what_it_does_not_understand() {
        for bad in ["", "ms", "5", "5 s", "1.5s", "5sec", "-1s", "s5"] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse("99999999999999999999h").is_err());
    }
}
