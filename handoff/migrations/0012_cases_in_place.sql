-- A case moves a dozen times in its life, and each move rewrote the whole row
-- (about 1.5 kB) with a new entry in all six of its indexes, because state was a key
-- of two of them. Those two, (origin, state) and (destination, state), served the
-- case lists badly anyway: every list shows the newest cases first, and a hall's
-- database holds little but its own cases, so a list read every row of the hall and
-- sorted them.
--
-- The lists now walk an index on intake time from the newest end and stop at their
-- limit. Lists of cases still in progress walk a second, partial one that holds only
-- open cases, a flag that changes once in a case's life (closed or withdrawn). No
-- index names state any more, so a move changes no indexed column, and with room on
-- the page PostgreSQL updates the row in place (a heap-only tuple) without touching
-- any index. Half of each page is left for those new versions.
ALTER TABLE cases SET (fillfactor = 50);
ALTER TABLE cases ADD COLUMN open boolean NOT NULL
    GENERATED ALWAYS AS (state NOT IN ('closed', 'withdrawn')) STORED;
DROP INDEX cases_origin_state;
DROP INDEX cases_destination_state;
CREATE INDEX cases_newest ON cases (intake_at, id);
CREATE INDEX cases_newest_open ON cases (intake_at, id) WHERE open;
