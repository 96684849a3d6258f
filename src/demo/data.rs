//! The demo workspace's fixed material, read from `assets/demo/` (compiled
//! in): the team, the sequences and their steps, and the word lists that
//! contact names, companies and titles are combined from.

use std::collections::HashMap;

use serde::Deserialize;

use super::text::{Template, push_slug};
use crate::domain::{DomainError, EndReason, Result, Role, StepKind};

const TEAM: &str = include_str!("../../assets/demo/team.toml");
const SEQUENCES: &str = include_str!("../../assets/demo/sequences.toml");
const FIRST_NAMES: &str = include_str!("../../assets/demo/first_names.txt");
const LAST_NAMES: &str = include_str!("../../assets/demo/last_names.txt");
const COMPANY_PREFIXES: &str = include_str!("../../assets/demo/company_prefixes.txt");
const COMPANY_CORES: &str = include_str!("../../assets/demo/company_cores.txt");
const INDUSTRIES: &str = include_str!("../../assets/demo/industries.txt");
const COMPANY_FORMS: &str = include_str!("../../assets/demo/company_forms.txt");
const TITLES: &str = include_str!("../../assets/demo/titles.txt");

#[derive(Deserialize)]
struct TeamFile {
    name: String,
    domain: String,
    default_user: String,
    users: Vec<UserFile>,
    #[serde(default)]
    notes: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct UserFile {
    email: String,
    name: String,
    role: String,
    team: String,
}

#[derive(Deserialize)]
struct SequencesFile {
    sequences: Vec<SequenceFile>,
}

#[derive(Deserialize)]
struct SequenceFile {
    name: String,
    owner: String,
    weight: u32,
    #[serde(default)]
    unenroll_colleagues: bool,
    #[serde(default)]
    pause_on_ooo: bool,
    archived_days_ago: Option<i64>,
    steps: Vec<StepFile>,
}

#[derive(Deserialize)]
struct StepFile {
    kind: String,
    delay_days: i64,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    title: String,
}

pub(super) struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team: String,
}

pub(super) struct Step {
    pub id: i64,
    pub position: i64,
    pub kind: StepKind,
    pub delay_days: i64,
    /// Days from enrollment to this step's due date (`schedule()`).
    pub offset_days: i64,
    pub subject: String,
    pub body: String,
    pub title: String,
    pub subject_template: Template,
    pub title_template: Template,
}

pub(super) struct Sequence {
    pub id: i64,
    pub name: String,
    /// Index into `Model::users`.
    pub owner: usize,
    pub weight: u32,
    pub unenroll_colleagues: bool,
    pub pause_on_ooo: bool,
    pub archived_days_ago: Option<i64>,
    pub steps: Vec<Step>,
}

impl Sequence {
    /// Days from enrollment to the last step's due date.
    pub fn span_days(&self) -> i64 {
        self.steps.last().map_or(0, |s| s.offset_days)
    }

    /// Days from enrollment to the first automatic email, if there is one.
    pub fn first_email_days(&self) -> Option<i64> {
        self.steps
            .iter()
            .find(|s| s.kind == StepKind::AutoEmail)
            .map(|s| s.offset_days)
    }
}

/// Word lists, one entry a line (`#` comments and blank lines skipped).
pub(super) struct Lists {
    pub first_names: Vec<&'static str>,
    pub last_names: Vec<&'static str>,
    pub company_prefixes: Vec<&'static str>,
    pub company_cores: Vec<&'static str>,
    pub industries: Vec<&'static str>,
    pub company_forms: Vec<&'static str>,
    pub titles: Vec<&'static str>,
    /// Multiplier that spreads company numbers over the combinations.
    company_step: usize,
}

pub(super) struct Model {
    pub name: String,
    pub domain: String,
    pub default_user: String,
    pub users: Vec<User>,
    pub sequences: Vec<Sequence>,
    pub notes: HashMap<EndReason, Vec<String>>,
    pub lists: Lists,
}

fn broken(what: &str, why: impl std::fmt::Display) -> DomainError {
    DomainError::Storage(format!("the demo data ({what}) is broken: {why}"))
}

fn lines(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| if l == "-" { "" } else { l })
        .collect()
}

