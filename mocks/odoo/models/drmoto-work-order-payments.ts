/**
 * Invoices and payments on drmoto.work.order (docs/odoo-contract.md "Invoices, payments, closing (issue 5)"): the
 * settlement job (system actor), a cashier or a manager calls
 *   action_sync_invoices(request_key) → {id, invoice_ids, amount_invoiced, target, replayed}
 *     checks: request-key replay (the status-log row written when a move was created; a key used by another action →
 *     DRM_DUP_KEY) → actor → state (not cancelled: the cancel itself credits what was invoiced) → ONE posted invoice or
 *     credit note, or nothing when the net invoiced amount already is the target (then nothing is written at all, and
 *     the same key may act later). A created move writes ONE status-log row (event `invoices_synced`, the key).
 *   action_register_payment(ledger_ref, amount, channel) → {id, payment_id, amount_paid, amount_due, replayed}
 *     checks: arguments (DRM_VALIDATION: ledger_ref a non-empty string, amount a number > 0 after currency rounding,
 *     channel wechat|stripe|offline) → ledger-ref replay (the shop's payment with this reference: same work order,
 *     amount and channel → it, `replayed: true`, current amounts; otherwise DRM_DUP_KEY) → actor → state (not
 *     cancelled) → ONE posted inbound payment, reconciled; ONE status-log row (event `payment_registered`, request key
 *     `ledger/<ledger_ref>`).
 * Neither writes the work order: its revision doesn't move (amount_paid / amount_due are stored computes of the
 * payments), as for parts issues; the log rows record the current revision.
 */
import { UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { MethodDef, Row } from '../orm/types';
import { floatRound, monetaryColumn } from './account-tax';
import { CHANNEL_JOURNALS } from './account-journal';
import { MOVE } from './account-move';
import { PAYMENT } from './account-payment';
import { woRounding } from './drmoto-work-order-amounts';
import { checkActor, prepare, stateError, writeLog } from './drmoto-work-order-actions';
import { CREDIT_SUFFIX, makeRefundCreditNote, moveByLedgerRef, paymentByLedgerRef, registerPayment, registerRefundPayment, syncMoves } from './drmoto-work-order-invoicing';
import { actionEnv, money, pyFloat, recordAudit, STATUS_LOG, validationError, WO, WO_STATES, actionWorkOrder } from './drmoto-wo-common';

type Result = Record<string, unknown>;

/** every state but cancelled */
const MONEY_STATES = WO_STATES.map(([s]) => s).filter((s) => s !== 'cancelled');
const MAX_REF = 255;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const pyRepr = (v: unknown): string => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : v === null || v === undefined ? 'None' : v === true ? 'True' : v === false ? 'False' : String(v));
const currencyOf = (env: Env, wo: Row): number | null => (env.model('res.company').sudo().row(wo.company_id as number)?.currency_id as number | undefined) ?? null;

function actionSyncInvoices(env: Env, ids: number[], keyValue: unknown): Result {
  const p = prepare(env, ids, 'sync_invoices', false, keyValue, MONEY_STATES);
  if (p.replay) {
    const { log_id: _logId, ...replay } = p.replay;
    return replay;
  }
  const { wo, key, actor } = p;
  const out = syncMoves(actionEnv(env, key), wo, key);
  const result = { id: wo.id, invoice_ids: out.created, amount_invoiced: out.amount_invoiced, target: out.target };
  if (out.created.length) {
    const moves = env.model(MOVE).sudo();
    const cur = currencyOf(env, wo);
    const note = out.created
      .map((id) => moves.row(id)!)
      .map((m) => `${String(m.name)}: ${m.move_type === 'out_refund' ? '-' : ''}${money(env, Number(m.amount_total), cur)}`)
      .join(', ');
    const state = String(wo.state);
    writeLog(env, wo, { event: 'invoices_synced', action: 'sync_invoices', fromState: state, toState: state, actor, key, note }, {
      ...result,
      amount_invoiced: pyFloat(out.amount_invoiced),
      target: pyFloat(out.target),
    });
  }
  return { ...result, replayed: false };
}

