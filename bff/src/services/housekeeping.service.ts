import type { Logger } from '../logger';
import type { IdempotencyStore } from '../store/idempotency';
import type { PaymentOrderRepository } from '../store/payment-orders';
import type { RefreshTokenRepository } from '../store/refresh-tokens';
import type { MediaService } from './media.service';

/** The hourly sweep: rows whose time is up (refresh tokens, idempotency keys), payment orders past expiry, uploads never completed. */
export class HousekeepingService {
  constructor(
    private readonly refreshTokens: RefreshTokenRepository,
    private readonly idempotencyKeys: IdempotencyStore,
    private readonly paymentOrders: PaymentOrderRepository,
    private readonly media: MediaService,
    private readonly logger: Logger,
  ) {}

  async sweep(): Promise<void> {
    const n = await this.refreshTokens.sweep();
    if (n) this.logger.info('housekeeping: expired refresh tokens removed', { count: n });
    const keys = await this.idempotencyKeys.sweep();
    if (keys) this.logger.info('housekeeping: expired idempotency keys removed', { count: keys });
    const expired = await this.paymentOrders.expireDue();
    if (expired.length) this.logger.info('housekeeping: payment orders expired', { count: expired.length });
    const staleMedia = await this.media.sweepStale();
    if (staleMedia) this.logger.info('housekeeping: uncompleted media uploads expired', { count: staleMedia });
  }
}
