import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { LeaseRepository } from '../store/leases';
import type { ClusterSample, ClusterSource } from './metrics';

export interface ClusterStatsSources {
  leases: Pick<LeaseRepository, 'acquire' | 'release'>;
  outbox: { backlog(): Promise<{ pending: number; oldestAgeSeconds: number }> };
  queue: { counts(): Promise<ClusterSample['jobs']> };
  queueName: string;
}

export const CLUSTER_METRICS_LEASE = 'metrics-cluster';
/** Longer than any sane scrape interval (15–30 s), so the holder keeps it from one scrape to the next. */
export const CLUSTER_METRICS_TTL_MS = 60_000;

/** This process, as a lease holder: readable in the table (host, pid) and unique across restarts. */
export const processHolderId = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/**
 * The outbox backlog and the queue's counts are the same whichever replica reads them, so one replica reports them:
 * the holder of a short lease in the BFF store, renewed on each scrape. Every other replica reports nothing for them
 * (not a copy, which `sum()` would double). When the holder stops (or its scrapes stop for a TTL), the next replica
 * scraped takes over. Reading costs two cheap queries (a partial index of pending rows; Redis counters) per scrape.
 */
export class ClusterStats implements ClusterSource {
  constructor(
    private readonly src: ClusterStatsSources,
    private readonly holder: string = processHolderId(),
    private readonly ttlMs = CLUSTER_METRICS_TTL_MS,
  ) {}

  async sample(): Promise<ClusterSample | undefined> {
    if (!(await this.src.leases.acquire(CLUSTER_METRICS_LEASE, this.holder, this.ttlMs))) return undefined;
    const [outbox, jobs] = await Promise.all([this.src.outbox.backlog(), this.src.queue.counts()]);
    return { outboxPending: outbox.pending, outboxOldestAgeSeconds: outbox.oldestAgeSeconds, queue: this.src.queueName, jobs };
  }

  /** On shutdown: hand the lease over at once. */
  release(): Promise<void> {
    return this.src.leases.release(CLUSTER_METRICS_LEASE, this.holder);
  }
}