function actionRegisterPayment(env: Env, ids: number[], ledgerRef: unknown, amountValue: unknown, channel: unknown, note: unknown): Result {
  const wo = actionWorkOrder(env, ids);
  // 0. the arguments
  if (typeof ledgerRef !== 'string' || !ledgerRef.trim() || ledgerRef.length > MAX_REF) throw validationError(`a ledger reference is a string of 1 to ${MAX_REF} characters`);
  const prec = woRounding(env, wo);
  if (!isNumber(amountValue) || floatRound(amountValue, prec) <= 0) throw validationError('amount must be a number > 0');
  const amount = monetaryColumn(amountValue, prec);
  if (typeof channel !== 'string' || !CHANNEL_JOURNALS[channel]) throw validationError(`unknown payment channel ${pyRepr(channel)}: use wechat, stripe or offline`);
  const cur = currencyOf(env, wo);

  // 1. the ledger reference: registered already → the same payment, or a conflict
  const existing = paymentByLedgerRef(env, wo.company_id as number, ledgerRef);
  if (existing) {
    if (existing.drmoto_work_order_id !== wo.id) {
      const other = existing.drmoto_work_order_id === null ? undefined : env.model(WO).sudo().row(existing.drmoto_work_order_id as number);
      throw new UserError(`DRM_DUP_KEY: ledger entry ${ledgerRef} is already registered as ${String(existing.name)} on ${other ? `work order ${String(other.name)}` : 'no work order'}`);
    }
    if (floatRound(Number(existing.amount) - amount, prec) !== 0 || existing.drmoto_channel !== channel || existing.payment_type !== 'inbound') {
      throw new UserError(
        `DRM_DUP_KEY: ledger entry ${ledgerRef} is already registered as ${String(existing.name)} for ${money(env, Number(existing.amount), cur)} via ${String(existing.drmoto_channel)}, not ${money(env, amount, cur)} via ${channel}`,
      );
    }
    return { id: wo.id, payment_id: existing.id, amount_paid: wo.amount_paid, amount_due: wo.amount_due, replayed: true };
  }

  // 2. actor, 3. state
  const actor = checkActor(env, 'register_payment', wo);
  if (!MONEY_STATES.includes(String(wo.state))) throw stateError(wo, 'register_payment');

  // 4. one posted payment, reconciled; one log row
  const logKey = `ledger/${ledgerRef}`;
  const paymentId = registerPayment(actionEnv(env, logKey), wo, ledgerRef, amount, channel);
  const payment = env.model(PAYMENT).sudo().row(paymentId)!;
  const result = { id: wo.id, payment_id: paymentId, amount_paid: wo.amount_paid, amount_due: wo.amount_due };
  if (actor.kind === 'staff' || channel === 'offline') {
    // counter money is audited whoever registers it (the settlement job acts as the system)
    recordAudit(actionEnv(env, logKey), 'payment', PAYMENT, paymentId, {
      after: { payment: payment.name, amount, channel, ledger_ref: ledgerRef },
      note: typeof note === 'string' && note ? note : false,
      workOrderId: wo.id as number,
    });
  }
  const state = String(wo.state);
  writeLog(
    env,
    wo,
    { event: 'payment_registered', action: 'register_payment', fromState: state, toState: state, actor, key: logKey, note: `${String(payment.name)}: ${money(env, amount, cur)} via ${channel}` },
    { ...result, amount_paid: pyFloat(wo.amount_paid), amount_due: pyFloat(wo.amount_due) },
  );
  return { ...result, replayed: false };
}

