import { Router } from 'express';
import type { RouteRegistry } from '../../http/route';
import type { PaymentService } from '../../services/payment.service';
import { idParam } from '../common';
import { paymentIdParam, paymentOrderView, wechatPaymentResult, workOrderPayments } from './validators';

export function paymentRoutes(reg: RouteRegistry, svc: PaymentService): Router {
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
