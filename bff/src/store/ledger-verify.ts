import { GENESIS_HASH, ledgerEntryHash } from '../domain/ledger-hash';
import type { Db } from './db';
import { hashInputOf, LedgerRepository, type LedgerKind, type LedgerTotals } from './ledger';

/**
 * Walks the whole ledger in chain order (DESIGN.md §8): recomputes every hash, checks each `prev_hash` link and that
 * `seq` runs 1, 2, 3, … without a gap, and recomputes the balances. Reads only; `npm run ledger:verify` prints it.
 */

export type LedgerBreakType = 'seq_gap' | 'prev_hash' | 'hash' | 'negative_net_paid' | 'negative_suspense' | 'over_released';

export interface LedgerBreak {
  type: LedgerBreakType;
  /** The row at which the break shows. */
  seq: number;
  workOrderId?: number;
  currency?: string;
  message: string;
}

export interface LedgerVerifyResult {
  ok: boolean;
  rows: number;
  head: { seq: number; hash: string } | null;
  /** Lowest seq of any break (chain or balance), null when none. */
  firstBrokenSeq: number | null;
  /** The first `maxBreaks` breaks in seq order (chain breaks cascade; the first is what matters). */
  breaks: LedgerBreak[];
  /** All breaks found, also those not listed. */
  breakCount: number;
  /** Per currency, over all rows. */
  totals: Record<string, LedgerTotals>;
  workOrders: number;
}

export interface VerifyOptions {
  batchSize?: number;
  maxBreaks?: number;
}

const emptyTotals = (): LedgerTotals => ({ charge: 0n, refund: 0n, reversal: 0n, suspense: 0n, netPaid: 0n });

const add = (totals: LedgerTotals, kind: LedgerKind, amount: number): void => {
  totals[kind] += BigInt(amount);
  if (kind !== 'suspense') totals.netPaid += BigInt(amount);
};

