//! The store's SQL as PostgreSQL reads it (see the module above).

/// The store's SQL as PostgreSQL reads it: `?N`/`?` placeholders become
/// `$N`; `temp.` becomes `pg_temp.`; `IS ?`/`IS NOT ?` (SQLite's
/// null-safe comparison) become `IS NOT DISTINCT FROM`/`IS DISTINCT
/// FROM`; `LIKE` becomes `ILIKE` (SQLite's LIKE ignores ASCII case);
/// `WITHOUT ROWID` and `INDEXED BY name` go; `CROSS JOIN … ON` (SQLite's
/// inner join in a fixed order) becomes `JOIN … ON`. String literals and quoted names are copied as
/// they are.
pub fn pg_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut next_placeholder = 1usize;
    // The last two words written (upper case), to recognise `IS [NOT] ?`.
    let mut words: [String; 2] = [String::new(), String::new()];
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                let quote = c;
                out.push(c);
                i += 1;
                while i < chars.len() {
                    out.push(chars[i]);
                    if chars[i] == quote {
                        if chars.get(i + 1) == Some(&quote) {
                            out.push(quote);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
                words = [String::new(), String::new()];
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            '?' => {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let n: usize = if i > start {
                    chars[start..i]
                        .iter()
                        .collect::<String>()
                        .parse()
                        .unwrap_or(0)
                } else {
                    let n = next_placeholder;
                    next_placeholder += 1;
                    n
                };
                if i > start {
                    next_placeholder = next_placeholder.max(n + 1);
                }
                if words[1] == "IS" || (words[0] == "IS" && words[1] == "NOT") {
                    null_safe(&mut out, &words);
                }
                out.push('$');
                out.push_str(&n.to_string());
                words = [String::new(), String::new()];
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let upper = word.to_ascii_uppercase();
                if upper == "TEMP" && chars.get(i) == Some(&'.') {
                    out.push_str("pg_temp");
                } else if upper == "JSON_EACH"
                    && let Some((n, end)) = json_each_arg(&chars, i, &mut next_placeholder)
                {
                    // `json_each(?N)` over a JSON array: its elements as text
                    // in a column `value` (cast where a number is meant).
                    out.push_str(&format!(
                        "json_array_elements_text(${n}::json) AS json_each(value)"
                    ));
                    i = end;
                } else if upper == "INDEXED" && next_word_is(&chars, i, "BY") {
                    // SQLite's index hint: PostgreSQL's planner chooses.
                    for _ in 0..2 {
                        while i < chars.len() && chars[i].is_whitespace() {
                            i += 1;
                        }
                        while i < chars.len()
                            && (chars[i].is_ascii_alphanumeric() || chars[i] == '_')
                        {
                            i += 1;
                        }
                    }
                } else if upper == "CROSS" && next_word_is(&chars, i, "JOIN") {
                    // SQLite's "join in this order" is an inner join (with
                    // ON); PostgreSQL's CROSS JOIN takes no ON.
                    while i < chars.len() && chars[i].is_whitespace() {
                        i += 1;
                    }
                } else if upper == "INSTR" && chars.get(i) == Some(&'(') {
                    out.push_str("strpos");
                } else if (words[1] == "IS" || (words[0] == "IS" && words[1] == "NOT"))
                    && !matches!(
                        upper.as_str(),
                        "NULL" | "NOT" | "TRUE" | "FALSE" | "DISTINCT" | "UNKNOWN"
                    )
                {
                    // `a IS b` / `a IS NOT b` between two values: SQLite's
                    // null-safe comparison.
                    null_safe(&mut out, &words);
                    out.push_str(&word);
                } else if upper == "LIKE" {
                    out.push_str("ILIKE");
                } else if upper == "WITHOUT" && next_word_is(&chars, i, "ROWID") {
                    // Skip `WITHOUT ROWID`.
                    while i < chars.len() && !chars[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    while i < chars.len() && chars[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                } else {
                    out.push_str(&word);
                }
                words = [std::mem::take(&mut words[1]), upper];
            }
            _ => {
                if !c.is_whitespace() {
                    words = [String::new(), String::new()];
                }
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Rewrites the `IS` or `IS NOT` just written to `out` (the last words
/// seen) as PostgreSQL's null-safe comparison.
fn null_safe(out: &mut String, words: &[String; 2]) {
    let not = words[1] == "NOT";
    let cut = if not { "NOT" } else { "IS" };
    let trimmed_len = out.trim_end().len();
    out.truncate(trimmed_len - cut.len());
    if not {
        let trimmed_len = out.trim_end().len();
        out.truncate(trimmed_len - 2);
        out.push_str("IS DISTINCT FROM ");
    } else {
        out.push_str("IS NOT DISTINCT FROM ");
    }
}

/// After `json_each` at `i`: `( ?N )` or `( ? )` — the placeholder's
/// number (taking the next one for a bare `?`) and where the `)` ends.
fn json_each_arg(chars: &[char], mut i: usize, next: &mut usize) -> Option<(usize, usize)> {
    let skip = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    skip(&mut i);
    if chars.get(i) != Some(&'(') {
        return None;
    }
    i += 1;
    skip(&mut i);
    if chars.get(i) != Some(&'?') {
        return None;
    }
    i += 1;
    let start = i;
    while i < chars.len() && chars[i].is_ascii_digit() {
        i += 1;
    }
    let n = if i > start {
        let n: usize = chars[start..i].iter().collect::<String>().parse().ok()?;
        *next = (*next).max(n + 1);
        n
    } else {
        *next += 1;
        *next - 1
    };
    skip(&mut i);
    (chars.get(i) == Some(&')')).then_some((n, i + 1))
}

fn next_word_is(chars: &[char], mut i: usize, word: &str) -> bool {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    let start = i;
    while i < chars.len() && chars[i].is_ascii_alphabetic() {
        i += 1;
    }
    chars[start..i]
        .iter()
        .collect::<String>()
        .eq_ignore_ascii_case(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_dollars() {
        assert_eq!(
            pg_sql("SELECT a FROM t WHERE a = ?1 AND b = ?2 OR c = ?1"),
            "SELECT a FROM t WHERE a = $1 AND b = $2 OR c = $1"
        );
        assert_eq!(
            pg_sql("INSERT INTO t VALUES (?, ?, ?)"),
            "INSERT INTO t VALUES ($1, $2, $3)"
        );
    }

    #[test]
    fn literals_and_quoted_names_are_left_alone() {
        assert_eq!(
            pg_sql("SELECT '?1 it''s temp.x LIKE' FROM \"temp\" WHERE x = ?"),
            "SELECT '?1 it''s temp.x LIKE' FROM \"temp\" WHERE x = $1"
        );
    }

    #[test]
    fn sqlite_words_become_postgres_words() {
        assert_eq!(
            pg_sql(
                "SELECT id FROM temp.ids WHERE name LIKE ?1 AND owner_id IS NOT ?2 AND b IS ?3 AND c IS NULL AND d IS NOT NULL"
            ),
            "SELECT id FROM pg_temp.ids WHERE name ILIKE $1 AND owner_id IS DISTINCT FROM $2 AND b IS NOT DISTINCT FROM $3 AND c IS NULL AND d IS NOT NULL"
        );
        assert_eq!(
            pg_sql("WHERE a IS NOT email_key AND b IS c.d AND e IS NOT NULL AND f IS TRUE"),
            "WHERE a IS DISTINCT FROM email_key AND b IS NOT DISTINCT FROM c.d AND e IS NOT NULL AND f IS TRUE"
        );
        assert_eq!(
            pg_sql(
                "FROM contacts c CROSS JOIN enrollments e INDEXED BY enrollments_contact ON e.contact_id = c.id"
            ),
            "FROM contacts c JOIN enrollments e  ON e.contact_id = c.id"
        );
        assert_eq!(
            pg_sql("CREATE TEMP TABLE x(id INTEGER PRIMARY KEY) WITHOUT ROWID;"),
            "CREATE TEMP TABLE x(id INTEGER PRIMARY KEY) ;"
        );
    }
}
