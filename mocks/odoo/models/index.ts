/** The model registry: one file per model; later issues add work orders, quotes, pickings, invoices here. */
import type { ModelDef } from '../orm/types';
import { drmotoVehicle } from './drmoto-vehicle';
import { drmotoWechatIdentity } from './drmoto-wechat-identity';
import { productProduct } from './product-product';
import { resCompany } from './res-company';
import { resCurrency } from './res-currency';
import { resGroups } from './res-groups';
import { resPartner } from './res-partner';
import { resUsers } from './res-users';
import { stockLocation } from './stock-location';
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
];