impl Model {
    pub fn load() -> Result<Model> {
        let team: TeamFile = toml::from_str(TEAM).map_err(|e| broken("team.toml", e))?;
        let file: SequencesFile =
            toml::from_str(SEQUENCES).map_err(|e| broken("sequences.toml", e))?;

        let mut users = Vec::new();
        for (i, u) in team.users.into_iter().enumerate() {
            users.push(User {
                id: i as i64 + 1,
                role: u.role.parse().map_err(|e| broken("team.toml", e))?,
                email: u.email,
                name: u.name,
                team: u.team,
            });
        }
        if !users.iter().any(|u| u.role == Role::Admin) {
            return Err(broken("team.toml", "there is no admin"));
        }
        if !users.iter().any(|u| u.email == team.default_user) {
            return Err(broken("team.toml", "the default user is not a user"));
        }
        let user_index = |email: &str| users.iter().position(|u| u.email == email);

        let mut sequences = Vec::new();
        let mut step_id = 0;
        for (i, s) in file.sequences.into_iter().enumerate() {
            let owner = user_index(&s.owner).ok_or_else(|| {
                broken(
                    "sequences.toml",
                    format!("'{}' is owned by an unknown user", s.name),
                )
            })?;
            let mut steps = Vec::new();
            let mut offset = 0;
            for (p, st) in s.steps.into_iter().enumerate() {
                step_id += 1;
                offset += st.delay_days.max(0);
                let kind: StepKind = st.kind.parse().map_err(|e| broken("sequences.toml", e))?;
                let subject_template =
                    Template::parse(&st.subject).map_err(|e| broken("sequences.toml", e))?;
                let title_template =
                    Template::parse(&st.title).map_err(|e| broken("sequences.toml", e))?;
                Template::parse(&st.body).map_err(|e| broken("sequences.toml", e))?;
                if kind == StepKind::AutoEmail && subject_template.is_empty() {
                    return Err(broken("sequences.toml", "an email step has no subject"));
                }
                if kind != StepKind::AutoEmail && title_template.is_empty() {
                    return Err(broken("sequences.toml", "a task step has no title"));
                }
                steps.push(Step {
                    id: step_id,
                    position: p as i64 + 1,
                    kind,
                    delay_days: st.delay_days,
                    offset_days: offset,
                    subject: st.subject,
                    body: st.body,
                    title: st.title,
                    subject_template,
                    title_template,
                });
            }
            let sequence = Sequence {
                id: i as i64 + 1,
                name: s.name,
                owner,
                weight: s.weight,
                unenroll_colleagues: s.unenroll_colleagues,
                pause_on_ooo: s.pause_on_ooo,
                archived_days_ago: s.archived_days_ago,
                steps,
            };
            if sequence.steps.is_empty() || sequence.span_days() < 1 {
                return Err(broken(
                    "sequences.toml",
                    format!("'{}' needs steps spanning at least a day", sequence.name),
                ));
            }
            sequences.push(sequence);
        }
        if sequences
            .first()
            .is_none_or(|s| s.archived_days_ago.is_some())
        {
            return Err(broken(
                "sequences.toml",
                "the first sequence must exist and be live",
            ));
        }

        let mut notes = HashMap::new();
        for (reason, list) in team.notes {
            let reason: EndReason = reason.parse().map_err(|e| broken("team.toml", e))?;
            notes.insert(reason, list);
        }

        let lists = Lists {
            first_names: lines(FIRST_NAMES),
            last_names: lines(LAST_NAMES),
            company_prefixes: lines(COMPANY_PREFIXES),
            company_cores: lines(COMPANY_CORES),
            industries: lines(INDUSTRIES),
            company_forms: lines(COMPANY_FORMS),
            titles: lines(TITLES),
            company_step: 0,
        };
        for (what, list) in [
            ("first_names.txt", &lists.first_names),
            ("last_names.txt", &lists.last_names),
            ("company_prefixes.txt", &lists.company_prefixes),
            ("company_cores.txt", &lists.company_cores),
            ("industries.txt", &lists.industries),
            ("company_forms.txt", &lists.company_forms),
            ("titles.txt", &lists.titles),
        ] {
            if list.is_empty() {
                return Err(broken(what, "the list is empty"));
            }
        }
        // Emails are built from slugs of names: two names with the same
        // slug ("Sofia", "Sofía") would make the same address.
        for (what, list) in [
            ("first_names.txt", &lists.first_names),
            ("last_names.txt", &lists.last_names),
        ] {
            let mut slugs = std::collections::HashSet::new();
            for name in list.iter() {
                let mut slug = String::new();
                push_slug(&mut slug, name);
                if slug.is_empty() || !slugs.insert(slug) {
                    return Err(broken(what, format!("'{name}' repeats another name")));
                }
            }
        }

        let mut lists = lists;
        let total = company_combinations(&lists);
        // A multiplier coprime with `total` makes `k -> k * m + c mod total`
        // a bijection: distinct k, distinct combination.
        let mut step = 7_919 % total;
        while gcd(step, total) != 1 {
            step += 1;
        }
        lists.company_step = step;

        Ok(Model {
            name: team.name,
            domain: team.domain,
            default_user: team.default_user,
            users,
            sequences,
            notes,
            lists,
        })
    }
}

/// Names company `k` of a workspace: every `k` below the product of the
/// list sizes gets a distinct prefix + core + industry + form combination
/// (spread by a fixed permutation so that neighbours differ in every
/// part); beyond that a number is appended. Writes the name and the
/// company's email domain.
pub(super) fn company(lists: &Lists, k: usize, name: &mut String, domain: &mut String) {
    let sizes = [
        lists.company_prefixes.len(),
        lists.company_cores.len(),
        lists.industries.len(),
        lists.company_forms.len(),
    ];
    let total = company_combinations(lists);
    let round = k / total;
    let mut x = ((k % total) * lists.company_step + 12_345) % total;
    let mut digit = |size: usize| {
        let d = x % size;
        x /= size;
        d
    };
    let prefix = lists.company_prefixes[digit(sizes[0])];
    let core = lists.company_cores[digit(sizes[1])];
    let industry = lists.industries[digit(sizes[2])];
    let form = lists.company_forms[digit(sizes[3])];

    name.clear();
    name.push_str(prefix);
    name.push_str(core);
    name.push(' ');
    name.push_str(industry);
    if round > 0 {
        name.push(' ');
        name.push_str(&(round + 1).to_string());
    }
    if !form.is_empty() {
        name.push(' ');
        name.push_str(form);
    }

    domain.clear();
    push_slug(domain, prefix);
    push_slug(domain, core);
    domain.push('-');
    push_slug(domain, industry);
    if round > 0 {
        domain.push_str(&(round + 1).to_string());
    }
    if !form.is_empty() {
        domain.push('-');
        push_slug(domain, form);
    }
    domain.push_str(".example");
}

fn company_combinations(lists: &Lists) -> usize {
    lists.company_prefixes.len()
        * lists.company_cores.len()
        * lists.industries.len()
        * lists.company_forms.len()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}
