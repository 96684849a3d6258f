//! `--format` of the listings (`table` for people; `tsv`, `csv`, `json`,
//! `jsonl` for scripts): the choice, and the rows of the machine formats,
//! written through [`super::output`], the one writer of stdout.

use serde::Serialize;

use super::output::{Verbatim, json, json_line, on_terminal, safe};

/// `--format` of the listings: a table for people, or a machine format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Tsv,
    Csv,
    Json,
    Jsonl,
}

impl Format {
    /// Every format, as `--help` lists them.
    pub const ALL: [Format; 5] = [
        Format::Table,
        Format::Tsv,
        Format::Csv,
        Format::Json,
        Format::Jsonl,
    ];

    pub fn names() -> Vec<&'static str> {
        Format::ALL.iter().map(|f| f.name()).collect()
    }

    /// A format by its name, in any case (what `--format` reads).
    pub fn parse(text: &str) -> Result<Format, String> {
        let name = text.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown format '{}'; use table or csv for people and spreadsheets, tsv, json or jsonl for scripts",
                    text.trim()
                )
            })
    }

    /// The format a listing prints in: `--format` (read by clap with
    /// [`Format::parse`]), `--json` being `--format json`; both naming
    /// different formats is a usage error (exit 2).
    pub fn chosen(json: bool, named: Option<Format>) -> Result<Format, crate::domain::DomainError> {
        match (json, named) {
            (true, None) | (true, Some(Format::Json)) => Ok(Format::Json),
            (true, Some(other)) => Err(crate::domain::DomainError::Invalid(format!(
                "--json and --format {} are two outputs; pass one",
                other.name()
            ))),
            (false, named) => Ok(named.unwrap_or(Format::Table)),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Tsv => "tsv",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
        }
    }

    /// JSON, JSON Lines, CSV or TSV: no progress, no colour.
    pub fn is_machine(self) -> bool {
        self != Format::Table
    }
}

/// Writes records as CSV or TSV on stdout. Every text cell a spreadsheet
/// would read as a formula starts with `'` (stored text never drives a
/// spreadsheet, see [`crate::domain::spreadsheet_text`]); TSV, which cannot
/// quote, turns tabs and line breaks into spaces; on a terminal, control
/// characters are replaced (data never drives it).
pub struct Records {
    writer: csv::Writer<Verbatim>,
    tsv: bool,
    terminal: bool,
}

impl Records {
    /// `format` is [`Format::Csv`] or [`Format::Tsv`].
    pub fn new(format: Format) -> Records {
        let tsv = format == Format::Tsv;
        let mut builder = csv::WriterBuilder::new();
        if tsv {
            builder.delimiter(b'\t').quote_style(csv::QuoteStyle::Never);
        }
        Records {
            writer: builder.from_writer(Verbatim),
            tsv,
            terminal: on_terminal(),
        }
    }

    /// One record of text cells, each neutralised.
    pub fn text<I, S>(&mut self, cells: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells.into_iter().map(|c| self.cell(c.as_ref())).collect();
        self.writer.write_record(&cells)?;
        Ok(())
    }

    /// One record of cells, each either stored text (`true`: neutralised)
    /// or a number, boolean or time the program wrote itself (as it is).
    pub fn mixed<I: IntoIterator<Item = (String, bool)>>(
        &mut self,
        cells: I,
    ) -> anyhow::Result<()> {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|(c, text)| if text { self.cell(&c) } else { c })
            .collect();
        self.writer.write_record(&cells)?;
        Ok(())
    }

    /// A stored text cell, neutralised (see [`Records`]).
    fn cell(&self, text: &str) -> String {
        let text = crate::domain::spreadsheet_text(text);
        let mut text = if self.terminal {
            safe(&text)
        } else {
            text.into_owned()
        };
        if self.tsv && text.contains(['\t', '\n', '\r']) {
            text = text.replace(['\t', '\n', '\r'], " ");
        }
        text
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        self.writer.flush()?;
        Ok(())
    }
}

/// The fields of a JSON object in the order they were written (serde_json's
/// map sorts them), for CSV columns that follow the JSON vocabulary.
struct Ordered(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ordered, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut fields = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    fields.push((k, v));
                }
                Ok(Ordered(fields))
            }
        }
        d.deserialize_map(Fields)
    }
}

/// One JSON value as a CSV cell: text as is, `null` empty, arrays and
/// objects as compact JSON.
fn value_cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Prints `items` in a machine format: a JSON array, JSON Lines, or CSV /
/// TSV whose columns are the JSON fields, in order. `Format::Table` is the
/// caller's.
pub fn machine<T: Serialize>(format: Format, items: &[T]) -> anyhow::Result<()> {
    match format {
        Format::Json => json(items),
        Format::Jsonl => {
            for item in items {
                json_line(item)?;
            }
            Ok(())
        }
        Format::Csv | Format::Tsv => {
            let mut records = Records::new(format);
            let mut columns: Option<Vec<String>> = None;
            for item in items {
                let Ordered(fields) = serde_json::from_str(&serde_json::to_string(item)?)?;
                let columns = match &columns {
                    Some(c) => c,
                    None => {
                        let names: Vec<String> = fields.iter().map(|(k, _)| k.clone()).collect();
                        records.text(&names)?;
                        columns.insert(names)
                    }
                };
                records.mixed(columns.iter().map(|c| {
                    fields
                        .iter()
                        .find(|(k, _)| k == c)
                        .map(|(_, v)| (value_cell(v), v.is_string()))
                        .unwrap_or_default()
                }))?;
            }
            records.finish()
        }
        Format::Table => Ok(()),
    }
}
