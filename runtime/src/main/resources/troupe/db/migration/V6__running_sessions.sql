-- The running sessions, for the node that brings back those whose entity is gone (SessionReviver):
-- sessions are no longer remembered entities (a journal write on every start and stop), so after
-- a restart, a node's crash or an entity's crash they are found here. Partial: finished sessions,
-- nearly all rows, are not in it, and a sweep reads only what runs.
CREATE INDEX IF NOT EXISTS agent_session_running_idx ON agent_session (session_id) WHERE status = 'RUNNING';
