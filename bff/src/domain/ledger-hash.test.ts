import {
  canonicalLedgerEntry,
  GENESIS_HASH,
  ledgerEntryHash,
  LedgerHashInputError,
  payloadHash,
  type LedgerHashInput,
} from './ledger-hash';

// Vectors computed independently (Python hashlib + json.dumps(ensure_ascii=False, separators=(',', ':'))), so the
// format is pinned by something other than this implementation.
const FIRST: LedgerHashInput = {
  seq: 1,
  createdAt: '2025-03-01T08:00:00.123456Z',
  kind: 'charge',
  amount: 12345,
  currency: 'CNY',
  shopId: 1,
  warehouseId: 1,
  merchantAccount: '1900000109',
  channel: 'wechat',
  ref: 'txn:4200001234202503011234567890',
  providerTxnId: '4200001234202503011234567890',
  providerRefundId: null,
  providerEventId: 'EV-2025-0001',
  sourceSeq: null,
  workOrderId: 42,
  paymentOrderId: 7,
  actor: 'system:wechatpay-notify',
  reason: null,
  payloadHash: '65712b5cc41b1e8291496e2990a1c1af067e098332965b9fb3e7b968768cd064',
  prevHash: GENESIS_HASH,
};
const FIRST_CANONICAL =
  '{"v":1,"seq":1,"created_at":"2025-03-01T08:00:00.123456Z","kind":"charge","amount":12345,"currency":"CNY","shop_id":1,' +
  '"warehouse_id":1,"merchant_account":"1900000109","channel":"wechat","ref":"txn:4200001234202503011234567890",' +
  '"provider_txn_id":"4200001234202503011234567890","provider_refund_id":null,"provider_event_id":"EV-2025-0001",' +
  '"source_seq":null,"work_order_id":42,"payment_order_id":7,"actor":"system:wechatpay-notify","reason":null,' +
  '"payload_hash":"65712b5cc41b1e8291496e2990a1c1af067e098332965b9fb3e7b968768cd064",' +
  '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000"}';
const FIRST_HASH = '8a554032defd80db85d7b142dada3431cd04dd8725c4efa1e218df8023bb2fb3';

const SECOND: LedgerHashInput = {
  ...FIRST,
  seq: 2,
  createdAt: '2025-03-01T09:30:00.000001Z',
  kind: 'refund',
  amount: -2345,
  ref: 'refund:50300001',
  providerRefundId: '50300001',
  providerEventId: null,
  paymentOrderId: null,
  actor: 'staff:7',
  reason: '退款 "partial"\n',
  prevHash: FIRST_HASH,
};
const SECOND_HASH = '35402985b4297057a596b3b2270535073450ae8f9333ec083bd73e3312d49b93';

describe('ledger-hash', () => {
  describe(canonicalLedgerEntry.name, () => {
    it('writes the fixed field order, integers as integers and explicit nulls', () => {
      expect(canonicalLedgerEntry(FIRST)).toBe(FIRST_CANONICAL);
    });

    it('escapes strings as JSON and keeps non-ASCII text as UTF-8', () => {
      expect(canonicalLedgerEntry(SECOND)).toContain('"reason":"退款 \\"partial\\"\\n"');
      expect(canonicalLedgerEntry(SECOND)).toContain('"amount":-2345');
    });

    it('refuses a timestamp without exactly six fractional digits or not in UTC', () => {
      for (const createdAt of ['2025-03-01T08:00:00.123Z', '2025-03-01T08:00:00.123456+08:00', '2025-03-01 08:00:00.123456Z']) {
        expect(() => canonicalLedgerEntry({ ...FIRST, createdAt })).toThrow(LedgerHashInputError);
      }
    });

    it('refuses amounts and ids that are not safe integers', () => {
      expect(() => canonicalLedgerEntry({ ...FIRST, amount: 1.5 })).toThrow(/amount must be a safe integer/);
      expect(() => canonicalLedgerEntry({ ...FIRST, amount: 2 ** 53 })).toThrow(LedgerHashInputError);
      expect(() => canonicalLedgerEntry({ ...FIRST, workOrderId: Number.NaN })).toThrow(/workOrderId/);
    });

    it('refuses a malformed prev_hash', () => {
      expect(() => canonicalLedgerEntry({ ...FIRST, prevHash: FIRST_HASH.toUpperCase() })).toThrow(/prevHash/);
    });
  });

  describe(ledgerEntryHash.name, () => {
    it('matches the fixed vectors, the second chained to the first', () => {
      expect(ledgerEntryHash(FIRST)).toBe(FIRST_HASH);
      expect(ledgerEntryHash(SECOND)).toBe(SECOND_HASH);
    });

    it('changes with any field, a null versus an empty string included', () => {
      expect(ledgerEntryHash({ ...FIRST, amount: 12346 })).not.toBe(FIRST_HASH);
      expect(ledgerEntryHash({ ...FIRST, createdAt: '2025-03-01T08:00:00.123457Z' })).not.toBe(FIRST_HASH);
      expect(ledgerEntryHash({ ...FIRST, reason: '' })).not.toBe(FIRST_HASH);
      expect(ledgerEntryHash({ ...FIRST, prevHash: SECOND_HASH })).not.toBe(FIRST_HASH);
    });
  });

  describe(payloadHash.name, () => {
    it('hashes text as UTF-8 and bytes as they are', () => {
      expect(payloadHash('{"id":"EV-2025-0001"}')).toBe(FIRST.payloadHash);
      expect(payloadHash(Buffer.from('{"id":"EV-2025-0001"}'))).toBe(FIRST.payloadHash);
    });
  });
});
