/**
 * The WeChat Pay v3 resources the BFF reads, as zod schemas (loose: WeChat adds fields without notice)
 * with their inferred types beside them. Amounts are integer fen (minor units) as WeChat sends them.
 */
import { z } from 'zod';

/** DESIGN §9. WeChat itself also accepts `|` and (for refunds) `@`; we stay within the common subset. */
export const OUT_TRADE_NO_RE = /^[0-9A-Za-z_*-]{6,32}$/;
export const OUT_REFUND_NO_RE = /^[0-9A-Za-z_*|@-]{1,64}$/;

export const TRADE_STATES = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'] as const;
export type TradeState = (typeof TRADE_STATES)[number];

const minor = z.number().int();

/** A transaction as returned by the order query and decrypted from TRANSACTION.* notifications. */
export const transactionSchema = z.looseObject({
  // Documented as optional in the order query answer.
  appid: z.string().optional(),
  mchid: z.string(),
  out_trade_no: z.string(),
  transaction_id: z.string().optional(),
  trade_type: z.string().optional(),
  // Unknown future states are kept as strings rather than failing the whole payload.
  trade_state: z.union([z.enum(TRADE_STATES), z.string()]),
  trade_state_desc: z.string().optional(),
  bank_type: z.string().optional(),
  attach: z.string().optional(),
  success_time: z.string().optional(),
  payer: z.looseObject({ openid: z.string().optional() }).optional(),
  amount: z
    .looseObject({
      total: minor.optional(),
      payer_total: minor.optional(),
      currency: z.string().optional(),
      payer_currency: z.string().optional(),
    })
    .optional(),
});
export type WechatPayTransaction = z.infer<typeof transactionSchema>;

export const REFUND_STATUSES = ['SUCCESS', 'CLOSED', 'PROCESSING', 'ABNORMAL'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

const refundAmount = z.looseObject({
  total: minor,
  refund: minor,
  payer_total: minor.optional(),
  payer_refund: minor.optional(),
  settlement_refund: minor.optional(),
  settlement_total: minor.optional(),
  discount_refund: minor.optional(),
  currency: z.string().optional(),
  refund_fee: minor.optional(),
});

/** The refund resource of `POST /v3/refund/domestic/refunds` and `GET …/refunds/{out_refund_no}`. */
export const refundSchema = z.looseObject({
  refund_id: z.string(),
  out_refund_no: z.string(),
  transaction_id: z.string().optional(),
  out_trade_no: z.string().optional(),
  channel: z.string().optional(),
  user_received_account: z.string().optional(),
  success_time: z.string().optional(),
  create_time: z.string().optional(),
  status: z.union([z.enum(REFUND_STATUSES), z.string()]),
  funds_account: z.string().optional(),
  amount: refundAmount,
});
export type WechatPayRefund = z.infer<typeof refundSchema>;

/** Decrypted from REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED notifications (note: `refund_status`, not `status`). */
export const refundNoticeSchema = z.looseObject({
  mchid: z.string(),
  out_trade_no: z.string().optional(),
  transaction_id: z.string().optional(),
  out_refund_no: z.string(),
  refund_id: z.string(),
  refund_status: z.union([z.enum(REFUND_STATUSES), z.string()]),
  success_time: z.string().optional(),
  user_received_account: z.string().optional(),
  amount: refundAmount.partial().extend({ total: minor, refund: minor }),
});
export type WechatPayRefundNotice = z.infer<typeof refundNoticeSchema>;

/** The notification body WeChat POSTs to notify_url, before decryption. */
export const notificationEnvelopeSchema = z.looseObject({
  id: z.string().min(1),
  create_time: z.string(),
  event_type: z.string().min(1),
  resource_type: z.string(),
  summary: z.string().optional(),
  resource: z.looseObject({
    algorithm: z.string(),
    ciphertext: z.string().min(1),
    nonce: z.string().min(1),
    associated_data: z.string().optional(),
    original_type: z.string().optional(),
  }),
});
export type NotificationEnvelope = z.infer<typeof notificationEnvelopeSchema>;

/** WeChat's error body on 4xx/5xx. */
export const errorBodySchema = z.looseObject({ code: z.string(), message: z.string().optional(), detail: z.unknown().optional() });
