-- Every projection instance polls the read journal for its tag's events past its offset
-- (eventsByTag: event_tag joined to event_journal, tag = ? and ordering in (offset, max]).
-- event_tag's primary key leads with event_id, so for a tag with no new events PostgreSQL had
-- either to scan event_tag or to walk the journal's ordering window row by row: work that grows
-- with the journal, repeated every refresh-interval by every idle instance. With the tag first,
-- an idle tag costs one index probe. This index pays off with custom plans only (a generic plan
-- merges from the tag's first row): the journal's connections plan each statement with its
-- parameters (prepareThreshold = 0 in persistence.conf). Measured in BENCHMARKS.md (issue 12).
-- IF NOT EXISTS: an operator who added the same index by hand does not block the upgrade.
CREATE INDEX IF NOT EXISTS event_tag_tag_idx ON event_tag (tag, event_id);
