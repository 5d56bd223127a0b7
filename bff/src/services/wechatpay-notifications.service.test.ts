import { Writable } from 'node:stream';
import { createLogger } from '../logger';
import { NotificationRejected, type VerifiedNotification } from '../integrations/wechatpay/notification';
import type { WechatPayRefundNotice, WechatPayTransaction } from '../integrations/wechatpay/types';
import type { QuarantineInput } from '../store/quarantine';
import type { RecordOutcome } from './payment.service';
import { WechatPayNotificationDispatcher } from './wechatpay-notifications.service';

const MERCHANT = { mchid: '1900000109', appId: 'wx-app' };
const event = (type: string, id = 'EV-1') => ({ id, create_time: '2025-05-20T13:29:35+08:00', event_type: type, resource_type: 'encrypt-resource', resource: { algorithm: 'AEAD_AES_256_GCM', ciphertext: 'x', nonce: 'n' } });
const txn = (over: Partial<WechatPayTransaction> = {}): WechatPayTransaction => ({ appid: MERCHANT.appId, mchid: MERCHANT.mchid, out_trade_no: 'WO1-abc123', transaction_id: '42000001', trade_state: 'SUCCESS', amount: { total: 100, currency: 'CNY' }, ...over });
const refund = (over: Partial<WechatPayRefundNotice> = {}): WechatPayRefundNotice => ({ mchid: MERCHANT.mchid, out_refund_no: 'RF1-x', refund_id: '50300001', refund_status: 'SUCCESS', amount: { total: 100, refund: 100 }, ...over });

/** The dispatcher with recording fakes; `verified` is what the verifier returns (or throws). */
function build(verified: VerifiedNotification | Error, opts: { recorded?: RecordOutcome; configured?: boolean; seenBefore?: boolean } = {}) {
  const calls = { payments: [] as unknown[][], refunds: [] as unknown[][], quarantine: [] as QuarantineInput[] };
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const dispatcher = new WechatPayNotificationDispatcher(
    {
      recordTransaction: async (...args: unknown[]) => {
        calls.payments.push(args);
        return opts.recorded ?? 'charged';
      },
    },
    {
      handleWechatNotice: async (...args: unknown[]) => {
        calls.refunds.push(args);
      },
    },
    {
      record: async (input: QuarantineInput) => {
        calls.quarantine.push(input);
        return { inserted: !opts.seenBefore, entry: { id: 9, deliveries: opts.seenBefore ? 2 : 1 } as never };
      },
    },
    createLogger({ level: 'debug', stream }),
    opts.configured === false
      ? undefined
      : {
          verifier: {
            verifyNotification: () => {
              if (verified instanceof Error) throw verified;
              return verified;
            },
          },
          merchant: MERCHANT,
        },
  );
  return { dispatcher, calls, logs };
}

const body = Buffer.from('{"id":"EV-1"}');

