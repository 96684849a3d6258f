//! What an edit of a sequence changes: how the new steps line up with the
//! old ones, which fields of a kept step changed, which settings changed,
//! and what the edit does to the open enrollments (R17), counted for the
//! plan or written for the apply.

use std::collections::HashMap;

use chrono::Duration;

use super::sequence_file::SequenceSettings;
use super::*;
use crate::store::queries as q;
use crate::store::sequences as qs;

/// How the new list of steps lines up with the old one: for each new step
/// the old one it keeps (same kind; its text or delay may change), the rest
/// added; old steps kept by none are removed. Identical steps are matched
/// first (longest common subsequence), so inserting or removing a step in
/// the middle leaves the others as they are; between two matches, steps of
/// the same kind at the same offset are the same step changed.
pub(super) fn align(old: &[NewStep], new: &[NewStep]) -> Vec<Option<usize>> {
    let (n, m) = (old.len(), new.len());
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut anchors = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if old[i] == new[j] {
            anchors.push((i, j));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    anchors.push((n, m));
    let mut kept = vec![None; m];
    let (mut oi, mut nj) = (0, 0);
    for (ai, aj) in anchors {
        for k in 0..(ai - oi).min(aj - nj) {
            if old[oi + k].kind == new[nj + k].kind {
                kept[nj + k] = Some(oi + k);
            }
        }
        if ai < n {
            kept[aj] = Some(ai);
        }
        oi = ai + 1;
        nj = aj + 1;
    }
    kept
}

pub(super) fn changed_fields(old: &NewStep, new: &NewStep) -> Vec<String> {
    let mut fields = Vec::new();
    if old.delay_days != new.delay_days {
        fields.push("delay_days".to_string());
    }
    for (name, a, b) in [
        ("subject", &old.subject, &new.subject),
        ("body", &old.body, &new.body),
        ("title", &old.title, &new.title),
    ] {
        if a != b {
            fields.push(name.to_string());
        }
    }
    fields
}

pub(super) fn label(step: &NewStep) -> String {
    if step.kind == StepKind::AutoEmail || step.title.is_empty() {
        if step.subject.trim().is_empty() && step.kind == StepKind::AutoEmail {
            // A follow-up with no subject of its own replies in the thread.
            return "(reply in the thread)".into();
        }
        step.subject.clone()
    } else {
        step.title.clone()
    }
}

/// R17 for every open enrollment of a sequence: changed text applies to
/// the steps not yet run (the engine reads a step's text when it runs it);
/// an added step is scheduled for the enrollments that have not passed its
/// position; a removed step is cancelled for them; the due times after an
/// added, removed or re-timed step move by the difference. Executed steps
/// never change. With `new_ids` (the steps already rewritten) it writes;
/// without, it only counts. Returns the effects, per new step the
/// enrollments it reaches, per old step those it was cancelled for, and the
/// enrollments whose status or step changed (with their status and step
/// before) for the audit.
#[allow(clippy::type_complexity)]
pub(super) fn reconcile(
    conn: &crate::store::Connection,
    sequence_id: i64,
    old: &[Step],
    new: &[NewStep],
    kept: &[Option<usize>],
    new_ids: Option<&[i64]>,
    now: Timestamp,
) -> Result<(EditEffects, Vec<usize>, Vec<usize>, Vec<(i64, Status, i64)>)> {
    let mut effects = EditEffects::default();
    let mut reach_new = vec![0usize; new.len()];
    let mut reach_old = vec![0usize; old.len()];
    let mut touched = Vec::new();
    let removed: Vec<bool> = (0..old.len()).map(|o| !kept.contains(&Some(o))).collect();
    let open = qs::open_progress(conn, sequence_id)?;
    let mut rows: HashMap<i64, HashMap<i64, qs::ScheduledRow>> = HashMap::new();
    for row in qs::open_scheduled_rows(conn, sequence_id)? {
        rows.entry(row.enrollment_id)
            .or_default()
            .insert(row.step_id, row);
    }
    let empty = HashMap::new();
    for e in &open {
        let c = e.current_step;
        let mine = rows.get(&e.id).unwrap_or(&empty);
        // The last kept step this enrollment already ran.
        let last_run = (0..new.len())
            .rev()
            .find(|&j| kept[j].is_some_and(|o| (o as i64 + 1) < c));
        let new_current = last_run.map_or(1, |j| j as i64 + 2);
        let mut prev_due = if c > 1 {
            old.get(c as usize - 2)
                .and_then(|s| mine.get(&s.id))
                .map_or(e.enrolled_at, |r| r.due_at)
        } else {
            e.enrolled_at
        };
        // Waiting at a task step the edit removes (R18): its open task is
        // removed and the enrollment moves on as after a skipped task, the
        // next step due its delay after now, the later ones keeping their
        // spacing.
        let mut waiting_at_removed = None;
        if let Some(o) = usize::try_from(c - 1)
            .ok()
            .filter(|&o| o < old.len() && removed[o])
            && let Some(r) = mine.get(&old[o].id).filter(|r| !r.scheduled)
        {
            let open = qs::open_tasks_of(conn, r.id)?;
            if open > 0 {
                waiting_at_removed = Some((o, r.id, open as usize));
            }
        }
        let mut release = waiting_at_removed.is_some();
        if release {
            prev_due = now;
        }
        let mut shift = Duration::zero();
        let mut removed_counted = (c.max(1) - 1) as usize;
        for (j, step) in new.iter().enumerate() {
            let position = j as i64 + 1;
            match kept[j] {
                Some(o) if (o as i64 + 1) < c => {
                    // Run already: only its number follows the step.
                    if let (Some(r), Some(_)) = (mine.get(&old[o].id), new_ids)
                        && old[o].position != position
                    {
                        qs::renumber_scheduled(conn, r.id, position)?;
                    }
                }
                Some(o) => {
                    while removed_counted < o {
                        if removed[removed_counted] {
                            shift -= Duration::days(old[removed_counted].delay_days);
                        }
                        removed_counted += 1;
                    }
                    shift += Duration::days(step.delay_days - old[o].delay_days);
                    match mine.get(&old[o].id) {
                        Some(r) if r.scheduled => {
                            if release {
                                shift = now + Duration::days(step.delay_days) - r.due_at;
                                release = false;
                            }
                            let due = r.due_at + shift;
                            if due != r.due_at {
                                effects.due_dates_moved += 1;
                            }
                            let text_changed = step.subject != old[o].subject
                                || step.body != old[o].body
                                || step.title != old[o].title;
                            if text_changed {
                                effects.texts_updated += 1;
                                reach_new[j] += 1;
                            }
                            if new_ids.is_some() && (due != r.due_at || old[o].position != position)
                            {
                                qs::move_scheduled(conn, r.id, position, due)?;
                            }
                            prev_due = due;
                        }
                        Some(r) => {
                            if new_ids.is_some() && old[o].position != position {
                                qs::renumber_scheduled(conn, r.id, position)?;
                            }
                            prev_due = r.due_at;
                        }
                        None => {}
                    }
                }
                None if last_run.is_some_and(|l| j < l) => {
                    // Added before a step this enrollment ran: passed.
                }
                None => {
                    let due = prev_due + Duration::days(step.delay_days);
                    shift += Duration::days(step.delay_days);
                    release = false;
                    if let Some(ids) = new_ids {
                        q::insert_scheduled_step(conn, e.id, &step.at(ids[j], position), due)?;
                    }
                    effects.steps_scheduled += 1;
                    reach_new[j] += 1;
                    prev_due = due;
                }
            }
        }
        for (o, step) in old.iter().enumerate() {
            if removed[o]
                && (o as i64 + 1) >= c
                && let Some(r) = mine.get(&step.id)
                && r.scheduled
            {
                if new_ids.is_some() {
                    qs::cancel_scheduled(conn, r.id)?;
                }
                effects.steps_cancelled += 1;
                reach_old[o] += 1;
            }
        }
        if let Some((o, row, open)) = waiting_at_removed {
            if new_ids.is_some() {
                qs::remove_open_tasks_of(conn, row)?;
            }
            effects.tasks_removed += open;
            reach_old[o] += 1;
        }
        let status = if e.status == "paused" {
            Status::Paused
        } else {
            Status::Active
        };
        if new_current > new.len() as i64 {
            effects.enrollments_finished += 1;
            touched.push((e.id, status, c));
            if new_ids.is_some() {
                qs::finish(conn, e.id, now)?;
            }
        } else if new_current != c {
            effects.enrollments_renumbered += 1;
            touched.push((e.id, status, c));
            if new_ids.is_some() {
                qs::set_current_step(conn, e.id, new_current)?;
            }
        }
    }
    Ok((effects, reach_new, reach_old, touched))
}

pub(super) fn onoff(v: bool) -> String {
    if v { "on".into() } else { "off".into() }
}

pub(super) fn setting_changes(
    before: &SequenceSettings,
    after: &SequenceSettings,
    changes: &mut Vec<SettingChange>,
) {
    let mut push = |field: &str, from: String, to: String| {
        if from != to {
            changes.push(SettingChange {
                field: field.into(),
                from,
                to,
            });
        }
    };
    push(
        "unenroll_colleagues",
        onoff(before.unenroll_colleagues),
        onoff(after.unenroll_colleagues),
    );
    push(
        "pause_on_out_of_office",
        onoff(before.pause_on_out_of_office),
        onoff(after.pause_on_out_of_office),
    );
    push(
        "sending_window",
        format!("{}-{}", before.window_start, before.window_end),
        format!("{}-{}", after.window_start, after.window_end),
    );
    push(
        "sending_days",
        before.sending_days.join(","),
        after.sending_days.join(","),
    );
    push(
        "time_zone",
        before.time_zone.clone(),
        after.time_zone.clone(),
    );
}
