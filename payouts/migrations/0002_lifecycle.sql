-- The payout lifecycle (payouts/lifecycle.py TRANSITIONS), enforced by the database too: a
-- status change the table does not allow is refused, whoever writes it (raw SQL included).
-- A test keeps this list equal to the Python table.
CREATE OR REPLACE FUNCTION payouts_payout_transition_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (OLD.status, NEW.status) IN (VALUES
        ('awaiting_approval', 'canceled'),
        ('awaiting_approval', 'scheduled'),
        ('in_review', 'awaiting_approval'),
        ('in_review', 'canceled'),
        ('in_review', 'rejected'),
        ('in_review', 'scheduled'),
        ('paid', 'returned'),
        ('pending', 'awaiting_approval'),
        ('pending', 'canceled'),
        ('pending', 'in_review'),
        ('pending', 'scheduled'),
        ('processing', 'failed'),
        ('processing', 'paid'),
        ('scheduled', 'canceled'),
        ('scheduled', 'failed'),
        ('scheduled', 'processing')
    ) THEN
        RAISE EXCEPTION 'payout % cannot move from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER payouts_payout_transition_guard
    BEFORE UPDATE OF status ON payouts_payout
    FOR EACH ROW EXECUTE FUNCTION payouts_payout_transition_guard();


-- Transitions are a record: append-only.
CREATE OR REPLACE FUNCTION payouts_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER payouts_transition_append_only
    BEFORE UPDATE OR DELETE ON payouts_payouttransition
    FOR EACH ROW EXECUTE FUNCTION payouts_append_only();
