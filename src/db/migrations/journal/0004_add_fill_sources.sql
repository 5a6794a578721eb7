-- Fills from every source format (issue 10): what each fill's source said about it, kept per fill.
--
-- imports.format: the source format a file was read as (`tradovate-fills`, `nt8-executions`, …; the existing
-- NinjaTrader imports were the add-on export). Legacy imports have none.
ALTER TABLE imports ADD COLUMN format TEXT;
ALTER TABLE imports ADD COLUMN zone TEXT;
UPDATE imports SET format = 'ninjatrader-addon' WHERE kind = 'ninjatrader';

-- executions:
-- - format: the source format of the fill (NULL for fills from the old app's database);
-- - fill_id: the source's own fill id (NinjaTrader ID, Tradovate Fill ID, IBKR TradeID, Sierra
--   FillExecutionServiceID); order_id already holds the source's order id;
-- - open_close: the source's own open/close flag (NinjaTrader E/X, IBKR Code, ProjectX PositionDisposition,
--   Sierra OpenClose), NULL when the source has none;
-- - derived: 'round-trip' for one side of a round-trip row (Tradovate Performance / Position History, TopstepX
--   Trades, NinjaTrader Trades grid), 'order' for an order's filled total at its average price (Tradovate Orders,
--   Rithmic, ProjectX Orders); such fills are replaced when the fill-level data of the same trades arrives;
-- - replaced_by: the import whose fills replaced this derived fill (undoing that import brings it back); a replaced
--   fill takes no part in positions;
-- - orphan: 1 when the fill is an exit with nothing open in its book (an export that starts mid-position): it is
--   paired with nothing until the earlier fills arrive;
-- - cost_*: costs by kind in cents as the source gave them (positive a cost, negative a rebate);
--   commission_cents stays the total of them (what positions add up);
-- - costs_missing: 1 when the source states no costs at all for the fill (a fee schedule may fill them in).
ALTER TABLE executions ADD COLUMN format TEXT;
ALTER TABLE executions ADD COLUMN fill_id TEXT;
ALTER TABLE executions ADD COLUMN open_close TEXT CHECK (open_close IN ('open', 'close'));
ALTER TABLE executions ADD COLUMN derived TEXT CHECK (derived IN ('round-trip', 'order'));
ALTER TABLE executions ADD COLUMN replaced_by INTEGER REFERENCES imports (id);
ALTER TABLE executions ADD COLUMN orphan INTEGER NOT NULL DEFAULT 0 CHECK (orphan IN (0, 1));
ALTER TABLE executions ADD COLUMN cost_commission INTEGER;
ALTER TABLE executions ADD COLUMN cost_exchange INTEGER;
ALTER TABLE executions ADD COLUMN cost_clearing INTEGER;
ALTER TABLE executions ADD COLUMN cost_nfa INTEGER;
ALTER TABLE executions ADD COLUMN cost_platform INTEGER;
ALTER TABLE executions ADD COLUMN cost_other INTEGER;
ALTER TABLE executions ADD COLUMN costs_missing INTEGER NOT NULL DEFAULT 0 CHECK (costs_missing IN (0, 1));

-- Existing fills: their commission is the cost of kind commission; the NinjaTrader ID was the fill id.
UPDATE executions SET cost_commission = commission_cents,
  format = (SELECT i.format FROM imports i WHERE i.id = executions.import_id),
  fill_id = CASE WHEN native_id = 1 THEN exec_key END;

-- Joining files of one session: the same order or fill seen from two reports of the source.
CREATE INDEX executions_order ON executions (account, order_id) WHERE order_id IS NOT NULL;
CREATE INDEX executions_fill ON executions (fill_id) WHERE fill_id IS NOT NULL;
-- Derived fills of a book (few), and orphan exits (fewer).
CREATE INDEX executions_derived ON executions (account, contract, time) WHERE derived IS NOT NULL;
CREATE INDEX executions_orphan ON executions (account, contract) WHERE orphan = 1;
