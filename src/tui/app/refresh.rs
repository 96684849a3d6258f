//! What the app asks the workers to read again: the team, the undoable
//! batch, the rows on screen, notices of automatic ends, and everything
//! after another process changed the store.

use super::*;
use crate::tui::action::Work;
use crate::tui::screens::answer;

/// The workspace's users: the owners a transfer offers, the emails the
/// query editor completes.
#[derive(Debug, Clone, PartialEq)]
pub struct Users {
    pub generation: u64,
}

impl Work for Users {
    type Answer = Vec<User>;
    const READ: bool = true;
    fn run(&self, ws: &mut Workspace, _: &User) -> crate::domain::Result<Vec<User>> {
        ws.users()
    }
    fn done(self, app: &mut App, result: JobOutcome<Vec<User>>) {
        if let Some(users) = answer(app, |a| &mut a.users_pending, self.generation, result) {
            app.apply_users(users);
        }
    }
}

/// This user's last batch that can still be undone (R15), for `U`.
#[derive(Debug, Clone, PartialEq)]
pub struct LastUndoable {
    pub generation: u64,
}

impl Work for LastUndoable {
    type Answer = Option<UndoCandidate>;
    const READ: bool = true;
    fn run(&self, ws: &mut Workspace, user: &User) -> crate::domain::Result<Self::Answer> {
        ws.last_undoable(user)
    }
    fn done(self, app: &mut App, result: JobOutcome<Self::Answer>) {
        if let Some(candidate) = answer(app, |a| &mut a.undo_pending, self.generation, result) {
            app.undoable = candidate;
        }
    }
}

/// The rows on screen as they are now, after another process changed the
/// store (to say which ended by themselves).
#[derive(Debug, Clone, PartialEq)]
pub struct Fresh {
    pub generation: u64,
    pub ids: Vec<i64>,
}

impl Work for Fresh {
    type Answer = Vec<EnrollmentRow>;
    const READ: bool = true;
    fn run(&self, ws: &mut Workspace, _: &User) -> crate::domain::Result<Self::Answer> {
        ws.enrollments_by_ids(&self.ids)
    }
    fn done(self, app: &mut App, result: JobOutcome<Self::Answer>) {
        app.notice_automatic_ends(self.generation, result);
    }
}

/// The store's change counter (`PRAGMA data_version` on the reader's
/// connection): another process committed when it moves. `absorb`: take
/// the value as seen (the start, or a commit of our own).
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    pub generation: u64,
    pub absorb: bool,
}

impl Work for Changes {
    type Answer = i64;
    const READ: bool = true;
    fn run(&self, ws: &mut Workspace, _: &User) -> crate::domain::Result<i64> {
        ws.data_version()
    }
    fn done(self, app: &mut App, result: JobOutcome<i64>) {
        app.changes_seen(self.generation, self.absorb, result);
    }
}

impl App {
    /// Asks the reader for the workspace's users.
    pub fn request_users(&mut self) {
        let generation = self.next_generation();
        self.users_pending = Some(generation);
        self.run(Users { generation });
    }

    /// Asks the reader for this user's last undoable batch; until it
    /// answers `U` has none to offer.
    pub fn request_undoable(&mut self) {
        let generation = self.next_generation();
        self.undoable = None;
        self.undo_pending = Some(generation);
        self.run(LastUndoable { generation });
    }

    /// The users arrived: the owners a transfer offers, the emails the
    /// query editor completes.
    pub fn apply_users(&mut self, team: Vec<User>) {
        self.users = team.iter().map(|u| u.email.clone()).collect();
        self.team = team;
        self.refresh_completion();
    }

    // ------------------------------------------------------------- contacts

    pub fn focused_contact(&self) -> Option<&Contact> {
        self.contacts.results.get(self.contacts.cursor.selected)
    }

    // --------------------------------------------------------------- detail

    /// The contact the detail pane is about on this screen.
    pub fn focused_contact_id(&self) -> Option<i64> {
        match self.screen() {
            Screen::Enrollments | Screen::All => self
                .shown_list()
                .and_then(|e| e.focused_row())
                .map(|r| r.contact_id),
            Screen::Contacts => self.focused_contact().map(|c| c.id),
            Screen::Tasks => self.tasks.focused().and_then(|t| t.contact_id),
            _ => None,
        }
    }

