-- Tells every API process when an agent token stops being valid (replaced by a new registration, or the agent row
-- deleted with its asset), so that processes may cache token lookups for minutes instead of seconds.
CREATE OR REPLACE FUNCTION vigil_agent_token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('vigil_agent_tokens', OLD.asset_id::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER agents_token_changed
  AFTER UPDATE OF token_hash OR DELETE ON agents
  FOR EACH ROW EXECUTE FUNCTION vigil_agent_token_changed();
