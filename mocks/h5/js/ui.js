import { h, randomKey } from './dom.js';
import { ApiError } from './api.js';
import { problemText, t } from './i18n.js';

/** Requests in flight from action buttons: the poller never re-renders under a running action. */
export const inFlight = { n: 0 };

/**
 * One user intent = one Idempotency-Key. It is made when the button is rendered and kept until the view is
 * rendered again (after a success), so a double click, or a click again after a lost answer, repeats the SAME
 * request and the BFF replays the first result instead of acting twice. Changing the body (other quantities)
 * is a new intent: a new key.
 */
export function intent(prefix) {
  let key = null;
  let sent = null;
  return {
    key(body) {
      const s = JSON.stringify(body ?? null);
      if (key === null || s !== sent) {
        key = randomKey(prefix);
        sent = s;
      }
      return key;
    },
  };
}

/**
 * The problem+json the BFF answered — shown, never swallowed. A known `code` reads as one sentence in the page's
 * language (i18n.js); the BFF's own title and detail stay under it, small, with the code and trace id for support.
 * An unknown code shows the title (status) and detail as they came.
 */
export function problemBox(err) {
  if (!(err instanceof ApiError)) {
    return h('div', { class: 'problem', role: 'alert', testid: 'problem' }, h('strong', {}, String(err?.message ?? err)));
  }
  const sentence = problemText(err.code);
  const title = err.status === 0 ? t('err.network') : err.title;
  const said = [title, err.detail].filter(Boolean).join(' — ');
  return h(
    'div',
    { class: 'problem', role: 'alert', testid: 'problem', dataset: { status: String(err.status), code: err.code ?? '', localized: sentence ? 'true' : 'false' } },
    sentence ? h('strong', { class: 'problem-title', testid: 'problem-text' }, sentence) : h('strong', { class: 'problem-title', testid: 'problem-text' }, title, err.status ? ` (${err.status})` : ''),
    !sentence && err.detail ? h('p', { class: 'problem-detail' }, err.detail) : null,
    err.errors.length ? h('ul', { class: 'problem-errors' }, err.errors.map((e) => h('li', {}, `${e.path ?? ''}: ${e.message ?? ''}`))) : null,
    sentence ? h('small', { class: 'problem-meta', testid: 'problem-said' }, `${said}${err.status ? ` (${err.status})` : ''}`) : null,
    err.code || err.traceId ? h('small', { class: 'problem-meta', testid: 'problem-meta' }, [err.code, err.traceId ? `${t('err.trace')} ${err.traceId}` : null].filter(Boolean).join(' · ')) : null,
  );
}

let toastTimer;
export function toast(text) {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 3500);
}

/**
 * A button that runs one BFF call. While it runs the button is disabled (aria-busy); an error appears under it
 * with the problem's title and detail; on success `done(result)` runs (usually: a toast and a re-render).
 * `run(intent)` gets this button's intent, so money/stock/confirmation calls send its Idempotency-Key.
 */
export function actionButton({ label, testid, kind = 'primary', run, done, prefix = 'act', disabled = false }) {
  const it = intent(prefix);
  const errorSlot = h('div', { class: 'action-error' });
  const btn = h('button', { type: 'button', class: ['btn', `btn-${kind}`], testid, disabled });
  btn.textContent = label;
  btn.addEventListener('click', async () => {
    if (btn.disabled) return;
    btn.disabled = true;
    btn.setAttribute('aria-busy', 'true');
    errorSlot.replaceChildren();
    inFlight.n++;
    let result;
    let failed = null;
    try {
      result = await run(it);
    } catch (e) {
      failed = e;
    } finally {
      inFlight.n--;
      btn.disabled = false;
      btn.removeAttribute('aria-busy');
    }
    if (failed) {
      errorSlot.replaceChildren(problemBox(failed));
      return;
    }
    try {
      await done?.(result);
    } catch (e) {
      errorSlot.replaceChildren(problemBox(e));
    }
  });
  return h('div', { class: 'action' }, btn, errorSlot);
}

export function section(title, testid, ...children) {
  return h('section', { class: 'card', testid }, title ? h('h2', { class: 'card-title' }, title) : null, ...children);
}

export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, hint ? h('small', { class: 'field-hint' }, hint) : null);
}

export function chip(text, cls, testid) {
  return h('span', { class: ['chip', cls], testid }, text);
}

/** A bottom sheet (the WeChat pay sheet). Returns `close()`. */
export function openSheet(build) {
  const root = document.getElementById('sheet-root');
  const close = () => root.replaceChildren();
  const panel = h('div', { class: 'sheet', role: 'dialog', 'aria-modal': 'true', testid: 'sheet' });
  root.replaceChildren(h('div', { class: 'sheet-backdrop' }), panel);
  panel.append(...[].concat(build(close)));
  return close;
}

export function loading() {
  return h('p', { class: 'muted loading' }, t('common.loading'));
}