    // -------------------------------------------------------------- refresh

    /// Asks the reader for the store's change counter; `absorb`: take it
    /// as seen rather than a sign of another process's change.
    pub fn look_for_changes(&mut self, absorb: bool) {
        let generation = self.next_generation();
        self.changes_pending = Some(generation);
        self.run(Changes { generation, absorb });
    }

    /// The change counter arrived: when it moved since the last look (and
    /// was not taken as seen), another process committed, so everything on
    /// screen is read again.
    pub fn changes_seen(&mut self, generation: u64, absorb: bool, result: JobOutcome<i64>) {
        if self.changes_pending != Some(generation) {
            return;
        }
        self.changes_pending = None;
        match result {
            Ok(version) => {
                let moved = self.data_version.is_some_and(|v| v != version);
                self.data_version = Some(version);
                if moved && !absorb {
                    self.refresh_all();
                }
            }
            Err(err) => self.fail(&err),
        }
    }

    /// Asks the reader for the rows on screen as they are now (see
    /// [`App::notice_automatic_ends`]), before the lists are asked again.
    fn ask_fresh_rows(&mut self) {
        let mut ids: Vec<i64> = Vec::new();
        for which in Screen::LISTS {
            if let Some(e) = self.list(which) {
                ids.extend(e.rows.keys().copied());
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return;
        }
        let generation = self.next_generation();
        self.fresh_pending = Some(generation);
        self.run(Fresh { generation, ids });
    }

    /// Rows on screen that another process ended by itself (a reply, a
    /// meeting, a bounce, an opt-out: no person's name on the end) change
    /// in place, and one line says so — asked before the lists are, so
    /// the notice comes even when the chip then hides those rows.
    pub fn notice_automatic_ends(
        &mut self,
        generation: u64,
        fresh: JobOutcome<Vec<EnrollmentRow>>,
    ) {
        if self.fresh_pending != Some(generation) {
            return;
        }
        self.fresh_pending = None;
        let Ok(fresh) = fresh else {
            return;
        };
        let mut ended: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for which in Screen::LISTS {
            let Some(e) = self.list_mut(which) else {
                continue;
            };
            for now in &fresh {
                let Some(was) = e.rows.get(&now.id) else {
                    continue;
                };
                if now.status == Status::Unenrolled
                    && now.ended_by.is_none()
                    && was.status.is_open()
                    && seen.insert(now.id)
                {
                    ended.push(match now.end_reason {
                        Some(reason) => format!("{} ({})", now.contact_name, reason.label()),
                        None => now.contact_name.clone(),
                    });
                }
                e.rows.insert(now.id, now.clone());
            }
        }
        if ended.is_empty() {
            return;
        }
        ended.sort();
        let more = ended.len().saturating_sub(3);
        ended.truncate(3);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        self.say(
            Tone::Info,
            format!("Ended automatically: {}{tail}", ended.join(", ")),
        );
    }

    /// Reads everything on screen again, keeping cursors and marks: another
    /// process (the engine, the CLI, a colleague) changed the store.
    pub fn refresh_all(&mut self) {
        self.ask_fresh_rows();
        crate::tui::screens::sequences::request(self);
        self.request_users();
        self.request_undoable();
        for which in Screen::LISTS {
            if let Some(e) = self.list(which) {
                let focus = e.focused_id();
                self.query_list(which, Keep::Focus(focus));
            }
        }
        // Counts over every saved list: only while they are on screen.
        if self.tab == Screen::Lists {
            crate::tui::screens::lists::request(self);
        }
        if self.activity.loaded {
            crate::tui::screens::activity::request(self);
        }
        if self.tasks.loaded {
            crate::tui::screens::tasks::request(self);
        }
        crate::tui::screens::activity::watch_ends(self);
        if self.steps.is_some() {
            crate::tui::screens::steps::request(self);
        }
        // The reports are aggregates over the whole store (seconds on a
        // million contacts): read again only while they are on screen.
        if self.tab == Screen::Reports {
            crate::tui::screens::reports::request(self);
        }
        if self.contacts.searched.is_some() {
            let focus = self.focused_contact().map(|c| c.id);
            crate::tui::screens::contacts::search(self, Keep::Focus(focus));
        }
        crate::tui::screens::detail::reload(self);
    }
}