describe(WechatPayNotificationDispatcher.name, () => {
  describe('handle', () => {
    it('hands a payment notice to the payment service, with the payload hash and the event', async () => {
      const { dispatcher, calls } = build({ kind: 'transaction', event: event('TRANSACTION.SUCCESS'), resource: txn() });
      expect(await dispatcher.handle({}, body)).toEqual({ outcome: 'recorded' });
      expect(calls.payments).toEqual([[txn(), 'notify', expect.stringMatching(/^[0-9a-f]{64}$/), expect.objectContaining({ id: 'EV-1' })]]);
      expect(calls.refunds).toEqual([]);
    });

    it.each(['duplicate', 'suspense', 'quarantined', 'ignored'] as const)('passes the payment service’s %s on', async (recorded) => {
      const { dispatcher } = build({ kind: 'transaction', event: event('TRANSACTION.SUCCESS'), resource: txn() }, { recorded });
      expect(await dispatcher.handle({}, body)).toEqual({ outcome: recorded });
    });

    it('hands a refund notice to the refund service (and nothing to the payment service)', async () => {
      const { dispatcher, calls } = build({ kind: 'refund', event: event('REFUND.SUCCESS', 'EV-R'), resource: refund() });
      expect(await dispatcher.handle({}, body)).toEqual({ outcome: 'recorded' });
      expect(calls.refunds).toEqual([[refund(), expect.stringMatching(/^[0-9a-f]{64}$/), 'EV-R']]);
      expect(calls.payments).toEqual([]);
    });

    it('acknowledges an event it does not act on', async () => {
      const { dispatcher, calls } = build({ kind: 'other', event: event('COMPLAINT.CREATE'), resource: { complaint_id: '1' } });
      expect(await dispatcher.handle({}, body)).toEqual({ outcome: 'ignored' });
      expect([...calls.payments, ...calls.refunds, ...calls.quarantine]).toEqual([]);
    });

    it('rejects what does not verify, with WeChat’s public message (details stay in the log)', async () => {
      const { dispatcher, calls, logs } = build(new NotificationRejected('bad_signature', 'serial PUB_KEY_ID_1'));
      expect(await dispatcher.handle({}, body)).toEqual({ outcome: 'rejected', reason: 'bad_signature', message: 'signature verification failed' });
      expect(calls.quarantine).toEqual([]);
      expect(logs.some((l) => l.message === 'wechatpay notification rejected' && l.detail === 'serial PUB_KEY_ID_1')).toBe(true);
    });

    it('lets anything else the verifier throws through (the route answers 503)', async () => {
      const { dispatcher } = build(new Error('boom'));
      await expect(dispatcher.handle({}, body)).rejects.toThrow('boom');
    });

    it('is not configured without WeChat Pay settings', async () => {
      const { dispatcher } = build(new Error('unused'), { configured: false });
      expect(await dispatcher.handle({}, body)).toEqual({ outcome: 'not_configured' });
    });

    it.each([
      ['a payment notice for another merchant', { kind: 'transaction', event: event('TRANSACTION.SUCCESS'), resource: txn({ mchid: '1999' }) }, /merchant "1999"/],
      ['a payment notice for another app', { kind: 'transaction', event: event('TRANSACTION.SUCCESS'), resource: txn({ appid: 'wx-other' }) }, /app "wx-other"/],
      ['a refund notice for another merchant', { kind: 'refund', event: event('REFUND.SUCCESS'), resource: refund({ mchid: '1999' }) }, /refund notice for merchant "1999"/],
      ['an unreadable resource', { kind: 'unreadable', event: event('TRANSACTION.SUCCESS'), resource: { nonsense: true }, problem: 'transaction resource shape: mchid invalid_type' }, /^transaction resource shape/],
    ] as Array<[string, VerifiedNotification, RegExp]>)('quarantines %s (keyed by the notification id), alerts once, acknowledges', async (_label, verified, reason) => {
      const { dispatcher, calls, logs } = build(verified);
      expect(await dispatcher.handle({}, body)).toEqual({ outcome: 'quarantined' });
      expect(calls.quarantine).toEqual([expect.objectContaining({ channel: 'wechat', dedupeKey: 'event:EV-1', source: 'notify', reason: expect.stringMatching(reason), body: verified.resource })]);
      expect([...calls.payments, ...calls.refunds]).toEqual([]);
      expect(logs.filter((l) => String(l.message).startsWith('ALERT'))).toHaveLength(1);
    });

    it('does not alert again for a redelivery of a quarantined notification', async () => {
      const { dispatcher, logs } = build({ kind: 'unreadable', event: event('TRANSACTION.SUCCESS'), resource: 'x', problem: 'decrypted resource is not JSON' }, { seenBefore: true });
      expect(await dispatcher.handle({}, body)).toEqual({ outcome: 'quarantined' });
      expect(logs.filter((l) => String(l.message).startsWith('ALERT'))).toHaveLength(0);
      expect(logs.some((l) => l.deliveries === 2)).toBe(true);
    });
  });
});
