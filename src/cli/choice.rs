//! Value parsers for the domain's enums: the values come from the enum
//! itself (`ALL`), so `--help` lists them, completions offer them, and a
//! bad value fails with the domain's own sentence and a near miss. No list
//! of names is written twice.

use std::ffi::OsStr;
use std::fmt::Display;
use std::str::FromStr;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;

/// Reads one part of a comma list, for its error only.
type CheckPart = fn(&str) -> Result<(), String>;

/// One of an enum's values, read by its `FromStr`; `names` lists them.
#[derive(Clone)]
pub struct Choice<T> {
    names: fn() -> Vec<&'static str>,
    /// Takes a comma list (`active,paused`), kept as the text typed; each
    /// part is read by this.
    list: Option<CheckPart>,
    parse: fn(&str) -> Result<T, String>,
}

fn parse_with<T: FromStr>(text: &str) -> Result<T, String>
where
    T::Err: Display,
{
    text.parse::<T>().map_err(|e| e.to_string())
}

/// A value of `T`, one of `names`.
pub fn choice<T>(names: fn() -> Vec<&'static str>) -> Choice<T>
where
    T: FromStr + Clone + Send + Sync + 'static,
    T::Err: Display,
{
    Choice {
        names,
        list: None,
        parse: parse_with::<T>,
    }
}

/// One of `names`, read by `parse`, which may take more spellings than
/// `--help` lists (any case; `yes` for `on`): for closed sets that are no
/// domain enum (`--format`, `--due`, `on|off`).
pub fn one_of<T>(
    names: fn() -> Vec<&'static str>,
    parse: fn(&str) -> Result<T, String>,
) -> Choice<T>
where
    T: Clone + Send + Sync + 'static,
{
    Choice {
        names,
        list: None,
        parse,
    }
}

/// A comma list of `T`'s values (each checked), kept as typed for the one
/// parser that reads it later ([`crate::domain::Filter::set`]).
pub fn choice_list<T>(names: fn() -> Vec<&'static str>) -> Choice<String>
where
    T: FromStr + 'static,
    T::Err: Display,
{
    fn keep(text: &str) -> Result<String, String> {
        Ok(text.to_string())
    }
    fn part<T: FromStr>(text: &str) -> Result<(), String>
    where
        T::Err: Display,
    {
        parse_with::<T>(text).map(|_| ())
    }
    Choice {
        names,
        list: Some(part::<T>),
        parse: keep,
    }
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Choice<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let flag = arg
            .and_then(|a| a.get_long().map(|l| format!("--{l}")))
            .or_else(|| arg.map(|a| a.get_id().to_string()))
            .unwrap_or_else(|| "the value".into());
        let fail = |why: String| {
            let mut e = clap::Error::raw(ErrorKind::InvalidValue, format!("{flag}: {why}\n"));
            e = e.with_cmd(cmd);
            e
        };
        let text = value
            .to_str()
            .ok_or_else(|| fail("the value is not UTF-8".into()))?;
        let names = (self.names)();
        // The domain's sentence, with a near miss when it has none.
        let with_hint = |part: &str, why: String| {
            if why.contains("did you mean") {
                why
            } else {
                format!(
                    "{why}{}",
                    crate::domain::did_you_mean(part, names.iter().copied())
                )
            }
        };
        match self.list {
            Some(check_part) => {
                for part in text.split(',').filter(|p| !p.trim().is_empty()) {
                    check_part(part).map_err(|why| fail(with_hint(part, why)))?;
                }
            }
            None => {
                if let Err(why) = (self.parse)(text) {
                    return Err(fail(with_hint(text, why)));
                }
            }
        }
        (self.parse)(text).map_err(fail)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new((self.names)().into_iter().map(PossibleValue::new)))
    }
}

/// The names of a domain enum with `ALL` and `as_str`.
macro_rules! names_of {
    ($t:ty) => {
        || <$t>::ALL.iter().map(|v| v.as_str()).collect()
    };
}
pub(crate) use names_of;
