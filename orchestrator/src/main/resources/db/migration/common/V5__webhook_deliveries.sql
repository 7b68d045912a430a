-- Webhook deliveries already handled, by the id the Git host gives each one: a replay starts nothing.
CREATE TABLE webhook_deliveries (
  delivery_id VARCHAR(200) PRIMARY KEY,
  received_at BIGINT NOT NULL
);
