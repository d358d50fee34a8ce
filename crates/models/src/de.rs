//! Tolerant decoding helpers the generated models use (`deserialize_with`).
//!
//! * Integers decode from any JSON number: an integer in range as is; a float truncated toward
//!   zero (saturating at the type's bounds); an integer above `i64::MAX` in a signed field
//!   saturates at `i64::MAX`; a negative integer in an unsigned field wraps as Go's
//!   `uint64(int64)` does (`-1` is `u64::MAX`, the "no limit" of cgroup counters).
//! * Maps of scalars read a `null` value as the type's default (`""`, `0`, `false`).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// An `i64` from any JSON number.
struct I64(i64);

/// A `u64` from any JSON number.
struct U64(u64);

struct IntVisitor<const SIGNED: bool>;

impl<'de, const SIGNED: bool> Visitor<'de> for IntVisitor<SIGNED> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    // The value is carried as the bits of an i64 (SIGNED) or a u64.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        Ok(v as u64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        if SIGNED {
            Ok(i64::try_from(v).unwrap_or(i64::MAX) as u64)
        } else {
            Ok(v)
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if SIGNED || v < 0.0 {
            Ok((v as i64) as u64)
        } else {
            Ok(v as u64)
        }
    }
}

impl<'de> Deserialize<'de> for I64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor::<true>)
            .map(|bits| I64(bits as i64))
    }
}

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor::<false>).map(U64)
    }
}

/// An `i64` from any JSON number (an integer enum's value).
pub(crate) fn int_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    I64::deserialize(d).map(|v| v.0)
}

/// A string (an enum's value).
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d)
}

/// An optional `i64` from any JSON number or `null`.
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<I64>::deserialize(d).map(|o| o.map(|v| v.0))
}

/// An optional `u64` from any JSON number or `null`.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<U64>::deserialize(d).map(|o| o.map(|v| v.0))
}

/// An optional list of `i64`.
pub(crate) fn opt_vec_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
    Option::<Vec<I64>>::deserialize(d).map(|o| o.map(|v| v.into_iter().map(|x| x.0).collect()))
}

/// An optional list of `u64`.
pub(crate) fn opt_vec_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u64>>, D::Error> {
    Option::<Vec<U64>>::deserialize(d).map(|o| o.map(|v| v.into_iter().map(|x| x.0).collect()))
}

/// An optional map of `u64`, a `null` value read as `0`.
pub(crate) fn opt_map_u64<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, u64>>, D::Error> {
    Option::<BTreeMap<String, Option<U64>>>::deserialize(d).map(|o| {
        o.map(|m| {
            m.into_iter()
                .map(|(k, v)| (k, v.map_or(0, |x| x.0)))
                .collect()
        })
    })
}

/// An optional map of scalars, a `null` value read as the default.
pub(crate) fn opt_map_null_default<'de, D, T>(d: D) -> Result<Option<BTreeMap<String, T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<BTreeMap<String, Option<T>>>::deserialize(d).map(|o| {
        o.map(|m| {
            m.into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "opt_i64")]
        i: Option<i64>,
        #[serde(default, deserialize_with = "opt_u64")]
        u: Option<u64>,
    }

    fn t(json: &str) -> (Option<i64>, Option<u64>) {
        let v: T = serde_json::from_str(json).unwrap();
        (v.i, v.u)
    }

    #[test]
    fn integers_from_any_number() {
        assert_eq!(t(r#"{"i": -1, "u": -1}"#), (Some(-1), Some(u64::MAX)));
        assert_eq!(t(r#"{"i": 1.9, "u": 2.5}"#), (Some(1), Some(2)));
        assert_eq!(
            t(r#"{"i": 1e30, "u": -1.0}"#),
            (Some(i64::MAX), Some(u64::MAX))
        );
        assert_eq!(
            t(r#"{"i": 18446744073709551615, "u": 18446744073709551615}"#),
            (Some(i64::MAX), Some(u64::MAX))
        );
        assert_eq!(t(r#"{"i": null}"#), (None, None));
        assert_eq!(t("{}"), (None, None));
        assert!(serde_json::from_str::<T>(r#"{"i": "1"}"#).is_err());
    }
}
