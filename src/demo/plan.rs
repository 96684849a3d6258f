//! The first pass of the demo builder: decides, for every contact, who it
//! is and the story of its enrollments (which sequence, when, how far it
//! got, how and by whom it ended), without touching the store. Keeping the
//! plan in memory lets the audit entries be numbered in time order before
//! any enrollment that names a batch is written.
//!
//! The story is built backwards from now: the contact's latest enrollment
//! first (open, finished or ended), then earlier ones, each ended before
//! the next began (R1). Times follow `schedule()`: step k is due at
//! enrolled_at + offset_k days; the steps due before the enrollment's
//! "moment" (now, the pause, the unenroll) were executed.
//!
//! Finally contacts are numbered in name order (`Plan::order_by_name`),
//! each followed by its enrollments, which is the order the store's name
//! indexes want their rows in.

use fastrand::Rng;

use super::data::{Model, Sequence};
use super::text::push_slug;
use crate::domain::{EndReason, Role, Status};

pub(super) const MINUTE: i64 = 60;
pub(super) const HOUR: i64 = 3_600;
pub(super) const DAY: i64 = 86_400;
/// How far back the history reaches.
const HISTORY_DAYS: i64 = 120;
/// Enrollments this recent are grouped into audited `enroll` entries.
const AUDITED_ENROLL_DAYS: i64 = 14;
/// Share of contacts who opted out.
const OPTED_OUT: f32 = 0.025;
/// Share of open enrollments (latest ones) put into the first sequence, so
/// it holds over a tenth of all contacts (about 12%: 1,000,000 contacts give
/// it about 120,000 open enrollments, the size the benchmarks are set at).
const FIRST_SEQUENCE_SHARE: f32 = 0.12;

/// What a contact's enrollment should turn out to be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    Active,
    Paused,
    Finished,
    /// Ended by the engine (reply, meeting, bounce, opt-out, colleague).
    Auto(EndReason),
    /// Ended by a person in a bulk or single unenroll; the reason comes
    /// from the batch it lands in, or is the one given.
    Manual(Option<EndReason>),
    /// Open when its sequence was archived.
    Archived,
}

/// The first contacts get one of each outcome, so that even a tiny demo
/// shows every status and end reason.
const FORCED: &[Want] = &[
    Want::Active,
    Want::Paused,
    Want::Finished,
    Want::Auto(EndReason::Replied),
    Want::Auto(EndReason::MeetingBooked),
    Want::Auto(EndReason::OptedOut),
    Want::Auto(EndReason::Bounced),
    Want::Auto(EndReason::ColleagueEngaged),
    Want::Archived,
    Want::Manual(Some(EndReason::NotAFit)),
    Want::Manual(Some(EndReason::NewContext)),
    Want::Manual(Some(EndReason::Converted)),
    Want::Manual(Some(EndReason::OwnershipChanged)),
    Want::Manual(Some(EndReason::Stale)),
    Want::Manual(Some(EndReason::CampaignEnded)),
    Want::Manual(Some(EndReason::Other)),
];

/// The outcome of a contact's latest enrollment, with weights.
const LATEST: &[(Want, u32)] = &[
    (Want::Active, 94),
    (Want::Paused, 12),
    (Want::Finished, 32),
    (Want::Manual(None), 30),
    (Want::Auto(EndReason::Replied), 16),
    (Want::Auto(EndReason::MeetingBooked), 6),
    (Want::Auto(EndReason::Bounced), 5),
    (Want::Auto(EndReason::ColleagueEngaged), 3),
    (Want::Archived, 2),
];

/// The outcome of an earlier enrollment (never terminal: the contact was
/// enrolled again afterwards).
const EARLIER: &[(Want, u32)] = &[
    (Want::Finished, 40),
    (Want::Manual(None), 33),
    (Want::Auto(EndReason::Replied), 10),
    (Want::Auto(EndReason::MeetingBooked), 5),
    (Want::Auto(EndReason::ColleagueEngaged), 5),
    (Want::Archived, 7),
];

/// How often (days) the engine's automatic endings are batched, by reason.
const AUTO_CADENCE: &[(EndReason, i64)] = &[
    (EndReason::Replied, 2),
    (EndReason::MeetingBooked, 3),
    (EndReason::Bounced, 4),
    (EndReason::OptedOut, 4),
    (EndReason::ColleagueEngaged, 5),
];

