//! Pages, ids and counts of an enrollment list: the walks a page takes
//! in turn, the status checked row by row then by set, and the rows read
//! by id.

use std::collections::HashMap;

use super::db::{Connection, params_from_iter};
use rusqlite::params;
use rusqlite::types::Value;

use super::list_sql::*;
use super::queries::{ENROLLMENT_ROW, enrollment_from_row, sorted_ids_json, stale_values};
use crate::domain::*;

/// The query plan of the first walk of a list's first page (for the test
/// that keeps every order a walk of its index, never a sort), one line
/// per step; with `by_set`, of a sort key's walk that checks the statuses
/// by set ([`Walk::Key`]).
pub fn enrollment_page_plan(
    conn: &Connection,
    q: &EnrollmentQuery,
    by_set: bool,
) -> Result<Vec<String>> {
    let stale = StaleCutoffs::none();
    let mut walk = walks(q.sort, &q.statuses, None)[0];
    if let Walk::Key { by_set: set, .. } = &mut walk {
        *set = by_set;
    }
    let mut values = Vec::new();
    let sql = filtered_ids_sql(q, &stale, Shape::Page(walk, 50), &mut values);
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let rows = stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(3))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The ids of up to `limit` enrollments of a list after `after`, in the
/// list's order (its walks in turn).
fn page_ids(
    conn: &Connection,
    q: &EnrollmentQuery,
    stale: &StaleCutoffs,
    after: Option<&PageKey>,
    limit: usize,
) -> Result<Vec<i64>> {
    let mut ids = Vec::new();
    for walk in walks(q.sort, &q.statuses, after) {
        let want = limit - ids.len();
        if want == 0 {
            break;
        }
        let probe = PROBE_ROWS.get();
        let (
            Walk::Key {
                key,
                descending,
                after,
                ..
            },
            true,
        ) = (walk, by_set_applies(q) && probe != usize::MAX)
        else {
            ids.extend(walk_ids(conn, q, stale, walk, want)?);
            continue;
        };
        // Row by row within the next PROBE_ROWS rows of the index, then
        // (if they held too few) by set after them.
        let mut resume = None;
        if probe > 0 {
            let (bare_q, bare_walk) = bare(q, walk);
            let window = walk_ids(conn, &bare_q, &StaleCutoffs::none(), bare_walk, probe)?;
            let until = window.last().copied();
            let within = Walk::Key {
                key,
                descending,
                after,
                resume: None,
                until,
                by_set: false,
            };
            if until.is_some() {
                ids.extend(walk_ids(conn, q, stale, within, want)?);
            }
            if ids.len() == limit || window.len() < probe {
                continue;
            }
            resume = until;
        }
        let by_set = Walk::Key {
            key,
            descending,
            after: after.filter(|_| resume.is_none()),
            resume,
            until: None,
            by_set: true,
        };
        let want = limit - ids.len();
        if only_statuses(q) && conn.dialect() == super::db::Dialect::Sqlite {
            ids.extend(set_walk_ids(conn, q, by_set, want)?);
        } else {
            ids.extend(walk_ids(conn, q, stale, by_set, want)?);
        }
    }
    Ok(ids)
}

thread_local! {
    /// How many rows of a sort key's index [`page_ids`] checks row by row
    /// before it checks the statuses by set instead (see [`Walk::Key`]):
    /// [`PROBE_ROWS_DEFAULT`] rows cost at most about 8 ms on the 1M demo.
    /// Per thread, so that a test can make either walk answer alone; the
    /// pages are the same either way, only their cost differs.
    static PROBE_ROWS: std::cell::Cell<usize> = const { std::cell::Cell::new(PROBE_ROWS_DEFAULT) };
}

/// See [`PROBE_ROWS`].
pub const PROBE_ROWS_DEFAULT: usize = 2_000;

/// Runs `f` with [`PROBE_ROWS`] set to `rows` on this thread (0: every
/// sorted page with statuses is walked by set; `usize::MAX`: row by row
/// only, as before the set walk), for tests and benchmarks.
pub fn with_probe_rows<R>(rows: usize, f: impl FnOnce() -> R) -> R {
    let before = PROBE_ROWS.replace(rows);
    let result = f();
    PROBE_ROWS.set(before);
    result
}

/// Whether a list's only condition on a row is its status.
fn only_statuses(q: &EnrollmentQuery) -> bool {
    let bare = EnrollmentQuery {
        sequences: q.sequences.clone(),
        statuses: q.statuses.clone(),
        sort: q.sort,
        ..Default::default()
    };
    *q == bare
}

/// A key walk reduced to the sort key's index alone: the list's sequence
/// and order, no other condition, from the walk's `after` or `resume`. Its
/// rows are every entry of the index, whatever their rows hold.
fn bare<'a>(q: &EnrollmentQuery, walk: Walk<'a>) -> (EnrollmentQuery, Walk<'a>) {
    let bare = EnrollmentQuery {
        sequences: q.sequences.clone(),
        sort: q.sort,
        ..Default::default()
    };
    let walk = match walk {
        Walk::Key {
            key,
            descending,
            after,
            resume,
            ..
        } => Walk::Key {
            key,
            descending,
            after,
            resume,
            until: None,
            by_set: false,
        },
        contact => contact,
    };
    (bare, walk)
}

