//! The header line: the views' names (clickable), who is acting, the
//! workspace, the clock, and a demo badge — in the richest layout that fits.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, Screen};
use crate::tui::text::{self, fit};

/// How the header names the views, says who and when, and badges a demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeaderLayout {
    /// "demo workspace" rather than "demo".
    long_badge: bool,
    right: Right,
    tabs: Tabs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Right {
    /// "Maya Okafor (manager) Nov 27 09:00 UTC".
    Long,
    /// "Maya (manager) 09:00".
    Short,
    /// "Maya (manager)".
    NoClock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tabs {
    /// " 1 Sequences  2 Contacts  …": full names, a space either side.
    Spaced,
    /// " 1 Sequences 2 Contacts …": full names sharing their spaces.
    Full,
    /// The same with short names ("5 All").
    Short,
    /// Short names for views 1–4 and 7 Tasks (a rep's queue, named while
    /// it fits); 5 All enrollments and 6 Lists by number only, so that the
    /// line does not change as one moves between views (their own title
    /// line names them).
    Newest,
    /// The same with 7 Tasks by number only too.
    Numbers,
}

/// The layouts from the richest down. The first whose parts leave the
/// workspace's name `HEADER_NAME_ROOM` cells is used; failing that, the
/// first that fits at all (the name then shows only if 8 cells are left).
/// The long badge is kept while it fits, as newcomers look for it.
const HEADER_LAYOUTS: [HeaderLayout; 9] = [
    HeaderLayout {
        long_badge: true,
        right: Right::Long,
        tabs: Tabs::Spaced,
    },
    HeaderLayout {
        long_badge: true,
        right: Right::Long,
        tabs: Tabs::Full,
    },
    HeaderLayout {
        long_badge: true,
        right: Right::Long,
        tabs: Tabs::Short,
    },
    HeaderLayout {
        long_badge: true,
        right: Right::Long,
        tabs: Tabs::Newest,
    },
    HeaderLayout {
        long_badge: false,
        right: Right::Short,
        tabs: Tabs::Full,
    },
    HeaderLayout {
        long_badge: false,
        right: Right::Short,
        tabs: Tabs::Short,
    },
    HeaderLayout {
        long_badge: false,
        right: Right::Short,
        tabs: Tabs::Newest,
    },
    HeaderLayout {
        long_badge: false,
        right: Right::Short,
        tabs: Tabs::Numbers,
    },
    HeaderLayout {
        long_badge: false,
        right: Right::NoClock,
        tabs: Tabs::Numbers,
    },
];

const HEADER_NAME_ROOM: usize = 14;

/// The pieces of the header line, left to right: text, style, and the
/// view a click on it switches to.
fn header_parts(app: &App, width: u16) -> Vec<(String, Style, Option<Screen>)> {
    let t = &app.theme;
    let now = app.now();
    let first = app
        .user
        .name
        .split_whitespace()
        .next()
        .unwrap_or(&app.user.name);
    let badge_of = |l: &HeaderLayout| match (app.info.demo, l.long_badge) {
        (true, true) => Some(" demo workspace "),
        (true, false) => Some(" demo "),
        _ => None,
    };
    let right_of = |l: &HeaderLayout| match l.right {
        Right::Long => format!(
            " {} ({}) {} ",
            app.user.name,
            app.user.role,
            now.format("%b %d %H:%M UTC")
        ),
        Right::Short => format!(
            " {} ({}) {} ",
            fit(first, 12),
            app.user.role,
            now.format("%H:%M")
        ),
        Right::NoClock => format!(" {} ({}) ", fit(first, 12), app.user.role),
    };
    let room_of = |l: &HeaderLayout| {
        let tabs: usize = tab_labels(l.tabs, app.notices.unseen)
            .iter()
            .map(|(label, _)| text::width(label))
            .sum();
        let used = badge_of(l).map_or(0, text::width) + text::width(&right_of(l)) + tabs;
        (width as usize).checked_sub(used)
    };
    // The long badge's layouts first, roomy then tight; then the others.
    let (long, short): (Vec<HeaderLayout>, Vec<HeaderLayout>) =
        HEADER_LAYOUTS.iter().partition(|l| l.long_badge);
    let layout = [long, short]
        .iter()
        .find_map(|group| {
            group
                .iter()
                .find(|l| room_of(l).is_some_and(|r| r >= HEADER_NAME_ROOM))
                .or_else(|| group.iter().find(|l| room_of(l).is_some()))
                .copied()
        })
        .unwrap_or(HEADER_LAYOUTS[HEADER_LAYOUTS.len() - 1]);
    let badge = badge_of(&layout);
    let right = right_of(&layout);
    let name_room = room_of(&layout).unwrap_or(0).min(40);
    let mut parts = Vec::new();
    if name_room >= 8 {
        parts.push((
            format!(" {} ", fit(&app.info.name, name_room - 2)),
            t.header_title(),
            None,
        ));
    }
    if let Some(b) = badge {
        parts.push((b.to_string(), t.badge(), None));
    }
    for (label, v) in tab_labels(layout.tabs, app.notices.unseen) {
        let style = if v == app.tab {
            t.tab_active()
        } else {
            t.header()
        };
        parts.push((label, style, Some(v)));
    }
    let used: usize = parts.iter().map(|p| text::width(&p.0)).sum();
    let gap = (width as usize).saturating_sub(used + text::width(&right));
    parts.push((" ".repeat(gap), t.header(), None));
    parts.push((right, t.header(), None));
    parts
}

/// The views' names in the header, in one of its layouts; Activity
/// carries the count of automatic ends not seen yet ("3 Activity (2)").
fn tab_labels(tabs: Tabs, unseen: usize) -> Vec<(String, Screen)> {
    let last = Screen::TABS.len();
    Screen::TABS
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let n = i + 1;
            let newest = matches!(v, Screen::All | Screen::Lists);
            let name = match tabs {
                Tabs::Spaced | Tabs::Full => v.title(),
                Tabs::Newest if newest => "",
                Tabs::Numbers if newest || v == Screen::Tasks => "",
                Tabs::Short | Tabs::Newest | Tabs::Numbers => v.short(),
            };
            let mut label = if name.is_empty() {
                format!(" {n}")
            } else {
                format!(" {n} {name}")
            };
            if v == Screen::Activity && unseen > 0 {
                label.push_str(&format!(" ({unseen})"));
            }
            if tabs == Tabs::Spaced || n == last {
                label.push(' ');
            }
            (label, v)
        })
        .collect()
}

pub fn header(app: &App, frame: &mut Frame, area: Rect) {
    let spans: Vec<Span> = header_parts(app, area.width)
        .into_iter()
        .map(|(text, style, _)| Span::styled(text, style))
        .collect();
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(app.theme.header()),
        area,
    );
}

/// The view whose name in the header is at `column`.
pub fn tab_at(app: &App, column: u16) -> Option<Screen> {
    let mut x = 0usize;
    for (text, _, view) in header_parts(app, app.width) {
        let w = text::width(&text);
        if (column as usize) >= x && (column as usize) < x + w {
            return view;
        }
        x += w;
    }
    None
}
