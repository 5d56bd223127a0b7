import http from 'node:http';
import type { BenchEnv } from './env';
import { fmt, machine, maxRate, sequential, type Stats } from './lib';
// odoo-await is measured as the baseline the gateway was chosen against (a devDependency only).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const OdooAwait = require('odoo-await') as new (o: { baseUrl: string; db: string; username: string; password: string }) => {
  connect(): Promise<number>;
  searchRead(model: string, domain: unknown, fields: string[], opts?: { limit?: number }): Promise<unknown[]>;
};

/**
 * How to talk to Odoo: the same search_read through our JSON-RPC and XML-RPC transports (keep-alive),
 * JSON-RPC with a new connection per call, and odoo-await (XML-RPC, new client per call); then the BFF's
 * added latency on one vehicle read.
 */
export async function benchTransport(env: BenchEnv, opts: { n: number; ladder: number[] }): Promise<string> {
  const { base, json, xml } = env;
  const domain = [['drmoto_is_customer', '=', true]];
  const fields = ['id', 'name', 'phone'];
  const uid = await json.authenticateUser(base.user, base.password);
  const noKeepAlive = () =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service: 'object', method: 'execute_kw', args: [base.db, uid, base.password, 'res.partner', 'search_read', [domain], { fields, limit: 10 }] }, id: 1 });
      const req = http.request(base.url + '/jsonrpc', { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end(body);
    });
  const oa = new OdooAwait({ baseUrl: base.url, db: base.db, username: base.user, password: base.password });
  await oa.connect();

  const variants: [string, () => Promise<unknown>][] = [
    ['gateway JSON-RPC, keep-alive', () => json.searchRead('res.partner', domain, fields, { limit: 10 })],
    ['gateway XML-RPC, keep-alive', () => xml.searchRead('res.partner', domain, fields, { limit: 10 })],
    ['JSON-RPC, new connection per call', noKeepAlive],
    ['odoo-await (XML-RPC, new client per call)', () => oa.searchRead('res.partner', domain, fields, { limit: 10 })],
  ];
  const rows: string[] = [];
  for (const [name, fn] of variants) {
    const seq = await sequential(fn, { n: opts.n });
    const max = await maxRate(fn, opts.ladder, 3);
    rows.push(`| ${name} | ${fmt(seq.p50)} | ${fmt(seq.p99)} | ${max.rate || '<' + opts.ladder[0]} |`);
    process.stdout.write(`${name}: p50 ${fmt(seq.p50)} ms, p99 ${fmt(seq.p99)} ms, max rate ${max.rate}/s\n`);
  }

  const token = await env.login('advisor');
  const vehicles = JSON.parse((await env.call('GET', '/api/v1/vehicles?limit=1', { token })).body) as { items: { id: number }[] };
  const vid = vehicles.items[0]?.id;
  if (!vid) throw new Error('no vehicle to read');
  const vehicleFields = ['id', 'plate_no', 'plate_normalized', 'vin', 'brand', 'vehicle_model', 'year', 'odometer', 'partner_id', 'company_id', 'create_date', 'write_date'];
  const direct = await sequential(() => json.searchRead('drmoto.vehicle', [['id', '=', vid]], vehicleFields), { n: opts.n });
  const viaBff = await sequential(() => env.call('GET', `/api/v1/vehicles/${vid}`, { token }), { n: opts.n });
  const line = (name: string, s: Stats) => `| ${name} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.p99)} |`;
  return [
    `Run ${new Date().toISOString().slice(0, 16)}Z on ${machine()}; \`npm run bench\`${env.real ? ' with ODOO_URL (real Odoo 17)' : ''}. Times in ms.`,
    '',
    `**Transport** — \`res.partner\` search_read (10 rows), sequential p50/p99 over ${opts.n} calls after warm-up, and the`,
    `highest open-loop rate (ladder ${opts.ladder.join('/')} per s, 3 s each) held with no backlog.`,
    '',
    '| client | p50 | p99 | max rate/s |',
    '|---|---|---|---|',
    ...rows,
    '',
    `**BFF overhead** — one vehicle read, one connection, ${opts.n} sequential calls:`,
    '',
    '| path | p50 | p95 | p99 |',
    '|---|---|---|---|',
    line('direct gateway search_read (JSON-RPC)', direct),
    line('GET /api/v1/vehicles/:id through the BFF', viaBff),
    '',
    `BFF added latency at p50: ${fmt(viaBff.p50 - direct.p50)} ms (JWT check, validation, mapping, logging, HTTP hop).`,
  ].join('\n');
}