/// Manual unenroll batches each manager runs over the history, by reason.
const MANAGER_BATCHES: &[(EndReason, u32)] = &[
    (EndReason::NotAFit, 5),
    (EndReason::NewContext, 4),
    (EndReason::Converted, 3),
    (EndReason::OwnershipChanged, 3),
    (EndReason::Stale, 5),
    (EndReason::CampaignEnded, 4),
    (EndReason::Other, 2),
];

/// Reasons reps pick for their own (smaller) unenroll batches.
const REP_REASONS: &[EndReason] = &[
    EndReason::NotAFit,
    EndReason::NewContext,
    EndReason::Converted,
    EndReason::Stale,
    EndReason::Other,
];

const LIFECYCLE: &[(&str, u32)] = &[
    ("lead", 42),
    ("marketingqualifiedlead", 22),
    ("salesqualifiedlead", 14),
    ("opportunity", 9),
    ("customer", 13),
];

pub(super) const NONE: u32 = u32::MAX;

/// One planned enrollment. Its id is its index in `Plan::enrollments` + 1.
#[derive(Debug, Clone, Copy)]
pub(super) struct Enrollment {
    pub contact: u32,
    pub sequence: u8,
    pub status: Status,
    pub reason: Option<EndReason>,
    /// 1-based: next step to run (open), step it stopped at (unenrolled),
    /// last step (finished).
    pub current_step: u8,
    /// Index into `Model::users`.
    pub enrolled_by: u8,
    /// Status recorded in the audit entry that ended it.
    pub was_paused: bool,
    pub enrolled_at: i64,
    /// 0 when open.
    pub ended_at: i64,
    /// When the reply, meeting, bounce, opt-out or pause happened; 0 if none.
    pub moment: i64,
    /// For a pause the engine set on an out-of-office reply: the return
    /// date it resumes on; 0 otherwise.
    pub pause_until: i64,
    /// The audited enroll batch, or `NONE`.
    pub enroll_slot: u32,
    /// The unenroll batch, or `NONE`.
    pub end_slot: u32,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Contact {
    pub first_name: u16,
    pub last_name: u16,
    pub company: u32,
    pub title: u16,
    /// Index into `Model::users`.
    pub owner: u8,
    pub lifecycle_stage: &'static str,
    pub created_at: i64,
    /// 0 when not opted out.
    pub opted_out_at: i64,
    /// How many enrollments (consecutive in `Plan::enrollments`).
    pub enrollments: u8,
    /// Told apart from a namesake at the same company: `first.last2@…`.
    pub email_number: u16,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum SlotKind {
    Enroll { sequence: usize },
    Unenroll { reason: EndReason },
}

/// A batch: one audit entry and the enrollments it touched.
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub at: i64,
    /// Index into `Model::users`; `None` for the engine.
    pub actor: Option<usize>,
    pub kind: SlotKind,
    pub note: Option<String>,
    /// Enrollments per sequence.
    pub per_sequence: Vec<u32>,
    /// Assigned once the plan is complete: 0 for a batch nobody landed in.
    pub audit_id: i64,
    pub batch: String,
}

impl Slot {
    pub fn count(&self) -> u32 {
        self.per_sequence.iter().sum()
    }
}

pub(super) struct Plan {
    pub contacts: Vec<Contact>,
    pub enrollments: Vec<Enrollment>,
    /// Every batch; the ones nobody landed in have `audit_id` 0.
    pub slots: Vec<Slot>,
}

struct Planner<'a> {
    model: &'a Model,
    rng: Rng,
    seed: u64,
    now: i64,
    /// Midnight (UTC) starting today.
    today: i64,
    /// The start of the history.
    start: i64,
    slots: Vec<Slot>,
    /// Per sequence, per day ago (< AUDITED_ENROLL_DAYS): its enroll slot.
    enroll_slots: Vec<Vec<u32>>,
    /// Per user: their manual unenroll slots, by time.
    manual_slots: Vec<Vec<(i64, u32)>>,
    /// Per automatic reason (`AUTO_CADENCE` order): the engine's slots, by time.
    auto_slots: Vec<Vec<(i64, u32)>>,
    /// Per sequence: the slot of its archiving, if archived.
    archive_slot: Vec<Option<u32>>,
    archived_at: Vec<Option<i64>>,
    /// Per sequence: the users who enroll contacts into it (repeated by weight).
    enrollers: Vec<Vec<usize>>,
    /// Per user: the manager of their team (or the admin).
    manager_of: Vec<usize>,
    admin: usize,
    owners: Vec<usize>,
    weights_open: Vec<u32>,
    weights_all: Vec<u32>,
    weights_colleagues: Vec<u32>,
    weights_archived: Vec<u32>,
    scratch: Vec<u32>,
}

