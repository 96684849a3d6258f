//! Near misses (issue 17): the names closest to one that was not found,
//! for "no sequence 'Webinar'; did you mean 'Webinar Follow-up'?". One
//! rule for every lookup — sequences, lists, users, reasons, commands.

/// At most this many names are suggested.
const SUGGESTED: usize = 3;

/// The candidates closest to `wanted`, best first: those that start with
/// it, then those that contain it (or that it contains), then those within
/// a small edit distance; compared without case. An exact match (which
/// the caller did not find) and a too-short `wanted` suggest nothing.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let wanted = wanted.trim().to_lowercase();
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(u8, usize, &str)> = Vec::new();
    for name in candidates {
        let lower = name.to_lowercase();
        let distance = strsim::levenshtein(&wanted, &lower);
        // How many edits a typo may have: one per six characters of the
        // shorter name (names that share a long part, such as a domain,
        // are otherwise "close" whatever else differs).
        let allowed = (wanted.chars().count().min(lower.chars().count()) / 6).max(1);
        let rank = if lower.starts_with(&wanted) && wanted.chars().count() >= 2 {
            0
        } else if wanted.chars().count() >= 3
            && (lower.contains(&wanted) || (lower.chars().count() >= 3 && wanted.contains(&lower)))
        {
            1
        } else if distance <= allowed {
            2
        } else {
            continue;
        };
        if !scored.iter().any(|(_, _, n)| *n == name) {
            scored.push((rank, distance, name));
        }
    }
    scored.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    // Only the best kind of match, and typos no worse than the best one
    // by more than an edit: a near name, not every name of that length.
    let best = scored.first().map(|s| (s.0, s.1));
    scored
        .into_iter()
        .filter(|(rank, distance, _)| {
            best.is_some_and(|(r, d)| *rank == r && (r < 2 || *distance <= d + 1))
        })
        .take(SUGGESTED)
        .map(|(_, _, n)| n)
        .collect()
}

/// `"; did you mean 'A'?"`, `"; did you mean 'A' or 'B'?"`, or nothing,
/// to end a not-found sentence.
pub fn did_you_mean<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    suggestion(&closest(wanted, candidates))
}

/// What a not-found sentence ends with: the near misses when there are
/// some, else where the names are listed (`; \`seqtui sequences\` lists
/// them`).
pub fn or_listed(hint: String, listed: &str) -> String {
    if hint.is_empty() {
        format!("; {listed}")
    } else {
        hint
    }
}

/// [`did_you_mean`]'s ending for names already chosen.
pub fn suggestion(names: &[&str]) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        [rest @ .., last] => format!("; did you mean {} or {last}?", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEQUENCES: &[&str] = &[
        "Webinar Follow-up",
        "Q4 Mid-Market Outbound",
        "Enterprise Nurture",
        "Trial Activation",
    ];

    #[test]
    fn a_prefix_a_part_or_a_typo_is_suggested() {
        assert_eq!(
            did_you_mean("Webinar", SEQUENCES.iter().copied()),
            "; did you mean 'Webinar Follow-up'?"
        );
        assert_eq!(
            closest("nurture", SEQUENCES.iter().copied()),
            ["Enterprise Nurture"]
        );
        assert_eq!(
            closest("Trial Activaton", SEQUENCES.iter().copied()),
            ["Trial Activation"]
        );
        assert_eq!(closest("not_a_fitt", ["not_a_fit", "other"]), ["not_a_fit"]);
    }

    #[test]
    fn nothing_close_suggests_nothing() {
        assert_eq!(did_you_mean("Zebra", SEQUENCES.iter().copied()), "");
        // A shared domain is not closeness.
        assert!(
            closest(
                "ghost@team.example",
                ["mo@team.example", "ann@team.example"]
            )
            .is_empty()
        );
        assert_eq!(did_you_mean("", SEQUENCES.iter().copied()), "");
        assert!(closest("q", SEQUENCES.iter().copied()).is_empty());
    }

    #[test]
    fn several_are_listed_best_first() {
        let users = [
            "maya.okafor@acme.example",
            "maya.ortiz@acme.example",
            "sam@acme.example",
        ];
        assert_eq!(
            did_you_mean("maya", users),
            "; did you mean 'maya.ortiz@acme.example' or 'maya.okafor@acme.example'?"
        );
    }
}
