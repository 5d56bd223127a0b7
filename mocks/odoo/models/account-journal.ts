/**
 * account.journal, reduced to what the workshop needs: the shop's sales journal (`INV`, credit notes `RINV`) and
 * one payment journal per channel (docs/odoo-contract.md "Invoices, payments, closing"): `WXP` (WeChat Pay, bank),
 * `STRP` (Stripe, bank), `CASH` (offline, cash), created on first use by the payment method (sudo) when missing.
 * No accounts: a payment journal posts straight to its bank/cash account (no outstanding receipts account), so a
 * reconciled invoice is `paid`, never `in_payment`.
 */
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';
import { internalEnv, validationError } from './drmoto-wo-common';
import { companyRule } from '../security';

export const JOURNAL = 'account.journal';

export const CHANNELS: Array<[string, string]> = [
  ['wechat', 'WeChat Pay'],
  ['stripe', 'Stripe'],
  ['offline', 'Offline'],
];

/** channel → the journal the payment method finds or creates: code, name, type */
export const CHANNEL_JOURNALS: Record<string, { code: string; name: string; type: 'bank' | 'cash' }> = {
  wechat: { code: 'WXP', name: 'WeChat Pay', type: 'bank' },
  stripe: { code: 'STRP', name: 'Stripe', type: 'bank' },
  offline: { code: 'CASH', name: 'Cash', type: 'cash' },
};

function journalByCode(env: Env, companyId: number, code: string): Row | undefined {
  const journals = env.model(JOURNAL).sudo();
  return journals.sortRows(
    journals.allRows().filter((j) => j.company_id === companyId && j.code === code),
    journals.def.order ?? 'id',
  )[0];
}

/** the shop's first active sales journal (the customer invoices and credit notes of the work orders) */
export function saleJournal(env: Env, companyId: number): Row {
  const journals = env.model(JOURNAL).sudo();
  const found = journals.sortRows(
    journals.allRows().filter((j) => j.company_id === companyId && j.type === 'sale' && j.active !== false),
    journals.def.order ?? 'id',
  )[0];
  if (!found) {
    const company = env.model('res.company').sudo().row(companyId);
    throw validationError(`the shop ${String(company?.name ?? companyId)} has no sales journal`);
  }
  return found;
}

/** _drmoto_channel_journal: the channel's journal of the shop, created (sudo) on first use */
export function channelJournal(env: Env, companyId: number, channel: string): Row {
  const spec = CHANNEL_JOURNALS[channel];
  if (!spec) throw validationError(`unknown payment channel ${channel}`);
  const existing = journalByCode(env, companyId, spec.code);
  if (existing) return existing;
  const company = env.model('res.company').sudo().row(companyId);
  const [id] = internalEnv(env)
    .model(JOURNAL)
    .create([{ name: spec.name, code: spec.code, type: spec.type, company_id: companyId, currency_id: company?.currency_id ?? false, payment_sequence: true }]);
  return env.model(JOURNAL).sudo().row(id!)!;
}

export const accountJournal: ModelDef = {
  name: JOURNAL,
  description: 'Journal',
  order: 'sequence, type, code',
  fields: {
    name: { type: 'char', string: 'Journal Name', required: true, translate: true },
    code: { type: 'char', string: 'Short Code', size: 5, required: true },
    type: {
      type: 'selection',
      string: 'Type',
      selection: [
        ['sale', 'Sales'],
        ['purchase', 'Purchase'],
        ['cash', 'Cash'],
        ['bank', 'Bank'],
        ['general', 'Miscellaneous'],
      ],
      required: true,
    },
    active: { type: 'boolean', string: 'Active', default: true },
    sequence: { type: 'integer', string: 'Sequence', default: 10 },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', required: true, index: true, default: (env) => env.companyId() },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency' },
    refund_sequence: { type: 'boolean', string: 'Dedicated Credit Note Sequence', default: false },
    payment_sequence: { type: 'boolean', string: 'Dedicated Payment Sequence', default: false },
  },
  sqlConstraints: [{ name: 'code_company_uniq', unique: ['company_id', 'code'], message: 'Journal codes must be unique per company.' }],
  acl: { 'base.group_user': 'r', 'base.group_system': 'rwcu' },
  rules: [
    companyRule('Journal multi-company'),
  ],
};
