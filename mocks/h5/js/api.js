/**
 * The BFF client. Every call goes to the same origin (`/api/v1`). Errors are RFC 9457 problems: `ApiError` keeps
 * their `title`, `detail`, `code`, `errors[]` and `trace_id` so the page can show exactly what the BFF said.
 * Two sessions live side by side in this tab (sessionStorage): the customer's and a staff member's.
 */
export const API = '/api/v1';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || '';
    this.code = problem.code || null;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    this.traceId = problem.trace_id || null;
  }
}

const KEY = { customer: 'drmoto.demo.customer', staff: 'drmoto.demo.staff' };

export const session = {
  get(who) {
    try {
      return JSON.parse(sessionStorage.getItem(KEY[who]) || 'null');
    } catch {
      return null;
    }
  },
  set(who, tokens) {
    sessionStorage.setItem(KEY[who], JSON.stringify({ access: tokens.access_token, refresh: tokens.refresh_token, user: tokens.user }));
  },
  clear(who) {
    sessionStorage.removeItem(KEY[who]);
  },
};

async function send(method, path, { body, token, headers = {}, accept = 'application/json' }) {
  const h = { accept: `${accept}, application/problem+json`, ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  let res;
  try {
    // no-store: GET /work-orders/:id carries ETag = revision, which a registered payment does not move, so a
    // revalidated cache entry (304) would show stale amounts.
    res = await fetch(path.startsWith('/demo/') || path.startsWith('/api/') ? path : `${API}${path}`, { method, headers: h, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { title: 'network', detail: e instanceof Error ? e.message : String(e) });
  }
  // A file (a CSV report): the bytes and the server's file name; a refusal is still problem+json.
  if (res.ok && accept !== 'application/json') return { status: res.status, blob: await res.blob(), filename: fileName(res.headers.get('Content-Disposition')) };
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) throw new ApiError(res.status, data && typeof data === 'object' ? data : { title: `HTTP ${res.status}`, detail: text.slice(0, 200) });
  return { status: res.status, body: data, replayed: res.headers.get('Idempotent-Replayed') === 'true', etag: res.headers.get('ETag') };
}

function fileName(disposition) {
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? '');
  return m ? decodeURIComponent(m[1]) : 'download';
}

/**
 * `call('staff', 'POST', '/work-orders/3/transitions', {body, key, ifMatch})`. An expired access token is refreshed
 * once with the refresh token (rotation: the new pair is stored); a failed refresh ends the session.
 */
export async function call(who, method, path, opts = {}) {
  const s = who ? session.get(who) : null;
  const headers = {};
  if (opts.key) headers['Idempotency-Key'] = opts.key;
  if (opts.ifMatch !== undefined && opts.ifMatch !== null) headers['If-Match'] = `"${opts.ifMatch}"`;
  try {
    return await send(method, path, { body: opts.body, token: s?.access, headers, accept: opts.accept });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401 || !s?.refresh) throw e;
    let fresh;
    try {
      fresh = await send('POST', '/auth/refresh', { body: { refresh_token: s.refresh } });
    } catch {
      session.clear(who);
      throw e;
    }
    session.set(who, fresh.body);
    return send(method, path, { body: opts.body, token: fresh.body.access_token, headers, accept: opts.accept });
  }
}

/** GET a file (`accept`, e.g. text/csv) and hand it to the browser as a download through a blob: URL. */
export async function download(who, path, accept) {
  const r = await call(who, 'GET', path, { accept });
  const url = URL.createObjectURL(r.blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = r.filename;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return r;
}

/** Which optional API areas exist on this server (from /openapi.json), so their panels appear when they ship. */
let features;
export async function apiPaths() {
  features ??= fetch('/openapi.json')
    .then((r) => (r.ok ? r.json() : { paths: {} }))
    .then((doc) => new Set(Object.keys(doc.paths ?? {}).map((p) => p.replace(/^\/api\/v1/, '').replace(/\{(\w+)\}/g, ':$1'))))
    .catch(() => new Set());
  return features;
}
