import { randomUUID } from 'node:crypto';
import type { Db } from './db';

/**
 * Idempotency keys in the BFF store (migration 0003, DESIGN.md §7). Every decision is one statement that the primary
 * key or a conditional UPDATE settles, so several BFF processes sharing one PostgreSQL agree without any lock in memory.
 */

/** What a key is unique within: the same key from another principal, method or path is another key. */
export interface IdempotencyScope {
  /** `principalKey(principal)`. */
  principal: string;
  /** Upper case, e.g. `POST`. */
  method: string;
  /** Concrete path without the query, e.g. `/api/v1/work-orders/7/parts/issue`. */
  path: string;
  key: string;
}

/** A response as it was sent: replayed byte for byte. */
export interface StoredResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
}

/** Proof of holding the in-flight claim on a key; only its holder may complete or release it. */
export interface IdempotencyClaim {
  scope: IdempotencyScope;
  token: string;
}

export type BeginResult =
  /** The caller runs the operation, then calls `complete` or `release`. `takenOver`: a crashed claimant's lease had expired. */
  | { kind: 'claimed'; claim: IdempotencyClaim; takenOver: boolean }
  /** Same key, same request, already answered. */
  | { kind: 'completed'; response: StoredResponse }
  /** Same key, another request body. */
  | { kind: 'mismatch' }
  /** Same key, same request, still running elsewhere (or its lease just got taken over by another retry). */
  | { kind: 'in_flight'; lockedUntil: Date | null };

export interface IdempotencyStoreOptions {
  /** How long an in-flight claim blocks its key before a retry may take it over (default 60 s). */
  leaseMs?: number;
  /** How long a key is kept (default 24 h): from the claim, and again from completion. */
  retentionMs?: number;
}

export const DEFAULT_IDEMPOTENCY_LEASE_MS = 60_000;
export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 24 * 3600_000;
const SWEEP_BATCH = 5_000;
// A claim released (deleted) between our INSERT and SELECT sends us round again; more than a few rounds is a bug.
const BEGIN_ATTEMPTS = 5;

interface KeyRow {
  request_hash: string;
  state: 'in_flight' | 'completed';
  locked_until: Date | null;
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: Buffer | null;
}

const scopeParams = (s: IdempotencyScope): string[] => [s.principal, s.method, s.path, s.key];
const SCOPE_WHERE = 'principal = $1 AND method = $2 AND path = $3 AND idem_key = $4';

export class IdempotencyStore {
  readonly leaseMs: number;
  readonly retentionMs: number;

  constructor(
    private readonly db: Db,
    opts: IdempotencyStoreOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? DEFAULT_IDEMPOTENCY_LEASE_MS;
    this.retentionMs = opts.retentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
    if (!(this.leaseMs > 0) || !(this.retentionMs > this.leaseMs)) {
      throw new RangeError(`idempotency lease (${this.leaseMs} ms) must be > 0 and shorter than the retention (${this.retentionMs} ms)`);
    }
  }

  /**
   * Claims the key, or says why not. Times are the database's `now()`, so processes with skewed clocks agree on
   * whether a lease has expired.
   */
  async begin(scope: IdempotencyScope, requestHash: string): Promise<BeginResult> {
    for (let attempt = 0; attempt < BEGIN_ATTEMPTS; attempt++) {
      const token = randomUUID();
      // The primary key decides between concurrent first requests: one row inserted, the rest get nothing back.
      const inserted = await this.db.query(
        `INSERT INTO idempotency_keys (principal, method, path, idem_key, request_hash, claim_token, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + $7::double precision * interval '1 millisecond', now() + $8::double precision * interval '1 millisecond')
         ON CONFLICT (principal, method, path, idem_key) DO NOTHING
         RETURNING claim_token`,
        [...scopeParams(scope), requestHash, token, this.leaseMs, this.retentionMs],
      );
      if (inserted.rowCount === 1) {
        return { kind: 'claimed', claim: { scope, token }, takenOver: false };
      }
      // A claimant that crashed leaves an expired lease: exactly one retry wins this UPDATE (the row lock serializes
      // them, and the losers re-check `locked_until` against the winner's new lease). Another body is a mismatch, below.
      const takenOver = await this.db.query(
        `UPDATE idempotency_keys
            SET claim_token = $6, locked_until = now() + $7::double precision * interval '1 millisecond'
          WHERE ${SCOPE_WHERE} AND request_hash = $5 AND state = 'in_flight' AND locked_until < now()
          RETURNING claim_token`,
        [...scopeParams(scope), requestHash, token, this.leaseMs],
      );
      if (takenOver.rowCount === 1) {
        return { kind: 'claimed', claim: { scope, token }, takenOver: true };
      }
      const { rows } = await this.db.query<KeyRow>(
        `SELECT request_hash, state, locked_until, response_status, response_headers, response_body
           FROM idempotency_keys WHERE ${SCOPE_WHERE}`,
        scopeParams(scope),
      );
      const row = rows[0];
      if (!row) {
        // Released (a 5xx) or swept since our INSERT: the key is free again.
        continue;
      }
      if (row.request_hash !== requestHash) {
        return { kind: 'mismatch' };
      }
      if (row.state === 'completed' && row.response_status !== null && row.response_body !== null) {
        return {
          kind: 'completed',
          response: { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body },
        };
      }
      return { kind: 'in_flight', lockedUntil: row.locked_until };
    }
    throw new Error(`idempotency key not claimable after ${BEGIN_ATTEMPTS} attempts (claimed and released in a loop)`);
  }

  /**
   * Stores the response and ends the claim. False when the claim is no longer ours (the lease expired and a retry took
   * the key over): that retry's answer is the one kept.
   */
  async complete(claim: IdempotencyClaim, response: StoredResponse): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE idempotency_keys
          SET state = 'completed', locked_until = NULL, response_status = $6, response_headers = $7::jsonb, response_body = $8,
              completed_at = now(), expires_at = GREATEST(expires_at, now() + $9::double precision * interval '1 millisecond')
        WHERE ${SCOPE_WHERE} AND claim_token = $5 AND state = 'in_flight'`,
      [
        ...scopeParams(claim.scope),
        claim.token,
        response.status,
        // Serialized here: pg would send an object as text anyway, PGlite as-is; one form for both.
        JSON.stringify(response.headers),
        response.body,
        this.retentionMs,
      ],
    );
    return r.rowCount === 1;
  }

  /** Gives the key up (the operation did not run to an answer worth keeping); a retry, even with another body, runs anew. */
  async release(claim: IdempotencyClaim): Promise<boolean> {
    const r = await this.db.query(`DELETE FROM idempotency_keys WHERE ${SCOPE_WHERE} AND claim_token = $5 AND state = 'in_flight'`, [
      ...scopeParams(claim.scope),
      claim.token,
    ]);
    return r.rowCount === 1;
  }

  /**
   * Housekeeping: deletes keys past their retention, in batches so one run never holds a long statement. An in-flight
   * key is only deleted once its lease has expired too. `at` defaults to the database's now().
   */
  async sweep(at?: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const r = await this.db.query(
        `DELETE FROM idempotency_keys
          WHERE (principal, method, path, idem_key) IN (
            SELECT principal, method, path, idem_key FROM idempotency_keys
             WHERE expires_at < coalesce($1::timestamptz, now())
               AND (state = 'completed' OR locked_until < coalesce($1::timestamptz, now()))
             LIMIT $2)`,
        [at ?? null, SWEEP_BATCH],
      );
      total += r.rowCount;
      if (r.rowCount < SWEEP_BATCH) {
        return total;
      }
    }
  }
}
