//! The README's screenshot (`assets/screenshot.svg`) is drawn from the real
//! TUI on the test demo workspace, so it cannot drift from what the app
//! shows: this test renders it and fails when the committed file differs.
//! Refresh it with `SEQTUI_UPDATE_SCREENSHOT=1 cargo test --test screenshot`.

mod tui_support;

use std::fmt::Write;
use std::path::Path;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use tui_support::*;

const SIZE: (u16, u16) = (110, 32);
const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;
const BACKGROUND: &str = "#1e1e2e";
const FOREGROUND: &str = "#d4d4d4";

fn hex(color: Color, default: &'static str) -> String {
    match color {
        Color::Reset => default.to_string(),
        Color::Black => "#1e1e2e".into(),
        Color::Red => "#e06c75".into(),
        Color::Green => "#98c379".into(),
        Color::Yellow => "#e5c07b".into(),
        Color::Blue => "#61afef".into(),
        Color::Magenta => "#c678dd".into(),
        Color::Cyan => "#56b6c2".into(),
        Color::Gray => "#abb2bf".into(),
        Color::DarkGray => "#5c6370".into(),
        Color::LightRed => "#ff7a85".into(),
        Color::LightGreen => "#b5e890".into(),
        Color::LightYellow => "#ffd68a".into(),
        Color::LightBlue => "#8cc8ff".into(),
        Color::LightMagenta => "#e0a0ff".into(),
        Color::LightCyan => "#7fdbe6".into(),
        Color::White => "#ffffff".into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => format!("#{0:02x}{0:02x}{0:02x}", i),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One `<rect>` per run of cells sharing a background, one `<text>` per
/// run sharing a style.
fn svg(buffer: &Buffer) -> String {
    let area = buffer.area;
    let (w, h) = (area.width as f32 * CELL_W, area.height as f32 * CELL_H);
    let mut out = String::new();
    writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">"#
    )
    .unwrap();
    writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{BACKGROUND}"/>"#
    )
    .unwrap();
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let cell = &buffer[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (fg, bg) = if reversed {
                (hex(cell.bg, BACKGROUND), hex(cell.fg, FOREGROUND))
            } else {
                (hex(cell.fg, FOREGROUND), hex(cell.bg, BACKGROUND))
            };
            let bold = cell.modifier.contains(Modifier::BOLD);
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buffer[(x, y)];
                let r = c.modifier.contains(Modifier::REVERSED);
                let (f, b) = if r {
                    (hex(c.bg, BACKGROUND), hex(c.fg, FOREGROUND))
                } else {
                    (hex(c.fg, FOREGROUND), hex(c.bg, BACKGROUND))
                };
                if f != fg || b != bg || c.modifier.contains(Modifier::BOLD) != bold {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let (px, py) = (start as f32 * CELL_W, y as f32 * CELL_H);
            let run = (x - start) as f32 * CELL_W;
            if bg != BACKGROUND {
                writeln!(
                    out,
                    r#"<rect x="{px}" y="{py}" width="{run}" height="{CELL_H}" fill="{bg}"/>"#
                )
                .unwrap();
            }
            if !text.trim().is_empty() {
                let weight = if bold { r#" font-weight="bold""# } else { "" };
                writeln!(
                    out,
                    r#"<text x="{px}" y="{}" fill="{fg}"{weight} xml:space="preserve" textLength="{run}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
                    py + CELL_H * 0.78,
                    escape(&text)
                )
                .unwrap();
            }
        }
    }
    out.push_str("</svg>\n");
    out
}

#[test]
fn the_readme_screenshot_is_the_tui_as_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo(dir.path());
    let mut h = app(&db, SIZE.0, SIZE.1);
    h.settle();
    // A sequence's enrollments with the detail pane: the view a rep lives in.
    h.key("j").key("enter").settle();
    h.keys(&["j", "j"]).settle();
    let drawn = svg(&h.buffer());
    assert!(
        drawn.contains("<text"),
        "the screenshot has text: {drawn:.200}"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/screenshot.svg");
    if std::env::var_os("SEQTUI_UPDATE_SCREENSHOT").is_some() {
        std::fs::write(&path, &drawn).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == drawn,
        "assets/screenshot.svg is stale: refresh it with \
         SEQTUI_UPDATE_SCREENSHOT=1 cargo test --test screenshot"
    );
}