pub(super) fn plan(model: &Model, contacts: usize, seed: u64, now: i64) -> Plan {
    let mut p = Planner::new(model, seed, now);
    let companies = contacts.div_ceil(4).max(1);
    let mut out_contacts = Vec::with_capacity(contacts);
    let mut enrollments = Vec::with_capacity(contacts + contacts / 2);
    let mut story: Vec<Enrollment> = Vec::with_capacity(4);
    for i in 0..contacts {
        let contact = p.contact(i, companies, &mut story);
        for mut e in story.drain(..).rev() {
            e.contact = i as u32;
            enrollments.push(e);
        }
        out_contacts.push(contact);
    }
    p.number_slots(&enrollments);
    Plan {
        contacts: out_contacts,
        enrollments,
        slots: p.slots,
    }
}

fn pick(rng: &mut Rng, weights: &[u32]) -> Option<usize> {
    let total: u32 = weights.iter().sum();
    if total == 0 {
        return None;
    }
    let mut x = rng.u32(0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return Some(i);
        }
        x -= w;
    }
    None
}

/// A value from a `(value, weight)` table.
fn pick_from<T: Copy>(rng: &mut Rng, table: &[(T, u32)]) -> Option<T> {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return None;
    }
    let mut x = rng.u32(0..total);
    for (value, w) in table {
        if x < *w {
            return Some(*value);
        }
        x -= w;
    }
    None
}

