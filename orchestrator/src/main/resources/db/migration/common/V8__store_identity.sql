-- One row: this store's identity, so orchestrators can tell whether they share a store.
CREATE TABLE store_identity (
  id VARCHAR(64) PRIMARY KEY,
  created_at BIGINT NOT NULL
);
