//! Structural checks on the TUI's shape (issue 14 part 1): what a grep
//! can prove about `src/tui`, so that a later change cannot quietly undo it.

use std::path::{Path, PathBuf};

fn tui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui")
}

/// Every non-test `.rs` file under `dir`, with its code lines (comments
/// cut, an inline `#[cfg(test)] mod … {` and everything after it left out).
fn code_files(dir: &Path) -> Vec<(PathBuf, Vec<(usize, String)>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs")
                || path.file_name().is_some_and(|n| n == "tests.rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines = Vec::new();
            let all: Vec<&str> = text.lines().collect();
            for (n, line) in all.iter().enumerate() {
                // An inline test module ends the file's code; a `mod
                // tests;` declaration is only a line.
                let next = all.get(n + 1).map_or("", |l| l.trim());
                if line.trim_start().starts_with("#[cfg(test)]")
                    && next.starts_with("mod ")
                    && next.ends_with('{')
                {
                    break;
                }
                let code = line.split("//").next().unwrap_or("").to_string();
                lines.push((n + 1, code));
            }
            out.push((path, lines));
        }
    }
    out.sort();
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where `word` stands as a whole identifier in `code`: the byte offsets.
fn word_at(code: &str, word: &str) -> Vec<usize> {
    code.match_indices(word)
        .filter(|(at, _)| {
            let before = code[..*at].chars().next_back();
            let after = code[at + word.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
        .map(|(at, _)| at)
        .collect()
}

/// What on a code line reaches the store: the store module or type, a
/// workspace opened or called (`Workspace::…`, `ws.…`, `….ws`), or the
/// change counter.
fn touches_store(code: &str) -> Option<&'static str> {
    if code.contains("store::") {
        return Some("store::");
    }
    if !word_at(code, "Store").is_empty() {
        return Some("Store");
    }
    if code.contains("Workspace::") {
        return Some("Workspace::");
    }
    if code.contains("data_version(") {
        return Some("data_version(");
    }
    for at in word_at(code, "ws") {
        let before = code[..at].trim_end();
        let after = code[at + 2..].trim_start();
        if before.ends_with('.') || after.starts_with('.') {
            return Some("a workspace call (ws.…)");
        }
    }
    None
}

/// The lines of a job's `run` (`fn run(&self, ws: &mut Workspace, …)` of
/// an `impl Work for …`): the workers call it, never the UI thread.
fn in_worker_runs(lines: &[(usize, String)]) -> Vec<bool> {
    let mut inside = vec![false; lines.len()];
    let mut depth: Option<i64> = None;
    for (i, (_, code)) in lines.iter().enumerate() {
        // A `fn run(` whose parameters (up to its `{`) take `ws: &mut …`.
        if depth.is_none() && code.contains("fn run(") {
            let signature: String = lines[i..]
                .iter()
                .map(|(_, l)| l.as_str())
                .take_while({
                    let mut open = false;
                    move |l| {
                        let take = !open;
                        open |= l.contains('{');
                        take
                    }
                })
                .collect();
            if signature.contains("&self") && signature.contains("ws: &mut ") {
                depth = Some(0);
            }
        }
        if let Some(d) = &mut depth {
            inside[i] = true;
            *d += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            if *d <= 0 && code.contains('}') {
                depth = None;
            }
        }
    }
    inside
}

/// No SQLite read on the UI thread: outside the workers (`src/tui/jobs/`,
/// and each job's `run`, which they call) nothing in `src/tui` names the
/// store or calls a workspace; the app only hands the workspace it is
/// opened with to the workers.
#[test]
fn the_ui_thread_never_touches_the_store() {
    let jobs = tui_dir().join("jobs");
    let mut found = Vec::new();
    for (path, lines) in code_files(&tui_dir()) {
        if path.starts_with(&jobs) {
            continue;
        }
        let worker = in_worker_runs(&lines);
        for (i, (n, code)) in lines.into_iter().enumerate() {
            if worker[i] {
                continue;
            }
            if let Some(what) = touches_store(&code) {
                found.push(format!("{}:{n}: {what}: {}", path.display(), code.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the UI thread reaches the store (move it to a job in src/tui/jobs/):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_store_check_sees_what_it_looks_for() {
    assert!(touches_store("let v = app.ws.data_version();").is_some());
    assert!(touches_store("    ws .contact(id)").is_some());
    assert!(touches_store("use crate::store::Store;").is_some());
    assert!(touches_store("let w = Workspace::open(p, c)?;").is_some());
    assert!(touches_store("let rows = self.rows.len(); let news = 1;").is_none());
    assert!(touches_store("pub fn new(ws: Workspace) -> App").is_none());
    let lines: Vec<(usize, String)> = [
        "impl Work for Users {",
        "    fn run(&self, ws: &mut Workspace, _: &User) -> Result<Vec<User>> {",
        "        ws.users()",
        "    }",
        "    fn done(self, app: &mut App, answer: JobOutcome<Vec<User>>) {",
        "        app.ws.users();",
        "    }",
        "    fn run(",
        "        &self,",
        "        ws: &mut crate::domain::Workspace,",
        "    ) -> Result<()> {",
        "        ws.tidy_all()",
        "    }",
        "    fn run(&self, app: &mut App) {",
        "        app.ws.users();",
        "    }",
        "}",
    ]
    .iter()
    .enumerate()
    .map(|(i, l)| (i + 1, l.to_string()))
    .collect();
    assert_eq!(
        in_worker_runs(&lines),
        [
            false, true, true, true, false, false, false, true, true, true, true, true, true,
            false, false, false, false
        ]
    );
}

/// The dialog types: every `impl Dialog for T` under `src/tui/dialogs/`.
fn dialog_types() -> Vec<String> {
    let mut types = Vec::new();
    for (_, lines) in code_files(&tui_dir().join("dialogs")) {
        for (_, code) in lines {
            let code = code.trim();
            for head in ["impl Dialog for ", "impl super::Dialog for "] {
                if let Some(rest) = code.strip_prefix(head) {
                    types.push(rest.trim_end_matches('{').trim().to_string());
                }
            }
        }
    }
    types.sort();
    types
}

/// Adding a dialog touches three places: its module under
/// `src/tui/dialogs/` (state, keys, draw, the jobs it asks for), its `pub
/// mod` line in `dialogs/mod.rs`, and the key that opens it. The app's
/// routing — `app/`, `update/`, `view/`, `widgets/`, `action/`, `keymap/`,
/// `jobs/`, `runtime.rs`, `mod.rs` — holds the open dialog as `Box<dyn
/// Dialog>` and names no dialog type and no per-dialog variant.
#[test]
fn the_routing_names_no_dialog() {
    let types = dialog_types();
    assert!(
        types.len() >= 7,
        "every dialog implements the Dialog trait: {types:?}"
    );
    let tui = tui_dir();
    let routing = [
        "app", "update", "view", "widgets", "action", "keymap", "jobs",
    ];
    let mut found = Vec::new();
    for (path, lines) in code_files(&tui) {
        let rel = path.strip_prefix(&tui).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let routes = routing.iter().any(|r| *r == top)
            || rel == Path::new("runtime.rs")
            || rel == Path::new("mod.rs");
        if !routes {
            continue;
        }
        for (n, code) in lines {
            let variant = code.match_indices("Dialog::").any(|(at, _)| {
                code[at + "Dialog::".len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase())
            });
            let named = types.iter().find(|t| !word_at(&code, t).is_empty());
            if variant || named.is_some() {
                found.push(format!("{}:{n}: {}", path.display(), code.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the routing names a dialog (dispatch through the Dialog trait):\n{}",
        found.join("\n")
    );
}

/// Every enum in `src/tui`'s code: its name and its variants' names.
fn enums() -> Vec<(String, PathBuf, Vec<String>)> {
    let mut out = Vec::new();
    for (path, lines) in code_files(&tui_dir()) {
        let mut current: Option<(String, Vec<String>)> = None;
        for (_, code) in lines {
            let t = code.trim();
            if let Some((name, variants)) = &mut current {
                if t.starts_with('}') {
                    out.push((name.clone(), path.clone(), std::mem::take(variants)));
                    current = None;
                } else if t.starts_with(|c: char| c.is_ascii_uppercase())
                    && !code.starts_with("        ")
                {
                    let v: String = t.chars().take_while(|c| is_ident(*c)).collect();
                    variants.push(v);
                }
                continue;
            }
            let rest = t
                .strip_prefix("pub enum ")
                .or_else(|| t.strip_prefix("pub(crate) enum "))
                .or_else(|| t.strip_prefix("enum "));
            if let Some(rest) = rest {
                let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
                current = Some((name, Vec::new()));
            }
        }
    }
    out
}

/// "Where am I" is one enum: `Screen` (the tab, and the screens stacked on
/// it; an enrollment list is named by the screen showing it). No other
/// enum in `src/tui` repeats three or more of its variants (as `View`,
/// `Which`, `Origin` and the keymap's `Scope` did); an enrollment list's
/// rows come from its `Source`.
#[test]
fn one_enum_says_where_the_person_is() {
    let all = enums();
    let screen = all
        .iter()
        .find(|(name, _, _)| name == "Screen")
        .expect("the Screen enum");
    assert!(screen.2.len() >= 9, "{:?}", screen.2);
    let mut found = Vec::new();
    for (name, path, variants) in &all {
        if name == "Screen" {
            continue;
        }
        let shared: Vec<&String> = variants.iter().filter(|v| screen.2.contains(v)).collect();
        if shared.len() >= 3 {
            found.push(format!("{name} ({}): {shared:?}", path.display()));
        }
    }
    for gone in ["View", "Which", "Origin"] {
        if all.iter().any(|(name, _, _)| name == gone) {
            found.push(format!("enum {gone} is back"));
        }
    }
    assert!(
        found.is_empty(),
        "enums that say again where the person is (use Screen):\n{}",
        found.join("\n")
    );
    assert!(all.iter().any(|(name, _, _)| name == "Source"));
}

/// A job is one place: one type implementing `Work` (its data, its `run`
/// on a worker, its `done` on the UI thread) in the module of the screen
/// or dialog it serves. The workers (`jobs/`), `update/` and `action/`
/// run every job the same way and name none; besides its own module, a
/// job is named only where it is asked for.
#[test]
fn a_job_is_one_place() {
    let mut jobs: Vec<(String, PathBuf)> = Vec::new();
    let files = code_files(&tui_dir());
    for (path, lines) in &files {
        for (_, code) in lines {
            let t = code.trim();
            for head in ["impl crate::tui::action::Work for ", "impl Work for "] {
                if let Some(rest) = t.strip_prefix(head) {
                    let name = rest.trim_end_matches('{').trim().to_string();
                    jobs.push((name, path.clone()));
                }
            }
        }
    }
    assert!(jobs.len() >= 37, "every job implements Work: {jobs:?}");
    let tui = tui_dir();
    let dispatch = ["jobs", "update", "action"];
    let mut found = Vec::new();
    for (job, home) in &jobs {
        let mut named_in = Vec::new();
        for (path, lines) in &files {
            if lines.iter().any(|(_, code)| !word_at(code, job).is_empty()) {
                named_in.push(path.strip_prefix(&tui).unwrap().to_path_buf());
            }
        }
        let top = |p: &PathBuf| p.components().next().unwrap().as_os_str().to_owned();
        if named_in
            .iter()
            .any(|p| dispatch.iter().any(|d| top(p) == *d))
        {
            found.push(format!("{job}: named in the dispatch: {named_in:?}"));
        }
        if named_in.len() > 3 {
            found.push(format!("{job} ({}): named in {named_in:?}", home.display()));
        }
    }
    assert!(found.is_empty(), "jobs spread out:\n{}", found.join("\n"));
}

/// No non-test file in `src/tui` is over about 500 lines (its inline test
/// module not counted): a screen, a dialog or a job family that grows
/// past it is split.
#[test]
fn no_tui_file_is_over_about_500_lines() {
    let long: Vec<String> = code_files(&tui_dir())
        .into_iter()
        .filter(|(_, lines)| lines.len() > 520)
        .map(|(path, lines)| format!("{}: {} lines", path.display(), lines.len()))
        .collect();
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}
