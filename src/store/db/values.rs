//! Values crossing to PostgreSQL and back: a parameter converted to the
//! type the server asks for, a cell read as SQLite's value of the same
//! meaning (see the module above).

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

use super::{Error, Result};

/// A value bound to a PostgreSQL parameter: SQLite's value, converted to
/// the type the server asks for when it is sent.
#[derive(Debug)]
pub(super) struct PgParam(Value);

pub(super) fn pg_params(params: &[&dyn ToSql]) -> Result<Vec<PgParam>> {
    params
        .iter()
        .map(|p| {
            let out = p.to_sql()?;
            let value = match out {
                ToSqlOutput::Borrowed(v) => match v {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Integer(i),
                    ValueRef::Real(f) => Value::Real(f),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                },
                ToSqlOutput::Owned(v) => v,
                _ => {
                    return Err(Error::Conversion(
                        "a parameter of a kind PostgreSQL cannot take".into(),
                    ));
                }
            };
            Ok(PgParam(value))
        })
        .collect()
}

impl postgres::types::ToSql for PgParam {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, BoxError> {
        use postgres::types::{IsNull, Type};
        let text = |s: &str, out: &mut bytes::BytesMut| -> std::result::Result<IsNull, BoxError> {
            let t = s.trim();
            match *ty {
                Type::INT8 => put(t.parse::<i64>()?, ty, out),
                Type::INT4 => put(t.parse::<i32>()?, ty, out),
                Type::INT2 => put(t.parse::<i16>()?, ty, out),
                Type::FLOAT8 => put(t.parse::<f64>()?, ty, out),
                Type::FLOAT4 => put(t.parse::<f32>()?, ty, out),
                Type::BOOL => put(t != "0" && !t.is_empty(), ty, out),
                Type::JSONB => {
                    out.extend_from_slice(&[1]);
                    out.extend_from_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                _ if s.contains('\0') => {
                    // PostgreSQL's text cannot hold NUL: it becomes U+FFFD
                    // (shown the same way by every view of stored text).
                    out.extend_from_slice(s.replace('\0', "\u{FFFD}").as_bytes());
                    Ok(IsNull::No)
                }
                _ => {
                    out.extend_from_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
            }
        };
        match &self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => put(*i, ty, out),
                Type::INT4 => put(i32::try_from(*i)?, ty, out),
                Type::INT2 => put(i16::try_from(*i)?, ty, out),
                Type::FLOAT8 => put(*i as f64, ty, out),
                Type::FLOAT4 => put(*i as f32, ty, out),
                Type::BOOL => put(*i != 0, ty, out),
                _ => text(&i.to_string(), out),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => put(*f, ty, out),
                Type::FLOAT4 => put(*f as f32, ty, out),
                Type::INT8 if f.fract() == 0.0 => put(*f as i64, ty, out),
                _ => text(&f.to_string(), out),
            },
            Value::Text(s) => text(s, out),
            Value::Blob(b) => match *ty {
                Type::BYTEA => {
                    out.extend_from_slice(b);
                    Ok(IsNull::No)
                }
                _ => text(std::str::from_utf8(b)?, out),
            },
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

fn put<T: postgres::types::ToSql>(
    v: T,
    ty: &postgres::types::Type,
    out: &mut bytes::BytesMut,
) -> std::result::Result<postgres::types::IsNull, BoxError> {
    v.to_sql(ty, out)
}

/// A PostgreSQL cell read as SQLite's value of the same meaning.
pub(super) struct PgCell(pub(super) Value);

impl<'a> postgres::types::FromSql<'a> for PgCell {
    fn from_sql(
        ty: &postgres::types::Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        let value = match *ty {
            Type::BOOL => Value::Integer(i64::from(bool::from_sql(ty, raw)?)),
            Type::INT2 => Value::Integer(i64::from(i16::from_sql(ty, raw)?)),
            Type::INT4 => Value::Integer(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::OID => Value::Integer(i64::from(u32::from_sql(ty, raw)?)),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => Value::Text(std::str::from_utf8(raw.get(1..).unwrap_or(&[]))?.into()),
            _ => Value::Text(std::str::from_utf8(raw)?.to_string()),
        };
        Ok(PgCell(value))
    }

    fn from_sql_null(
        _: &postgres::types::Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgCell(Value::Null))
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }
}

/// PostgreSQL's binary `numeric` (what `sum` of integers gives) as an
/// integer when it is whole, else a real.
fn numeric(raw: &[u8]) -> std::result::Result<Value, Box<dyn std::error::Error + Sync + Send>> {
    let word = |at: usize| -> std::result::Result<i64, Box<dyn std::error::Error + Sync + Send>> {
        let b = raw.get(at..at + 2).ok_or("a numeric value cut short")?;
        Ok(i64::from(i16::from_be_bytes([b[0], b[1]])))
    };
    let digits = word(0)?;
    let weight = word(2)?;
    let sign = word(4)? as u16;
    let scale = word(6)?;
    if sign == 0xC000 {
        return Ok(Value::Null); // NaN
    }
    let mut whole: i128 = 0;
    let mut fraction = 0f64;
    for i in 0..digits {
        let d = word(8 + 2 * i as usize)?;
        let power = weight - i;
        if power >= 0 {
            whole += i128::from(d) * 10_000i128.pow(power as u32);
        } else {
            fraction += d as f64 * 10_000f64.powi(power as i32);
        }
    }
    let negative = sign == 0x4000;
    let _ = scale;
    if fraction == 0.0 {
        let v = if negative { -whole } else { whole };
        if let Ok(v) = i64::try_from(v) {
            return Ok(Value::Integer(v));
        }
    }
    let v = whole as f64 + fraction;
    Ok(Value::Real(if negative { -v } else { v }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_read_as_integers_when_whole() {
        // 12345678 = 1234·10⁴ + 5678: two base-10000 digits, weight 1.
        let raw = [0u8, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(12_345_678));
        let negative = [0u8, 1, 0, 0, 0x40, 0, 0, 0, 0, 7];
        assert_eq!(numeric(&negative).unwrap(), Value::Integer(-7));
        // 2.5 = 2 + 5000·10⁻⁴, scale 1.
        let half = [0u8, 2, 0, 0, 0, 0, 0, 1, 0, 2, 0x13, 0x88];
        assert_eq!(numeric(&half).unwrap(), Value::Real(2.5));
    }
}