function actionRegisterRefund(env: Env, ids: number[], ledgerRef: unknown, amountValue: unknown, channel: unknown, creditValue: unknown): Result {
  const wo = actionWorkOrder(env, ids);
  // 0. the arguments
  const maxRef = MAX_REF - CREDIT_SUFFIX.length;
  if (typeof ledgerRef !== 'string' || !ledgerRef.trim() || ledgerRef.length > maxRef) throw validationError(`a ledger reference is a string of 1 to ${maxRef} characters`);
  const prec = woRounding(env, wo);
  if (!isNumber(amountValue) || floatRound(amountValue, prec) <= 0) throw validationError('amount must be a number > 0');
  const creditIn = creditValue === false || creditValue === null || creditValue === undefined ? 0 : creditValue;
  if (!isNumber(creditIn) || floatRound(creditIn, prec) < 0 || floatRound(creditIn - amountValue, prec) > 0) throw validationError('credit_amount must be a number from 0 to the refunded amount');
  if (typeof channel !== 'string' || !CHANNEL_JOURNALS[channel]) throw validationError(`unknown payment channel ${pyRepr(channel)}: use wechat, stripe or offline`);
  const amount = monetaryColumn(amountValue, prec);
  const credit = monetaryColumn(creditIn, prec);
  const logKey = `ledger/${ledgerRef}`;
  // _drmoto_begin: a log row with this key written by another action → DRM_DUP_KEY
  const other = env
    .model(STATUS_LOG)
    .sudo()
    .allRows()
    .find((l) => l.work_order_id === wo.id && l.request_key === logKey && l.action !== 'register_refund');
  if (other) throw new UserError(`DRM_DUP_KEY: request key ${logKey} was used for '${String(other.action)}' on work order ${String(wo.name)}, not for 'register_refund'`);
  const cur = currencyOf(env, wo);
  const creditRef = ledgerRef + CREDIT_SUFFIX;

  // 1. the ledger reference: registered already → the same refund, or a conflict
  const existing = paymentByLedgerRef(env, wo.company_id as number, ledgerRef);
  if (existing) {
    const note = moveByLedgerRef(env, wo.company_id as number, creditRef);
    if (
      existing.drmoto_work_order_id !== wo.id ||
      existing.payment_type !== 'outbound' ||
      existing.drmoto_channel !== channel ||
      floatRound(Number(existing.amount) - amount, prec) !== 0 ||
      floatRound(Number(note?.amount_total ?? 0) - credit, prec) !== 0
    ) {
      const other = existing.drmoto_work_order_id === null ? undefined : env.model(WO).sudo().row(existing.drmoto_work_order_id as number);
      throw new UserError(
        `DRM_DUP_KEY: ledger entry ${ledgerRef} is already registered as ${String(existing.name)} (${String(existing.payment_type)} ${money(env, Number(existing.amount), cur)} via ${String(existing.drmoto_channel)} on ${other ? String(other.name) : 'no work order'})`,
      );
    }
    return refundResult(wo, existing.id as number, note ? (note.id as number) : false, true);
  }

  // 2. actor, 3. state
  const actor = checkActor(env, 'register_refund', wo);
  if (!MONEY_STATES.includes(String(wo.state))) throw stateError(wo, 'register_refund');

  // 4. the credit note (price reduction), the outbound payment, reconciled; log and audit rows
  const aenv = actionEnv(env, logKey);
  const noteId = floatRound(credit, prec) !== 0 ? makeRefundCreditNote(aenv, wo, credit, creditRef, logKey) : false;
  const paymentId = registerRefundPayment(aenv, wo, ledgerRef, amount, channel);
  const payment = env.model(PAYMENT).sudo().row(paymentId)!;
  const noteRow = noteId ? env.model(MOVE).sudo().row(noteId) : undefined;
  const result = refundResult(wo, paymentId, noteId, false);
  recordAudit(aenv, 'refund', PAYMENT, paymentId, {
    after: { payment: payment.name, amount, credit_amount: credit, credit_note: noteRow ? noteRow.name : false, channel, ledger_ref: ledgerRef },
    workOrderId: wo.id as number,
  });
  const state = String(wo.state);
  writeLog(
    env,
    wo,
    {
      event: 'refund_registered',
      action: 'register_refund',
      fromState: state,
      toState: state,
      actor,
      key: logKey,
      note: `${String(payment.name)}: -${money(env, amount, cur)} via ${channel}${noteRow ? `, ${String(noteRow.name)}: -${money(env, credit, cur)}` : ''}`,
    },
    { ...result, replayed: undefined, amount_paid: pyFloat(wo.amount_paid), amount_refunded: pyFloat(wo.amount_refunded), amount_credited: pyFloat(wo.amount_credited), amount_due: pyFloat(wo.amount_due) },
  );
  return result;
}

function refundResult(wo: Row, paymentId: number, noteId: number | false, replayed: boolean): Result {
  return {
    id: wo.id,
    payment_id: paymentId,
    credit_note_id: noteId,
    amount_paid: wo.amount_paid,
    amount_refunded: wo.amount_refunded,
    amount_credited: wo.amount_credited,
    amount_due: wo.amount_due,
    replayed,
  };
}

export const PAYMENT_ACTIONS: Record<string, MethodDef> = {
  action_register_refund: {
    api: 'records',
    params: [{ name: 'ledger_ref', default: false }, { name: 'amount', default: false }, { name: 'channel', default: false }, { name: 'credit_amount', default: 0 }],
    fn: (env, [ledgerRef, amount, channel, credit], ids) => actionRegisterRefund(env, ids, ledgerRef, amount, channel, credit),
  },
  action_sync_invoices: {
    api: 'records',
    params: [{ name: 'request_key', default: false }],
    fn: (env, [key], ids) => actionSyncInvoices(env, ids, key),
  },
  action_register_payment: {
    api: 'records',
    params: [{ name: 'ledger_ref' }, { name: 'amount' }, { name: 'channel' }, { name: 'note', default: false }],
    fn: (env, [ledgerRef, amount, channel, note], ids) => actionRegisterPayment(env, ids, ledgerRef, amount, channel, note),
  },
};