/// A well-mixed 64-bit hash (splitmix64), for choices that must be the same
/// whenever they are asked (the enroll grid) without consuming the rng.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl<'a> Planner<'a> {
    fn new(model: &'a Model, seed: u64, now: i64) -> Planner<'a> {
        let today = now - now.rem_euclid(DAY);
        let start = today - HISTORY_DAYS * DAY;
        let users = &model.users;
        let admin = users
            .iter()
            .position(|u| u.role == Role::Admin)
            .unwrap_or(0);
        let manager_of: Vec<usize> = users
            .iter()
            .map(|u| {
                users
                    .iter()
                    .position(|m| m.role == Role::Manager && m.team == u.team)
                    .unwrap_or(admin)
            })
            .collect();
        let mut owners = Vec::new();
        for (i, u) in users.iter().enumerate() {
            let weight = match u.role {
                Role::Rep => 6,
                Role::Manager => 4,
                Role::Admin => 0,
            };
            owners.extend(std::iter::repeat_n(i, weight));
        }
        if owners.is_empty() {
            owners.push(admin);
        }
        let enrollers: Vec<Vec<usize>> = model
            .sequences
            .iter()
            .map(|s| {
                let team = &users[s.owner].team;
                let mut pool = Vec::new();
                for (i, u) in users.iter().enumerate() {
                    if &u.team == team {
                        let weight = match u.role {
                            Role::Rep => 2,
                            _ => 1,
                        };
                        pool.extend(std::iter::repeat_n(i, weight));
                    }
                }
                if pool.is_empty() {
                    pool.push(s.owner);
                }
                pool
            })
            .collect();
        let archived_at: Vec<Option<i64>> = model
            .sequences
            .iter()
            .map(|s| s.archived_days_ago.map(|d| today - d * DAY + 16 * HOUR))
            .collect();
        let weights_all: Vec<u32> = model.sequences.iter().map(|s| s.weight).collect();
        let weights_open: Vec<u32> = model
            .sequences
            .iter()
            .map(|s| {
                if s.archived_days_ago.is_some() {
                    0
                } else {
                    s.weight
                }
            })
            .collect();
        let weights_colleagues: Vec<u32> = model
            .sequences
            .iter()
            .map(|s| if s.unenroll_colleagues { s.weight } else { 0 })
            .collect();
        let weights_archived: Vec<u32> = model
            .sequences
            .iter()
            .map(|s| {
                if s.archived_days_ago.is_some() {
                    s.weight
                } else {
                    0
                }
            })
            .collect();

        let mut p = Planner {
            model,
            rng: Rng::with_seed(seed),
            seed,
            now,
            today,
            start,
            slots: Vec::new(),
            enroll_slots: Vec::new(),
            manual_slots: vec![Vec::new(); users.len()],
            auto_slots: vec![Vec::new(); AUTO_CADENCE.len()],
            archive_slot: vec![None; model.sequences.len()],
            archived_at,
            enrollers,
            manager_of,
            admin,
            owners,
            weights_open,
            weights_all,
            weights_colleagues,
            weights_archived,
            scratch: Vec::new(),
        };
        p.make_slots();
        p
    }

    fn new_slot(
        &mut self,
        at: i64,
        actor: Option<usize>,
        kind: SlotKind,
        note: Option<String>,
    ) -> u32 {
        self.slots.push(Slot {
            at,
            actor,
            kind,
            note,
            per_sequence: vec![0; self.model.sequences.len()],
            audit_id: 0,
            batch: String::new(),
        });
        (self.slots.len() - 1) as u32
    }

    /// A time during working hours (08:00–17:00 UTC) on the day `days_ago`.
    fn working_time(&mut self, days_ago: i64) -> i64 {
        self.today - days_ago * DAY + 8 * HOUR + self.rng.i64(0..9 * HOUR)
    }

    fn note_for(&mut self, reason: EndReason) -> Option<String> {
        let notes = self.model.notes.get(&reason)?;
        if notes.is_empty() || self.rng.bool() {
            return None;
        }
        Some(notes[self.rng.usize(0..notes.len())].clone())
    }

    fn make_slots(&mut self) {
        // Audited enroll batches: one per live sequence and recent day.
        for s in 0..self.model.sequences.len() {
            let mut days = Vec::new();
            if self.archived_at[s].is_none() {
                for d in 0..AUDITED_ENROLL_DAYS {
                    let (at, actor) = self.grid(s, d);
                    days.push(self.new_slot(
                        at,
                        Some(actor),
                        SlotKind::Enroll { sequence: s },
                        None,
                    ));
                }
            }
            self.enroll_slots.push(days);
        }
        // Manual unenroll batches.
        let model = self.model;
        let users = &model.users;
        let mut batches: Vec<(usize, EndReason)> = Vec::new();
        for (i, u) in users.iter().enumerate() {
            match u.role {
                Role::Manager => {
                    for (reason, n) in MANAGER_BATCHES {
                        batches.extend(std::iter::repeat_n((i, *reason), *n as usize));
                    }
                }
                Role::Admin => {
                    for (reason, _) in MANAGER_BATCHES {
                        batches.push((i, *reason));
                    }
                    batches.push((i, EndReason::OwnershipChanged));
                    batches.push((i, EndReason::Stale));
                }
                Role::Rep => {
                    for _ in 0..3 {
                        let reason = REP_REASONS[self.rng.usize(0..REP_REASONS.len())];
                        batches.push((i, reason));
                    }
                }
            }
        }
        for (actor, reason) in batches {
            let days_ago = self.rng.i64(0..HISTORY_DAYS - 2);
            let mut at = self.working_time(days_ago);
            if at >= self.now {
                at = self.now - self.rng.i64(MINUTE..2 * HOUR);
            }
            let note = self.note_for(reason);
            let slot = self.new_slot(at, Some(actor), SlotKind::Unenroll { reason }, note);
            self.manual_slots[actor].push((at, slot));
        }
        for list in &mut self.manual_slots {
            list.sort_unstable();
        }
        // The engine's automatic endings, batched per run.
        for (r, (reason, cadence)) in AUTO_CADENCE.iter().enumerate() {
            let mut k = 0;
            loop {
                let at = self.start + (k * cadence + 1) * DAY + 7 * HOUR + (k * 37 % 50) * MINUTE;
                if at >= self.now {
                    break;
                }
                let slot = self.new_slot(at, None, SlotKind::Unenroll { reason: *reason }, None);
                self.auto_slots[r].push((at, slot));
                k += 1;
            }
        }
        // Archiving a sequence ends what was open in it.
        for s in 0..self.model.sequences.len() {
            if let Some(at) = self.archived_at[s] {
                let slot = self.new_slot(
                    at,
                    Some(self.admin),
                    SlotKind::Unenroll {
                        reason: EndReason::SequenceArchived,
                    },
                    Some(format!("Archived '{}'", self.model.sequences[s].name)),
                );
                self.archive_slot[s] = Some(slot);
            }
        }
    }

    /// Enrollments into sequence `s` on day `days_ago` happen at one time
    /// by one user, as a bulk enroll does: the grid.
    fn grid(&self, s: usize, days_ago: i64) -> (i64, usize) {
        let h = mix(self.seed ^ ((s as u64) << 32) ^ (days_ago as u64));
        let at = self.today - days_ago * DAY + 8 * HOUR + (h % (9 * HOUR as u64)) as i64;
        let pool = &self.enrollers[s];
        (at, pool[((h >> 32) as usize) % pool.len()])
    }

    /// A day whose grid time for `s` lies in `[lo, hi]`, with that time.
    fn pick_day(&mut self, s: usize, lo: i64, hi: i64) -> Option<(i64, i64, usize)> {
        let lo = lo.max(self.start);
        let hi = hi.min(self.now);
        if hi < lo {
            return None;
        }
        let first = (self.today - hi).div_euclid(DAY).max(0);
        let last = (self.today - lo).div_euclid(DAY) + 1;
        if last < first {
            return None;
        }
        let span = last - first + 1;
        let offset = self.rng.i64(0..span);
        for i in 0..span {
            let d = first + (offset + i) % span;
            let (at, actor) = self.grid(s, d);
            if at >= lo && at <= hi {
                return Some((d, at, actor));
            }
        }
        None
    }

    fn pick_sequence(&mut self, want: Want) -> Option<usize> {
        let weights = match want {
            Want::Active | Want::Paused => {
                if self.rng.f32() < FIRST_SEQUENCE_SHARE {
                    return Some(0);
                }
                &self.weights_open
            }
            Want::Auto(EndReason::ColleagueEngaged) => &self.weights_colleagues,
            Want::Archived => &self.weights_archived,
            _ => &self.weights_all,
        };
        pick(&mut self.rng, weights)
    }

    /// Steps due up to `t` (inclusive when `inclusive`) have run; the next
    /// step is the one after them.
    fn next_step(seq: &Sequence, enrolled_at: i64, t: i64, inclusive: bool) -> u8 {
        let run = seq
            .steps
            .iter()
            .filter(|st| {
                let due = enrolled_at + st.offset_days * DAY;
                if inclusive { due <= t } else { due < t }
            })
            .count();
        (run + 1) as u8
    }

    fn blank(&self, s: usize, d: i64, at: i64, actor: usize) -> Enrollment {
        Enrollment {
            contact: 0,
            sequence: s as u8,
            status: Status::Active,
            reason: None,
            current_step: 1,
            enrolled_by: actor as u8,
            was_paused: false,
            enrolled_at: at,
            ended_at: 0,
            moment: 0,
            pause_until: 0,
            enroll_slot: if d < AUDITED_ENROLL_DAYS {
                self.enroll_slots[s]
                    .get(d as usize)
                    .copied()
                    .unwrap_or(NONE)
            } else {
                NONE
            },
            end_slot: NONE,
        }
    }

    fn place(&mut self, want: Want, owner: usize, upper: i64, tries: usize) -> Option<Enrollment> {
        for _ in 0..tries {
            let s = self.pick_sequence(want)?;
            let placed = match want {
                Want::Active => self.place_active(s),
                Want::Paused => self.place_paused(s),
                Want::Finished => self.place_finished(s, upper),
                Want::Auto(reason) => self.place_auto(s, reason, upper),
                Want::Manual(reason) => self.place_manual(s, reason, owner, upper),
                Want::Archived => self.place_archived(s, upper),
            };
            if placed.is_some() {
                return placed;
            }
        }
        None
    }

    fn place_active(&mut self, s: usize) -> Option<Enrollment> {
        let model = self.model;
        let seq = &model.sequences[s];
        let span = seq.span_days() * DAY;
        let (d, at, actor) = self.pick_day(s, self.now - span + 1, self.now)?;
        // Now and then the engine is behind: steps up to a few days
        // overdue are still scheduled.
        let lag = if self.rng.f32() < 0.12 {
            self.rng.i64(HOUR..3 * DAY)
        } else {
            0
        };
        let mut e = self.blank(s, d, at, actor);
        e.current_step = Self::next_step(seq, at, self.now - lag, true);
        Some(e)
    }

    fn place_paused(&mut self, s: usize) -> Option<Enrollment> {
        let model = self.model;
        let seq = &model.sequences[s];
        let span = seq.span_days() * DAY;
        let (d, at, actor) = self.pick_day(s, self.now - 100 * DAY, self.now - 2 * DAY)?;
        let latest = (at + span - 1).min(self.now - HOUR);
        if latest <= at + 10 * MINUTE {
            return None;
        }
        let mut e = self.blank(s, d, at, actor);
        e.status = Status::Paused;
        // In a sequence that pauses on out-of-office replies, most pauses
        // are the engine's (R14): an auto-reply to a recent email, with a
        // return date still ahead. The others were paused by hand.
        let auto_reply_from = seq
            .first_email_days()
            .map(|d| (at + d * DAY + 10 * MINUTE).max(self.now - 12 * DAY));
        let paused = match auto_reply_from {
            Some(from) if seq.pause_on_ooo && from < latest && self.rng.f32() < 0.7 => {
                e.pause_until = self.today + self.rng.i64(1..12) * DAY + 8 * HOUR;
                self.rng.i64(from..=latest)
            }
            _ => self.rng.i64(at + 10 * MINUTE..=latest),
        };
        e.current_step = Self::next_step(seq, at, paused, true);
        e.moment = paused;
        Some(e)
    }

    fn place_finished(&mut self, s: usize, upper: i64) -> Option<Enrollment> {
        let model = self.model;
        let seq = &model.sequences[s];
        let n = seq.steps.len();
        let span = seq.span_days() * DAY;
        let hi = upper.min(self.archived_at[s].unwrap_or(i64::MAX)) - span;
        let (d, at, actor) = self.pick_day(s, self.start, hi)?;
        let mut e = self.blank(s, d, at, actor);
        e.status = Status::Finished;
        e.current_step = n as u8;
        e.ended_at = at + span;
        Some(e)
    }

    /// Ends in `(from, to]` for an enrollment of `s` made at `at`.
    fn end_window(&self, s: usize, at: i64, upper: i64, after: i64) -> (i64, i64) {
        let span = self.model.sequences[s].span_days() * DAY;
        let to = (at + span - 1)
            .min(upper)
            .min(self.archived_at[s].unwrap_or(i64::MAX))
            .min(self.now);
        (at + after, to)
    }

    fn place_auto(&mut self, s: usize, reason: EndReason, upper: i64) -> Option<Enrollment> {
        let model = self.model;
        let seq = &model.sequences[s];
        let needs_email = matches!(
            reason,
            EndReason::Replied | EndReason::Bounced | EndReason::OptedOut
        );
        let after = if needs_email {
            seq.first_email_days()? * DAY + 10 * MINUTE
        } else {
            10 * MINUTE
        };
        let r = AUTO_CADENCE.iter().position(|(x, _)| *x == reason)?;
        let cadence = AUTO_CADENCE[r].1 * DAY;
        let hi = upper.min(self.archived_at[s].unwrap_or(i64::MAX)) - after;
        let (d, at, actor) = self.pick_day(s, self.start, hi)?;
        let (from, to) = self.end_window(s, at, upper, after);
        let list = &self.auto_slots[r];
        let a = list.partition_point(|x| x.0 <= from);
        let b = list.partition_point(|x| x.0 <= to);
        if a >= b {
            return None;
        }
        let (ended, slot) = list[self.rng.usize(a..b)];
        let mut e = self.blank(s, d, at, actor);
        e.status = Status::Unenrolled;
        e.reason = Some(reason);
        e.current_step = Self::next_step(seq, at, ended, false);
        e.ended_at = ended;
        e.end_slot = slot;
        // What set it off came in between the last executed step and the
        // engine's run that ended it.
        let last_run = if e.current_step > 1 {
            at + seq.steps[e.current_step as usize - 2].offset_days * DAY
        } else {
            at
        };
        let room = ended - last_run;
        e.moment = if room > 2 * MINUTE {
            ended - self.rng.i64(MINUTE..=(room - MINUTE).min(cadence))
        } else {
            last_run + room / 2
        };
        Some(e)
    }

    fn place_manual(
        &mut self,
        s: usize,
        reason: Option<EndReason>,
        owner: usize,
        upper: i64,
    ) -> Option<Enrollment> {
        let model = self.model;
        let seq = &model.sequences[s];
        let hi = upper.min(self.archived_at[s].unwrap_or(i64::MAX)) - HOUR;
        let (d, at, enrolled_by) = self.pick_day(s, self.start, hi)?;
        let (from, to) = self.end_window(s, at, upper, 10 * MINUTE);
        if to <= from {
            return None;
        }
        // Who may end it (R12): the managers of the two teams, the admin,
        // the rep who enrolled it, the rep who owns the contact.
        let users = &model.users;
        let mut actors: Vec<(usize, u32)> = vec![
            (self.manager_of[enrolled_by], 6),
            (self.manager_of[owner], 2),
            (self.admin, 1),
        ];
        if users[enrolled_by].role == Role::Rep {
            actors.push((enrolled_by, 2));
        }
        if users[owner].role == Role::Rep {
            actors.push((owner, 1));
        }
        let weights: Vec<u32> = actors.iter().map(|a| a.1).collect();
        let first = pick(&mut self.rng, &weights).unwrap_or(0);
        for k in 0..actors.len() {
            let actor = actors[(first + k) % actors.len()].0;
            let list = &self.manual_slots[actor];
            let a = list.partition_point(|x| x.0 <= from);
            let b = list.partition_point(|x| x.0 <= to);
            self.scratch.clear();
            for &(_, slot) in &list[a..b] {
                let matches = match (reason, self.slots[slot as usize].kind) {
                    (None, _) => true,
                    (Some(r), SlotKind::Unenroll { reason }) => r == reason,
                    _ => false,
                };
                if matches {
                    self.scratch.push(slot);
                }
            }
            if self.scratch.is_empty() {
                continue;
            }
            let slot = self.scratch[self.rng.usize(0..self.scratch.len())];
            let SlotKind::Unenroll { reason } = self.slots[slot as usize].kind else {
                continue;
            };
            let ended = self.slots[slot as usize].at;
            let mut e = self.blank(s, d, at, enrolled_by);
            e.status = Status::Unenrolled;
            e.reason = Some(reason);
            e.current_step = Self::next_step(seq, at, ended, false);
            e.ended_at = ended;
            e.end_slot = slot;
            e.was_paused = self.rng.f32() < 0.08;
            return Some(e);
        }
        None
    }

    fn place_archived(&mut self, s: usize, upper: i64) -> Option<Enrollment> {
        let archived = self.archived_at[s]?;
        let slot = self.archive_slot[s]?;
        if archived > upper {
            return None;
        }
        let model = self.model;
        let seq = &model.sequences[s];
        let span = seq.span_days() * DAY;
        let (d, at, actor) = self.pick_day(s, archived - span + 1, archived - HOUR)?;
        let mut e = self.blank(s, d, at, actor);
        e.status = Status::Unenrolled;
        e.reason = Some(EndReason::SequenceArchived);
        e.current_step = Self::next_step(seq, at, archived, false);
        e.ended_at = archived;
        e.end_slot = slot;
        Some(e)
    }

    /// One contact and its enrollments, latest first, into `story`.
    fn contact(&mut self, i: usize, companies: usize, story: &mut Vec<Enrollment>) -> Contact {
        let model = self.model;
        let lists = &model.lists;
        let first_name = self.rng.usize(0..lists.first_names.len()) as u16;
        let last_name = self.rng.usize(0..lists.last_names.len()) as u16;
        let company = self.rng.usize(0..companies) as u32;
        let title = self.rng.usize(0..lists.titles.len()) as u16;
        let owner = self.owners[self.rng.usize(0..self.owners.len())];

        let forced = FORCED.get(i).copied();
        let opted_out = forced == Some(Want::Auto(EndReason::OptedOut))
            || (forced.is_none() && self.rng.f32() < OPTED_OUT);
        let count = if forced.is_some() || opted_out {
            1 + usize::from(self.rng.f32() < 0.3)
        } else {
            match self.rng.u32(0..100) {
                0..6 => 0,
                6..72 => 1,
                72..92 => 2,
                _ => 3,
            }
        };

        story.clear();
        if count > 0 {
            let want = if opted_out {
                Want::Auto(EndReason::OptedOut)
            } else {
                forced
                    .or_else(|| pick_from(&mut self.rng, LATEST))
                    .unwrap_or(Want::Finished)
            };
            let tries = if forced.is_some() { 40 } else { 6 };
            let latest = self
                .place(want, owner, self.now, tries)
                .or_else(|| self.place(Want::Finished, owner, self.now, 6))
                .or_else(|| self.place(Want::Active, owner, self.now, 6));
            if let Some(latest) = latest {
                let mut upper = latest.enrolled_at - self.rng.i64(2 * HOUR..20 * DAY);
                story.push(latest);
                for _ in 1..count {
                    let want = pick_from(&mut self.rng, EARLIER).unwrap_or(Want::Finished);
                    let Some(e) = self.place(want, owner, upper, 4) else {
                        break;
                    };
                    upper = e.enrolled_at - self.rng.i64(2 * HOUR..20 * DAY);
                    story.push(e);
                }
            }
        }

        let latest = story.first();
        let opted_out_at = match latest {
            Some(e) if e.reason == Some(EndReason::OptedOut) => e.moment,
            _ => 0,
        };
        let earliest = story.last().map_or(self.now, |e| e.enrolled_at);
        let created_at = earliest - self.rng.i64(HOUR..60 * DAY);
        let lifecycle_stage = match latest.and_then(|e| e.reason) {
            Some(EndReason::Converted) => "customer",
            Some(EndReason::MeetingBooked) => {
                if self.rng.f32() < 0.6 {
                    "opportunity"
                } else {
                    "salesqualifiedlead"
                }
            }
            Some(EndReason::Replied) => {
                if self.rng.bool() {
                    "salesqualifiedlead"
                } else {
                    "marketingqualifiedlead"
                }
            }
            Some(EndReason::NotAFit | EndReason::Bounced) => "lead",
            _ => pick_from(&mut self.rng, LIFECYCLE).unwrap_or("lead"),
        };
        Contact {
            first_name,
            last_name,
            company,
            title,
            owner: owner as u8,
            lifecycle_stage,
            created_at,
            opted_out_at,
            enrollments: story.len() as u8,
            email_number: 0,
        }
    }

    /// Counts each batch's enrollments and numbers the non-empty ones in
    /// time order (audit id, batch `B<id>`); empty ones keep id 0 and are
    /// never written.
    fn number_slots(&mut self, enrollments: &[Enrollment]) {
        for e in enrollments {
            for slot in [e.enroll_slot, e.end_slot] {
                if slot != NONE {
                    self.slots[slot as usize].per_sequence[e.sequence as usize] += 1;
                }
            }
        }
        let mut order: Vec<usize> = (0..self.slots.len())
            .filter(|&i| self.slots[i].count() > 0)
            .collect();
        order.sort_by_key(|&i| (self.slots[i].at, i));
        for (n, &i) in order.iter().enumerate() {
            self.slots[i].audit_id = n as i64 + 1;
            self.slots[i].batch = format!("B{}", n + 1);
        }
    }
}

