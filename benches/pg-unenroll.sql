-- Where a bulk unenroll of 100,000 spends its time on PostgreSQL, statement
-- by statement, and what the one `UPDATE` would cost on a narrow table (2)
-- and as a heap-only update that writes no index entry (3); then the least
-- any unenroll can cost here: read, end, audit and count in one statement,
-- on the table as it is and on the narrow table (4).
-- Everything runs in transactions that are rolled back: the database ends
-- as it began (it needs a role that may create tables).
--
--   psql postgres://USER@127.0.0.1:PORT/m1 -f benches/pg-unenroll.sql
--
-- The statements are those of `Workspace::unenroll` on PostgreSQL (see
-- `store::ending` and `queries::enrollment_keys`), with the 100,000 targets
-- the stores bench picks: the first open enrollments of the largest
-- sequence, in list order. Figures and what they mean: BENCHMARKS.md,
-- "Session 10: where the PostgreSQL unenroll's time goes", "Session 12: the
-- floor of a heap-only end" and "Session 13: the floor of one statement".

\timing on
\pset pager off

-- The targets, as a JSON array (what the domain sends).
SELECT sequence_id AS largest FROM enrollments WHERE status IN ('active', 'paused')
 GROUP BY sequence_id ORDER BY count(*) DESC LIMIT 1 \gset
SELECT json_agg(id ORDER BY id)::text AS ids FROM (
  SELECT id FROM enrollments WHERE sequence_id = :largest AND status IN ('active', 'paused')
  ORDER BY sort_name, id LIMIT 100000) t \gset
-- The same targets as an array literal, for section 4's `unnest`.
SELECT '{' || string_agg(value, ',') || '}' AS id_array FROM json_array_elements_text(:'ids'::json) \gset

\echo '== 1. the statements of the unenroll, on enrollments as it is'
BEGIN;
\echo '-- reading the targets (queries::enrollment_keys)'
EXPLAIN (ANALYZE, BUFFERS)
SELECT e.id, e.sequence_id, e.status, e.end_reason, e.enrolled_by, c.owner_id, e.current_step
  FROM enrollments e JOIN contacts c ON c.id = e.contact_id
 WHERE e.id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(:'ids'::json) AS json_each(value));
\echo '-- staging them (ending::stage_keys)'
CREATE TEMP TABLE batch_ids(id BIGINT PRIMARY KEY, before_status TEXT NOT NULL, before_step BIGINT NOT NULL)
  ON COMMIT DROP;
INSERT INTO batch_ids
SELECT e.id, e.status, e.current_step FROM enrollments e
 WHERE e.id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(:'ids'::json) AS json_each(value));
\echo '-- what it cancels (ending::staged_cancellations)'
EXPLAIN (ANALYZE, BUFFERS)
SELECT coalesce(sum(CASE WHEN kind = 'auto_email' THEN 1 ELSE 0 END), 0), count(*) FROM scheduled_steps
 WHERE state = 'scheduled' AND enrollment_id IN (SELECT id FROM batch_ids);
SELECT coalesce(max(id), 0) + 1 AS audit_id FROM audit \gset
INSERT INTO audit(id, at, actor_id, action, reason, detail, count)
VALUES (:audit_id, '2026-11-27T09:00:00Z', (SELECT min(id) FROM users), 'unenroll', 'campaign_ended', 'bench', 100000);
\echo '-- the end (ending::end_staged)'
EXPLAIN (ANALYZE, BUFFERS, WAL)
UPDATE enrollments SET status = 'unenrolled', ended_at = '2026-11-27T09:00:00Z', end_reason = 'campaign_ended',
       ended_by = (SELECT min(id) FROM users), note = NULL, batch = 'B' || :audit_id, next_due = NULL
 WHERE id IN (SELECT id FROM batch_ids);
\echo '-- the audit rows (ending::audit_staged)'
EXPLAIN (ANALYZE, BUFFERS, WAL)
INSERT INTO audit_enrollments(audit_id, enrollment_id, before_status, before_step)
SELECT :audit_id, id, before_status, before_step FROM batch_ids;
ROLLBACK;

