//! The docs tell the truth about commands and keys: every `seqtui …`
//! command line in README.md and docs/*.md names a command that exists
//! (its `--help` succeeds, run on the built binary) and only flags that
//! command has; every key in docs/tui.md's key table is bound in the
//! default keymap.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use seqtui::tui::keymap::{Key, Keymap};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// Every command line of a document: lines of code blocks that start with
/// `seqtui ` (after an optional `$ `), and inline code spans that do.
fn command_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fenced = false;
    let mut commands_table = false;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        // The command tables (`| command | what it does |`) name commands
        // without the program's name in their first column.
        if line.starts_with("| command |") {
            commands_table = true;
            continue;
        }
        if commands_table && !line.starts_with('|') {
            commands_table = false;
        }
        if commands_table && !line.starts_with("| ---") {
            let first = line
                .split(" | ")
                .next()
                .unwrap_or("")
                .trim_start_matches('|');
            for span in first.split('`').skip(1).step_by(2) {
                out.push((n + 1, format!("seqtui {}", span.replace("\\|", "|"))));
            }
            continue;
        }
        if trimmed.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            let l = trimmed.strip_prefix("$ ").unwrap_or(trimmed);
            if l.starts_with("seqtui ") {
                // A comment after the command is not part of it.
                let l = l.split("  #").next().unwrap_or(l);
                out.push((n + 1, l.trim().to_string()));
            }
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('`') else { break };
            let span = &after[..end];
            if span.starts_with("seqtui ") {
                out.push((n + 1, span.to_string()));
            }
            rest = &after[end + 1..];
        }
    }
    out
}

/// Splits like a shell would for our purposes: spaces outside double or
/// single quotes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            None => word.push(c),
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

fn help(path: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_seqtui"))
        .args(path)
        .arg("--help")
        .env_remove("SEQTUI_DB")
        .output()
        .expect("the binary runs");
    if out.status.success() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        String::new()
    }
}

/// The subcommands a help text lists under "Commands:".
fn subcommands(help: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut inside = false;
    for line in help.lines() {
        if line.trim_end().ends_with("Commands:") {
            inside = true;
            continue;
        }
        if inside {
            if !line.starts_with("  ") {
                inside = false;
                continue;
            }
            if let Some(name) = line.split_whitespace().next() {
                names.insert(name.trim_end_matches(',').to_string());
            }
        }
    }
    names
}

/// Whether the help text documents the flag (`--long` or `-s`).
fn has_flag(help: &str, flag: &str) -> bool {
    help.lines().any(|line| {
        line.split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '[' || c == ']')
            .any(|w| w == flag)
    })
}

/// Whether the flag takes a value, per the help text (`--flag <VALUE>`).
fn takes_value(help: &str, flag: &str) -> bool {
    help.lines().any(|line| {
        let line = line.trim_start();
        let at = line
            .find(&format!("{flag} <"))
            .or_else(|| line.find(&format!("{flag}=<")));
        at.is_some_and(|i| i == 0 || line[..i].ends_with(' '))
    })
}

fn check_line(line: &str) -> Result<(), String> {
    let tokens = words(line);
    let mut path: Vec<String> = Vec::new();
    let mut text = help(&path);
    let mut growing = true;
    let mut i = 1;
    while i < tokens.len() {
        // Usage synopses: `[--json]`, `(--a | --b)`, `A|B`.
        let token = tokens[i].trim_matches(|c| matches!(c, '[' | ']' | '(' | ')' | '…' | '.'));
        i += 1;
        if token == "|"
            && tokens
                .get(i)
                .is_some_and(|next| !next.starts_with(['-', '[', '(']))
        {
            // A shell pipe: the command ends here.
            break;
        }
        if token.is_empty() || token == "|" || token == "..." {
            continue;
        }
        for alt in token.split('|') {
            if alt.starts_with("--") || (alt.starts_with('-') && alt.len() == 2) {
                let flag = alt.split('=').next().unwrap();
                let flag = flag.trim_end_matches([']', ')', ',']);
                if !has_flag(&text, flag) {
                    return Err(format!("`seqtui {}` has no flag {flag}", path.join(" ")));
                }
                if !alt.contains('=') && takes_value(&text, flag) && tokens.len() > i {
                    i += 1;
                }
            } else if growing && subcommands(&text).contains(alt) {
                path.push(alt.to_string());
                text = help(&path);
                if text.is_empty() {
                    return Err(format!("`seqtui {} --help` fails", path.join(" ")));
                }
            } else if growing && !alt.is_empty() {
                // A positional value: no more subcommands after it.
                if alt.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    && !subcommands(&text).is_empty()
                    && path.is_empty()
                {
                    return Err(format!("there is no command `seqtui {alt}`"));
                }
                if !subcommands(&text).is_empty()
                    && alt.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    return Err(format!(
                        "`seqtui {}` has no subcommand `{alt}`",
                        path.join(" ")
                    ));
                }
                growing = false;
            }
        }
    }
    Ok(())
}

