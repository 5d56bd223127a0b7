import type { Db } from './db';

/** What the token service needs of the store to rotate refresh tokens (each single-use, tracked by `jti`). */
export interface RefreshTokenStore {
  /** Records an issued refresh token. */
  issue(jti: string, subject: string, expiresAt: Date): Promise<void>;
  /** Marks it used; false when it was unknown, already used or revoked. */
  consume(jti: string): Promise<boolean>;
  revokeSubject(subject: string): Promise<void>;
}

/** Refresh-token rotation state in the BFF store (migration 0002). */
export class RefreshTokenRepository implements RefreshTokenStore {
  constructor(private readonly db: Db) {}

  async issue(jti: string, subject: string, expiresAt: Date): Promise<void> {
    await this.db.query('INSERT INTO auth_refresh_tokens (jti, subject, expires_at) VALUES ($1, $2, $3)', [jti, subject, expiresAt.toISOString()]);
  }

  /** One UPDATE decides: two concurrent refreshes with the same token can't both win. */
  async consume(jti: string): Promise<boolean> {
    const r = await this.db.query(
      'UPDATE auth_refresh_tokens SET used_at = now() WHERE jti = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()',
      [jti],
    );
    return r.rowCount === 1;
  }

  async revokeSubject(subject: string): Promise<void> {
    await this.db.query('UPDATE auth_refresh_tokens SET revoked_at = now() WHERE subject = $1 AND revoked_at IS NULL', [subject]);
  }

  /** Housekeeping: rows past expiry serve no purpose. */
  async sweep(olderThan = new Date()): Promise<number> {
    const r = await this.db.query('DELETE FROM auth_refresh_tokens WHERE expires_at < $1', [olderThan.toISOString()]);
    return r.rowCount;
  }
}
