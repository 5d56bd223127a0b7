export { startOdooMock, createOrm, OdooService, VERSION_INFO, type OdooMock, type OdooMockOptions, type OdooMockOrm } from './server';
export { SEED_LOGINS, SEED_PRODUCTS } from './seed';
export * from './normalize';
