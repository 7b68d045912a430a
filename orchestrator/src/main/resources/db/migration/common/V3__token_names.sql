-- A token is known by its name: listed, shown as who did what, and revoked by it.
CREATE UNIQUE INDEX api_tokens_name ON api_tokens (name);
