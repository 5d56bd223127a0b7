import { createHash } from 'node:crypto';

/**
 * The ledger's hash chain (DESIGN.md §8): each row's `hash` is SHA-256 (lower-case hex) over one canonical
 * serialization of the row, its `prev_hash` included, so changing, removing or reordering any row breaks every hash
 * after it. Pure: the store computes it on append, `npm run ledger:verify` recomputes it from what is stored.
 *
 * The serialization is a JSON object with a fixed key order (below), no whitespace, integers as JSON integers, absent
 * values as explicit `null`, strings escaped as `JSON.stringify` does, UTF-8. `created_at` is the text the database
 * prints for the stored value (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC, exactly six fractional digits) — never a JS Date,
 * which holds milliseconds only and would make verification depend on a driver's date handling.
 *
 * The database appends with a mirror of this serialization (`ledger_canonical`, migration 0012), so the chain lock
 * is held for one statement. This file stays the reference: the BFF checks each appended row's hash against it and
 * `ledger:verify` recomputes the chain with it. A change here is a new version and a new migration, never an edit.
 */

/** Version of the serialization: a new one would be a new key order or field set, never a silent change. */
export const LEDGER_HASH_VERSION = 1;

/** `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

export type LedgerKind = 'charge' | 'refund' | 'reversal' | 'suspense';
export type LedgerChannel = 'wechat' | 'stripe' | 'offline';

export const LEDGER_KINDS: readonly LedgerKind[] = ['charge', 'refund', 'reversal', 'suspense'];
export const LEDGER_CHANNELS: readonly LedgerChannel[] = ['wechat', 'stripe', 'offline'];

/** Every column of a ledger row except `hash`, as stored. */
export interface LedgerHashInput {
  seq: number;
  /** UTC, microseconds, as the database prints it: `2025-03-01T08:00:00.123456Z`. */
  createdAt: string;
  kind: LedgerKind;
  /** Signed minor units. */
  amount: number;
  currency: string;
  shopId: number;
  warehouseId: number;
  merchantAccount: string;
  channel: LedgerChannel;
  ref: string;
  providerTxnId: string | null;
  providerRefundId: string | null;
  providerEventId: string | null;
  sourceSeq: number | null;
  workOrderId: number | null;
  paymentOrderId: number | null;
  actor: string;
  reason: string | null;
  payloadHash: string;
  prevHash: string;
}

const CREATED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;

export class LedgerHashInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerHashInputError';
  }
}

function integer(name: string, value: number): string {
  if (!Number.isSafeInteger(value)) {
    throw new LedgerHashInputError(`${name} must be a safe integer, got ${String(value)}`);
  }
  // String(-0) is "0": one text per value.
  return String(value);
}

function nullableInteger(name: string, value: number | null): string {
  return value === null ? 'null' : integer(name, value);
}

function text(name: string, value: string): string {
  if (typeof value !== 'string') {
    throw new LedgerHashInputError(`${name} must be a string, got ${typeof value}`);
  }
  return JSON.stringify(value);
}

function nullableText(name: string, value: string | null): string {
  return value === null ? 'null' : text(name, value);
}

/**
 * The exact text that is hashed. The field list is spelled out (not an object's key order) so the format is visible
 * here and reproducible in any language.
 */
export function canonicalLedgerEntry(e: LedgerHashInput): string {
  if (!CREATED_AT.test(e.createdAt)) {
    throw new LedgerHashInputError(`createdAt must be UTC with microseconds (YYYY-MM-DDTHH:MM:SS.ffffffZ), got ${JSON.stringify(e.createdAt)}`);
  }
  if (!HEX64.test(e.prevHash)) {
    throw new LedgerHashInputError(`prevHash must be 64 lower-case hex digits, got ${JSON.stringify(e.prevHash)}`);
  }
  const fields: Array<[string, string]> = [
    ['v', integer('v', LEDGER_HASH_VERSION)],
    ['seq', integer('seq', e.seq)],
    ['created_at', text('createdAt', e.createdAt)],
    ['kind', text('kind', e.kind)],
    ['amount', integer('amount', e.amount)],
    ['currency', text('currency', e.currency)],
    ['shop_id', integer('shopId', e.shopId)],
    ['warehouse_id', integer('warehouseId', e.warehouseId)],
    ['merchant_account', text('merchantAccount', e.merchantAccount)],
    ['channel', text('channel', e.channel)],
    ['ref', text('ref', e.ref)],
    ['provider_txn_id', nullableText('providerTxnId', e.providerTxnId)],
    ['provider_refund_id', nullableText('providerRefundId', e.providerRefundId)],
    ['provider_event_id', nullableText('providerEventId', e.providerEventId)],
    ['source_seq', nullableInteger('sourceSeq', e.sourceSeq)],
    ['work_order_id', nullableInteger('workOrderId', e.workOrderId)],
    ['payment_order_id', nullableInteger('paymentOrderId', e.paymentOrderId)],
    ['actor', text('actor', e.actor)],
    ['reason', nullableText('reason', e.reason)],
    ['payload_hash', text('payloadHash', e.payloadHash)],
    ['prev_hash', text('prevHash', e.prevHash)],
  ];
  return `{${fields.map(([key, value]) => `"${key}":${value}`).join(',')}}`;
}

export function ledgerEntryHash(e: LedgerHashInput): string {
  return createHash('sha256').update(canonicalLedgerEntry(e), 'utf8').digest('hex');
}

/** `payload_hash`: SHA-256 hex of the provider payload or request exactly as received. */
export function payloadHash(payload: string | Uint8Array): string {
  const hash = createHash('sha256');
  if (typeof payload === 'string') {
    hash.update(payload, 'utf8');
  } else {
    hash.update(payload);
  }
  return hash.digest('hex');
}
