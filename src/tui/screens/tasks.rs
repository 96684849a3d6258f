//! The Tasks view (R18): the acting user's open tasks, overdue first then
//! by due date, read a page at a time (keyset on due date and id, so the
//! first frame needs one page whatever the queue holds). Enter opens the
//! task's contact; `d` completes, `s` skips, `z` snoozes the focused task
//! through the task dialog (`crate::tui::dialogs::task`), which calls the
//! domain's task functions on a worker.

use ratatui::Frame;

use crate::domain::{StepKind, TaskItem, TaskReport, Timestamp};
use crate::tui::action::JobOutcome;
use crate::tui::app::{App, Tone};
use crate::tui::list::Cursor;
use crate::tui::text::{count, moment};
use crate::tui::view::{Areas, Column, draw_heading, draw_table};

/// Rows of one page: a tall screen's worth and then some.
pub const TASK_PAGE: usize = 200;

#[derive(Debug, Default)]
pub struct TasksState {
    /// The tasks read so far, in queue order.
    pub list: Vec<TaskItem>,
    pub cursor: Cursor,
    /// The queue has more tasks after the last one read.
    pub more: bool,
    /// Read at least once.
    pub loaded: bool,
    /// The read in flight: its generation, and whether it adds a page
    /// (else it replaces the list).
    pub pending: Option<(u64, bool)>,
}

impl TasksState {
    pub fn focused(&self) -> Option<&TaskItem> {
        self.list.get(self.cursor.selected)
    }
}

/// Reads the queue again from the top, as many rows as are loaded now (at
/// least a page), keeping the focus on the same task.
pub fn request(app: &mut App) {
    let generation = app.next_generation();
    app.tasks.pending = Some((generation, false));
    let limit = app.tasks.list.len().max(TASK_PAGE);
    app.run(TasksRead {
        generation,
        after: None,
        limit,
    });
}

/// The view comes on screen: read the queue.
pub fn shown(app: &mut App) {
    request(app);
}

/// Asks for the next page when the cursor comes within a screen of the
/// end of what is loaded.
pub fn follow(app: &mut App) {
    let s = &app.tasks;
    if !s.more || s.pending.is_some() {
        return;
    }
    let rows = app.list_rows();
    if s.cursor.selected + 2 * rows < s.list.len() {
        return;
    }
    let Some(last) = s.list.last() else {
        return;
    };
    let after = Some((last.due_at, last.id));
    let generation = app.next_generation();
    app.tasks.pending = Some((generation, true));
    app.run(TasksRead {
        generation,
        after,
        limit: TASK_PAGE,
    });
}

/// A page arrived (if still the one asked).
pub fn done(app: &mut App, generation: u64, limit: usize, result: JobOutcome<Vec<TaskItem>>) {
    let Some((pending, append)) = app.tasks.pending else {
        return;
    };
    if pending != generation {
        return;
    }
    app.tasks.pending = None;
    let page = match result {
        Ok(page) => page,
        Err(err) => {
            app.fail(&err);
            return;
        }
    };
    let rows = app.list_rows();
    let s = &mut app.tasks;
    s.more = page.len() >= limit;
    s.loaded = true;
    if append {
        s.list.extend(page);
        return;
    }
    let was = s.focused().map(|t| t.id);
    s.list = page;
    super::refocus(&mut s.cursor, &s.list, was, |t| t.id, rows);
    super::detail::sync(app);
}

/// A done, skip or snooze came back: say what it did (or why the domain
/// changed nothing) and read the queue again.
pub fn worked(app: &mut App, result: JobOutcome<TaskReport>) {
    app.running = None;
    match result {
        Ok(report) if report.changed.is_empty() => {
            let why = report
                .skipped
                .first()
                .map(|s| s.why.clone())
                .unwrap_or_else(|| "Nothing changed.".into());
            app.say(Tone::Error, why);
            request(app);
        }
        Ok(report) => {
            crate::tui::update::after_change(app, report.summary(), None);
            request(app);
        }
        Err(err) => app.fail(&err),
    }
}

const COLUMNS: [Column; 8] = [
    Column::new("Due", 14, 14, 0, 0),
    Column::new("Kind", 5, 6, 0, 2),
    Column::new("Contact", 14, 26, 2, 1),
    Column::new("Company", 10, 22, 1, 7),
    Column::new("Phone", 12, 16, 0, 3),
    Column::new("Task", 12, 40, 3, 4),
    Column::new("Sequence", 12, 26, 1, 5),
    Column::new("Step", 4, 5, 0, 6),
];

