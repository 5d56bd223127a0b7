import type { RequestHandler } from 'express';
import { AppError } from '../errors';

/**
 * Fixed-window limiter per client IP, in memory (per BFF process: behind N replicas the effective
 * limit is N× — good enough against password guessing; a shared Redis window is a later step).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly perMinute: number) {}

  hit(key: string, now = Date.now()): { allowed: boolean; retryAfterS: number } {
    const w = this.windows.get(key);
    if (!w || now - w.start >= 60_000) {
      this.windows.set(key, { start: now, count: 1 });
      if (this.windows.size > 50_000) this.sweep(now);
      return { allowed: true, retryAfterS: 0 };
    }
    w.count++;
    return { allowed: w.count <= this.perMinute, retryAfterS: Math.ceil((w.start + 60_000 - now) / 1000) };
  }

  middleware(bucket: string): RequestHandler {
    return (req, _res, next) => {
      const r = this.hit(`${bucket}:${req.ip}`);
      if (!r.allowed) return next(new AppError('rate_limited', 'Too many attempts; slow down.', { retryAfterS: r.retryAfterS }));
      next();
    };
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= 60_000) this.windows.delete(k);
  }
}
