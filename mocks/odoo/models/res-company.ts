import type { ModelDef } from '../orm/types';

const TZS: Array<[string, string]> = (Intl as unknown as { supportedValuesOf(k: string): string[] })
  .supportedValuesOf('timeZone')
  .concat(['UTC'])
  .filter((tz, i, all) => all.indexOf(tz) === i)
  .sort()
  .map((tz) => [tz, tz]);

export const resCompany: ModelDef = {
  name: 'res.company',
  description: 'Companies',
  order: 'sequence, name',
  fields: {
    name: { type: 'char', string: 'Company Name', required: true },
    sequence: { type: 'integer', string: 'Sequence', default: 10 },
    partner_id: { type: 'many2one', string: 'Partner', relation: 'res.partner', required: true },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', required: true },
    active: { type: 'boolean', string: 'Active', default: true },
    // drmoto_workshop/models/res_company.py
    drmoto_tz: {
      type: 'selection',
      string: 'Shop time zone',
      selection: TZS,
      default: 'Asia/Shanghai',
      required: true,
      help: "Time zone of the shop: every 'by day' figure (reports, ledger) uses it.",
    },
    // account: the default sales tax (labor lines and products without taxes)
    account_sale_tax_id: { type: 'many2one', string: 'Default Sale Tax', relation: 'account.tax' },
    // drmoto_workshop/models/drmoto_work_order_media.py: check-in photos required before the diagnosis (0 = off)
    drmoto_min_checkin_photos: { type: 'integer', string: 'Check-in photos required', default: 0 },
    tax_calculation_rounding_method: {
      type: 'selection',
      string: 'Tax Calculation Rounding Method',
      selection: [['round_per_line', 'Round per Line'], ['round_globally', 'Round Globally']],
      default: 'round_per_line',
    },
  },
  sqlConstraints: [
    { name: 'name_uniq', unique: ['name'], message: 'The company name must be unique!' },
    {
      name: 'drmoto_min_checkin_photos_positive',
      unique: [],
      checkFields: ['drmoto_min_checkin_photos'],
      check: (r) => r.drmoto_min_checkin_photos === null || Number(r.drmoto_min_checkin_photos) >= 0,
      message: "DRM_VALIDATION: the number of check-in photos can't be negative",
    },
  ],
  acl: { 'base.group_user': 'r', 'base.group_erp_manager': 'rwcu' },
};