\echo '== 2. the same end on a narrow table: the status and the end alone, with the primary key, R1''s index and a status index'
BEGIN;
CREATE TABLE bench_narrow AS
SELECT id, contact_id, sequence_id, status, ended_at, end_reason, ended_by, note, batch FROM enrollments ORDER BY id;
ALTER TABLE bench_narrow ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX bench_narrow_one_open ON bench_narrow (contact_id) WHERE status IN ('active', 'paused');
CREATE INDEX bench_narrow_status ON bench_narrow (sequence_id, status, id);
ANALYZE bench_narrow;
CREATE TEMP TABLE batch_ids(id BIGINT PRIMARY KEY) ON COMMIT DROP;
INSERT INTO batch_ids SELECT CAST(value AS BIGINT) FROM json_array_elements_text(:'ids'::json) AS json_each(value);
ANALYZE batch_ids;
EXPLAIN (ANALYZE, BUFFERS, WAL)
UPDATE bench_narrow SET status = 'unenrolled', ended_at = '2026-11-27T09:00:00Z', end_reason = 'campaign_ended',
       ended_by = 1, note = NULL, batch = 'B0'
 WHERE id IN (SELECT id FROM batch_ids);
ROLLBACK;

\echo '== 3. the same end as a heap-only (HOT) update: a copy of enrollments with room left in each page'
\echo '   (fillfactor 85) and no index on a column an end changes: not the status page, not R1''s partial'
\echo '   index (which would move to a table of open enrollments, whose row an end deletes), not next_due''s'
BEGIN;
CREATE TABLE bench_hot (LIKE enrollments INCLUDING DEFAULTS) WITH (fillfactor = 85);
INSERT INTO bench_hot SELECT * FROM enrollments ORDER BY id;
ALTER TABLE bench_hot ADD PRIMARY KEY (id);
CREATE INDEX ON bench_hot (contact_id);
CREATE INDEX ON bench_hot (sequence_id, sort_name COLLATE "C", id);
CREATE INDEX ON bench_hot (sort_name COLLATE "C", id, sequence_id, enrolled_at);
CREATE INDEX ON bench_hot (enrolled_by);
CREATE UNIQUE INDEX ON bench_hot (unsubscribe_token) WHERE unsubscribe_token IS NOT NULL;
CREATE INDEX ON bench_hot (sequence_id, current_step, id);
CREATE INDEX ON bench_hot (current_step, id, sequence_id);
CREATE INDEX ON bench_hot (sequence_id, last_engagement COLLATE "C", id) WHERE last_engagement IS NOT NULL;
CREATE INDEX ON bench_hot (last_engagement COLLATE "C", id, sequence_id) WHERE last_engagement IS NOT NULL;
CREATE INDEX ON bench_hot (sequence_id, enrolled_at COLLATE "C", id);
CREATE INDEX ON bench_hot (enrolled_at COLLATE "C", id, sequence_id);
-- R1 as a table: one row per open enrollment, the contact its key.
CREATE TABLE bench_open (contact_id BIGINT PRIMARY KEY, enrollment_id BIGINT NOT NULL UNIQUE);
INSERT INTO bench_open SELECT contact_id, id FROM enrollments WHERE status IN ('active', 'paused');
ANALYZE bench_hot;
ANALYZE bench_open;
CREATE TEMP TABLE batch_ids(id BIGINT PRIMARY KEY) ON COMMIT DROP;
INSERT INTO batch_ids SELECT CAST(value AS BIGINT) FROM json_array_elements_text(:'ids'::json) AS json_each(value);
ANALYZE batch_ids;
CHECKPOINT;
EXPLAIN (ANALYZE, BUFFERS, WAL)
UPDATE bench_hot SET status = 'unenrolled', ended_at = '2026-11-27T09:00:00Z', end_reason = 'campaign_ended',
       ended_by = 1, note = NULL, batch = 'B0'
 WHERE id IN (SELECT id FROM batch_ids);
SELECT n_tup_upd AS updated, n_tup_hot_upd AS heap_only FROM pg_stat_xact_user_tables WHERE relname = 'bench_hot';
EXPLAIN (ANALYZE, BUFFERS, WAL)
DELETE FROM bench_open WHERE enrollment_id IN (SELECT id FROM batch_ids);
ROLLBACK;

