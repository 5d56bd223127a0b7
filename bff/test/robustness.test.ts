/**
 * Robustness: every operation of GET /openapi.json gets a seeded table of malformed requests (bad JSON, wrong content
 * types, every body field with wrong types and hostile values, bad path ids and query params, missing / invalid /
 * expired / wrong-role tokens, bad Idempotency-Key and If-Match headers), and the webhooks get garbage. The house rule:
 * bad input gets an RFC 9457 problem+json error (400/401/403/404/409/412/413/415/422; 503 with Retry-After only when a
 * dependency is down), never a 500, never a stack trace or internal text, and a refused request changes nothing (the
 * Odoo mock's rows and the BFF store's row counts are fingerprinted around every batch of must-fail requests).
 *
 * Deterministic: values come from a seeded PRNG (ROBUSTNESS_SEED, printed with every failure), never Math.random.
 * Violations are collected per category and reported together, each named `<METHOD> <path> :: <case>`.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import jwt from 'jsonwebtoken';
import Stripe from 'stripe';
import { prng, startHarness, type Harness } from './harness';

// -------------------------------------------------------------------------------------------------- KNOWN defects
/**
 * KNOWN: defects in areas other engineers own (payments, webhooks, media, reports, mocks/odoo), listed by case id
 * (`<METHOD> <openapi path> :: <case>`, an exact id or a prefix ending in `*`). The lead clears this list once they are
 * fixed. A known case is still run and reported (console), never counted as passing; an entry that no longer matches a
 * failing case fails the test so it is removed, and a removed entry whose case still fails fails the test as usual.
 */
const KNOWN: Record<string, string> = {
  // (none: the webhooks' 503s carry Retry-After since the lead's fix)
};

// ---------------------------------------------------------------------------------------------------- PRNG & values
const SEED = Number(process.env.ROBUSTNESS_SEED ?? 0x5eed_2024);
/** A file to append every case and its answer to (for reading what the suite did). */
const LOG = process.env.ROBUSTNESS_LOG;
/** How many violations a failure lists. */
const SHOW = Number(process.env.ROBUSTNESS_SHOW ?? 60);

let rnd = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

/** A random string of awkward characters: astral emoji, RTL marks, combining marks, CJK, quotes, NUL. */
function randomText(max = 24): string {
  const pools = ['🏍', '👨‍🔧', '\u202e', '\u200f', '\u0301', '粤', '字', 'ß', 'İ', '"', "'", '\\', '%', '_', '\u0000', '\u2028', '\ufeff', 'a', '1', ' ', '<', '$', '{'];
  let s = '';
  for (let i = int(1, max); i > 0; i--) s += pick(pools);
  return s;
}

/** A random JSON value of a random type (nested a little). */
function randomJson(depth = 0): unknown {
  switch (int(0, depth > 1 ? 4 : 6)) {
    case 0:
      return int(-1e6, 1e6) * (rnd() < 0.5 ? 1 : 0.001);
    case 1:
      return randomText();
    case 2:
      return rnd() < 0.5;
    case 3:
      return null;
    case 4:
      return -int(0, 2 ** 31);
    case 5:
      return Array.from({ length: int(0, 3) }, () => randomJson(depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: int(0, 3) }, () => [randomText(6), randomJson(depth + 1)]));
  }
}

const SQLISH = ["') OR 1=1 --", "1; DROP TABLE payment_ledger; --", "['id','!=',0]", '[["id", "!=", 0]]', "' UNION ALL SELECT NULL --", '|', '&'];
const MB = 1024 * 1024;

/** A JSON value that JSON.stringify can't write (1e309, 2^53+1, -0): spliced into the body text as is. */
class RawJson {
  constructor(readonly text: string) {}
}
const RAW_PLACEHOLDER = '"__raw__"';
function bodyText(value: unknown): string {
  let raw: RawJson | undefined;
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof RawJson) {
      raw = v;
      return '__raw__';
    }
    return v;
  });
  return raw ? text.replace(RAW_PLACEHOLDER, raw.text) : text;
}

