-- Agents record their owner and whether every user may run them (issue 13). Rows projected
-- before this read as the events they came from do: owned by the administrator, and shared.
ALTER TABLE agent ADD COLUMN owner TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE agent ADD COLUMN shared BOOLEAN NOT NULL DEFAULT TRUE;