\echo '== 4. the least an unenroll can cost: the targets read, ended, audited and their steps counted in'
\echo '   one statement, with no round trip between (writers already queue on an advisory lock, so no'
\echo '   FOR UPDATE): on enrollments as it is (4a), and on section 2''s narrow table (4b)'
\echo '-- 4a. enrollments as it is'
BEGIN;
SELECT coalesce(max(id), 0) + 1 AS audit_id FROM audit \gset
INSERT INTO audit(id, at, actor_id, action, reason, detail, count)
VALUES (:audit_id, '2026-11-27T09:00:00Z', (SELECT min(id) FROM users), 'unenroll', 'campaign_ended', 'bench', 100000);
CHECKPOINT;
EXPLAIN (ANALYZE, BUFFERS, WAL)
WITH ok AS (
  SELECT e.id, e.status, e.current_step, e.sequence_id, e.enrolled_by, c.owner_id
    FROM unnest(:'id_array'::bigint[]) AS i(id) JOIN enrollments e ON e.id = i.id JOIN contacts c ON c.id = e.contact_id
   WHERE e.status IN ('active', 'paused')),
upd AS (UPDATE enrollments e SET status = 'unenrolled', ended_at = '2026-11-27T09:00:00Z', end_reason = 'campaign_ended',
       ended_by = (SELECT min(id) FROM users), note = NULL, batch = 'B' || :audit_id, next_due = NULL
        FROM ok WHERE e.id = ok.id RETURNING e.id),
aud AS (INSERT INTO audit_enrollments(audit_id, enrollment_id, before_status, before_step)
        SELECT :audit_id, id, status, current_step FROM ok RETURNING 1),
cn AS (SELECT count(*) AS steps, coalesce(sum(CASE WHEN kind = 'auto_email' THEN 1 ELSE 0 END), 0) AS emails
         FROM scheduled_steps s JOIN ok ON s.enrollment_id = ok.id WHERE s.state = 'scheduled')
SELECT (SELECT count(*) FROM upd) AS ended, (SELECT count(*) FROM aud) AS audited, cn.* FROM cn;
ROLLBACK;
\echo '-- 4b. the narrow table: the status and the end alone, with the primary key, R1''s index and a status index'
BEGIN;
CREATE TABLE bench_narrow AS
SELECT id, contact_id, sequence_id, status, current_step, enrolled_by, ended_at, end_reason, ended_by, note, batch
  FROM enrollments ORDER BY id;
ALTER TABLE bench_narrow ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX bench_narrow_one_open ON bench_narrow (contact_id) WHERE status IN ('active', 'paused');
CREATE INDEX bench_narrow_status ON bench_narrow (sequence_id, status, id);
ANALYZE bench_narrow;
SELECT coalesce(max(id), 0) + 1 AS audit_id FROM audit \gset
INSERT INTO audit(id, at, actor_id, action, reason, detail, count)
VALUES (:audit_id, '2026-11-27T09:00:00Z', (SELECT min(id) FROM users), 'unenroll', 'campaign_ended', 'bench', 100000);
CHECKPOINT;
EXPLAIN (ANALYZE, BUFFERS, WAL)
WITH ok AS (
  SELECT e.id, e.status, e.current_step, e.sequence_id, e.enrolled_by, c.owner_id
    FROM unnest(:'id_array'::bigint[]) AS i(id) JOIN bench_narrow e ON e.id = i.id JOIN contacts c ON c.id = e.contact_id
   WHERE e.status IN ('active', 'paused')),
upd AS (UPDATE bench_narrow e SET status = 'unenrolled', ended_at = '2026-11-27T09:00:00Z', end_reason = 'campaign_ended',
       ended_by = (SELECT min(id) FROM users), note = NULL, batch = 'B' || :audit_id
        FROM ok WHERE e.id = ok.id RETURNING e.id),
aud AS (INSERT INTO audit_enrollments(audit_id, enrollment_id, before_status, before_step)
        SELECT :audit_id, id, status, current_step FROM ok RETURNING 1),
cn AS (SELECT count(*) AS steps, coalesce(sum(CASE WHEN kind = 'auto_email' THEN 1 ELSE 0 END), 0) AS emails
         FROM scheduled_steps s JOIN ok ON s.enrollment_id = ok.id WHERE s.state = 'scheduled')
SELECT (SELECT count(*) FROM upd) AS ended, (SELECT count(*) FROM aud) AS audited, cn.* FROM cn;
ROLLBACK;
