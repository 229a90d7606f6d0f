-- Sessions that wait for people (conversations between turns, tool calls awaiting approval).
-- wake_at: when a waiting session ends its wait by itself (an idle conversation closes, an
-- approval times out); the session reviver wakes the due ones, which are out of memory by then.
-- The pending_* columns describe the tool call a session awaits a decision on, for the list of
-- approvals (GET /api/v1/approvals); they are cleared when it is decided.
ALTER TABLE agent_session ADD COLUMN IF NOT EXISTS wake_at TIMESTAMPTZ;
ALTER TABLE agent_session ADD COLUMN IF NOT EXISTS turns INTEGER NOT NULL DEFAULT 1;
ALTER TABLE agent_session ADD COLUMN IF NOT EXISTS pending_call_id TEXT;
ALTER TABLE agent_session ADD COLUMN IF NOT EXISTS pending_tool TEXT;
ALTER TABLE agent_session ADD COLUMN IF NOT EXISTS pending_arguments TEXT;
ALTER TABLE agent_session ADD COLUMN IF NOT EXISTS approval_requested_at TIMESTAMPTZ;
CREATE INDEX IF NOT EXISTS agent_session_waiting_idx ON agent_session (wake_at)
  WHERE status IN ('WAITING_FOR_INPUT', 'AWAITING_APPROVAL');
CREATE INDEX IF NOT EXISTS agent_session_approval_idx ON agent_session (session_id)
  WHERE status = 'AWAITING_APPROVAL';

-- What an audit line cannot say in its route and path: a decision's approve or reject and its comment.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS detail TEXT;
