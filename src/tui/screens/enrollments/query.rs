//! The All enrollments view: a query across sequences (its filter, the
//! query editor, saved lists opened in it), over the shared table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{ALL_COLUMNS, EnrollmentsState, Keep, Screen, Source, table};
use crate::domain::EnrollmentRow;
use crate::domain::{Filter, SavedList, Status};
use crate::tui::action::JobOutcome;
use crate::tui::action::{Command, JobError};
use crate::tui::app::Tone;
use crate::tui::app::{App, Chip, known};
use crate::tui::query::QueryEditor;
use crate::tui::text::{self, count, fit, pad};
use crate::tui::update::global;
use crate::tui::view::Areas;

/// The All enrollments view's filter. The status chips and the stale
/// toggle are written into the query itself, so that what is on screen,
/// what the query line says and what `L` saves are one filter.
#[derive(Debug, Default)]
pub struct QuerySource {
    /// The filter the listed ids are for.
    pub filter: Filter,
    /// A filter sent to the reader and not answered yet: it becomes
    /// `filter` when its ids arrive.
    pub asked: Option<Filter>,
    /// The text typed for `asked`: when the workspace refuses it (an
    /// unknown sequence or user), the editor opens again on it.
    pub asked_text: Option<String>,
    /// The saved list on screen (opened from the Lists view, or saved here).
    pub list: Option<SavedList>,
    /// The query editor, while open.
    pub editor: Option<QueryEditor>,
    /// How many enrollments the filter matches now, read after a change of
    /// ours while the changed rows stay in place; `None`: as many as listed.
    pub count: Option<i64>,
    pub count_pending: Option<u64>,
}

impl QuerySource {
    /// The filter on screen, or the one about to be (what the chips and the
    /// stale toggle change).
    pub fn current(&self) -> &Filter {
        self.asked.as_ref().unwrap_or(&self.filter)
    }

    /// The saved list's filter was changed here and not saved again.
    pub fn edited(&self) -> bool {
        self.list.as_ref().is_some_and(|l| l.filter != self.filter)
    }
}

impl App {
    /// The All enrollments view, made on its first visit: every sequence,
    /// active enrollments (the chips' default), read on the reader.
    pub fn open_all(&mut self) {
        if self.make_all() {
            let filter = Filter {
                statuses: vec![Status::Active],
                ..Filter::default()
            };
            self.apply_filter(filter, None, Keep::Top);
        }
    }

    /// Makes the All view's state if there is none yet (true then), and
    /// asks for the users completion offers.
    pub(crate) fn make_all(&mut self) -> bool {
        if self.users.is_empty() && self.users_pending.is_none() {
            self.request_users();
        }
        if self.all.is_some() {
            return false;
        }
        self.all = Some(EnrollmentsState::new(Source::Query(Box::default())));
        true
    }

    /// Shows `filter` in the All view: asks the reader for its ids (it
    /// resolves the names there). `typed` is the editor text it came from,
    /// so that a refusal can reopen the editor on it.
    pub fn apply_filter(&mut self, filter: Filter, typed: Option<String>, keep: Keep) {
        let Some(q) = self.all.as_mut().and_then(|e| e.query_source_mut()) else {
            return;
        };
        q.asked = Some(filter);
        q.asked_text = typed;
        self.query_list(Screen::All, keep);
    }

    /// The All view's ids arrived: the asked filter is now the one shown.
    pub fn apply_filter_ids(&mut self, ids: Vec<i64>, keep: Keep) {
        if let Some(q) = self.all.as_mut().and_then(|e| e.query_source_mut()) {
            if let Some(f) = q.asked.take() {
                q.filter = f;
            }
            q.asked_text = None;
            q.count = None;
        }
        self.apply_ids(Screen::All, ids, keep);
    }