/// A contact's email: `last.first@company-domain`, with a number when a
/// namesake at the same company already has that address. (Last name
/// first, a common company format, also puts emails in the same order as
/// names, so the unique email index fills in order while loading.)
pub(super) fn email(model: &Model, c: &Contact, domain: &str, out: &mut String) {
    let lists = &model.lists;
    out.clear();
    push_slug(out, lists.last_names[c.last_name as usize]);
    out.push('.');
    push_slug(out, lists.first_names[c.first_name as usize]);
    if c.email_number > 0 {
        out.push_str(&c.email_number.to_string());
    }
    out.push('@');
    out.push_str(domain);
}

impl Plan {
    /// Numbers contacts (and their enrollments) in the order every list
    /// shows them, by name, and gives namesakes at the same company
    /// distinct emails. Rows then reach the store in the order of its name
    /// indexes, which keeps those indexes cheap to maintain while loading.
    /// (The order is by last name, first name and company; the stored
    /// `sort_name` is computed from the final email, so an approximate
    /// order costs nothing but a few out-of-place inserts.)
    pub(super) fn order_by_name(&mut self, model: &Model) {
        let lists = &model.lists;
        let rank = |names: &[&str]| -> Vec<u64> {
            let mut order: Vec<usize> = (0..names.len()).collect();
            order.sort_by_key(|&i| names[i].to_lowercase());
            let mut rank = vec![0; names.len()];
            for (r, i) in order.into_iter().enumerate() {
                rank[i] = r as u64;
            }
            rank
        };
        let first_rank = rank(&lists.first_names);
        let last_rank = rank(&lists.last_names);
        let mut keys: Vec<(u64, u32)> = self
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let key = (last_rank[c.last_name as usize] << 48)
                    | (first_rank[c.first_name as usize] << 32)
                    | u64::from(c.company);
                (key, i as u32)
            })
            .collect();
        keys.sort_unstable();

        let mut first = Vec::with_capacity(self.contacts.len());
        let mut at = 0;
        for c in &self.contacts {
            first.push(at);
            at += c.enrollments as usize;
        }
        let mut contacts: Vec<Contact> = Vec::with_capacity(self.contacts.len());
        let mut enrollments = Vec::with_capacity(self.enrollments.len());
        for (new, &(key, old)) in keys.iter().enumerate() {
            let mut c = self.contacts[old as usize];
            // Same name, same company: same email but for a number.
            if new > 0 && keys[new - 1].0 == key {
                c.email_number = contacts[new - 1].email_number.max(1) + 1;
            }
            let start = first[old as usize];
            for e in &self.enrollments[start..start + c.enrollments as usize] {
                enrollments.push(Enrollment {
                    contact: new as u32,
                    ..*e
                });
            }
            contacts.push(c);
        }
        self.contacts = contacts;
        self.enrollments = enrollments;
    }
}
