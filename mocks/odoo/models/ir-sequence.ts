/** ir.sequence (no date ranges): next_by_code picks the current company's sequence, else a shared one. */
import { UserError } from '../errors';
import type { Env } from '../orm/orm';
import type { ModelDef, Row } from '../orm/types';

function interpolate(env: Env, s: unknown, seqName: string): string {
  if (!s) return '';
  const tz = typeof env.context.tz === 'string' && env.context.tz ? env.context.tz : 'UTC';
  let parts: Record<string, string>;
  try {
    const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    parts = Object.fromEntries(fmt.formatToParts(env.orm.now()).map((p) => [p.type, p.value]));
  } catch {
    throw new UserError(`Invalid prefix or suffix for sequence '${seqName}'`);
  }
  const d: Record<string, string> = {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    y: parts.year!.slice(2),
    h24: parts.hour!,
    min: parts.minute!,
    sec: parts.second!,
  };
  return String(s).replace(/%\(([a-z_0-9]+)\)s/g, (m, key: string) => {
    const k = key.replace(/^(range|current)_/, '');
    if (!(k in d)) throw new UserError(`Invalid prefix or suffix for sequence '${seqName}'`);
    return d[k]!;
  });
}

/** ir.sequence.next_by_code(code) for the environment's company: the next string, or false without a sequence */
export function nextByCode(env: Env, code: string, companyId: number | null = env.companyId()): string | false {
  const seqs = env.model('ir.sequence').sudo();
  const candidates = seqs
    .allRows()
    .filter((s) => s.code === code && s.active !== false && (s.company_id === null || s.company_id === companyId))
    .sort((a, b) => (a.company_id === null ? 1 : 0) - (b.company_id === null ? 1 : 0) || a.id - b.id);
  const seq: Row | undefined = candidates[0];
  if (!seq) return false;
  return nextOf(env, seq);
}

/** ir.sequence.next_by_id() of one sequence (a picking type's sequence_id): the next string, or false without one */
export function nextBySequence(env: Env, seqId: number | null): string | false {
  const seq = seqId === null ? undefined : env.model('ir.sequence').sudo().row(seqId);
  if (!seq || seq.active === false) return false;
  return nextOf(env, seq);
}

function nextOf(env: Env, seq: Row): string {
  const n = Number(seq.number_next);
  seq.number_next = n + Number(seq.number_increment || 1);
  const name = String(seq.name);
  return `${interpolate(env, seq.prefix, name)}${String(n).padStart(Number(seq.padding), '0')}${interpolate(env, seq.suffix, name)}`;
}

export const irSequence: ModelDef = {
  name: 'ir.sequence',
  description: 'Sequence',
  order: 'name',
  fields: {
    name: { type: 'char', string: 'Name', required: true },
    code: { type: 'char', string: 'Sequence Code' },
    implementation: { type: 'selection', string: 'Implementation', selection: [['standard', 'Standard'], ['no_gap', 'No gap']], default: 'standard', required: true },
    active: { type: 'boolean', string: 'Active', default: true },
    prefix: { type: 'char', string: 'Prefix' },
    suffix: { type: 'char', string: 'Suffix' },
    number_next: { type: 'integer', string: 'Next Number', required: true, default: 1 },
    number_increment: { type: 'integer', string: 'Step', required: true, default: 1 },
    padding: { type: 'integer', string: 'Sequence Size', required: true, default: 0 },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
  },
  methods: {
    next_by_code: {
      api: 'model',
      params: [{ name: 'sequence_code' }, { name: 'sequence_date', default: null }],
      fn: (env, [code]) => {
        env.model('ir.sequence').checkAccessRights('read');
        return nextByCode(env, String(code));
      },
    },
  },
  acl: { 'base.group_user': 'r', 'base.group_system': 'rwcu' },
};
