-- ledger_post_entries, with named result columns (ledger.services.posting reads them by name).
--
-- p_entries and p_lines are JSON arrays of rows: entries [ordinal, book_id, kind, memo,
-- effective_date, key, metadata, refs, reverses_id, line_count] and lines [ordinal, line_no,
-- account_id, direction, amount_minor]; p_account_ids lists the accounts touched.
-- Locks the accounts in ascending id order (and share-locks their books), skips keys already
-- stored, computes running balances from the locked rows, and inserts everything unless a floor
-- or a closed period forbids it; then it returns the first problem instead. Each row is one of
--   row_kind 'entry':   entry_id, book_id, idempotency_key, recorded_at;
--   row_kind 'posting': posting_id, entry_id, account_id, balance_after_minor, version_after,
--                       currency;
--   row_kind 'problem': ordinal (of the entry in p_entries), account_id, balance_after_minor,
--                       balance_before_minor, floor_minor, problem ('below_floor' or
--                       'period_closed'), closed_through;
-- the other columns are NULL.
--
-- A function, so that its plan can rule out sequential scans: every lookup here is by key, and a
-- plan cached while the tables were small must not scan them once they are large.
-- The result type changes, so the function is dropped and created (CREATE OR REPLACE cannot).
DROP FUNCTION ledger_post_entries(jsonb, jsonb, bigint[]);

CREATE FUNCTION ledger_post_entries(p_entries jsonb, p_lines jsonb, p_account_ids bigint[])
RETURNS TABLE (row_kind text, entry_id bigint, book_id bigint, idempotency_key text,
               recorded_at timestamptz, posting_id bigint, account_id bigint,
               balance_after_minor bigint, version_after bigint, currency text, ordinal integer,
               balance_before_minor bigint, floor_minor bigint, problem text,
               closed_through date)
LANGUAGE plpgsql SET enable_seqscan = off AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH entries AS MATERIALIZED (
        SELECT (r->>0)::int AS ord, (r->>1)::bigint AS book_id, r->>2 AS kind, r->>3 AS memo,
               (r->>4)::date AS effective_date, r->>5 AS key, r->6 AS metadata, r->7 AS refs,
               (r->>8)::bigint AS reverses_id, (r->>9)::int AS line_count
          FROM jsonb_array_elements(p_entries) AS r
    ), lines AS MATERIALIZED (
        SELECT (r->>0)::int AS ord, (r->>1)::int AS line_no, (r->>2)::bigint AS account_id,
               r->>3 AS direction, (r->>4)::bigint AS amount_minor
          FROM jsonb_array_elements(p_lines) AS r
    ), locked AS MATERIALIZED (
        SELECT a.id, a.type, a.currency, a.floor_minor, a.balance_minor, a.version, b.closed_through
          FROM ledger_account a JOIN ledger_book b ON b.id = a.book_id
         WHERE a.id = ANY(p_account_ids)
         ORDER BY a.id
           FOR NO KEY UPDATE OF a FOR SHARE OF b
    ), existing AS MATERIALIZED (
        -- A subquery per entry, not a join: always one index probe per key, even in a plan
        -- cached while the table looked empty.
        SELECT en.ord
          FROM entries en
         WHERE (SELECT x.id FROM ledger_entry x
                 WHERE x.book_id = en.book_id AND x.idempotency_key = en.key) IS NOT NULL
    ), calc AS MATERIALIZED (
        SELECT l.ord, l.line_no, l.account_id, l.direction, l.amount_minor, k.currency,
               k.floor_minor, k.closed_through, en.effective_date, en.book_id, en.key,
               ledger_normal_sign(k.type) * CASE WHEN l.direction = 'D'
                   THEN l.amount_minor ELSE -l.amount_minor END AS delta,
               k.balance_minor + sum(ledger_normal_sign(k.type) * CASE WHEN l.direction = 'D'
                   THEN l.amount_minor ELSE -l.amount_minor END) OVER w AS balance_after,
               k.version + row_number() OVER w AS version_after
          FROM lines l
          JOIN entries en ON en.ord = l.ord
          JOIN locked k ON k.id = l.account_id
         WHERE l.ord NOT IN (SELECT ord FROM existing)
        WINDOW w AS (PARTITION BY l.account_id ORDER BY l.ord, l.line_no
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ), problem AS MATERIALIZED (
        SELECT c.ord, c.account_id, c.balance_after, c.floor_minor, c.closed_through,
               CASE WHEN c.closed_through IS NOT NULL AND c.effective_date <= c.closed_through
                    THEN 'period_closed' ELSE 'below_floor' END AS code,
               c.balance_after - c.delta AS balance_before
          FROM calc c
         WHERE (c.closed_through IS NOT NULL AND c.effective_date <= c.closed_through)
            OR (c.floor_minor IS NOT NULL AND c.balance_after < c.floor_minor)
         ORDER BY c.ord, c.line_no
         LIMIT 1
    ), e AS (
        INSERT INTO ledger_entry
            (book_id, kind, memo, effective_date, idempotency_key, metadata, refs, reverses_id,
             line_count)
        SELECT en.book_id, en.kind, en.memo, en.effective_date, en.key, en.metadata, en.refs,
               en.reverses_id, en.line_count
          FROM entries en
         WHERE en.ord NOT IN (SELECT ord FROM existing)
           AND NOT EXISTS (SELECT 1 FROM problem)
         ORDER BY en.ord
        ON CONFLICT (book_id, idempotency_key) DO NOTHING
        RETURNING id, book_id, idempotency_key, recorded_at
    ), p AS (
        INSERT INTO ledger_posting
            (entry_id, account_id, book_id, currency, effective_date, direction, amount_minor,
             balance_after_minor, version_after)
        SELECT e.id, c.account_id, c.book_id, c.currency, c.effective_date, c.direction,
               c.amount_minor, c.balance_after, c.version_after
          FROM calc c JOIN e ON e.book_id = c.book_id AND e.idempotency_key = c.key
         ORDER BY c.ord, c.line_no  -- postings take their ids in line order
        RETURNING id, entry_id, account_id, balance_after_minor, version_after, currency
    )
    SELECT 'entry'::text, e.id, e.book_id, e.idempotency_key::text, e.recorded_at,
           NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::integer,
           NULL::bigint, NULL::bigint, NULL::text, NULL::date
      FROM e
    UNION ALL
    SELECT 'posting'::text, p.entry_id, NULL::bigint, NULL::text, NULL::timestamptz,
           p.id, p.account_id, p.balance_after_minor, p.version_after, p.currency::text,
           NULL::integer, NULL::bigint, NULL::bigint, NULL::text, NULL::date
      FROM p
    UNION ALL
    SELECT 'problem'::text, NULL::bigint, NULL::bigint, NULL::text, NULL::timestamptz,
           NULL::bigint, x.account_id, x.balance_after::bigint, NULL::bigint, NULL::text,
           x.ord, x.balance_before::bigint, x.floor_minor, x.code, x.closed_through
      FROM problem x;
END
$$;
