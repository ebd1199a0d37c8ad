-- The ledger's invariants (DESIGN.md section 2), enforced by PostgreSQL itself so that raw SQL
-- cannot break them either. Every error names the invariant it protects.

-- Invariant 3 (a posting's book and currency are its account's, its book and effective date its
-- entry's) and the foreign keys of entries and postings are checked by the statement triggers
-- below, once per statement: per-row foreign-key checks cost more than the rest of a batch.

-- Every posting updates its account's row: leave room on each page for those updates to stay on
-- the page (HOT) and be pruned there.
ALTER TABLE ledger_account SET (fillfactor = 50);

-- A shard has its parent's book and currency.
ALTER TABLE ledger_account
    ADD CONSTRAINT ledger_account_shard_of_parent FOREIGN KEY (parent_id, book_id, currency)
        REFERENCES ledger_account (id, book_id, currency);

-- +1 for debit-normal account types, -1 for credit-normal ones: the one place in SQL where a
-- balance gets its sign (ledger.money.normal_sign is the Python twin).
CREATE FUNCTION ledger_normal_sign(account_type text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN account_type IN ('asset', 'expense') THEN 1 ELSE -1 END
$$;

-- Invariant 2: entries and postings are append-only.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger invariant: % on % is refused; the ledger is append-only, post a reversal instead',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Invariant 4 (guard side): an account starts empty; its balance, version and last posting time
-- move only from the posting trigger; its identity (book, code, currency, type) never changes;
-- accounts are never deleted.
CREATE FUNCTION ledger_account_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger invariant: account % cannot be deleted', OLD.id
            USING ERRCODE = 'restrict_violation';
    ELSIF TG_OP = 'INSERT' THEN
        IF NEW.balance_minor <> 0 OR NEW.version <> 0 OR NEW.last_posted_at IS NOT NULL THEN
            RAISE EXCEPTION 'ledger invariant: account % must open with balance 0 and version 0', NEW.code
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.book_id <> OLD.book_id OR NEW.code <> OLD.code OR NEW.currency <> OLD.currency
            OR NEW.type <> OLD.type OR NEW.parent_id IS DISTINCT FROM OLD.parent_id
            OR NEW.shard_count <> OLD.shard_count THEN
        RAISE EXCEPTION 'ledger invariant: the book, code, currency, type and shards of account % never change', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    -- pg_trigger_depth() is 1 for a direct UPDATE and 2 when the posting trigger moves the balance.
    IF pg_trigger_depth() < 2 AND (NEW.balance_minor <> OLD.balance_minor OR NEW.version <> OLD.version
            OR NEW.last_posted_at IS DISTINCT FROM OLD.last_posted_at) THEN
        RAISE EXCEPTION 'ledger invariant: the balance of account % moves only by posting', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER ledger_account_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_account
    FOR EACH ROW EXECUTE FUNCTION ledger_account_guard();

-- Invariant 7 (guard side): a closed period never reopens; books are never deleted.
CREATE FUNCTION ledger_book_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger invariant: book % cannot be deleted', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.code <> OLD.code THEN
        RAISE EXCEPTION 'ledger invariant: the code of book % never changes', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.closed_through IS NOT NULL
            AND (NEW.closed_through IS NULL OR NEW.closed_through < OLD.closed_through) THEN
        RAISE EXCEPTION 'ledger invariant: book % is closed through %; a closed period never reopens',
            OLD.id, OLD.closed_through
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER ledger_book_guard BEFORE UPDATE OR DELETE ON ledger_book
    FOR EACH ROW EXECUTE FUNCTION ledger_book_guard();

-- Invariant 7: no entry in a closed period. The book row is share-locked so that closing a period
-- waits for every entry in flight. Also: a reversal stays in its original's book.
CREATE FUNCTION ledger_entries_check() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    bad record;
BEGIN
    -- Every book exists (this is the entry's foreign key, checked once per statement), and is
    -- share-locked so that closing a period waits for this entry.
    SELECT n.book_id INTO bad
      FROM (SELECT DISTINCT book_id FROM new_entries) n
     WHERE NOT EXISTS (SELECT 1 FROM ledger_book b WHERE b.id = n.book_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger invariant: book % does not exist', bad.book_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM ledger_book b
     WHERE b.id IN (SELECT DISTINCT n.book_id FROM new_entries n)
     ORDER BY b.id
       FOR SHARE;
    SELECT n.id, n.effective_date, b.closed_through INTO bad
      FROM new_entries n JOIN ledger_book b ON b.id = n.book_id
     WHERE b.closed_through IS NOT NULL AND n.effective_date <= b.closed_through
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger invariant: entry % is dated %, in a period closed through %',
            bad.id, bad.effective_date, bad.closed_through
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT n.id, n.reverses_id INTO bad
      FROM new_entries n
     WHERE n.reverses_id IS NOT NULL
       AND (SELECT o.book_id FROM ledger_entry o WHERE o.id = n.reverses_id)
           IS DISTINCT FROM n.book_id
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger invariant: reversal % does not reverse an entry of its own book (%)',
            bad.id, bad.reverses_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_entries_check AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_check();

-- Invariants 4 and 5: every posting moves its account's stored balance and version in the same
-- statement, under the account's row lock; each posting's running balance and version are the
-- account's after that posting; no running balance goes below the account's floor. An entry
-- never gains postings beyond its declared line count, and a posting's book and effective date are
-- its entry's. One set-based pass per statement keeps batch posting fast. A stale running balance
-- raises SQLSTATE LD001, which the posting service retries.
-- The trigger looks up a statement's new rows (few, or a batch) in whole tables by key. Its plans
-- are cached per session and statistics can be stale (a table analysed while empty), so
-- sequential scans are ruled out and lookups are written as per-row probes of an index.
CREATE FUNCTION ledger_postings_apply() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    bad record;
BEGIN
    WITH per_account AS (
        SELECT account_id,
               sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) AS debit_net,
               count(*) AS n,
               max(recorded_at) AS last_at
          FROM new_postings
         GROUP BY account_id
    ), moved AS (
        UPDATE ledger_account a
           SET balance_minor = a.balance_minor + ledger_normal_sign(a.type) * p.debit_net,
               version = a.version + p.n,
               last_posted_at = greatest(a.last_posted_at, p.last_at)
          FROM per_account p
         WHERE a.id = p.account_id
           AND a.id = ANY (ARRAY(SELECT account_id FROM per_account))  -- probe by key
        RETURNING a.id, a.type, a.book_id, a.currency, a.floor_minor,
                  a.balance_minor AS new_balance, a.version AS new_version,
                  ledger_normal_sign(a.type) * p.debit_net AS delta, p.n
    ), expected AS (
        SELECT r.id, r.account_id, r.version_after, r.balance_after_minor, m.floor_minor,
               m.id IS NULL AS no_account,
               r.book_id IS DISTINCT FROM m.book_id OR r.currency IS DISTINCT FROM m.currency
                   AS other_book_or_currency,
               m.new_version - m.n + row_number() OVER w AS want_version,
               m.new_balance - m.delta + sum(ledger_normal_sign(m.type)
                   * CASE WHEN r.direction = 'D' THEN r.amount_minor ELSE -r.amount_minor END) OVER w
                   AS want_balance
          FROM new_postings r LEFT JOIN moved m ON m.id = r.account_id
        WINDOW w AS (PARTITION BY r.account_id ORDER BY r.version_after
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
    SELECT * INTO bad
      FROM expected e
     WHERE e.no_account OR e.other_book_or_currency
        OR e.version_after <> e.want_version
        OR e.balance_after_minor <> e.want_balance
        OR (e.floor_minor IS NOT NULL AND e.want_balance < e.floor_minor)
     ORDER BY e.no_account DESC, e.other_book_or_currency DESC,
              (e.floor_minor IS NOT NULL AND e.want_balance < e.floor_minor) DESC
     LIMIT 1;
    IF FOUND THEN
        IF bad.no_account THEN
            RAISE EXCEPTION 'ledger invariant: posting % refers to account %, which does not exist',
                bad.id, bad.account_id
                USING ERRCODE = 'foreign_key_violation';
        ELSIF bad.other_book_or_currency THEN
            RAISE EXCEPTION 'ledger invariant: posting % is not in the book and currency of its account %',
                bad.id, bad.account_id
                USING ERRCODE = 'check_violation';
        ELSIF bad.floor_minor IS NOT NULL AND bad.want_balance < bad.floor_minor THEN
            RAISE EXCEPTION 'ledger invariant: posting % would take account % to %, below its floor %',
                bad.id, bad.account_id, bad.want_balance, bad.floor_minor
                USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION 'ledger invariant: posting % on account % records balance % version %, but the account is at balance % version %',
            bad.id, bad.account_id, bad.balance_after_minor, bad.version_after, bad.want_balance, bad.want_version
            USING ERRCODE = 'LD001';
    END IF;

    -- One index lookup of the entry and one count of its postings per entry, whatever the
    -- planner thinks of the sizes.
    SELECT * INTO bad
      FROM (SELECT n.entry_id, x.line_count, x.same_book_and_date,
                   (SELECT count(*) FROM ledger_posting p WHERE p.entry_id = n.entry_id) AS lines
              FROM (SELECT DISTINCT entry_id, book_id, effective_date FROM new_postings) n
              LEFT JOIN LATERAL (
                    SELECT e.line_count,
                           e.book_id = n.book_id AND e.effective_date = n.effective_date
                               AS same_book_and_date
                      FROM ledger_entry e WHERE e.id = n.entry_id OFFSET 0) x ON true) c
     WHERE c.line_count IS NULL OR NOT c.same_book_and_date OR c.lines > c.line_count
     LIMIT 1;
    IF FOUND THEN
        IF bad.line_count IS NULL THEN
            RAISE EXCEPTION 'ledger invariant: posting refers to entry %, which does not exist', bad.entry_id
                USING ERRCODE = 'foreign_key_violation';
        ELSIF NOT bad.same_book_and_date THEN
            RAISE EXCEPTION 'ledger invariant: a posting of entry % is not in its entry''s book and effective date', bad.entry_id
                USING ERRCODE = 'check_violation';
        END IF;
        RAISE EXCEPTION 'ledger invariant: entry % declares % lines and is complete; postings cannot be added to it',
            bad.entry_id, bad.line_count
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER ledger_postings_apply AFTER INSERT ON ledger_posting
    REFERENCING NEW TABLE AS new_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_apply();

-- Invariant 1 (and 8 by construction): at commit, each new entry has exactly its declared lines
-- and balances per currency.
CREATE FUNCTION ledger_entry_check_balanced() RETURNS trigger
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
    lines bigint;
    unbalanced text;
BEGIN
    SELECT coalesce(sum(s.n), 0),
           string_agg(s.currency || ' off by ' || s.net, ', ') FILTER (WHERE s.net <> 0)
      INTO lines, unbalanced
      FROM (SELECT p.currency, count(*) AS n,
                   sum(CASE WHEN p.direction = 'D' THEN p.amount_minor ELSE -p.amount_minor END) AS net
              FROM ledger_posting p
             WHERE p.entry_id = NEW.id
             GROUP BY p.currency) s;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger invariant: entry % does not balance (debits minus credits: %)', NEW.id, unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    IF lines <> NEW.line_count THEN
        RAISE EXCEPTION 'ledger invariant: entry % declares % lines but has %', NEW.id, NEW.line_count, lines
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_check_balanced();
