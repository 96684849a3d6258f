//! Where the person is: the screen, the list on it, whether they are
//! typing, the keymap scopes that apply, and the place's name for help.

use super::*;

impl App {
    pub fn screen(&self) -> Screen {
        match self.tab {
            Screen::Sequences if self.enrollments.is_some() && self.steps.is_some() => {
                Screen::Steps
            }
            Screen::Sequences if self.enrollments.is_some() => Screen::Enrollments,
            tab => tab,
        }
    }

    /// The enrollment list on screen, if one is.
    pub fn shown(&self) -> Option<Screen> {
        Some(self.screen()).filter(|s| s.lists_enrollments())
    }

    /// The enrollment list a screen shows (`Enrollments` or `All`).
    pub fn list(&self, which: Screen) -> Option<&EnrollmentsState> {
        match which {
            Screen::Enrollments => self.enrollments.as_ref(),
            Screen::All => self.all.as_ref(),
            _ => None,
        }
    }

    pub fn list_mut(&mut self, which: Screen) -> Option<&mut EnrollmentsState> {
        match which {
            Screen::Enrollments => self.enrollments.as_mut(),
            Screen::All => self.all.as_mut(),
            _ => None,
        }
    }

    /// The enrollment list on screen.
    pub fn shown_list(&self) -> Option<&EnrollmentsState> {
        self.shown().and_then(|w| self.list(w))
    }

    pub fn shown_list_mut(&mut self) -> Option<&mut EnrollmentsState> {
        self.shown().and_then(|w| self.list_mut(w))
    }

    /// The All view's filter.
    pub fn all_query(&self) -> Option<&QuerySource> {
        self.all.as_ref().and_then(|e| e.query_source())
    }

    /// The query editor, while it is open.
    pub fn editor(&self) -> Option<&QueryEditor> {
        self.all_query().and_then(|q| q.editor.as_ref())
    }

    pub fn wide(&self) -> bool {
        self.width >= WIDE
    }

    pub fn too_small(&self) -> bool {
        self.width < MIN_WIDTH || self.height < MIN_HEIGHT
    }

    /// Whether the detail pane is on screen (beside the list or full).
    pub fn detail_shown(&self) -> bool {
        match self.screen() {
            Screen::Enrollments | Screen::All | Screen::Contacts => self.detail.open || self.wide(),
            // The Tasks view's columns take the width: full screen only.
            Screen::Tasks => self.detail.open,
            _ => false,
        }
    }

    /// A text field has the focus: printable keys type into it.
    pub fn typing(&self) -> bool {
        if self.help.is_some() {
            return false;
        }
        match &self.dialog {
            Some(d) => d.typing(),
            None if self.detail.open => false,
            None => match self.screen() {
                Screen::Enrollments => self.enrollments.as_ref().is_some_and(|e| e.editing),
                Screen::All => self.editor().is_some(),
                Screen::Contacts => self.contacts.editing,
                _ => false,
            },
        }
    }

    /// The keymap scopes in force.
    pub fn scopes(&self) -> Vec<Scope> {
        if self.help.is_some() {
            return vec![Scope::Help];
        }
        self.view_scopes()
    }

    /// The scopes of the place under the help overlay.
    pub fn view_scopes(&self) -> Vec<Scope> {
        if self.dialog.is_some() {
            return vec![Scope::Dialog];
        }
        if self.detail.open && self.detail_shown() {
            return vec![Scope::Global, Scope::Detail];
        }
        let own = match self.screen() {
            Screen::All if self.editor().is_some() => Scope::Editor,
            Screen::All => {
                return vec![
                    Scope::Global,
                    Scope::List,
                    Scope::On(Screen::Enrollments),
                    Scope::On(Screen::All),
                ];
            }
            // The Reports view has no keys of its own.
            Screen::Reports => Scope::List,
            screen => Scope::On(screen),
        };
        vec![Scope::Global, Scope::List, own]
    }

    /// What the place under the help overlay is called.
    pub fn place_name(&self) -> String {
        if self.dialog.is_some() {
            return "this dialog".to_string();
        }
        if self.detail.open && self.detail_shown() {
            return "the contact detail".to_string();
        }
        match self.screen() {
            Screen::Enrollments => "a sequence's enrollments".to_string(),
            Screen::All if self.editor().is_some() => "the query editor".to_string(),
            _ => self.tab.title().to_string(),
        }
    }
}
