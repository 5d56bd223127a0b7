-- Payment history and the payments report (store/payment-queries.ts) read the ledger per shop: newest first by seq
-- (keyset pagination) and by a created_at range (days in the shop's time zone). Without these, both scan the ledger.
CREATE INDEX ledger_entries_shop_seq_idx ON ledger_entries (shop_id, seq);
CREATE INDEX ledger_entries_shop_created_idx ON ledger_entries (shop_id, created_at);
