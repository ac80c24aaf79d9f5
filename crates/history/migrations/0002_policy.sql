-- gonogo history, schema version 2: the SHA-256 of the policy each run was judged under, so
-- `--baseline last|last-go` only picks a run judged under the same policy. A GO under a laxer
-- policy (a dry run with another gonogo.toml, say) says nothing about this policy's gates.
-- Runs recorded before version 2 have none and are never picked by `last` or `last-go`.
ALTER TABLE runs ADD COLUMN policy_sha256 TEXT;
CREATE INDEX runs_by_policy ON runs (service, env, policy_sha256, decision, evaluated_us, seq);
