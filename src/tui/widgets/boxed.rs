//! A box drawn over the screen (dialogs, help) and the buttons dialogs
//! end with.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::App;

use ratatui::widgets::{Block, Clear};

/// Draws `lines` in a bordered box titled `title`, `width` wide, in the
/// middle of `area`, over whatever is below.
pub fn boxed(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    title: String,
    width: u16,
    lines: Vec<Line<'_>>,
) {
    let t = &app.theme;
    let rect = centered(area, width, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_style(t.dialog_border())
        .title(Span::styled(title, t.title()));
    draw_box(frame, rect, block, lines);
}

/// Draws `lines` inside `block` at `rect`, a column of margin on each
/// side, over whatever is below.
pub fn draw_box(frame: &mut Frame, rect: Rect, block: Block<'_>, lines: Vec<Line<'_>>) {
    frame.render_widget(Clear, rect);
    let body = block.inner(rect);
    frame.render_widget(block, rect);
    let body = Rect::new(
        body.x + 1,
        body.y,
        body.width.saturating_sub(2),
        body.height,
    );
    frame.render_widget(Paragraph::new(lines), body);
}

/// A box of `width` × `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width.saturating_sub(2)).max(10);
    let h = height.min(area.height.saturating_sub(2)).max(5);
    Rect::new(
        area.x + (area.width.saturating_sub(w)) / 2,
        area.y + (area.height.saturating_sub(h)) / 2,
        w,
        h,
    )
}

/// A dialog's one button (when closing is all it offers), focused and
/// centred in `inner` cells.
pub fn button(app: &App, label: &str, inner: usize) -> Line<'static> {
    let t = &app.theme;
    let shown = format!("[{label}]");
    let left = inner.saturating_sub(crate::tui::text::width(&shown)) / 2;
    Line::from(vec![
        Span::raw(" ".repeat(left)),
        Span::styled(shown, t.button_focused()),
    ])
}

/// A dialog's two buttons, centred in `inner` cells; the focused one is
/// bracketed and highlighted.
pub fn buttons(
    app: &App,
    go: &str,
    go_focused: bool,
    cancel_focused: bool,
    inner: usize,
) -> Line<'static> {
    let t = &app.theme;
    let button = |label: &str, focused: bool| {
        Span::styled(
            if focused {
                format!("[{label}]")
            } else {
                format!(" {label} ")
            },
            if focused {
                t.button_focused()
            } else {
                t.button()
            },
        )
    };
    let spans = [
        button(go, go_focused),
        Span::raw("   "),
        button(" Cancel ", cancel_focused),
    ];
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let mut row = vec![Span::raw(" ".repeat(inner.saturating_sub(used) / 2))];
    row.extend(spans);
    Line::from(row)
}
