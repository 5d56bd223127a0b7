import { apiPaths, call } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { dateTime, money, parseMoney } from './format.js';
import { actionButton, field, problemBox, section, toast } from './ui.js';

/**
 * Panels over API areas that are being built (media, offline payments, refunds, suspense, reports, payment
 * history). Each declares the paths it needs; the page reads /openapi.json and shows a panel once its endpoints
 * exist on the server. To add one: put `{ id, paths, render }` in PANELS, where `render(ctx)` returns an element.
 */
export const PANELS = [
  {
    id: 'offline',
    where: ['staff-wo'],
    roles: ['cashier'],
    paths: ['/work-orders/:id/payments/offline'],
    render: (ctx) => offlinePanel(ctx),
  },
  {
    id: 'media',
    where: ['staff-wo', 'customer-wo'],
    paths: ['/work-orders/:id/media', '/work-orders/:id/media/uploads', '/media/:id/complete'],
    render: (ctx) => mediaPanel(ctx),
  },
];

/** Cashier: money taken at the counter (cash, card terminal, bank transfer) — one ledger charge per intent. */
function offlinePanel({ who, wo, rerender }) {
  if (wo.amounts.due <= 0 || ['draft', 'cancelled', 'closed'].includes(wo.status)) return null;
  const method = h('select', { testid: 'offline-method' }, ['cash', 'card_terminal', 'bank_transfer'].map((m) => h('option', { value: m }, t(`offline.${m}`))));
  const amount = h('input', { value: money(wo.amounts.due, wo.amounts.currency).replace(/^[^\d]+/, '').replace(/,/g, ''), inputmode: 'decimal', testid: 'offline-amount' });
  const reference = h('input', { placeholder: t('offline.reference'), testid: 'offline-reference' });
  return section(
    t('offline.title'),
    'offline-payment',
    h('div', { class: 'row2' }, field(t('offline.method'), method), field(t('offline.amount'), amount)),
    field(t('offline.reference'), reference),
    actionButton({
      label: t('offline.record'),
      testid: 'offline-record',
      prefix: 'offline',
      run: (it) => {
        const minor = parseMoney(amount.value, wo.amounts.currency);
        if (minor === null || minor <= 0) throw new Error(t('offline.bad_amount'));
        const body = { method: method.value, amount: minor, ...(reference.value.trim() ? { reference: reference.value.trim() } : {}) };
        return call(who, 'POST', `/work-orders/${wo.id}/payments/offline`, { body, key: it.key(body) });
      },
      done: (r) => {
        toast(`${t('offline.recorded', { amount: money(r.body.amount, r.body.currency) })}${r.replayed || r.body.replayed ? ` ${t('common.replayed')}` : ''}`);
        rerender();
      },
    }),
  );
}

/** Photos and videos of the work order (signed GET URLs), and an upload straight to storage (presigned POST). */
async function mediaPanel({ who, wo, rerender }) {
  let list;
  try {
    list = (await call(who, 'GET', `/work-orders/${wo.id}/media`)).body.items;
  } catch (e) {
    return section(t('media.title'), 'media', problemBox(e));
  }
  const file = h('input', { type: 'file', accept: 'image/*,video/*', testid: 'media-file' });
  return section(
    t('media.title'),
    'media',
    list.length
      ? h(
          'div',
          { class: 'gallery', testid: 'media-list' },
          list.map((m) =>
            m.content_type.startsWith('image/')
              ? h('a', { href: m.url, target: '_blank', rel: 'noopener' }, h('img', { src: m.url, alt: m.filename, loading: 'lazy' }))
              : h('a', { href: m.url, target: '_blank', rel: 'noopener', class: 'video' }, `▶ ${m.filename}`),
          ),
        )
      : h('p', { class: 'muted' }, t('common.none')),
    list.length ? h('p', { class: 'muted small' }, list.map((m) => `${m.uploaded_by.name ?? m.uploaded_by.kind} · ${dateTime(m.uploaded_at)}`).slice(-1)) : null,
    field(t('media.pick'), file),
    actionButton({
      label: t('media.upload'),
      testid: 'media-upload',
      kind: 'secondary',
      prefix: 'media',
      run: async (it) => {
        const f = file.files?.[0];
        if (!f) throw new Error(t('media.nofile'));
        const body = { filename: f.name, content_type: f.type || 'application/octet-stream', size: f.size, method: 'POST', ...(who === 'customer' ? { kind: 'damage' } : {}) };
        const presigned = (await call(who, 'POST', `/work-orders/${wo.id}/media/uploads`, { body, key: it.key(body) })).body;
        const form = new FormData();
        for (const [k, v] of Object.entries(presigned.upload.fields)) form.append(k, v);
        form.append('file', f);
        const up = await fetch(presigned.upload.url, { method: 'POST', body: form });
        if (!up.ok) throw new Error(`${t('media.storage')}: HTTP ${up.status}`);
        return call(who, 'POST', `/media/${presigned.id}/complete`);
      },
      done: () => {
        toast(t('media.uploaded'));
        rerender();
      },
    }),
  );
}

/** Areas the demo knows are coming, with the path that will switch them on (for the "not yet" note). */
export const PENDING = [
  { id: 'media', label: 'photos', path: '/work-orders/:id/media' },
  { id: 'offline', label: 'offline payment', path: '/work-orders/:id/payments/offline' },
  { id: 'refunds', label: 'refunds', path: '/work-orders/:id/refunds' },
  { id: 'suspense', label: 'suspense', path: '/suspense' },
  { id: 'reports', label: 'reports', path: '/reports' },
  { id: 'payments', label: 'payment history', path: '/payments' },
];

/** The panels for `where` ('customer-wo', 'staff-wo', 'staff-home', 'customer-history') whose endpoints exist. */
export async function panelsFor(where, ctx) {
  const paths = await apiPaths();
  const out = [];
  for (const p of PANELS) {
    if (!p.where.includes(where) || !p.paths.every((x) => paths.has(x))) continue;
    if (p.roles && !(ctx.roles ?? []).some((r) => p.roles.includes(r) || r === 'manager')) continue;
    out.push(await p.render(ctx));
  }
  return out;
}

/** A one-line note naming the areas whose endpoints are not on this server yet (staff console only). */
export async function pendingNote() {
  const paths = await apiPaths();
  const have = (p) => [...paths].some((x) => x === p || x.startsWith(`${p}/`));
  const missing = PENDING.filter((p) => !have(p.path) && !PANELS.some((x) => x.id === p.id));
  return missing.length ? h('p', { class: 'muted small', testid: 'pending-panels' }, t('panel.soon', { list: missing.map((m) => m.label).join(', ') })) : null;
}
