/**
 * A local stand-in for the part of the Stripe API the BFF calls (PaymentIntents, Refunds), which the real SDK is
 * pointed at via its host/port/protocol options — the SDK's own request encoding, idempotency header and error
 * parsing are exercised, not mocked. Idempotency-Key replays the first answer, as Stripe does. Events are signed
 * with the SDK's `generateTestHeaderString`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface StubCall {
  method: string;
  path: string;
  idempotencyKey?: string;
  form: Record<string, string>;
}

type Obj = Record<string, unknown>;

export interface StripeStub {
  url: string;
  calls: StubCall[];
  intents: Map<string, Obj>;
  refunds: Map<string, Obj>;
  /** Status new refunds get (default succeeded). */
  refundStatus: 'succeeded' | 'pending' | 'failed';
  /** Marks an intent succeeded (as a card payment would) and returns it. */
  succeed(id: string, amountReceived?: number): Obj;
  event(type: string, object: Obj, id?: string): { id: string; body: string };
  sign(body: string, opts?: { timestamp?: number; secret?: string }): string;
  close(): Promise<void>;
}

const parseForm = (body: string): Record<string, string> => Object.fromEntries(new URLSearchParams(body));
const nested = (form: Record<string, string>, prefix: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(form)
      .filter(([k]) => k.startsWith(`${prefix}[`))
      .map(([k, v]) => [k.slice(prefix.length + 1, -1), v]),
  );

export async function startStripeStub(webhookSecret: string): Promise<StripeStub> {
  const calls: StubCall[] = [];
  const intents = new Map<string, Obj>();
  const refunds = new Map<string, Obj>();
  const replays = new Map<string, { status: number; body: string }>();
  let seq = 0;
  const sdk = new Stripe('sk_test_stub');

  const refundedOf = (pi: string) => [...refunds.values()].filter((r) => r.payment_intent === pi && r.status !== 'failed').reduce((a, r) => a + Number(r.amount), 0);

  function handle(method: string, path: string, form: Record<string, string>, query: URLSearchParams): { status: number; body: unknown } {
    const err = (status: number, code: string, message: string) => ({ status, body: { error: { type: 'invalid_request_error', code, message } } });
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/payment_intents') {
      const id = `pi_stub${++seq}`;
      const pi = { id, object: 'payment_intent', amount: Number(form.amount), amount_received: 0, currency: form.currency, status: 'requires_payment_method', client_secret: `${id}_secret_${seq}`, metadata: nested(form, 'metadata'), last_payment_error: null, latest_charge: null };
      intents.set(id, pi);
      return { status: 200, body: pi };
    }
    if ((m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path)) && method === 'GET') {
      const pi = intents.get(m[1]!);
      return pi ? { status: 200, body: pi } : err(404, 'resource_missing', 'No such payment_intent');
    }
    if ((m = /^\/v1\/payment_intents\/([^/]+)\/cancel$/.exec(path)) && method === 'POST') {
      const pi = intents.get(m[1]!);
      if (!pi) return err(404, 'resource_missing', 'No such payment_intent');
      if (pi.status === 'succeeded') return err(400, 'payment_intent_unexpected_state', 'already succeeded');
      pi.status = 'canceled';
      return { status: 200, body: pi };
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const pi = intents.get(form.payment_intent ?? '');
      if (!pi || pi.status !== 'succeeded') return err(400, 'resource_missing', 'No such succeeded payment_intent');
      const amount = Number(form.amount ?? pi.amount_received);
      if (amount + refundedOf(String(pi.id)) > Number(pi.amount_received)) return err(400, 'charge_already_refunded', 'Refund amount exceeds the charge');
      const id = `re_stub${++seq}`;
      const re = { id, object: 'refund', amount, currency: pi.currency, payment_intent: pi.id, charge: `ch_${String(pi.id)}`, status: stub.refundStatus, metadata: nested(form, 'metadata'), failure_reason: stub.refundStatus === 'failed' ? 'unknown' : null };
      refunds.set(id, re);
      return { status: 200, body: re };
    }
    if ((m = /^\/v1\/refunds\/([^/]+)$/.exec(path)) && method === 'GET') {
      const re = refunds.get(m[1]!);
      return re ? { status: 200, body: re } : err(404, 'resource_missing', 'No such refund');
    }
    if (method === 'GET' && path === '/v1/refunds') {
      const pi = query.get('payment_intent');
      return { status: 200, body: { object: 'list', data: [...refunds.values()].filter((r) => !pi || r.payment_intent === pi), has_more: false } };
    }
    return err(404, 'unknown_route', `${method} ${path}`);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      const form = parseForm(Buffer.concat(chunks).toString('utf8'));
      const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
      calls.push({ method: req.method ?? '', path: url.pathname, idempotencyKey: key, form });
      const replayKey = key && req.method === 'POST' ? `${url.pathname}|${key}` : undefined;
      let out = replayKey ? replays.get(replayKey) : undefined;
      if (!out) {
        const r = handle(req.method ?? '', url.pathname, form, url.searchParams);
        out = { status: r.status, body: JSON.stringify(r.body) };
        if (replayKey) replays.set(replayKey, out);
      }
      res.writeHead(out.status, { 'content-type': 'application/json', 'request-id': `req_${seq}` });
      res.end(out.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const stub: StripeStub = {
    url: `http://127.0.0.1:${port}`,
    calls,
    intents,
    refunds,
    refundStatus: 'succeeded',
    succeed(id, amountReceived) {
      const pi = intents.get(id)!;
      pi.status = 'succeeded';
      pi.amount_received = amountReceived ?? pi.amount;
      pi.latest_charge = `ch_${id}`;
      return pi;
    },
    event(type, object, id = `evt_stub${++seq}`) {
      return { id, body: JSON.stringify({ id, object: 'event', api_version: '2025-01-27.acacia', created: Math.floor(Date.now() / 1000), livemode: false, type, data: { object } }) };
    },
    sign(body, opts = {}) {
      return sdk.webhooks.generateTestHeaderString({ payload: body, secret: opts.secret ?? webhookSecret, timestamp: opts.timestamp });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return stub;
}
