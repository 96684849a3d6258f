//! Drawing the manage dialogs (pause/resume, transfer) and the pieces other dialogs share: lines, skipped lists, footers.

use super::*;

pub fn draw(app: &App, d: &ManageDialog, frame: &mut Frame, area: Rect) {
    let width = 78.min(area.width.saturating_sub(2));
    let inner = width.saturating_sub(4) as usize;
    let room = area.height.saturating_sub(4) as usize;
    let (title, lines) = match &d.kind {
        ManageKind::Change { pause } => {
            crate::tui::dialogs::pause_resume::lines(app, d, *pause, inner)
        }
        ManageKind::Undo(_) => crate::tui::dialogs::undo::lines(app, d, inner),
        ManageKind::Transfer { .. } => crate::tui::dialogs::transfer::lines(app, d, inner, room),
        ManageKind::DeleteList { .. } => crate::tui::dialogs::delete_list::lines(app, d, inner),
    };
    boxed(app, frame, area, title, width, lines);
}

pub(crate) fn line(text: String, inner: usize, style: Style) -> Line<'static> {
    Line::from(Span::styled(fit(&text, inner), style))
}

/// How many lines the skip sentences of a pause, resume or transfer dialog
/// may take (each sentence whole; the ones that do not fit are counted,
/// and the CLI's dry run lists each): room for the rest at 80×24.
const SKIP_LINES: usize = 7;

/// The domain's skip reasons, grouped by code (commonest first), each
/// distinct sentence whole with how many rows it is about, so that every
/// person who may is named (R12), as the unenroll dialog shows them.
pub(crate) fn skipped_lines(
    app: &App,
    skipped: &[Skipped],
    inner: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let style = app.theme.error();
    let sentences: Vec<(String, usize)> = skip_groups(skipped)
        .into_iter()
        .flat_map(|g| g.sentences)
        .collect();
    let mut used = 0;
    let mut shown = 0;
    for (why, n) in &sentences {
        let wrapped = crate::tui::dialogs::hanging(
            0,
            &format!("{} skipped: {why}", count(*n as i64)),
            2,
            inner,
            style,
        );
        // The first is always whole; a later one only with a line left
        // for those that do not fit.
        let reserve = usize::from(shown + 1 < sentences.len());
        if shown > 0 && used + wrapped.len() + reserve > SKIP_LINES {
            break;
        }
        used += wrapped.len();
        shown += 1;
        lines.extend(wrapped);
    }
    if shown < sentences.len() {
        let rest: usize = sentences[shown..].iter().map(|(_, n)| n).sum();
        lines.push(line(
            format!(
                "+ {} skipped for {} (the CLI's --dry-run lists each)",
                count(rest as i64),
                crate::text::plural(
                    (sentences.len() - shown) as i64,
                    "other reason",
                    "other reasons"
                )
            ),
            inner,
            style,
        ));
    }
}

/// The buttons, the notice and the key line every manager dialog ends with.
pub(crate) fn footer(
    app: &App,
    d: &ManageDialog,
    go: &str,
    inner: usize,
    lines: &mut Vec<Line<'static>>,
) {
    footer_with(
        app,
        d,
        go,
        inner,
        lines,
        "tab switches the buttons · enter presses the focused one",
    );
}

/// [`footer`] with its own words after confirm and cancel.
pub(crate) fn footer_with(
    app: &App,
    d: &ManageDialog,
    go: &str,
    inner: usize,
    lines: &mut Vec<Line<'static>>,
    keys: &str,
) {
    confirm_footer(
        app,
        d.on_confirm,
        d.notice.as_deref(),
        go,
        inner,
        lines,
        keys,
    );
}

/// A confirm dialog's last lines: the buttons (`go` or Cancel focused), the
/// notice if any, and the keys line ending with `keys`. Shared by every
/// dialog that confirms a change.
pub(crate) fn confirm_footer(
    app: &App,
    on_confirm: bool,
    notice: Option<&str>,
    go: &str,
    inner: usize,
    lines: &mut Vec<Line<'static>>,
    keys: &str,
) {
    let t = &app.theme;
    lines.push(Line::from(""));
    lines.push(buttons(
        app,
        &format!(" {go} "),
        on_confirm,
        !on_confirm,
        inner,
    ));
    if let Some(notice) = notice {
        lines.push(line(notice.to_string(), inner, t.error()));
    }
    lines.push(line(
        format!(
            "{} confirm · {}/esc cancel · {keys}",
            key(app, Command::Confirm),
            key(app, Command::Cancel)
        ),
        inner,
        t.dim(),
    ));
}