/// A key walk by set for a list whose only condition is its statuses
/// (SQLite): the ids of the sequence's rows in those statuses, read from
/// the status index into a bit set, then the key's index alone walked
/// until `want` of them came by. Each costs a step of a statement, where
/// SQLite's own `IN` set (the same walk in SQL) costs a b-tree insert and
/// search: 30 against 90 ms for the active ones of the 1M demo's largest
/// sequence by enrolled at.
fn set_walk_ids(
    conn: &Connection,
    q: &EnrollmentQuery,
    walk: Walk<'_>,
    want: usize,
) -> Result<Vec<i64>> {
    let (statuses, _) = walked_statuses(q);
    let marks = vec!["?"; statuses.len()].join(", ");
    let mut values = vec![Value::Integer(q.sequences[0])];
    values.extend(statuses.iter().map(|s| Value::Text(s.as_str().into())));
    let members: Vec<i64> = conn
        .prepare_cached(&format!(
            "SELECT s.id FROM enrollments s INDEXED BY enrollments_status_page
             WHERE s.sequence_id = ? AND s.status IN ({marks})"
        ))?
        .query_map(params_from_iter(values), |r| r.get::<_, i64>(0))?
        .collect::<super::db::Result<_>>()?;
    let set = IdSet::new(&members);
    let mut values = Vec::new();
    let (bare_q, bare_walk) = bare(q, walk);
    let sql = filtered_ids_sql(
        &bare_q,
        &StaleCutoffs::none(),
        Shape::Page(bare_walk, usize::MAX),
        &mut values,
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut ids = Vec::new();
    for id in stmt.query_map(params_from_iter(values), |r| r.get::<_, i64>(0))? {
        let id = id?;
        if set.contains(id) {
            ids.push(id);
            if ids.len() == want {
                break;
            }
        }
    }
    Ok(ids)
}

/// A set of ids as one bit each between the least and the greatest.
struct IdSet {
    first: i64,
    bits: Vec<u64>,
}

impl IdSet {
    fn new(ids: &[i64]) -> IdSet {
        let first = ids.iter().copied().min().unwrap_or(0);
        let last = ids.iter().copied().max().unwrap_or(-1);
        let span = usize::try_from(last - first + 1).unwrap_or(0);
        let mut set = IdSet {
            first,
            bits: vec![0; span.div_ceil(64)],
        };
        for &id in ids {
            let at = (id - first) as usize;
            set.bits[at / 64] |= 1 << (at % 64);
        }
        set
    }

    fn contains(&self, id: i64) -> bool {
        usize::try_from(id - self.first)
            .ok()
            .and_then(|at| self.bits.get(at / 64).map(|w| w & (1 << (at % 64)) != 0))
            .unwrap_or(false)
    }
}

/// The ids of up to `want` rows of one walk.
fn walk_ids(
    conn: &Connection,
    q: &EnrollmentQuery,
    stale: &StaleCutoffs,
    walk: Walk<'_>,
    want: usize,
) -> Result<Vec<i64>> {
    let mut values = Vec::new();
    // The statement's own ORDER BY is the walk's order (its first column
    // is the id).
    let sql = filtered_ids_sql(q, stale, Shape::Page(walk, want), &mut values);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| r.get::<_, i64>(0))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// One page of an enrollment list in its order (`q.sort`), starting after
/// `after` (keyset paging).
pub fn enrollment_page(
    conn: &Connection,
    q: &EnrollmentQuery,
    stale: &StaleCutoffs,
    after: Option<&PageKey>,
    limit: usize,
) -> Result<Vec<EnrollmentRow>> {
    if !q.sort.is_default() {
        let ids = page_ids(conn, q, stale, after, limit)?;
        return enrollments_by_ids(conn, &ids, stale);
    }
    let walk = walks(q.sort, &q.statuses, after)[0];
    let mut values = stale_values(stale).to_vec();
    let ids = filtered_ids_sql(q, stale, Shape::Page(walk, limit), &mut values);
    let sql = format!(
        "{ENROLLMENT_ROW} JOIN ({ids}) page ON page.id = e.id ORDER BY page.sort_name, page.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), enrollment_from_row)?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// The ids of every enrollment the query matches, in list order. An index
/// walk (8 bytes a row), so a view can hold the whole list's order and mark
/// rows it never loaded. In another order than contact A to Z: the walks
/// of its pages without a limit (still index walks, never a sort).
pub fn enrollment_ids(
    conn: &Connection,
    q: &EnrollmentQuery,
    stale: &StaleCutoffs,
) -> Result<Vec<i64>> {
    if !q.sort.is_default() {
        return page_ids(conn, q, stale, None, usize::MAX);
    }
    let mut values = Vec::new();
    let ids = filtered_ids_sql(q, stale, Shape::All, &mut values);
    let sql = format!("SELECT id FROM ({ids}) AS page ORDER BY sort_name, id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| r.get(0))?;
    Ok(rows.collect::<super::db::Result<_>>()?)
}

/// How many enrollments the query matches.
pub fn enrollment_count(
    conn: &Connection,
    q: &EnrollmentQuery,
    stale: &StaleCutoffs,
) -> Result<i64> {
    let mut values = Vec::new();
    let ids = filtered_ids_sql(q, stale, Shape::All, &mut values);
    let sql = format!("SELECT count(*) FROM ({ids}) AS matching");
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt.query_row(params_from_iter(values), |r| r.get(0))?)
}

/// Full rows for the given ids, in the order given; unknown ids are left out.
pub fn enrollments_by_ids(
    conn: &Connection,
    ids: &[i64],
    stale: &StaleCutoffs,
) -> Result<Vec<EnrollmentRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql =
        format!("{ENROLLMENT_ROW} WHERE e.id IN (SELECT CAST(value AS BIGINT) FROM json_each(?3))");
    let mut stmt = conn.prepare_cached(&sql)?;
    let [enrolled_by, quiet_since] = stale_values(stale);
    let rows = stmt.query_map(
        params![enrolled_by, quiet_since, sorted_ids_json(ids)],
        enrollment_from_row,
    )?;
    let mut by_id: HashMap<i64, EnrollmentRow> = HashMap::new();
    for row in rows {
        let row = row?;
        by_id.insert(row.id, row);
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}