    /// The workspace refused the asked filter (an unknown sequence or
    /// user): the filter shown stays; a typed query opens again with the
    /// sentence under it.
    pub fn refuse_filter(&mut self, why: JobError) {
        let known = known(&self.sequences.list, &self.users);
        let Some(e) = self.all.as_mut() else {
            return;
        };
        e.mark_all_when_loaded = false;
        let typed = e.query_source_mut().and_then(|q| {
            q.asked = None;
            q.asked_text.take().map(|text| (q, text))
        });
        match typed {
            Some((q, text)) => {
                let mut editor = QueryEditor {
                    text,
                    ..QueryEditor::default()
                };
                editor.refresh(&known);
                editor.error = Some(why.to_string());
                q.editor = Some(editor);
            }
            None => self.fail(&why),
        }
    }

    /// Asks the reader how many enrollments the All view's filter matches
    /// now (after a change of ours: the rows stay, the count moves).
    pub fn count_filter(&mut self) {
        let generation = self.next_generation();
        let Some(q) = self.all.as_mut().and_then(|e| e.query_source_mut()) else {
            return;
        };
        q.count_pending = Some(generation);
        let filter = Box::new(q.filter.clone());
        self.run(super::FilterCount { generation, filter });
    }

    /// The editor's candidates again, when the names they come from changed.
    pub fn refresh_completion(&mut self) {
        let known = known(&self.sequences.list, &self.users);
        if let Some(editor) = self
            .all
            .as_mut()
            .and_then(|e| e.query_source_mut())
            .and_then(|q| q.editor.as_mut())
        {
            let selected = editor.selected;
            editor.refresh(&known);
            editor.choose(selected as isize);
        }
    }
}

/// `/` in the All view: the editor opens on the query shown.
pub fn open_editor(app: &mut App) {
    let known = known(&app.sequences.list, &app.users);
    if let Some(q) = app.all.as_mut().and_then(|e| e.query_source_mut()) {
        q.editor = Some(QueryEditor::open(&q.current().to_query(), &known));
    }
}

/// Enter in the editor: the domain reads the query; a sentence stays under
/// the line, else the query is asked of the reader (which resolves its
/// names) and the editor closes.
pub fn apply_query(app: &mut App) {
    let Some(text) = app.editor().map(|e| e.text.clone()) else {
        return;
    };
    match Filter::parse(&text) {
        Err(err) => {
            if let Some(editor) = app
                .all
                .as_mut()
                .and_then(|e| e.query_source_mut())
                .and_then(|q| q.editor.as_mut())
            {
                editor.error = Some(err.to_string());
            }
        }
        Ok(filter) => {
            if let Some(q) = app.all.as_mut().and_then(|e| e.query_source_mut()) {
                q.editor = None;
            }
            app.note = None;
            app.apply_filter(filter, Some(text.trim().to_string()), Keep::Top);
        }
    }
}

/// Changes the All view's query in place and reads it again, keeping the
/// focus.
pub fn change_query(app: &mut App, change: impl FnOnce(&mut Filter)) {
    let Some(e) = &app.all else {
        return;
    };
    let Some(q) = e.query_source() else {
        return;
    };
    let mut filter = q.current().clone();
    change(&mut filter);
    let focus = e.focused_id();
    app.apply_filter(filter, None, Keep::Focus(focus));
}

/// The All enrollments view.
pub fn draw_all(app: &App, frame: &mut Frame, a: &Areas) {
    let Some(e) = &app.all else {
        return;
    };
    let Some(q) = e.query_source() else {
        return;
    };
    top_all(app, e, q, frame, a);
    let empty = if e.pending.is_some() {
        "Loading…"
    } else if q.filter.is_empty() {
        "Nobody is enrolled in any sequence yet."
    } else {
        "No enrollments match this query."
    };
    table(app, e, &ALL_COLUMNS, frame, a.list, empty);
}