// ----------------------------------------------------------------------------------------------------- HTTP
interface Resp {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}
interface Req {
  method: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
let baseUrl: URL;

/** node:http, not fetch: the test must send what fetch refuses (duplicate headers, no content type, latin-1 bytes). */
function send(r: Req, to: URL = baseUrl): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { ...r.headers };
    if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
    const req = http.request({ host: to.hostname, port: to.port, method: r.method, path: r.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

// ----------------------------------------------------------------------------------------------------- checks
const LEAKS: [RegExp, string][] = [
  [/Traceback/, 'python traceback'],
  [/\bat (?:Object\.|async |new |[\w$.<>]+ \()/, 'JS stack frame'],
  [/[\w-]+\.(?:ts|js|py):\d+/, 'source file:line'],
  [/\/(?:work|home|usr|opt|tmp)\/[\w./-]+/, 'file path'],
  [/node_modules/, 'node_modules'],
  [/\bSELECT\b[\s\S]{0,200}\bFROM\b|\bINSERT INTO\b|\bUPDATE\s+\w+\s+SET\b|\bsyntax error at or near\b|\bviolates\b[\s\S]{0,40}constraint|\brelation "/i, 'SQL'],
  [/psycopg|odoo\.(?:exceptions|addons|models)|faultCode|xmlrpc|ECONNREFUSED|ECONNRESET|EPIPE|TypeError|RangeError|ReferenceError|SyntaxError: /, 'internal error text'],
];

/** What one case allows: exact statuses, and whether a 2xx is acceptable. */
interface Expect {
  statuses: readonly number[];
  /** Problem `type` suffix required for a 4xx (e.g. 'validation' → `errors[]` must be present). */
  type?: string;
  code?: string;
}
const ERR = [400, 401, 403, 404, 409, 412, 413, 415, 422];
const ANY_OK = [200, 201, 204, ...ERR];

/** Everything wrong with one answer, as strings (empty: fine). */
function judge(r: Resp, exp: Expect, sentText: string): string[] {
  const bad: string[] = [];
  const summary = `${r.status} ${r.text.slice(0, 300)}`;
  if (r.status >= 500) {
    if (r.status !== 503) bad.push(`5xx: ${summary}`);
    else if (!r.headers['retry-after']) bad.push(`503 without Retry-After: ${summary}`);
  } else if (!exp.statuses.includes(r.status)) {
    bad.push(`status ${r.status} not in [${exp.statuses.join(',')}]: ${r.text.slice(0, 300)}`);
  }
  if (r.status >= 400) {
    const ct = String(r.headers['content-type'] ?? '');
    if (!ct.startsWith('application/problem+json')) bad.push(`content-type ${ct || '(none)'}: ${summary}`);
    const b = r.body as Record<string, unknown> | undefined;
    if (!b || typeof b !== 'object') bad.push(`body not JSON: ${summary}`);
    else {
      if (typeof b.type !== 'string' || !b.type) bad.push(`no problem type: ${summary}`);
      if (typeof b.title !== 'string' || !b.title) bad.push(`no problem title: ${summary}`);
      if (b.status !== r.status) bad.push(`problem status ${String(b.status)} ≠ ${r.status}`);
      if (r.status === 400 && String(b.type).endsWith(':validation')) {
        const errors = b.errors as { path?: unknown; message?: unknown }[] | undefined;
        if (!Array.isArray(errors) || errors.length === 0 || errors.some((e) => typeof e.path !== 'string' || typeof e.message !== 'string')) {
          bad.push(`validation problem without errors[]: ${summary}`);
        }
      }
      if (exp.type && r.status === exp.statuses[0] && !String(b.type).endsWith(`:${exp.type}`)) bad.push(`problem type ${String(b.type)}, expected …:${exp.type}`);
      if (exp.code && r.status === exp.statuses[0] && b.code !== exp.code) bad.push(`problem code ${String(b.code)}, expected ${exp.code}`);
      if (r.status === 401 && !r.headers['www-authenticate']) bad.push('401 without WWW-Authenticate');
      // The problem may quote the request (instance = its URL): look for leaks in what the request did not say.
      const own = { ...b };
      delete own.instance;
      const text = JSON.stringify(own);
      for (const [re, what] of LEAKS) {
        const m = text.match(re);
        if (m && !sentText.includes(m[0])) bad.push(`leaks ${what} (${m[0].slice(0, 60)}): ${summary}`);
      }
    }
  }
  return bad;
}

// ----------------------------------------------------------------------------------------------------- the suite
interface Op {
  method: string;
  path: string;
  id: string;
  access: 'public' | { staff?: string[] | 'any'; customer?: 'any' | 'bound' };
  params: { name: string; in: string; required: boolean; schema: JsonSchema }[];
  body?: JsonSchema;
  idempotency?: 'required' | 'optional';
  ifMatch: boolean;
}
interface JsonSchema {
  type?: string | string[];
  nullable?: boolean;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  default?: unknown;
}

const STAFF = ['advisor', 'technician', 'keeper', 'cashier', 'manager'] as const;

describe('robustness: malformed requests on every operation', () => {
  let h: Harness;
  let ops: Op[] = [];
  const tokens: Record<string, string> = {};
  let refreshToken = '';
  /** ids that exist, so a request gets past the 404 to its validation */
  const ids = { customer: 0, vehicle: 0, workOrder: 0, scratchWo: 0, product: 0, technician: 0, paymentOrder: 0, upload: '' };
  let requests = 0;
  /** requests per operation, for the summary */
  const perOp = new Map<string, number>();
  const knownHits = new Map<string, string[]>();
  const violations: Record<string, string[]> = {};
  let seq = 0;

  /** Sends, judges, and files what is wrong (under KNOWN when listed). Returns the answer. */
  async function check(category: string, caseId: string, r: Req, exp: Expect): Promise<Resp> {
    requests++;
    perOp.set(caseId.split(' :: ')[0]!, (perOp.get(caseId.split(' :: ')[0]!) ?? 0) + 1);
    let res: Resp;
    try {
      res = await send(r);
    } catch (e) {
      res = { status: 0, headers: {}, text: `transport error: ${(e as Error).message}`, body: undefined };
    }
    const sentText = `${r.path} ${typeof r.body === 'string' ? r.body.slice(0, 4096) : ''} ${JSON.stringify(r.headers ?? {})}`;
    const bad = res.status === 0 ? [res.text] : judge(res, exp, sentText);
    if (LOG) appendFileSync(LOG, `${category}\t${caseId}\t${res.status}\t${res.text.slice(0, 800).replace(/\s+/g, ' ')}\n`);
    if (bad.length) file(category, caseId, bad);
    return res;
  }
  function file(category: string, caseId: string, bad: string[]): void {
    const known = Object.keys(KNOWN).find((k) => (k.endsWith('*') ? caseId.startsWith(k.slice(0, -1)) : caseId === k));
    if (known) {
      knownHits.set(known, [...(knownHits.get(known) ?? []), `${caseId}: ${bad.join(' | ')}`]);
      return;
    }
    (violations[category] ??= []).push(`${caseId}: ${bad.join(' | ')}`);
  }
  function expectClean(category: string): void {
    const v = violations[category] ?? [];
    if (v.length) {
      // One readable list: the seed reproduces it.
      throw new Error(`${v.length} robustness violation(s) in ${category} (ROBUSTNESS_SEED=${SEED}):\n  ${v.slice(0, SHOW).join('\n  ')}${v.length > SHOW ? `\n  … ${v.length - SHOW} more (ROBUSTNESS_SHOW=n lists more)` : ''}`);
    }
  }

  // ---- fingerprints: what a refused request must not change
  /** Per Odoo model a hash of its rows, per BFF store table its row count. */
  async function fingerprint(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const orm = h.odoo.orm.orm;
    for (const model of [...orm.defs.keys()].sort()) {
      const hash = createHash('sha256');
      const rows = orm.table(model).rows;
      for (const [id, row] of rows) hash.update(`${id}=${JSON.stringify(row)};`);
      out.set(`odoo ${model}`, `${rows.size} rows ${hash.digest('hex').slice(0, 12)}`);
    }
    const db = h.bff.container.db;
    const tables = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1");
    for (const { table_name } of tables.rows) {
      const c = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${table_name}"`);
      out.set(`store ${table_name}`, `${c.rows[0]!.n} rows`);
    }
    return out;
  }
  function changes(a: Map<string, string>, b: Map<string, string>): string[] {
    return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: ${a.get(k) ?? '-'} → ${b.get(k) ?? '-'}`);
  }
  /**
   * Runs a batch of must-fail requests and checks that together they changed nothing. `handlerMayRun`: some requests
   * of the batch reach their handler (an id of the right form that names nothing → 404), whose refusal is recorded
   * under its Idempotency-Key by design; everywhere else a refused request must not even spend its key.
   */
  async function unchanged(category: string, caseId: string, fn: () => Promise<void>, opts: { handlerMayRun?: boolean } = {}): Promise<void> {
    const before = await fingerprint();
    await fn();
    const after = await fingerprint();
    if (opts.handlerMayRun) for (const m of [before, after]) m.delete('store idempotency_keys');
    const diff = changes(before, after);
    if (diff.length) file(category, `${caseId} :: no-change`, [`refused requests changed ${diff.join('; ')}`]);
  }

  // ---- building valid requests
  function principalFor(op: Op): string | undefined {
    if (op.access === 'public') return undefined;
    const staff = op.access.staff;
    if (staff === 'any') return 'advisor';
    if (staff && staff.length) return staff[0]!;
    return 'customer';
  }
  function auth(who: string | undefined): Record<string, string> {
    return who ? { authorization: `Bearer ${tokens[who]}` } : {};
  }

  /** Path parameter values that exist (so validation, not a 404, decides). */
  function pathValue(op: Op, name: string, who: string | undefined): string {
    if (name === 'version') return '1';
    if (op.path.startsWith('/api/v1/customers/')) return String(ids.customer);
    if (op.path.startsWith('/api/v1/vehicles/')) return String(ids.vehicle);
    if (op.path.startsWith('/api/v1/payments/')) return String(ids.paymentOrder || 1);
    if (op.path.startsWith('/api/v1/media/')) return ids.upload;
    if (op.path.startsWith('/api/v1/admin/failed-jobs/')) return 'no-such-job';
    if (op.path.startsWith('/api/v1/work-orders/')) return String(op.method === 'get' || who === 'customer' ? ids.workOrder : ids.scratchWo);
    return '1';
  }
  function concretePath(op: Op, who: string | undefined, override: Record<string, string> = {}, query = ''): string {
    return op.path.replace(/\{(\w+)\}/g, (_m, n: string) => override[n] ?? pathValue(op, n, who)) + query;
  }

  /** A schema-valid example (sensible values where the name says what it is). */
  function example(s: JsonSchema, name = ''): unknown {
    if (s.default !== undefined && name !== 'kind') return s.default;
    if (s.const !== undefined) return s.const;
    if (s.enum) return s.enum[0];
    const alt = s.anyOf ?? s.oneOf;
    if (alt) return example(alt.find((a) => a.type !== 'null' && a.nullable !== true) ?? alt[0]!, name);
    if (s.allOf) return example(s.allOf[0]!, name);
    const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
    const named: Record<string, unknown> = {
      customer_id: ids.customer,
      vehicle_id: ids.vehicle,
      product_id: ids.product,
      technician_id: ids.technician,
      phone: '13900139001',
      plate_no: '粤Z·R0B01',
      email: 'robust@example.com',
      login: 'nobody',
      password: 'wrong-password',
      code: 'invalid-robustness-code',
      refresh_token: 'not-a-refresh-token',
      content_type: 'image/jpeg',
      filename: 'photo.jpg',
      size: 1024,
      qty: 1,
      year: 2020,
    };
    if (name in named && (t === 'string' ? typeof named[name] === 'string' : typeof named[name] !== 'string')) return named[name];
    switch (t) {
      case 'string':
        if (s.format === 'date-time') return '2030-01-01T10:00:00+08:00';
        if (s.format === 'date' || s.pattern === '^\\d{4}-\\d{2}-\\d{2}$') return '2026-01-15';
        if (s.format === 'email') return 'robust@example.com';
        if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
        return 'robust'.padEnd(Math.max(s.minLength ?? 1, 6), 'x').slice(0, s.maxLength ?? 64);
      case 'integer':
      case 'number': {
        const lo = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 1;
        return Math.max(lo, 1);
      }
      case 'boolean':
        return false;
      case 'array':
        return Array.from({ length: Math.max(s.minItems ?? 0, 1) }, () => example(s.items ?? {}, name));
      case 'object': {
        // Required fields, and the owner (optional in the schema for customers, who are the owner; staff must name one).
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(s.properties ?? {})) if ((s.required ?? []).includes(k) || k === 'customer_id') out[k] = example(v, k);
        return out;
      }
      default:
        return 'x';
    }
  }
  function baseBody(op: Op): Record<string, unknown> {
    const b = example(op.body!) as Record<string, unknown>;
    // PATCH bodies need at least one field.
    if (Object.keys(b).length === 0) {
      const props = Object.entries(op.body!.properties ?? {});
      const first = props.find(([k]) => ['city', 'brand', 'note', 'name'].includes(k)) ?? props[0];
      if (first) b[first[0]] = example(first[1], first[0]);
    }
    return b;
  }
  function baseReq(op: Op, who = principalFor(op)): Req {
    const headers: Record<string, string> = { ...auth(who) };
    let body: string | undefined;
    if (op.body) {
      body = JSON.stringify(baseBody(op));
      headers['content-type'] = 'application/json';
    }
    if (op.idempotency) headers['idempotency-key'] = `robust-${SEED}-${++seq}`;
    const query = op.params
      .filter((p) => p.in === 'query' && p.required)
      .map((p) => `${p.name}=${encodeURIComponent(String(example(p.schema, p.name)))}`)
      .join('&');
    return { method: op.method.toUpperCase(), path: concretePath(op, who, {}, query ? `?${query}` : ''), headers, body };
  }

  // ---- schema helpers
  const typeOf = (s: JsonSchema): string | undefined => {
    const alt = s.anyOf ?? s.oneOf;
    if (alt) return typeOf(alt.find((a) => a.type !== 'null') ?? {});
    return Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  };
  const nullable = (s: JsonSchema): boolean =>
    s.nullable === true || (Array.isArray(s.type) && s.type.includes('null')) || !!(s.anyOf ?? s.oneOf)?.some((a) => a.type === 'null' || a.nullable === true || a.enum?.includes(null));
  const inner = (s: JsonSchema): JsonSchema => (s.anyOf ?? s.oneOf)?.find((a) => a.type !== 'null') ?? s;

  /**
   * Wrong values for a field, each marked `surely` invalid (the schema alone refuses it: the request must be a 400 and
   * change nothing) or not (hostile but possibly valid, e.g. an emoji name: any answer but a 5xx, and a created record
   * keeps what was sent).
   */
  function badValues(s0: JsonSchema): { label: string; value: unknown; surely: boolean; size?: boolean }[] {
    const s = inner(s0);
    const t = typeOf(s0);
    const out: { label: string; value: unknown; surely: boolean; size?: boolean }[] = [];
    const add = (label: string, value: unknown, surely: boolean, size = false) => out.push({ label, value, surely, size });
    if (!nullable(s0)) add('null', null, true);
    add('array', [], t !== 'array');
    add('object', {}, t !== 'object');
    add('mongo-ish object', { $ne: null }, true);
    add('1 MB string', 'x'.repeat(MB), true, true);
    if (t === 'string') {
      const enumOnly = !!s.enum;
      add('number', 12345, true);
      add('negative', -1, true);
      add('boolean', true, true);
      add('array of string', ['x'], true);
      add('1e309', new RawJson('1e309'), true);
      add('2^53+1', new RawJson('9007199254740993'), true);
      if (s.maxLength !== undefined) add('maxLength+1', 'y'.repeat(s.maxLength + 1), true);
      add('empty', '', (s.minLength ?? 0) > 0 || enumOnly);
      for (const v of SQLISH) add(`sql/domain ${v}`, v, enumOnly || !!s.format);
      // Nothing can store these (PostgreSQL refuses NUL, UTF-8 has no lone surrogate): refused in every string.
      add('NUL', 'a\u0000b', true);
      add('lone surrogate', '\ud800x', true);
      add('emoji', '🏍️👨‍🔧 维修', enumOnly || !!s.format);
      add('RTL', '\u202eabc\u202c عربي', enumOnly || !!s.format);
      add('NaN-like', 'NaN', enumOnly || !!s.format);
      add(`random ${0}`, randomText(), enumOnly || !!s.format);
      add(`random ${1}`, randomText(), enumOnly || !!s.format);
      if (enumOnly) add('enum, wrong case', String(s.enum![0]).toUpperCase() + '_', true);
    } else if (t === 'integer' || t === 'number') {
      for (const v of ['1', 'abc', 'NaN', 'Infinity', '-0', '1e3', "') OR 1=1 --", "['id','!=',0]"]) add(`string ${v}`, v, true);
      add('boolean', true, true);
      add('array of number', [1], true);
      add('1e309', new RawJson('1e309'), true);
      add('-1e309', new RawJson('-1e309'), true);
      add('2^53+1', new RawJson('9007199254740993'), t === 'integer' || (s.maximum ?? Infinity) < 2 ** 53);
      const lo = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : -Infinity;
      const loExcl = typeof s.exclusiveMinimum === 'number' || s.exclusiveMinimum === true;
      add('-0', new RawJson('-0'), lo > 0 || (lo === 0 && loExcl));
      add('negative', -1, lo > -1 || (lo === -1 && loExcl));
      add('2^31', 2 ** 31, (s.maximum ?? Infinity) < 2 ** 31);
      add('1e20', 1e20, (s.maximum ?? Infinity) < 1e20 || t === 'integer');
      if (t === 'integer') add('fraction', 1.5, true);
      add('random', int(-(2 ** 40), 2 ** 40) / pick([1, 7, 1000]), false);
    } else if (t === 'boolean') {
      for (const v of ['true', 'false', '1', '']) add(`string ${JSON.stringify(v)}`, v, true);
      add('number 1', 1, true);
      add('number 0', 0, true);
    } else if (t === 'array') {
      add('string', 'x', true);
      add('number', 1, true);
      add('array of nulls', [null], true);
      if ((s.minItems ?? 0) > 0) add('empty array', [], true);
      if (s.maxItems !== undefined) add('maxItems+1', Array.from({ length: s.maxItems + 1 }, () => example(s.items ?? {})), true);
      add('nested arrays', [[[[]]]], true);
    } else if (t === 'object') {
      add('string', 'x', true);
      add('number', 1, true);
    }
    add('random JSON', randomJson(), false);
    return out;
  }

  /** Body field paths: top level, and one level into arrays of objects and objects (`lines.0.qty`). */
  function fields(schema: JsonSchema): { path: (string | number)[]; schema: JsonSchema; parent?: JsonSchema }[] {
    const out: { path: (string | number)[]; schema: JsonSchema; parent?: JsonSchema }[] = [];
    for (const [k, v] of Object.entries(schema.properties ?? {})) {
      out.push({ path: [k], schema: v });
      const iv = inner(v);
      if (typeOf(v) === 'array' && iv.items && typeOf(iv.items) === 'object') {
        for (const [k2, v2] of Object.entries(inner(iv.items).properties ?? {})) out.push({ path: [k, 0, k2], schema: v2, parent: iv.items });
      } else if (typeOf(v) === 'object' && iv.properties) {
        for (const [k2, v2] of Object.entries(iv.properties)) out.push({ path: [k, k2], schema: v2, parent: iv });
      }
    }
    return out;
  }
  function withField(base: Record<string, unknown>, op: Op, path: (string | number)[], value: unknown): Record<string, unknown> {
    const b = structuredClone(base);
    if (path.length === 1) {
      b[path[0] as string] = value;
      return b;
    }
    const top = path[0] as string;
    const topSchema = inner(op.body!.properties![top]!);
    if (typeof path[1] === 'number') {
      const arr = Array.isArray(b[top]) && (b[top] as unknown[]).length ? (b[top] as Record<string, unknown>[]) : [example(topSchema.items!) as Record<string, unknown>];
      arr[0] = { ...arr[0], [path[2] as string]: value };
      b[top] = arr;
    } else {
      b[top] = { ...((b[top] as Record<string, unknown>) ?? example(topSchema)), [path[1] as string]: value };
    }
    return b;
  }

  beforeAll(async () => {
    // Stripe configured so its routes are exercised; its API is a closed port (a Stripe call is a dependency down).
    h = await startHarness({
      s3: true,
      wechatPay: true,
      env: { RATE_LIMIT_AUTH_PER_MIN: '1000000', STRIPE_SECRET_KEY: 'sk_test_robustness', STRIPE_WEBHOOK_SECRET: 'whsec_robustness', STRIPE_API_BASE: 'http://127.0.0.1:9', STRIPE_TIMEOUT_MS: '500' },
    });
    baseUrl = new URL(h.bff.url);
    for (const s of STAFF) tokens[s] = await h.staffToken(s);
    // Zhang San (seeded, phone 13800138000) logs in through WeChat and binds his phone: a bound customer with a vehicle
    // and work orders. Another WeChat user never binds: an unbound customer.
    const zhang = await h.customerLogin('robust-zhang', 'phone-13800138000');
    tokens.customer = zhang.access_token;
    refreshToken = zhang.refresh_token;
    tokens.unbound = (await h.customerLogin('robust-unbound')).access_token;
    ids.customer = zhang.user.customer_id as number;
    const env = h.odoo.orm.sudo();
    ids.vehicle = env.model('drmoto.vehicle').search([['partner_id', '=', ids.customer]], { limit: 1, order: 'id' })[0] as number;
    ids.product = env.model('product.product').search([['detailed_type', '=', 'product']], { limit: 1 })[0] as number;
    ids.technician = h.odoo.orm.uid('technician');
    // Zhang's work order waiting for pickup (seeded `ready`): has a confirmed quote version 1 and money due.
    ids.workOrder = env.model('drmoto.work.order').search([['partner_id', '=', ids.customer], ['state', '=', 'ready']], { limit: 1 })[0] as number;
    const scratch = await h.req('POST', '/api/v1/work-orders', { token: tokens.advisor, body: { customer_id: ids.customer, vehicle_id: ids.vehicle, symptom: 'robustness scratch' } });
    expect(scratch.status).toBe(201);
    ids.scratchWo = scratch.body.id;
    const pay = await h.req('POST', `/api/v1/work-orders/${ids.workOrder}/payments/wechat`, { token: tokens.customer, headers: { 'idempotency-key': `robust-setup-pay-${SEED}` } });
    expect(pay.status).toBe(201);
    ids.paymentOrder = pay.body.payment_order.id;
    // Only its uploader may complete an upload: the advisor, whom the suite uses for the media routes.
    const up = await h.req('POST', `/api/v1/work-orders/${ids.workOrder}/media/uploads`, { token: tokens.advisor, body: { filename: 'damage.jpg', content_type: 'image/jpeg', size: 2048 } });
    expect(up.status).toBe(201);
    ids.upload = up.body.id;

    const doc = await h.req('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    for (const [path, byMethod] of Object.entries<Record<string, any>>(doc.body.paths)) {
      for (const [method, o] of Object.entries<any>(byMethod)) {
        const params = (o.parameters ?? []) as Op['params'];
        const idem = params.find((p) => p.name.toLowerCase() === 'idempotency-key');
        ops.push({
          method,
          path,
          id: `${method.toUpperCase()} ${path}`,
          access: o['x-access'] ?? 'public',
          params: params.filter((p) => p.in !== 'header'),
          body: o.requestBody?.content?.['application/json']?.schema,
          idempotency: idem ? (idem.required ? 'required' : 'optional') : undefined,
          ifMatch: params.some((p) => p.name.toLowerCase() === 'if-match'),
        });
      }
    }
    // The probes (/healthz, /readyz) take no input and the webhooks answer in their provider's format: not API operations.
    ops = ops.filter((o) => o.path.startsWith('/api/v1/') && !o.path.startsWith('/api/v1/webhooks/'));
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    await h?.close();
    const lines = [...knownHits].map(([k, v]) => `KNOWN ${k} (${KNOWN[k]}):\n    ${v.slice(0, 5).join('\n    ')}${v.length > 5 ? `\n    … ${v.length - 5} more` : ''}`);
    // eslint-disable-next-line no-console
    const least = ops.map((o) => [o.id, perOp.get(o.id) ?? 0] as const).sort((a, b) => a[1] - b[1]);
    console.log(
      `robustness: ${ops.length} operations, ${requests} requests, seed ${SEED}; fewest per operation: ${least.slice(0, 3).map(([k, n]) => `${k} ${n}`).join(', ')}${lines.length ? `\n${lines.join('\n')}` : ''}`,
    );
  });

  it('covers every operation of /openapi.json', () => {
    // The areas of DESIGN.md §6: if one disappears from the document, this suite silently stops testing it.
    const ids = ops.map((o) => o.id);
    for (const must of ['POST /api/v1/auth/staff/login', 'POST /api/v1/customers', 'PATCH /api/v1/vehicles/{id}', 'POST /api/v1/work-orders/{id}/transitions', 'POST /api/v1/work-orders/{id}/parts/issue', 'POST /api/v1/work-orders/{id}/payments/wechat', 'POST /api/v1/work-orders/{id}/media/uploads', 'GET /api/v1/reports/payments', 'GET /api/v1/admin/failed-jobs']) {
      expect(ids).toContain(must);
    }
    expect(ops.length).toBeGreaterThan(35);
  });

  it('searches treat SQL- and Odoo-domain-looking text as text', async () => {
    rnd = prng(SEED + 1);
    for (const [path, who] of [['/api/v1/customers', 'advisor'], ['/api/v1/vehicles', 'advisor'], ['/api/v1/work-orders', 'advisor'], ['/api/v1/vehicles', 'customer']] as const) {
      for (const v of SQLISH) {
        const caseId = `GET ${path} :: q=${v} as ${who}`;
        const r = await check('search', caseId, { method: 'GET', path: `${path}?q=${encodeURIComponent(v)}`, headers: auth(who) }, { statuses: [200, 400] });
        // Nothing in the seed contains these strings: a hit means the text reached Odoo as a domain or SQL.
        if (r.status === 200 && r.body.total !== 0) file('search', caseId, [`matched ${r.body.total} records`]);
      }
    }
    expectClean('search');
  });

  it('refuses missing, invalid, expired and wrong-role tokens (401/403), changing nothing', async () => {
    const { secret, issuer } = h.config.jwt;
    const now = Math.floor(Date.now() / 1000);
    const staffClaims = { typ: 'access', sub: `staff:${h.odoo.orm.uid('manager')}`, kind: 'staff', roles: ['manager'], name: 'x', cid: 1 };
    const badTokens: [string, Record<string, string>][] = [
      ['no Authorization', {}],
      ['empty Bearer', { authorization: 'Bearer ' }],
      ['Basic', { authorization: 'Basic YWR2aXNvcjpkZW1v' }],
      ['garbage', { authorization: 'Bearer not.a.jwt' }],
      ['huge garbage', { authorization: `Bearer ${'A'.repeat(8000)}` }],
      ['two tokens', { authorization: `Bearer ${tokens.manager} ${tokens.manager}` }],
      ['expired', { authorization: `Bearer ${jwt.sign({ ...staffClaims, iat: now - 7200, exp: now - 3600 }, secret, { algorithm: 'HS256', issuer })}` }],
      ['other key', { authorization: `Bearer ${jwt.sign(staffClaims, 'another-secret-another-secret-!!', { algorithm: 'HS256', issuer, expiresIn: 600 })}` }],
      ['other issuer', { authorization: `Bearer ${jwt.sign(staffClaims, secret, { algorithm: 'HS256', issuer: 'evil', expiresIn: 600 })}` }],
      ['alg none', { authorization: `Bearer ${jwt.sign(staffClaims, '', { algorithm: 'none', issuer, expiresIn: 600 } as jwt.SignOptions)}` }],
      ['refresh token', { authorization: `Bearer ${refreshToken}` }],
      ['bad subject', { authorization: `Bearer ${jwt.sign({ ...staffClaims, sub: 'staff:-1' }, secret, { algorithm: 'HS256', issuer, expiresIn: 600 })}` }],
      ['tampered payload', { authorization: `Bearer ${tamper(tokens.cashier!)}` }],
    ];
    for (const op of ops) {
      if (op.access === 'public') continue;
      await unchanged('auth', op.id, async () => {
        const base = baseReq(op);
        for (const [label, headers] of badTokens) {
          const { authorization: _drop, ...rest } = base.headers as Record<string, string>;
          await check('auth', `${op.id} :: ${label}`, { ...base, headers: { ...rest, ...headers } }, { statuses: [401], type: 'unauthorized' });
        }
        for (const who of wrongRoles(op)) {
          await check('auth', `${op.id} :: as ${who}`, baseReq(op, who), { statuses: [403], type: 'forbidden' });
        }
      });
    }
    // A well-signed token of a staff user Odoo does not know (deleted after the token was issued): Odoo's rules, not a
    // crash, decide — never a 5xx.
    const ghost = jwt.sign({ ...staffClaims, sub: 'staff:999999', name: 'ghost' }, secret, { algorithm: 'HS256', issuer, expiresIn: 600 });
    for (const op of ops) {
      if (op.access === 'public' || !op.access.staff) continue;
      const base = baseReq(op, 'manager');
      await check('auth', `${op.id} :: as a deleted staff user`, { ...base, headers: { ...base.headers, authorization: `Bearer ${ghost}` } }, { statuses: ANY_OK });
    }
    expectClean('auth');
  });

  function tamper(token: string): string {
    const [head, payload, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims.roles = ['manager'];
    return `${head}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
  }

  /** Principals the operation must refuse with a 403. */
  function wrongRoles(op: Op): string[] {
    if (op.access === 'public') return [];
    const out: string[] = [];
    const staff = op.access.staff;
    if (!staff) out.push('advisor', 'manager');
    else if (staff !== 'any') out.push(...STAFF.filter((s) => s !== 'manager' && !staff.includes(s)));
    if (!op.access.customer) out.push('customer', 'unbound');
    else if (op.access.customer === 'bound') out.push('unbound');
    return out;
  }

  it('refuses malformed JSON bodies and wrong content types (400/413/415), changing nothing', async () => {
    rnd = prng(SEED + 2);
    const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
    for (const op of ops) {
      if (op.method === 'get') continue;
      const base = baseReq(op);
      const json = { ...base.headers, 'content-type': 'application/json' };
      const cases: [string, Record<string, string | string[]>, string | Buffer, readonly number[], string?][] = [
        ['truncated JSON', json, '{"a": [1, 2', [400]],
        ['trailing garbage', json, '{} x', [400]],
        ['single quotes', json, "{'a': 1}", [400]],
        ['top-level string', json, '"str"', [400]],
        ['top-level null', json, 'null', [400]],
        ['top-level number', json, '1', [400]],
        ['not UTF-8', json, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), [400]],
        ['BOM + garbage', json, '\ufeff{"a":', [400]],
        ['1000 nested arrays', json, deep(1000, '[', ']'), [400]],
        ['1000 nested objects', json, deep(1000, '{"a":', '}').replace(/"a":}/, '"a":1}'), [400]],
        ['40000 nested arrays', json, deep(40_000, '[', ']'), [400, 413]],
        ['prototype pollution', json, '{"__proto__": {"admin": true}, "constructor": {"prototype": {"admin": true}}}', [400]],
        ['over the body limit', json, JSON.stringify({ pad: 'x'.repeat(MB) }), [413]],
        ['text/plain', { ...base.headers, 'content-type': 'text/plain' }, base.body ?? '{}', [415]],
        ['form-urlencoded', { ...base.headers, 'content-type': 'application/x-www-form-urlencoded' }, 'a=1&b=2', [415]],
        ['multipart', { ...base.headers, 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n', [415]],
        ['no content type', Object.fromEntries(Object.entries(base.headers ?? {}).filter(([k]) => k !== 'content-type')), base.body ?? '{"a":1}', [415]],
        ['JSON as latin1', { ...json, 'content-type': 'application/json; charset=latin1' }, base.body ?? '{}', [415]],
        // UTF-16 is a JSON charset body-parser decodes: these UTF-8 bytes then are not JSON.
        ['JSON as utf-16', { ...json, 'content-type': 'application/json; charset=utf-16' }, base.body ?? '{}', [400, 415]],
        ['gzip that is not', { ...json, 'content-encoding': 'gzip' }, base.body ?? '{}', [400, 415]],
        ['unknown encoding', { ...json, 'content-encoding': 'x-robust' }, base.body ?? '{}', [415]],
        ['random bytes', json, Buffer.from(Array.from({ length: 64 }, () => int(0, 255))), [400]],
      ];
      if (op.body) {
        // An empty body is no fields: fine only where no field is required.
        const empty = (op.body.required ?? []).length > 0 || op.method === 'patch' ? [400] : ANY_OK;
        cases.push(['empty object', json, '{}', empty]);
        cases.push(['empty body', json, '', empty]);
        cases.push(['top-level array', json, '[]', [400]]);
        cases.push(['unknown field', json, bodyText({ ...baseBody(op), is_admin: true }), [400]]);
      } else {
        // An operation without a body takes none: a stray one must not be ignored (it would also make a retry with the
        // same Idempotency-Key look like a different request).
        cases.push(['stray body', json, '{"amount": 1}', [400]]);
      }
      const run = async ([label, headers, body, statuses]: (typeof cases)[number]) => {
        const h2 = { ...headers };
        if (op.idempotency) h2['idempotency-key'] = `robust-${SEED}-${++seq}`;
        await check('bodies', `${op.id} :: ${label}`, { ...base, headers: h2, body }, { statuses });
      };
      const refused = cases.filter((c) => c[3].every((s) => s >= 400));
      await unchanged('bodies', op.id, async () => {
        for (const c of refused) await run(c);
      });
      for (const c of cases.filter((x) => !refused.includes(x))) await run(c);
    }
    expectClean('bodies');
  });

  it('refuses every body field with a wrong type or value (400), and survives hostile text', async () => {
    rnd = prng(SEED + 3);
    for (const op of ops) {
      if (!op.body) continue;
      const base = baseBody(op);
      const hostile: { caseId: string; req: Req; sent: (string | number)[]; value: unknown }[] = [];
      await unchanged('fields', op.id, async () => {
        for (const f of fields(op.body!)) {
          for (const v of badValues(f.schema)) {
            const req = baseReq(op);
            req.body = bodyText(withField(base, op, f.path, v.value));
            const caseId = `${op.id} :: body.${f.path.join('.')} = ${v.label}`;
            if (v.surely) await check('fields', caseId, req, { statuses: v.size ? [413] : [400], type: v.size ? undefined : 'validation' });
            else hostile.push({ caseId, req, sent: f.path, value: v.value });
          }
        }
      });
      for (const x of hostile) {
        const r = await check('fields', x.caseId, x.req, { statuses: ANY_OK });
        // A record made from hostile text keeps it exactly (trimmed, as the schema does).
        const key = x.sent[0] as string;
        const made = r.status === 201 || (op.method === 'patch' && r.status === 200);
        if (made && x.sent.length === 1 && typeof x.value === 'string' && ['name', 'street', 'city', 'note', 'symptom', 'brand', 'model', 'filename'].includes(key) && r.body && key in r.body) {
          if (r.body[key] !== x.value.trim()) file('fields', `${x.caseId} :: round trip`, [`stored ${JSON.stringify(r.body[key])}, sent ${JSON.stringify(x.value)}`]);
        }
      }
    }
    expectClean('fields');
  });

  it('refuses bad path ids (400/404), changing nothing', async () => {
    rnd = prng(SEED + 4);
    const invalid = ['0', '-1', String(2 ** 31), 'abc', '1.5', '9'.repeat(1000), 'x'.repeat(3000), '%00', '%E0%A4%A', '%2F', '..', encodeURIComponent("') OR 1=1 --"), encodeURIComponent("['id','!=',0]"), encodeURIComponent('🏍'), 'null', 'undefined', '[]', 'NaN', 'Infinity'];
    // Other spellings of a number (1e3 = 1000, 0x1 = 1, +1, 01, " 1") are not ids: one record, one spelling.
    invalid.push('1e3', '0x1', '+1', '%201', '01', '1%20');
    const odd = [String(2 ** 31 - 1), String(int(100000, 999999))];
    for (const op of ops) {
      const pathParams = op.params.filter((p) => p.in === 'path');
      if (!pathParams.length) continue;
      const at = (p: string, v: string) => {
        const req = baseReq(op);
        req.path = concretePath(op, principalFor(op), { [p]: v }) + (req.path.includes('?') ? req.path.slice(req.path.indexOf('?')) : '');
        return req;
      };
      // An id that is not one, or names nothing: 400 or 404, and a mutation on it must not run.
      await unchanged('path', op.id, async () => {
        for (const p of pathParams) {
          for (const v of invalid) await check('path', `${op.id} :: ${p.name}=${v.slice(0, 40)}`, at(p.name, v), { statuses: [400, 404] });
        }
      }, { handlerMayRun: true });
      // Plain ids that name nothing: no 5xx.
      for (const p of pathParams) {
        for (const v of odd) await check('path', `${op.id} :: ${p.name}=${v}`, at(p.name, v), { statuses: ANY_OK });
      }
    }
    expectClean('path');
  });

  it('refuses bad query parameters (400): unknown, duplicated, array syntax, wrong types', async () => {
    rnd = prng(SEED + 5);
    for (const op of ops) {
      if (op.method !== 'get') continue;
      const base = baseReq(op);
      const [path, qs = ''] = base.path.split('?');
      const withQuery = (q: string) => ({ ...base, path: `${path}?${[qs, q].filter(Boolean).join('&')}` });
      await unchanged('query', op.id, async () => {
        await check('query', `${op.id} :: unknown param`, withQuery('zzz=1'), { statuses: [400], type: 'validation' });
        await check('query', `${op.id} :: proto param`, withQuery('__proto__=1&constructor=1'), { statuses: [400], type: 'validation' });
        for (const p of op.params.filter((x) => x.in === 'query')) {
          if (p.required) await check('query', `${op.id} :: ${p.name} missing`, { ...base, path: `${path}?${qs.split('&').filter((kv) => !kv.startsWith(`${p.name}=`)).join('&')}` }, { statuses: [400], type: 'validation' });
          const t = typeOf(p.schema);
          const s = inner(p.schema);
          const ex = encodeURIComponent(String(example(p.schema, p.name)));
          const strip = (q: string) => ({ ...base, path: `${path}?${[qs.split('&').filter((kv) => !kv.startsWith(`${p.name}=`)).join('&'), q].filter(Boolean).join('&')}` });
          const listy = t === 'array' || !!s.anyOf || !!p.schema.anyOf;
          const cases: [string, string, boolean][] = [
            ['duplicated', `${p.name}=${ex}&${p.name}=${ex}`, !listy],
            ['array syntax', `${p.name}[]=${ex}`, true],
            ['index syntax', `${p.name}[0]=${ex}`, true],
            ['object syntax', `${p.name}[a]=${ex}`, true],
            ['empty', `${p.name}=`, t === 'integer' || t === 'number' || !!s.enum || (s.minLength ?? 0) > 0],
            ['NUL', `${p.name}=a%00b`, t !== 'string' || !!s.pattern || !!s.enum],
            ['malformed percent', `${p.name}=%E0%A4%A`, t !== 'string' || !!s.enum],
            ['huge', `${p.name}=${'9'.repeat(6000)}`, true],
            ...['abc', '-1', '0', '1.5', '1e309', '9007199254740993', 'NaN', 'Infinity', '-0', "') OR 1=1 --", "['id','!=',0]", '🏍', randomText(8)].map(
              (v): [string, string, boolean] => [v, `${p.name}=${encodeURIComponent(v)}`, (t === 'integer' || t === 'number') && !['1e309', '9007199254740993', '-0'].includes(v) ? !(v === '0' && (s.minimum ?? 1) <= 0) : false],
            ),
          ];
          for (const [label, q, surely] of cases) {
            await check('query', `${op.id} :: ${p.name} ${label}`, strip(q), surely ? { statuses: [400], type: 'validation' } : { statuses: [200, 400, 403, 404] });
          }
        }
      });
    }
    expectClean('query');
  });

  it('refuses bad Idempotency-Key and If-Match headers, and a key reused with another body (422)', async () => {
    for (const op of ops) {
      if (!op.idempotency && !op.ifMatch) continue;
      await unchanged('headers', op.id, async () => {
        const base = baseReq(op);
        const without = Object.fromEntries(Object.entries(base.headers ?? {}).filter(([k]) => k !== 'idempotency-key' && k !== 'if-match'));
        if (op.idempotency) {
          if (op.idempotency === 'required') await check('headers', `${op.id} :: Idempotency-Key missing`, { ...base, headers: without }, { statuses: [400], code: 'IDEMPOTENCY_KEY_REQUIRED' });
          for (const [label, key] of [
            ['too short', 'short7!'],
            ['too long', 'k'.repeat(256)],
            ['empty', ''],
            ['latin-1', 'schlüssel-robust'],
            ['tab', 'robust\tkey-1'],
            ['two keys', ['robust-key-a1', 'robust-key-b2']],
          ] as [string, string | string[]][]) {
            await check('headers', `${op.id} :: Idempotency-Key ${label}`, { ...base, headers: { ...without, 'idempotency-key': key } }, { statuses: [400], code: 'IDEMPOTENCY_KEY_INVALID' });
          }
        }
        if (op.ifMatch) {
          for (const [label, v] of [
            ['garbage', 'garbage'],
            ['negative', '"-1"'],
            ['ten digits', '"1234567890"'],
            ['two tags', '"1", "2"'],
            ['SQL', "\"1') OR 1=1 --\""],
          ]) {
            await check('headers', `${op.id} :: If-Match ${label}`, { ...base, headers: { ...base.headers, 'idempotency-key': `robust-${SEED}-${++seq}`, 'if-match': v! } }, { statuses: [400] });
          }
        }
      });
    }
    expectClean('headers');
  });

  it('an Idempotency-Key reused with another body → 422 and the first result stands; with the same body → replay', async () => {
    // A scratch work order of its own: these requests are valid and run.
    const wo = await h.req('POST', '/api/v1/work-orders', { token: tokens.advisor, body: { customer_id: ids.customer, vehicle_id: ids.vehicle, symptom: 'robustness idempotency' } });
    expect(wo.status).toBe(201);
    const cases: [string, string, Record<string, unknown>, Record<string, unknown>, string][] = [
      ['POST /api/v1/work-orders', '/api/v1/work-orders', { customer_id: ids.customer, vehicle_id: ids.vehicle, symptom: 'first' }, { customer_id: ids.customer, vehicle_id: ids.vehicle, symptom: 'second' }, 'advisor'],
      ['POST /api/v1/work-orders/{id}/transitions', `/api/v1/work-orders/${wo.body.id}/transitions`, { action: 'checkin' }, { action: 'cancel', reason: 'robust' }, 'advisor'],
    ];
    for (const [id, path, first, second, who] of cases) {
      const countBefore = h.odoo.orm.sudo().model('drmoto.work.order').searchCount([]);
      const key = `robust-reuse-${SEED}-${++seq}`;
      const headers = { ...auth(who), 'content-type': 'application/json', 'idempotency-key': key };
      const a = await check('reuse', `${id} :: first`, { method: 'POST', path, headers, body: JSON.stringify(first) }, { statuses: [200, 201] });
      const b = await check('reuse', `${id} :: same key, other body`, { method: 'POST', path, headers, body: JSON.stringify(second) }, { statuses: [422], code: 'IDEMPOTENCY_KEY_REUSED' });
      const c = await check('reuse', `${id} :: same key, same body`, { method: 'POST', path, headers, body: JSON.stringify(first) }, { statuses: [a.status] });
      if (c.headers['idempotent-replayed'] !== 'true' || c.text !== a.text) file('reuse', `${id} :: replay`, [`not a replay: ${c.status} ${c.text.slice(0, 200)}`]);
      expect(b.status).toBe(422);
      const countAfter = h.odoo.orm.sudo().model('drmoto.work.order').searchCount([]);
      expect(countAfter - countBefore).toBe(id === 'POST /api/v1/work-orders' ? 1 : 0);
    }
    const state = h.odoo.orm.sudo().model('drmoto.work.order').read([wo.body.id], ['state'])[0] as { state: string };
    expect(state.state).toBe('checkin');

    // Concurrent retries of one create: one work order, every answer names it (or says the first is still running).
    const before = await fingerprint();
    const countBefore = h.odoo.orm.sudo().model('drmoto.work.order').searchCount([]);
    const headers = { ...auth('advisor'), 'content-type': 'application/json', 'idempotency-key': `robust-race-${SEED}` };
    const body = JSON.stringify({ customer_id: ids.customer, vehicle_id: ids.vehicle, symptom: 'robustness race' });
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => check('reuse', `POST /api/v1/work-orders :: concurrent retry ${i}`, { method: 'POST', path: '/api/v1/work-orders', headers, body }, { statuses: [201, 409] })));
    expect(h.odoo.orm.sudo().model('drmoto.work.order').searchCount([]) - countBefore).toBe(1);
    expect(new Set(answers.filter((a) => a.status === 201).map((a) => a.body.id)).size).toBe(1);
    // The no-change fingerprint sees a change when there is one (else every "changed nothing" above proves nothing).
    expect(changes(before, await fingerprint())).toEqual(expect.arrayContaining([expect.stringMatching(/^odoo drmoto\.work\.order: /), expect.stringMatching(/^store idempotency_keys: /)]));
    expectClean('reuse');
  });

  it('with Odoo down, every operation answers 503 + Retry-After (or works without Odoo), never another 5xx', async () => {
    h.odoo.pause();
    try {
      // Odoo can't change while it is down; the BFF store must not either (no half-made payment order, no spent key).
      await unchanged('down', 'Odoo down', async () => {
        for (const op of ops) await check('down', `${op.id} :: Odoo down`, baseReq(op), { statuses: ANY_OK });
      }, { handlerMayRun: true });
    } finally {
      h.odoo.resume();
    }
    expectClean('down');
  });

  it('with the BFF store down, every operation and webhook answers 503 + Retry-After (or works without it), never another 5xx', async () => {
    // The store fails the way pg does when PostgreSQL is gone; every handle the services hold is this object.
    const db = h.bff.container.db as unknown as Record<string, unknown>;
    const methods = ['query', 'transaction', 'exec'] as const;
    const own = Object.fromEntries(methods.map((m) => [m, Object.prototype.hasOwnProperty.call(db, m) ? db[m] : undefined]));
    const down = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
    };
    const wx = h.config.wechatPay!;
    const notification = h.wechatPay!.buildNotification({
      eventType: 'TRANSACTION.SUCCESS',
      originalType: 'transaction',
      resource: { appid: wx.appId, mchid: wx.mchid, out_trade_no: `ROBUST${SEED}`, transaction_id: `42000${SEED}`, trade_state: 'SUCCESS', amount: { total: 100, currency: 'CNY' } },
    });
    const stripeEvent = JSON.stringify({ id: `evt_robust_${SEED}`, object: 'event', type: 'payment_intent.succeeded', created: Math.floor(Date.now() / 1000), livemode: false, data: { object: { id: 'pi_robust', object: 'payment_intent', amount: 100, currency: 'cny', status: 'succeeded', metadata: {} } } });
    const stripeSig = Stripe.webhooks.generateTestHeaderString({ payload: stripeEvent, secret: 'whsec_robustness' });
    for (const m of methods) db[m] = down;
    try {
      for (const op of ops) await check('store-down', `${op.id} :: store down`, baseReq(op), { statuses: ANY_OK });
      // Right credentials: the refresh token can't be recorded (was a 500).
      await check('store-down', 'POST /api/v1/auth/staff/login :: store down, right password', { method: 'POST', path: '/api/v1/auth/staff/login', headers: { 'content-type': 'application/json' }, body: '{"login":"advisor","password":"demo"}' }, { statuses: [503] });
      // Providers retry on any 5xx; the house rule still wants Retry-After on a 503.
      for (const [id, req] of [
        ['POST /api/v1/webhooks/wechatpay :: store down', { method: 'POST', path: '/api/v1/webhooks/wechatpay', headers: notification.headers, body: notification.body }],
        ['POST /api/v1/webhooks/stripe :: store down', { method: 'POST', path: '/api/v1/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': stripeSig }, body: stripeEvent }],
      ] as [string, Req][]) {
        requests++;
        const r = await send(req);
        const bad: string[] = [];
        if (r.status >= 500 && (r.status !== 503 || !r.headers['retry-after'])) bad.push(`${r.status} ${r.headers['retry-after'] ? '' : 'without Retry-After '}${r.text.slice(0, 200)}`);
        if (r.status < 500 && r.status !== 200 && r.status !== 204) bad.push(`a verified notification refused with ${r.status}: ${r.text.slice(0, 200)}`);
        if (bad.length) file('store-down', id, bad);
      }
    } finally {
      for (const m of methods) {
        if (own[m] === undefined) delete db[m];
        else db[m] = own[m];
      }
    }
    expectClean('store-down');
  });

  it('webhooks: garbage, empty bodies, missing or forged headers → 400/401 (WeChat FAIL body), never 5xx; ledger unchanged', async () => {
    rnd = prng(SEED + 6);
    const path = '/api/v1/webhooks/wechatpay';
    const signed = h.wechatPay!.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: { nonsense: true } });
    const forged = h.wechatPay!.buildNotification({ eventType: 'TRANSACTION.SUCCESS', originalType: 'transaction', resource: { out_trade_no: 'x' }, forge: 'signature' });
    const cases: [string, Record<string, string>, string | Buffer][] = [
      ['empty body, no headers', {}, ''],
      ['garbage bytes, no headers', { 'content-type': 'application/octet-stream' }, Buffer.from(Array.from({ length: 512 }, () => int(0, 255)))],
      ['JSON, no headers', { 'content-type': 'application/json' }, '{"id":"x"}'],
      ['signed headers, empty body', signed.headers, ''],
      ['signed headers, garbage body', signed.headers, Buffer.from(Array.from({ length: 256 }, () => int(0, 255)))],
      ['signed headers, 1000 nested arrays', signed.headers, '['.repeat(1000) + ']'.repeat(1000)],
      ['forged signature', forged.headers, forged.body],
      // A signed notification whose decrypted resource has the wrong shape is WeChat's own: quarantined and acknowledged
      // (webhooks-quarantine.test.ts), not refused.
      ['garbage headers', { 'wechatpay-timestamp': 'abc', 'wechatpay-nonce': '\u00ff', 'wechatpay-signature': '!!!', 'wechatpay-serial': "') OR 1=1 --", 'content-type': 'application/json' }, signed.body],
      ['over the limit', signed.headers, 'x'.repeat(MB)],
    ];
    // Stripe's endpoint, once mounted, gets the same garbage (it answers Stripe, so no problem+json is required).
    const stripePath = '/api/v1/webhooks/stripe';
    const probe = await send({ method: 'POST', path: stripePath, headers: {}, body: '' });
    const stripeMounted = !(probe.status === 404 && String(probe.body?.detail ?? '').startsWith('No route'));
    // eslint-disable-next-line no-console
    if (!stripeMounted) console.log(`robustness: ${stripePath} is not mounted in this build: not tested`);
    const stripeCases: [string, Record<string, string>, string | Buffer][] = [
      ['empty body, no signature', {}, ''],
      ['garbage bytes, no signature', { 'content-type': 'application/json' }, Buffer.from(Array.from({ length: 512 }, () => int(0, 255)))],
      ['garbage signature', { 'content-type': 'application/json', 'stripe-signature': 't=abc,v1=zz' }, '{"id":"evt_1","type":"payment_intent.succeeded"}'],
      ['stale signature', { 'content-type': 'application/json', 'stripe-signature': `t=1,v1=${'0'.repeat(64)}` }, '{"id":"evt_1"}'],
      ['1000 nested arrays', { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' }, '['.repeat(1000) + ']'.repeat(1000)],
      ['over the limit', { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' }, 'x'.repeat(MB)],
    ];
    await unchanged('webhooks', `POST ${path}`, async () => {
      for (const [label, headers, body] of stripeMounted ? stripeCases : []) {
        requests++;
        const r = await send({ method: 'POST', path: stripePath, headers, body });
        const bad: string[] = [];
        if (![400, 401, 413].includes(r.status)) bad.push(`status ${r.status}: ${r.text.slice(0, 200)}`);
        for (const [re, what] of LEAKS) if (re.test(r.text)) bad.push(`leaks ${what}`);
        if (bad.length) file('webhooks', `POST ${stripePath} :: ${label}`, bad);
      }
      for (const [label, headers, body] of cases) {
        requests++;
        const r = await send({ method: 'POST', path, headers, body });
        const bad: string[] = [];
        if (![400, 401, 413].includes(r.status)) bad.push(`status ${r.status}: ${r.text.slice(0, 200)}`);
        if (r.status !== 413 && !(r.body && r.body.code === 'FAIL' && typeof r.body.message === 'string')) bad.push(`not a WeChat FAIL body: ${r.text.slice(0, 200)}`);
        for (const [re, what] of LEAKS) if (re.test(r.text)) bad.push(`leaks ${what}`);
        if (bad.length) file('webhooks', `POST ${path} :: ${label}`, bad);
      }
    });
    expectClean('webhooks');
  });

  it('an unconfigured provider: its webhook answers 503 with Retry-After (or 404)', async () => {
    const bare = await startHarness({ env: { RATE_LIMIT_AUTH_PER_MIN: '1000000' } });
    try {
      const r = await send({ method: 'POST', path: '/api/v1/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' }, body: '{}' }, new URL(bare.bff.url));
      requests++;
      if (!(r.status === 404 || (r.status === 503 && r.headers['retry-after']))) file('providers', 'POST /api/v1/webhooks/stripe :: Stripe not configured', [`${r.status} ${r.headers['retry-after'] ? '' : 'without Retry-After '}${r.text.slice(0, 200)}`]);
    } finally {
      await bare.close();
    }
    expectClean('providers');
  });

  it('unknown routes and methods get a problem+json 404/405', async () => {
    for (const [method, path] of [
      ['DELETE', '/api/v1/customers/1'],
      ['PUT', '/api/v1/work-orders/1'],
      ['GET', '/api/v1/nope'],
      ['GET', '/api/v1/work-orders/1/../../customers'],
      ['POST', '/api/v1/auth/me'],
      ['GET', `/api/v1/${'x'.repeat(3000)}`],
    ]) {
      await check('routes', `${method} ${path!.slice(0, 60)}`, { method: method!, path: path!, headers: auth('manager') }, { statuses: [404, 405] });
    }
    // Trace headers are never echoed unless well-formed; a CSV Accept header does not turn a problem into CSV.
    for (const [label, headers] of [
      ['X-Request-Id with a newline-ish and quotes', { 'x-request-id': 'abc"def<script> x' }],
      ['X-Request-Id 4000 chars', { 'x-request-id': 'r'.repeat(4000) }],
      ['traceparent garbage', { traceparent: "00-') OR 1=1 ---x-01" }],
      ['traceparent zero trace id', { traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` }],
    ] as [string, Record<string, string>][]) {
      const r = await check('routes', `GET /api/v1/customers?zzz=1 :: ${label}`, { method: 'GET', path: '/api/v1/customers?zzz=1', headers: { ...auth('advisor'), ...headers } }, { statuses: [400], type: 'validation' });
      if (!/^[0-9a-f]{32}$/.test(String(r.headers['x-request-id']))) file('routes', `trace :: ${label}`, [`X-Request-Id ${String(r.headers['x-request-id']).slice(0, 80)}`]);
    }
    for (const op of ops.filter((o) => o.method === 'get' && o.params.some((p) => p.in === 'query'))) {
      const base = baseReq(op);
      await check('routes', `${op.id} :: Accept text/csv, bad query`, { ...base, path: `${base.path}${base.path.includes('?') ? '&' : '?'}zzz=1`, headers: { ...base.headers, accept: 'text/csv' } }, { statuses: [400], type: 'validation' });
    }
    expectClean('routes');
  });

  // ---- focused regressions of the defects this suite found (each was a 500, or a refused request that spent its key)
  describe('regressions', () => {
    const problem = (r: Resp, status: number, type: string) => {
      expect(judge(r, { statuses: [status], type }, '')).toEqual([]);
    };

    it('a body declared gzip that does not inflate → 400 (was 500: an http-errors 400 the problem handler did not know)', async () => {
      const r = await send({ method: 'POST', path: '/api/v1/customers', headers: { ...auth('advisor'), 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{"name":"x"}' });
      problem(r, 400, 'bad_request');
    });

    it('a path segment that is not valid percent-encoding → 400 (was 500: the router’s URIError)', async () => {
      problem(await send({ method: 'GET', path: '/api/v1/customers/%E0%A4%A', headers: auth('advisor') }), 400, 'bad_request');
    });

    it('a route without a body refuses one (was ignored; 40 000 nested arrays overflowed the idempotency hash → 500) and the key stays unspent', async () => {
      const key = `robust-regress-body-${SEED}`;
      const wo = await h.req('POST', '/api/v1/work-orders', { token: tokens.advisor, body: { customer_id: ids.customer, vehicle_id: ids.vehicle, symptom: 'robustness stray body' } });
      const path = `/api/v1/work-orders/${wo.body.id}/quotes/1/send`;
      const headers = { ...auth('advisor'), 'content-type': 'application/json', 'idempotency-key': key };
      const deep = await send({ method: 'POST', path, headers, body: '['.repeat(40_000) + ']'.repeat(40_000) });
      problem(deep, 400, 'validation');
      const stray = await send({ method: 'POST', path, headers, body: '{"amount":1}' });
      problem(stray, 400, 'validation');
      expect(stray.body.errors).toEqual([expect.objectContaining({ path: 'body.amount' })]);
      // `{}` is no body; the key was not spent by the refusals: this request runs (the work order is a draft → 409).
      const real = await send({ method: 'POST', path, headers, body: '{}' });
      expect(real.status).toBe(409);
      expect(real.headers['idempotent-replayed']).toBeUndefined();
    });

    it('a route without query parameters refuses unknown ones (were ignored)', async () => {
      const r = await send({ method: 'GET', path: '/api/v1/auth/me?role=manager', headers: auth('advisor') });
      problem(r, 400, 'validation');
      expect(r.body.errors).toEqual([expect.objectContaining({ path: 'query.role' })]);
    });

    it('a malformed If-Match is refused before the Idempotency-Key is claimed (was stored: the fixed retry replayed the 400)', async () => {
      const wo = await h.req('POST', '/api/v1/work-orders', { token: tokens.advisor, body: { customer_id: ids.customer, vehicle_id: ids.vehicle, symptom: 'robustness if-match' } });
      const headers = { ...auth('advisor'), 'content-type': 'application/json', 'idempotency-key': `robust-regress-ifmatch-${SEED}` };
      const path = `/api/v1/work-orders/${wo.body.id}/transitions`;
      problem(await send({ method: 'POST', path, headers: { ...headers, 'if-match': 'garbage' }, body: '{"action":"checkin"}' }), 400, 'bad_request');
      const fixed = await send({ method: 'POST', path, headers: { ...headers, 'if-match': wo.headers.get('etag')! }, body: '{"action":"checkin"}' });
      expect(fixed.status).toBe(200);
      expect(fixed.body.status).toBe('checkin');
      expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    });

    // Verified on Odoo 17 over JSON-RPC: an unpaired surrogate gets HTTP 500 (→ 503 "Odoo down" here), NUL a
    // builtins.ValueError (→ 502); the mock accepts both, so only this edge check keeps them from real Odoo.
    it.each([
      ['an unpaired surrogate in a name', 'PATCH', (): string => `/api/v1/customers/${ids.customer}`, 'advisor', { name: 'Zhang \ud800' }, 'body.name'],
      ['NUL in a password', 'POST', (): string => '/api/v1/auth/staff/login', undefined, { login: 'advisor', password: 'de\u0000mo' }, 'body.password'],
      ['an unpaired surrogate in a password', 'POST', (): string => '/api/v1/auth/staff/login', undefined, { login: 'advisor', password: 'demo\udfff' }, 'body.password'],
    ] as const)('%s is refused (400), never sent to Odoo', async (_label, method, path, who, body, field) => {
      const r = await send({ method, path: path(), headers: { ...auth(who), 'content-type': 'application/json' }, body: bodyText(body) });
      problem(r, 400, 'validation');
      expect(r.body.errors).toEqual([expect.objectContaining({ path: field, code: 'invalid_characters' })]);
    });

    it('a proper surrogate pair (an astral character) is stored as sent', async () => {
      const ok = await send({ method: 'PATCH', path: `/api/v1/customers/${ids.customer}`, headers: { ...auth('advisor'), 'content-type': 'application/json' }, body: bodyText({ name: 'Zhang 🏍' }) });
      expect(ok.status).toBe(200);
      expect(ok.body.name).toBe('Zhang 🏍');
    });
  });

  it('no request reached the generic error handler, and every KNOWN entry still matches a failing case', () => {
    const unhandled = h.logs.filter((l) => l.message === 'unhandled error').map((l) => `${String(l.method)} ${String(l.path)}: ${JSON.stringify(l.err).slice(0, 200)}`);
    expect(unhandled).toEqual([]);
    const stale = Object.keys(KNOWN).filter((k) => !knownHits.has(k));
    expect(stale).toEqual([]);
  });
});