/// "overdue Nov 25 14:00" style: the due moment, flagged when past.
fn due_cell(t: &TaskItem, now: Timestamp) -> String {
    if t.overdue {
        format!("! {}", moment(t.due_at, now))
    } else {
        moment(t.due_at, now)
    }
}

fn kind_cell(kind: Option<StepKind>) -> &'static str {
    match kind {
        Some(StepKind::Call) => "call",
        Some(StepKind::Task) => "task",
        Some(StepKind::ManualEmail) => "email",
        Some(StepKind::AutoEmail) => "auto",
        None => "–",
    }
}

pub fn draw(app: &App, frame: &mut Frame, a: &Areas) {
    let t = &app.theme;
    let s = &app.tasks;
    let now = app.now();
    let overdue = s.list.iter().filter(|x| x.overdue).count();
    let shown = if s.more {
        format!("first {} read, more below", count(s.list.len() as i64))
    } else {
        format!("{} open", count(s.list.len() as i64))
    };
    let overdue = if overdue > 0 {
        format!(
            " · {} overdue{}",
            count(overdue as i64),
            if s.more && overdue == s.list.len() {
                "+"
            } else {
                ""
            }
        )
    } else {
        String::new()
    };
    draw_heading(
        app,
        frame,
        a.top,
        " Tasks",
        format!(" · your open tasks, overdue first · {shown}{overdue}"),
    );
    draw_table(
        app,
        frame,
        a.list,
        &COLUMNS,
        s.list.len(),
        &s.cursor,
        if s.loaded {
            "No open tasks: call, task and manual-email steps put theirs here."
        } else {
            "Loading your tasks…"
        },
        |i| {
            let x = &s.list[i];
            let step = match (x.step, x.steps) {
                (Some(n), Some(m)) => format!("{n}/{m}"),
                _ => "–".to_string(),
            };
            let due_style = if x.overdue { t.error() } else { t.base() };
            (
                vec![
                    (due_cell(x, now), due_style),
                    (kind_cell(x.kind).to_string(), t.base()),
                    (x.contact_name.clone(), t.base()),
                    (x.company.clone(), t.base()),
                    (x.phone.clone().unwrap_or_default(), t.base()),
                    (x.title.clone(), t.base()),
                    (x.sequence.clone().unwrap_or_else(|| "–".into()), t.base()),
                    (step, t.base()),
                ],
                t.row(i == s.cursor.selected),
            )
        },
    );
}

/// `d`, `s`, `z`: the task dialog for the focused task.
pub fn work(app: &mut App, action: crate::domain::TaskAction) {
    if app.screen() != crate::tui::app::Screen::Tasks || app.still_writing() {
        return;
    }
    let Some(task) = app.tasks.focused().cloned() else {
        app.say(Tone::Info, "No task here to work on.");
        return;
    };
    let now = app.now();
    app.dialog = Some(Box::new(crate::tui::dialogs::task::TaskDialog::new(
        task, action, now,
    )));
}

/// A page of the user's open tasks, after a (due, id) key (R18).
#[derive(Debug, Clone, PartialEq)]
pub struct TasksRead {
    pub generation: u64,
    pub after: Option<(Timestamp, i64)>,
    pub limit: usize,
}

impl crate::tui::action::Work for TasksRead {
    type Answer = Vec<TaskItem>;
    const READ: bool = true;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<Vec<TaskItem>> {
        ws.tasks(&crate::domain::TaskQuery {
            owner: Some(user.id),
            due: None,
            sequence: None,
            after: self.after,
            limit: self.limit,
        })
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<Vec<TaskItem>>) {
        done(app, self.generation, self.limit, result)
    }
}

/// Complete, skip or snooze (until `until`) one task (R18).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkTask {
    pub task: i64,
    pub action: crate::domain::TaskAction,
    pub until: Option<Timestamp>,
}

impl crate::tui::action::Work for WorkTask {
    type Answer = TaskReport;
    const READ: bool = false;
    fn run(
        &self,
        ws: &mut crate::domain::Workspace,
        user: &crate::domain::User,
    ) -> crate::domain::Result<TaskReport> {
        ws.work_tasks(user, self.action, &[self.task], self.until, None)
    }
    fn done(self, app: &mut App, result: crate::tui::action::JobOutcome<TaskReport>) {
        worked(app, result)
    }
}