export async function verifyLedger(db: Db, opts: VerifyOptions = {}): Promise<LedgerVerifyResult> {
  const batchSize = opts.batchSize ?? 1000;
  const maxBreaks = opts.maxBreaks ?? 100;
  const ledger = new LedgerRepository(db);
  // Appends commit in seq order (they hold the chain lock until COMMIT), so every row up to this head is visible.
  const head = (await ledger.head()) ?? null;

  const breaks: LedgerBreak[] = [];
  let breakCount = 0;
  const report = (b: LedgerBreak): void => {
    breakCount++;
    if (breaks.length < maxBreaks) breaks.push(b);
  };
  const totals = new Map<string, LedgerTotals>();
  const perWorkOrder = new Map<string, LedgerTotals>();
  // Work orders (per currency) already reported negative: one break each, at the row where it first went below zero.
  const negative = new Set<string>();
  const negativeSuspense = new Set<string>();
  // Money still held by each payment or suspense receipt: a refund or release naming it as its source (source_seq)
  // can't take out more than came in through it.
  const heldBySource = new Map<number, number>();

  let rows = 0;
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let lastSeq = 0;
  while (head && lastSeq < head.seq) {
    const batch = await ledger.listAfter(lastSeq, batchSize, { maxSeq: head.seq });
    if (batch.length === 0) break;
    for (const e of batch) {
      rows++;
      if (e.seq !== expectedSeq) {
        report({ type: 'seq_gap', seq: e.seq, message: `seq ${e.seq} follows ${expectedSeq - 1}: rows ${expectedSeq}..${e.seq - 1} are missing` });
      }
      if (e.prevHash !== prevHash) {
        report({ type: 'prev_hash', seq: e.seq, message: `seq ${e.seq}: prev_hash does not match the hash of the row before it` });
      }
      let recomputed: string | undefined;
      try {
        recomputed = ledgerEntryHash(hashInputOf(e));
      } catch (err) {
        report({ type: 'hash', seq: e.seq, message: `seq ${e.seq}: not hashable: ${err instanceof Error ? err.message : String(err)}` });
      }
      if (recomputed !== undefined && recomputed !== e.hash) {
        report({ type: 'hash', seq: e.seq, message: `seq ${e.seq}: stored hash ${e.hash} but the row hashes to ${recomputed}` });
      }
      expectedSeq = e.seq + 1;
      prevHash = e.hash;
      lastSeq = e.seq;

      if (e.amount > 0 && (e.kind === 'charge' || e.kind === 'suspense')) heldBySource.set(e.seq, e.amount);
      const releases = e.amount < 0 && e.sourceSeq !== null && (e.kind === 'refund' || e.kind === 'suspense');
      if (releases && heldBySource.has(e.sourceSeq!)) {
        const left = heldBySource.get(e.sourceSeq!)! + e.amount;
        heldBySource.set(e.sourceSeq!, left);
        if (left < 0) {
          report({ type: 'over_released', seq: e.seq, workOrderId: e.workOrderId ?? undefined, currency: e.currency, message: `seq ${e.seq}: ${e.kind} takes ${-left} more out of seq ${e.sourceSeq} than came in through it` });
        }
      }
      const currencyTotals = totals.get(e.currency) ?? emptyTotals();
      add(currencyTotals, e.kind, e.amount);
      totals.set(e.currency, currencyTotals);
      if (currencyTotals.suspense < 0n && !negativeSuspense.has(e.currency)) {
        negativeSuspense.add(e.currency);
        report({
          type: 'negative_suspense',
          seq: e.seq,
          currency: e.currency,
          message: `seq ${e.seq}: more ${e.currency} suspense released than received (${currencyTotals.suspense})`,
        });
      }
      if (e.workOrderId !== null && e.kind !== 'suspense') {
        const key = `${e.workOrderId}/${e.currency}`;
        const wo = perWorkOrder.get(key) ?? emptyTotals();
        add(wo, e.kind, e.amount);
        perWorkOrder.set(key, wo);
        if (wo.netPaid < 0n && !negative.has(key)) {
          negative.add(key);
          report({
            type: 'negative_net_paid',
            seq: e.seq,
            workOrderId: e.workOrderId,
            currency: e.currency,
            message: `seq ${e.seq}: work order ${e.workOrderId} has refunded/reversed more ${e.currency} than it was paid (net ${wo.netPaid})`,
          });
        }
      }
    }
  }
  if (head && lastSeq !== head.seq) {
    report({ type: 'seq_gap', seq: head.seq, message: `walk ended at seq ${lastSeq} before the head ${head.seq}` });
  }

  breaks.sort((a, b) => a.seq - b.seq);
  const workOrders = new Set([...perWorkOrder.keys()].map((key) => key.split('/')[0])).size;
  return {
    ok: breakCount === 0,
    rows,
    head,
    firstBrokenSeq: breaks[0]?.seq ?? null,
    breaks,
    breakCount,
    totals: Object.fromEntries(totals),
    workOrders,
  };
}

/** Human summary, one fact a line. */
export function formatVerifyResult(r: LedgerVerifyResult): string {
  const lines = [
    `ledger: ${r.rows} row(s), head ${r.head ? `seq ${r.head.seq} ${r.head.hash}` : '(empty)'}, ${r.workOrders} work order(s)`,
  ];
  for (const [currency, t] of Object.entries(r.totals).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(
      `  ${currency}: charge ${t.charge}  refund ${t.refund}  reversal ${t.reversal}  suspense ${t.suspense}  net paid ${t.netPaid} (minor units)`,
    );
  }
  if (r.ok) {
    lines.push('OK: chain and balances verified');
  } else {
    lines.push(`BROKEN at seq ${r.firstBrokenSeq}: ${r.breakCount} break(s)`);
    for (const b of r.breaks) lines.push(`  [${b.type}] ${b.message}`);
    if (r.breakCount > r.breaks.length) lines.push(`  … and ${r.breakCount - r.breaks.length} more`);
  }
  return lines.join('\n');
}
