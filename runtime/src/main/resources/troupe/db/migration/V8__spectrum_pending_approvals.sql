-- Requests held for an administrator's approval (issue 14, point 8): a theater's ROE may say
-- preemptionNeedsApproval, and a request that would preempt is then recorded with the status
-- PENDING_APPROVAL until it is reviewed; its row is then updated to the outcome (APPROVED, CONFLICT,
-- DENIED or REJECTED), keeping held_at. Rows of decisions never held keep the defaults.
ALTER TABLE deconfliction_decision ADD COLUMN IF NOT EXISTS would_preempt_ids TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE deconfliction_decision ADD COLUMN IF NOT EXISTS held_at TIMESTAMPTZ;
ALTER TABLE deconfliction_decision ADD COLUMN IF NOT EXISTS hold_expires_at TIMESTAMPTZ;
ALTER TABLE deconfliction_decision ADD COLUMN IF NOT EXISTS review_verdict TEXT;
ALTER TABLE deconfliction_decision ADD COLUMN IF NOT EXISTS reviewed_by TEXT;
ALTER TABLE deconfliction_decision ADD COLUMN IF NOT EXISTS review_comment TEXT;
ALTER TABLE deconfliction_decision ADD COLUMN IF NOT EXISTS reviewed_at TIMESTAMPTZ;