/// The All view's lines above the table: where the rows come from and how
/// many match, the status chips and stale toggle (both part of the query),
/// and the query itself.
fn top_all(app: &App, e: &EnrollmentsState, q: &QuerySource, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let width = a.top.width as usize;
    let mut title = match &q.list {
        Some(list) => vec![
            Span::styled(" Lists › ", t.dim()),
            Span::styled(fit(&list.name, width.saturating_sub(40).max(10)), t.title()),
        ],
        None => vec![Span::styled(" All enrollments", t.title())],
    };
    if q.edited() {
        title.push(Span::styled(" (query changed)", t.dim()));
    }
    let listed = e.ids.len() as i64;
    let counted = if e.pending.is_some() {
        " · loading…".to_string()
    } else {
        match q.count {
            // After a change of ours the rows stay; the count is read again.
            Some(now) if now != listed => {
                format!(" · {} match now · {} listed", count(now), count(listed))
            }
            _ => format!(
                " · {}",
                text::plural(listed, "enrollment matches", "enrollments match")
            ),
        }
    };
    title.push(Span::styled(counted, t.dim()));
    if q.list.is_none() && !app.wide() {
        // Nothing more: the hint bar names the keys.
    } else if q.list.is_none() {
        title.push(Span::styled(" · across every sequence", t.dim()));
    }

    let current = q.current();
    let chosen = Chip::of(&current.statuses);
    let mut chips = vec![Span::raw(" ")];
    for c in Chip::ALL {
        chips.push(Span::styled(
            format!(" {} ", c.label()),
            if Some(c) == chosen {
                t.chip_active()
            } else {
                t.chip()
            },
        ));
        chips.push(Span::raw(" "));
    }
    if current.stale {
        chips.push(Span::styled(" stale ✓ ", t.chip_active()));
    } else {
        chips.push(Span::styled(" stale ", t.chip()));
    }

    let mut query = vec![Span::styled(" / ", t.key())];
    match &q.editor {
        Some(editor) => {
            // Keep the end, where the typing is, in view.
            let room = width.saturating_sub(4);
            let shown = text::clean(&editor.text);
            let mut chars: Vec<char> = shown.chars().collect();
            while text::width(&chars.iter().collect::<String>()) > room.saturating_sub(1) {
                chars.remove(0);
            }
            let tail: String = chars.into_iter().collect();
            query.push(Span::styled(format!("{tail}▏"), t.input()));
        }
        None => {
            let text_ = current.to_query();
            if text_.is_empty() {
                query.push(Span::styled("every enrollment (/ writes a query)", t.dim()));
            } else {
                query.push(Span::styled(
                    fit(&text_, width.saturating_sub(4)),
                    t.input(),
                ));
            }
        }
    }
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(title),
            Line::from(chips),
            Line::from(query),
        ]),
        a.top,
    );
}

