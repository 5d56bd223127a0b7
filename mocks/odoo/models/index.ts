/** The model registry: one file per model; issue 3 added work orders, quotes, logs and taxes; issue 4 added pickings, moves and picking types; issue 5 added journals, invoices (account.move/line), payments and their reconciliation. */
import type { ModelDef } from '../orm/types';
import { accountJournal } from './account-journal';
import { accountMove, accountMoveLine } from './account-move';
import { accountPartialReconcile, accountPayment } from './account-payment';
import { accountTax } from './account-tax';
import { drmotoAuditLog } from './drmoto-audit-log';
import { drmotoWoStatusLog } from './drmoto-wo-status-log';
import { drmotoWorkOrder } from './drmoto-work-order';
import { drmotoWorkOrderPart } from './drmoto-work-order-part';
import { drmotoWorkOrderMedia } from './drmoto-work-order-media';
import { drmotoWorkOrderQuote } from './drmoto-work-order-quote';
import { drmotoWorkOrderQuoteLine } from './drmoto-work-order-quote-line';
import { irSequence } from './ir-sequence';
import { drmotoVehicle } from './drmoto-vehicle';
import { drmotoWechatIdentity } from './drmoto-wechat-identity';
import { productProduct } from './product-product';
import { resCompany } from './res-company';
import { resCurrency } from './res-currency';
import { resGroups } from './res-groups';
import { resPartner } from './res-partner';
import { resUsers } from './res-users';
import { stockLocation } from './stock-location';
import { stockMove, stockPicking } from './stock-picking';
import { stockPickingType } from './stock-picking-type';
import { stockQuant } from './stock-quant';
import { stockWarehouse } from './stock-warehouse';
import { uomUom } from './uom-uom';

export const MODELS: ModelDef[] = [
  resGroups,
  resCurrency,
  resCompany,
  resPartner,
  resUsers,
  drmotoWechatIdentity,
  drmotoVehicle,
  uomUom,
  productProduct,
  stockLocation,
  stockWarehouse,
  stockQuant,
  stockPickingType,
  stockPicking,
  stockMove,
  irSequence,
  accountTax,
  drmotoWorkOrder,
  drmotoWorkOrderQuote,
  drmotoWorkOrderQuoteLine,
  drmotoWorkOrderPart,
  drmotoWoStatusLog,
  drmotoAuditLog,
  drmotoWorkOrderMedia,
  accountJournal,
  accountMove,
  accountMoveLine,
  accountPayment,
  accountPartialReconcile,
];
