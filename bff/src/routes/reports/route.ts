import { Router, type Request, type Response } from 'express';
import { sendCsv, wantsCsv, type CsvCell } from '../../http/csv';
import type { RouteRegistry } from '../../http/route';
import { PAYMENT_HISTORY_ROLES, REPORT_ACCESS, type ReportService } from '../../services/report.service';
import { partsReportView, paymentHistoryView, paymentsReportView, reportIndexView, reportQuery, workOrdersReportView, paymentHistoryQuery } from './validators';

/** JSON, or CSV when the client asks for it (`Accept: text/csv`). */
function respond(req: Request, res: Response, json: unknown, csv: () => { filename: string; header: string[]; rows: CsvCell[][] }): void {
  res.setHeader('Vary', 'Accept');
  if (!wantsCsv(req)) {
    res.json(json);
    return;
  }
  const c = csv();
  sendCsv(res, c.filename, c.header, c.rows);
}

export function reportRoutes(reg: RouteRegistry, svc: ReportService, apiBase: string): Router {
  const r = Router();
  const tags = ['reports'];

  reg.add(r, {
    method: 'get',
    path: '/reports',
    summary: 'The reports the caller may read, with links',
    tags,
    access: { staff: 'any' },
    responses: { 200: { description: 'Report links', schema: reportIndexView } },
    handler: async ({ principal }, _req, res) => {
      res.json(svc.index(principal, apiBase));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/reports/payments',
    csv: true,
    summary: "Payments by channel and day (shop's time zone) from the ledger: charges, refunds, net. CSV with Accept: text/csv",
    tags,
    access: { staff: REPORT_ACCESS.payments },
    query: reportQuery,
    responses: { 200: { description: 'Totals per day and channel, per channel, per day', schema: paymentsReportView }},
    handler: async ({ principal, query }, req, res) => {
      const rep = await svc.paymentsReport(principal, query);
      respond(req, res, rep, () => ({
        filename: `payments_${rep.shop.id}_${rep.from}_${rep.to}.csv`,
        header: ['day', 'channel', 'currency', 'charges_count', 'charges_amount', 'refunds_count', 'refunds_amount', 'reversals_amount', 'net_amount', 'suspense_amount'],
        rows: rep.rows.map((x) => [x.day, x.channel, x.currency, x.charges_count, x.charges_amount, x.refunds_count, x.refunds_amount, x.reversals_amount, x.net_amount, x.suspense_amount]),
      }));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/reports/work-orders',
    csv: true,
    summary: "Work orders created in the range by status, and created / closed per day (shop's time zone), from Odoo's read_group. CSV with Accept: text/csv",
    tags,
    access: { staff: REPORT_ACCESS['work-orders'] },
    query: reportQuery,
    responses: { 200: { description: 'Counts by status and by day', schema: workOrdersReportView }},
    handler: async ({ principal, query }, req, res) => {
      const rep = await svc.workOrdersReport(principal, query);
      respond(req, res, rep, () => ({
        filename: `work-orders_${rep.shop.id}_${rep.from}_${rep.to}.csv`,
        // One tidy table: status counts, then the two daily series.
        header: ['group', 'key', 'count'],
        rows: [
          ...rep.by_status.map((s): CsvCell[] => ['status', s.status, s.count]),
          ...rep.by_day.filter((d) => d.created).map((d): CsvCell[] => ['created_on', d.day, d.created]),
          ...rep.by_day.filter((d) => d.closed).map((d): CsvCell[] => ['closed_on', d.day, d.closed]),
        ],
      }));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/reports/parts',
    csv: true,
    summary: "Parts consumption by product and day (shop's time zone) from done stock moves of work orders (Odoo read_group). CSV with Accept: text/csv",
    tags,
    access: { staff: REPORT_ACCESS.parts },
    query: reportQuery,
    responses: { 200: { description: 'Issued, returned and net per day and product', schema: partsReportView }},
    handler: async ({ principal, query }, req, res) => {
      const rep = await svc.partsReport(principal, query);
      respond(req, res, rep, () => ({
        filename: `parts_${rep.shop.id}_${rep.from}_${rep.to}.csv`,
        header: ['day', 'product_id', 'product', 'uom', 'issued', 'returned', 'net'],
        rows: rep.rows.map((x) => [x.day, x.product.id, x.product.name, x.uom, x.issued, x.returned, x.net]),
      }));
    },
  });

  reg.add(r, {
    method: 'get',
    path: '/payments',
    summary: 'Payment history from the ledger, newest first (customers: their own work orders; cashiers/managers: a shop, with filters). Keyset pages via next_cursor',
    tags: ['payments'],
    access: { staff: PAYMENT_HISTORY_ROLES, customer: 'bound' },
    query: paymentHistoryQuery,
    responses: { 200: { description: 'A page of ledger rows', schema: paymentHistoryView } },
    handler: async ({ principal, query }, _req, res) => {
      res.json(await svc.paymentHistory(principal, query));
    },
  });
  return r;
}