/// The query editor's popup under the query line: the sentence of a query
/// the domain could not read, and the completions for the term being typed
/// (or what its key takes).
pub fn draw_editor(app: &App, frame: &mut Frame, a: &Areas) {
    let Some(editor) = app.editor() else {
        return;
    };
    let t = &app.theme;
    let area = a.list;
    if editor.error.is_none() && editor.candidates.is_empty() && editor.key_help.is_none() {
        return;
    }
    let width = area.width.saturating_sub(2).min(76);
    if width < 20 || area.height < 4 {
        return;
    }
    let inner = width.saturating_sub(4) as usize;
    let mut lines: Vec<Line> = Vec::new();
    if let Some(error) = &editor.error {
        // The whole sentence, wrapped (up to four lines): it says what to
        // change.
        let mut rows = text::wrap(&format!("✗ {error}"), inner);
        if rows.len() > 4 {
            let rest = rows[3..].join(" ");
            rows.truncate(3);
            rows.push(fit(&rest, inner));
        }
        lines.extend(rows.into_iter().map(|r| Line::styled(r, t.error())));
    }
    if let Some(help) = &editor.key_help {
        lines.push(Line::styled(fit(help, inner), t.dim()));
    }
    let room = (area.height as usize)
        .saturating_sub(2 + lines.len())
        .clamp(1, 10);
    if !editor.candidates.is_empty() {
        let label_width = editor
            .candidates
            .iter()
            .map(|c| text::width(&c.label))
            .max()
            .unwrap_or(0)
            .min(inner / 2)
            .max(8);
        // A line says how many more there are when they do not all fit.
        let room = if editor.candidates.len() > room {
            room.saturating_sub(1).max(1)
        } else {
            room
        };
        let first = editor.selected.saturating_sub(room.saturating_sub(1));
        for (i, c) in editor.candidates.iter().enumerate().skip(first).take(room) {
            let chosen = i == editor.selected;
            let style = if chosen { t.focused() } else { t.base() };
            let mut spans = vec![Span::styled(
                format!(
                    "{}{}",
                    if chosen { "›" } else { " " },
                    pad(&c.label, label_width)
                ),
                style,
            )];
            if !c.help.is_empty() {
                let help_room = inner.saturating_sub(label_width + 2);
                spans.push(Span::styled(
                    format!(" {}", pad(&c.help, help_room)),
                    if chosen { style } else { t.dim() },
                ));
            }
            lines.push(Line::from(spans));
        }
        let hidden = editor.candidates.len().saturating_sub(first + room);
        if hidden > 0 {
            lines.push(Line::styled(
                format!("  … {} more", count(hidden as i64)),
                t.dim(),
            ));
        }
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect::new(area.x + 1, area.y, width, height);
    let complete = app.keymap.first_key(Command::Complete);
    let block = Block::bordered()
        .border_style(t.dialog_border())
        .title(Span::styled(" query ", t.title()))
        .title_bottom(Span::styled(
            fit(
                &format!(" {complete} completes · ↑↓ choose · enter applies · esc cancels "),
                width.saturating_sub(2) as usize,
            ),
            t.dim(),
        ));
    crate::tui::dialogs::draw_box(frame, rect, block, lines);
}

/// A command while the query editor is open: Tab completes, ↑↓ choose a
/// candidate, Esc closes it and keeps the query shown; a reload still works.
pub fn editor_command(app: &mut App, command: Command) {
    let known = known(&app.sequences.list, &app.users);
    let Some(q) = app.all.as_mut().and_then(|e| e.query_source_mut()) else {
        return;
    };
    let Some(editor) = q.editor.as_mut() else {
        return;
    };
    match command {
        Command::Complete => {
            editor.take(&known);
        }
        Command::Up => editor.choose(-1),
        Command::Down => editor.choose(1),
        Command::Escape | Command::Cancel => {
            q.editor = None;
            app.say(Tone::Info, "The query did not change.");
        }
        Command::Refresh => global(app, command),
        _ => {}
    }
}

/// A character typed in the query editor (`None`: backspace).
pub fn typed(app: &mut App, c: Option<char>) {
    let known = known(&app.sequences.list, &app.users);
    if let Some(editor) = app
        .all
        .as_mut()
        .and_then(|e| e.query_source_mut())
        .and_then(|q| q.editor.as_mut())
    {
        match c {
            Some(c) => editor.push(c, &known),
            None => editor.pop(&known),
        }
    }
}

/// The filter's ids arrived, if still the ones asked.
pub fn ids_done(app: &mut App, generation: u64, result: JobOutcome<Vec<i64>>) {
    let Some(e) = &mut app.all else {
        return;
    };
    let Some(pending) = e.pending.filter(|p| p.generation == generation) else {
        return;
    };
    e.pending = None;
    match result {
        Ok(ids) => app.apply_filter_ids(ids, pending.keep),
        Err(err) => app.refuse_filter(err),
    }
}

/// The first rows of a new filter arrived.
pub fn page_done(app: &mut App, generation: u64, result: JobOutcome<Vec<EnrollmentRow>>) {
    // Only while the same filter's ids are still on the way; an
    // error is left to them (the same resolve fails there).
    let waiting = app
        .all
        .as_ref()
        .and_then(|e| e.pending)
        .is_some_and(|p| p.generation == generation);
    if let (true, Ok(rows)) = (waiting, result) {
        app.apply_first_page(Screen::All, rows);
    }
}

/// How many enrollments the filter matches now.
pub fn count_done(app: &mut App, generation: u64, result: JobOutcome<i64>) {
    let Some(q) = app.all.as_mut().and_then(|e| e.query_source_mut()) else {
        return;
    };
    if q.count_pending != Some(generation) {
        return;
    }
    q.count_pending = None;
    match result {
        Ok(n) => q.count = Some(n),
        Err(err) => app.fail(&err),
    }
}
