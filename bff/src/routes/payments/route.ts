import { Router } from 'express';
import type { RouteRegistry } from '../../http/route';
import { readIdempotencyKey } from '../../http/idempotency';
import type { OfflinePaymentService } from '../../services/offline-payment.service';
import type { PaymentService } from '../../services/payment.service';
import type { StripePaymentService } from '../../services/stripe-payment.service';
import { idParam } from '../common';
import { offlinePaymentBody, offlinePaymentResult, stripePaymentResult, paymentIdParam, paymentOrderView, wechatPaymentResult, workOrderPayments } from './validators';

export function paymentRoutes(reg: RouteRegistry, svc: PaymentService, more: { offline?: OfflinePaymentService; stripe?: StripePaymentService } = {}): Router {
  const r = Router();
  const tags = ['payments'];

  reg.add(r, {
    method: 'post',
    path: '/work-orders/:id/payments/wechat',
    summary: 'Pay the amount due with WeChat Pay (JSAPI): returns the wx.requestPayment parameters. The amount comes from Odoo, never the client',
    tags,
    access: { customer: 'bound' },
    idempotency: 'required',
    params: idParam,
    responses: { 201: { description: 'The payment order and the signed wx.requestPayment parameters', schema: wechatPaymentResult } },
    handler: async ({ params, principal }, _req, res) => {
      res.status(201).json(await svc.createWechatPayment(principal, params.id));
    },
  });

  const stripe = more.stripe;
  if (stripe) {
    reg.add(r, {
      method: 'post',
      path: '/work-orders/:id/payments/stripe',
      summary: 'Pay the amount due by card (Stripe PaymentIntent): returns the client secret. The amount comes from Odoo, never the client',
      tags,
      access: { staff: ['cashier'], customer: 'bound' },
      idempotency: 'required',
      params: idParam,
      responses: { 201: { description: 'The payment order and the PaymentIntent client secret', schema: stripePaymentResult } },
      handler: async ({ params, principal }, _req, res) => {
        res.status(201).json(await stripe.createPayment(principal, params.id));
      },
    });
  }

  const offline = more.offline;
  if (offline) {
    reg.add(r, {
      method: 'post',
      path: '/work-orders/:id/payments/offline',
      summary: 'Record money taken at the counter (cash, card terminal, bank transfer): at most the amount due unless a manager accepts an overpayment',
      tags,
      access: { staff: ['cashier'] },
      idempotency: 'required',
      params: idParam,
      body: offlinePaymentBody,
      responses: {
        201: { description: 'The ledger charge (Odoo registers it through settlement)', schema: offlinePaymentResult },
        409: { description: 'NOT_PAYABLE, NOTHING_DUE or AMOUNT_EXCEEDS_DUE (details: due, currency)' },
      },
      handler: async ({ params, body, principal, traceId }, req, res) => {
        const key = readIdempotencyKey(req, 'required')!;
        res.status(201).json(await offline.record(principal, params.id, body, key, traceId));
      },
    });
  }

  reg.add(r, {
    method: 'post',
    path: '/payments/:id/check',
    summary: 'The mini-program reports wx.requestPayment success: ask WeChat now and record what it says',
    tags,
    access: { staff: ['cashier'], customer: 'bound' },
    params: paymentIdParam,
    responses: { 200: { description: 'The payment order after the check', schema: paymentOrderView } },
    handler: async ({ params, principal }, _req, res) => {
      res.json(await svc.checkOrder(principal, params.id));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/work-orders/:id/payments',
    summary: "A work order's payment orders and ledger entries (customers: their own)",
    tags,
    access: { staff: 'any', customer: 'bound' },
    params: idParam,
    responses: { 200: { description: 'Orders, ledger rows and the net paid', schema: workOrderPayments } },
    handler: async ({ params, principal }, _req, res) => {
      res.json(await svc.forWorkOrder(principal, params.id));
    },
  });
  return r;
}