#[test]
fn every_command_line_in_the_docs_exists() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line_no, line) in command_lines(&text) {
            checked += 1;
            if let Err(why) = check_line(&line) {
                failures.push(format!(
                    "{}:{line_no}: {line}\n    {why}",
                    file.strip_prefix(root()).unwrap_or(&file).display()
                ));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} command lines found in the docs"
    );
    assert!(
        failures.is_empty(),
        "{} command lines in the docs do not match the CLI:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The docs' key names in keymap.toml's notation.
fn key_of(name: &str) -> Option<Key> {
    let name = match name {
        "↓" => "down",
        "↑" => "up",
        "←" => "left",
        "→" => "right",
        other => other,
    };
    Key::parse(name).ok()
}

/// Every key named in the first column of docs/tui.md's key table.
fn documented_keys(text: &str) -> Vec<(usize, String)> {
    let mut keys = Vec::new();
    let mut table = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("| key |") || line.starts_with("| Key |") {
            table = true;
            continue;
        }
        if table && !line.starts_with('|') {
            table = false;
        }
        if !table || line.starts_with("| ---") {
            continue;
        }
        let first = line.split('|').nth(1).unwrap_or("");
        let mut rest = first;
        while let Some(start) = rest.find('`') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('`') else { break };
            let span = &after[..end];
            let names: Vec<&str> = if span == "/" {
                vec![span]
            } else {
                span.split('/').collect()
            };
            for k in names {
                keys.push((n + 1, k.trim().to_string()));
            }
            rest = &after[end + 1..];
        }
    }
    keys
}

#[test]
fn every_key_in_the_tui_docs_is_bound() {
    let text = std::fs::read_to_string(root().join("docs/tui.md")).unwrap();
    let keys = documented_keys(&text);
    assert!(
        keys.len() > 30,
        "only {} keys found in docs/tui.md",
        keys.len()
    );
    let keymap = Keymap::default();
    let bound: BTreeSet<String> = keymap
        .bindings()
        .iter()
        .flat_map(|b| b.keys.iter().map(|k| format!("{k:?}")))
        .collect();
    let mut failures = Vec::new();
    for (line, name) in keys {
        // Ctrl-c quits from anywhere, dialogs and text fields included: the
        // runtime handles it before the keymap, so it cannot be rebound.
        if name == "Ctrl-c" {
            continue;
        }
        match key_of(&name) {
            None => failures.push(format!("docs/tui.md:{line}: `{name}` is not a key name")),
            Some(key) if !bound.contains(&format!("{key:?}")) => {
                failures.push(format!("docs/tui.md:{line}: `{name}` is bound to nothing"))
            }
            Some(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_docs_name_no_file_outside_the_repository() {
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for bad in ["../shared", "SPEC.md", "STYLE.md"] {
            assert!(
                !text.contains(bad),
                "{} refers to {bad}, which is not in the repository",
                file.display()
            );
        }
        // Relative links resolve.
        let dir = file.parent().unwrap();
        for link in text.split("](").skip(1) {
            let target = link.split(')').next().unwrap();
            if target.starts_with("http") || target.starts_with('#') {
                continue;
            }
            let path = target.split('#').next().unwrap();
            assert!(
                Path::new(dir).join(path).exists(),
                "{}: the link {target} goes nowhere",
                file.display()
            );
        }
    }
}
