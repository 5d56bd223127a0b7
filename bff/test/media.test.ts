import { startHarness, expectProblem, type Harness } from './harness';

/** Photos that are what they say, and files that are not. */
export const SAMPLES = {
  jpeg: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0'), Buffer.alloc(600, 7)]),
  png: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(500, 1)]),
  mp4: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom\0\0\x02\0isomiso2', 'latin1'), Buffer.alloc(900, 3)]),
  pdf: Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(600, 32)]),
};

const MAX_BYTES = 4096;

describe('media uploads', () => {
  let h: Harness;
  let advisor: string;
  let technician: string;
  let keeper: string;
  let cashier: string;
  let n = 0;

  beforeAll(async () => {
    h = await startHarness({ s3: true, env: { MEDIA_MAX_BYTES: String(MAX_BYTES) } });
    [advisor, technician, keeper, cashier] = (await Promise.all(['advisor', 'technician', 'keeper', 'cashier'].map((l) => h.staffToken(l)))) as [string, string, string, string];
  });
  afterAll(async () => {
    await h.close();
  });

  /** A customer (phone bound) and a checked-in work order of theirs. */
  async function workOrder(): Promise<{ id: number; customer: string; etag: string }> {
    n++;
    const me = await h.customerLogin(`media-${n}`, `phone-1360000${String(1000 + n)}`);
    const v = await h.req('POST', '/api/v1/vehicles', { token: me.access_token, body: { plate_no: `粤M${String(20000 + n)}` } });
    expect(v.status).toBe(201);
    const wo = await h.req('POST', '/api/v1/work-orders', { token: advisor, body: { customer_id: me.user.customer_id, vehicle_id: v.body.id, checkin: true } });
    expect(wo.status).toBe(201);
    return { id: wo.body.id as number, customer: me.access_token, etag: wo.headers.get('etag')! };
  }

  const presign = (token: string, woId: number, body: Record<string, unknown>) => h.req('POST', `/api/v1/work-orders/${woId}/media/uploads`, { token, body });
  const complete = (token: string, id: string) => h.req('POST', `/api/v1/media/${id}/complete`, { token });
  const list = (token: string, woId: number) => h.req('GET', `/api/v1/work-orders/${woId}/media`, { token });
  /** What Odoo holds for the work order (the mock's ORM, no BFF in between). */
  const odooMedia = (woId: number) => h.odoo.orm.sudo().model('drmoto.work.order.media').search([['work_order_id', '=', woId]]);

  /** The multipart POST wx.uploadFile sends: every returned field, then the file (named `file`, last). */
  async function uploadPost(upload: { url: string; fields: Record<string, string> }, bytes: Buffer, override: Record<string, string> = {}): Promise<number> {
    const form = new FormData();
    for (const [k, v] of Object.entries({ ...upload.fields, ...override })) form.append(k, v);
    form.append('file', new Blob([bytes]), 'photo');
    const r = await fetch(upload.url, { method: 'POST', body: form });
    await r.arrayBuffer();
    return r.status;
  }

  async function uploadPut(upload: { url: string; headers: Record<string, string> }, bytes: Buffer): Promise<number> {
    // fetch computes Content-Length from the body itself: it equals the signed one.
    const r = await fetch(upload.url, { method: 'PUT', headers: { 'content-type': upload.headers['Content-Type']! }, body: bytes });
    await r.arrayBuffer();
    return r.status;
  }

  /** presign → upload → the presign body (not yet completed). */
  async function uploaded(token: string, woId: number, bytes: Buffer, body: Record<string, unknown> = {}, override: Record<string, string> = {}) {
    const p = await presign(token, woId, { filename: 'photo.jpg', content_type: 'image/jpeg', size: bytes.length, ...body });
    expect(p.status).toBe(201);
    expect(await uploadPost(p.body.upload, bytes, override)).toBe(204);
    return p.body as { id: string; object_key: string; upload: { url: string; fields: Record<string, string> } };
  }

  const objectUrl = (key: string) => `${h.s3!.url}/${h.s3!.bucket}/${key}`;

  it('presigned POST → multipart upload → complete → listed with a signed URL whose bytes match; complete repeats', async () => {
    const wo = await workOrder();
    const p = await presign(advisor, wo.id, { filename: 'C:\\photos\\front.jpg', content_type: 'image/jpeg', size: SAMPLES.jpeg.length, kind: 'checkin_photo' });
    expect(p.status).toBe(201);
    expect(p.body).toEqual(
      expect.objectContaining({ id: expect.any(String), work_order_id: wo.id, kind: 'checkin_photo', filename: 'front.jpg', content_type: 'image/jpeg', size: SAMPLES.jpeg.length }),
    );
    expect(p.body.object_key).toMatch(new RegExp(`^work-orders/${wo.id}/[0-9a-f-]{36}\\.jpg$`));
    expect(Date.parse(p.body.expires_at) - Date.now()).toBeLessThanOrEqual(300_000);
    expect(p.body.upload).toEqual({ method: 'POST', url: `${h.s3!.url}/${h.s3!.bucket}`, fields: expect.objectContaining({ key: p.body.object_key, 'Content-Type': 'image/jpeg', Policy: expect.any(String), 'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/) }) });
    // nothing in Odoo before complete
    expect(odooMedia(wo.id)).toEqual([]);

    expect(await uploadPost(p.body.upload, SAMPLES.jpeg)).toBe(204);
    const c = await complete(advisor, p.body.id);
    expect(c.status).toBe(200);
    expect(c.body).toEqual(expect.objectContaining({ id: p.body.id, media_id: expect.any(Number), work_order_id: wo.id, object_key: p.body.object_key, kind: 'checkin_photo', size: SAMPLES.jpeg.length, replayed: false }));
    const again = await complete(advisor, p.body.id);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...c.body, replayed: true });
    expect(odooMedia(wo.id)).toEqual([c.body.media_id]);

    const l = await list(advisor, wo.id);
    expect(l.status).toBe(200);
    expect(l.body.items).toEqual([
      expect.objectContaining({ id: c.body.media_id, kind: 'checkin_photo', filename: 'front.jpg', content_type: 'image/jpeg', size: SAMPLES.jpeg.length, uploaded_by: { kind: 'staff', name: expect.any(String) }, url: expect.stringContaining('X-Amz-Signature=') }),
    ]);
    expect(l.body.items[0].url).toContain('X-Amz-Expires=300');
    const got = await fetch(l.body.items[0].url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(SAMPLES.jpeg)).toBe(true);
  });

  it('presigned PUT with Content-Type and Content-Length signed (no checksum parameter) → complete → bytes match', async () => {
    const wo = await workOrder();
    const p = await presign(technician, wo.id, { filename: 'repair.mp4', content_type: 'video/mp4', size: SAMPLES.mp4.length, method: 'PUT', kind: 'repair_evidence' });
    expect(p.status).toBe(201);
    expect(p.body.upload).toEqual({ method: 'PUT', url: expect.any(String), headers: { 'Content-Type': 'video/mp4', 'Content-Length': String(SAMPLES.mp4.length) } });
    const url = new URL(p.body.upload.url);
    expect(url.pathname).toBe(`/${h.s3!.bucket}/${p.body.object_key}`);
    expect(url.searchParams.get('X-Amz-SignedHeaders')!.split(';')).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(900);

    expect(await uploadPut(p.body.upload, SAMPLES.mp4)).toBe(200);
    const c = await complete(technician, p.body.id);
    expect(c.status).toBe(200);
    const l = await list(cashier, wo.id);
    expect(l.body.items.map((i: { kind: string }) => i.kind)).toEqual(['repair_evidence']);
    const got = await fetch(l.body.items[0].url);
    expect(Buffer.from(await got.arrayBuffer()).equals(SAMPLES.mp4)).toBe(true);
  });

  it('customers: damage photos of their own work orders only; another customer gets 404', async () => {
    const wo = await workOrder();
    const other = await workOrder();
    const mine = await uploaded(wo.customer, wo.id, SAMPLES.png, { content_type: 'image/png', filename: 'scratch.png' });
    const c = await complete(wo.customer, mine.id);
    expect(c.status).toBe(200);
    expect(c.body.kind).toBe('damage');
    expectProblem(await presign(wo.customer, wo.id, { filename: 'x.jpg', content_type: 'image/jpeg', size: 100, kind: 'checkin_photo' }), 403, 'MEDIA_KIND_FORBIDDEN');
    expectProblem(await presign(other.customer, wo.id, { filename: 'x.jpg', content_type: 'image/jpeg', size: 100 }), 404);
    expectProblem(await list(other.customer, wo.id), 404);
    // another principal can't complete someone's upload
    expectProblem(await complete(other.customer, mine.id), 404, 'MEDIA_NOT_FOUND');
    const l = await list(wo.customer, wo.id);
    expect(l.status).toBe(200);
    expect(l.body.items).toEqual([expect.objectContaining({ kind: 'damage', uploaded_by: { kind: 'customer', name: expect.any(String) } })]);
  });

  it('roles: keeper and cashier may not upload but may look; unauthenticated → 401', async () => {
    const wo = await workOrder();
    for (const t of [keeper, cashier]) expectProblem(await presign(t, wo.id, { filename: 'x.jpg', content_type: 'image/jpeg', size: 100 }), 403);
    expect((await list(keeper, wo.id)).status).toBe(200);
    expectProblem(await h.req('GET', `/api/v1/work-orders/${wo.id}/media`), 401);
  });

  it('bad declarations: not a photo or video → 422, over the limit → 422, unknown field or method → 400; nothing recorded', async () => {
    const wo = await workOrder();
    expectProblem(await presign(advisor, wo.id, { filename: 'x.pdf', content_type: 'application/pdf', size: 100 }), 422, 'MEDIA_TYPE_NOT_ALLOWED');
    const big = await presign(advisor, wo.id, { filename: 'x.jpg', content_type: 'image/jpeg', size: MAX_BYTES + 1 });
    expectProblem(big, 422, 'MEDIA_TOO_LARGE');
    expect(big.body.max_bytes).toBe(MAX_BYTES);
    expectProblem(await presign(advisor, wo.id, { filename: 'x.jpg', content_type: 'image/jpeg', size: 100, acl: 'public-read' }), 400);
    expectProblem(await presign(advisor, wo.id, { filename: 'x.jpg', content_type: 'image/jpeg', size: 100, method: 'GET' }), 400);
    expectProblem(await presign(advisor, wo.id, { filename: 'x.jpg', content_type: 'image/jpeg', size: 0 }), 400);
    expectProblem(await presign(advisor, 999_999, { filename: 'x.jpg', content_type: 'image/jpeg', size: 100 }), 404);
    const { rows } = await h.bff.container.db.query<{ n: number }>('SELECT count(*)::int AS n FROM media_uploads WHERE work_order_id = $1', [wo.id]);
    expect(rows[0]!.n).toBe(0);
  });

  describe('complete rejects, deletes the object and records nothing in Odoo', () => {
    it('wrong key: the file went elsewhere → 409 MEDIA_NOT_UPLOADED (not final: the right upload may still come)', async () => {
      const wo = await workOrder();
      const p = await presign(advisor, wo.id, { filename: 'a.jpg', content_type: 'image/jpeg', size: SAMPLES.jpeg.length });
      const evil = `work-orders/${wo.id}/evil.jpg`;
      expect(await uploadPost(p.body.upload, SAMPLES.jpeg, { key: evil })).toBe(204);
      expectProblem(await complete(advisor, p.body.id), 409, 'MEDIA_NOT_UPLOADED');
      expect(odooMedia(wo.id)).toEqual([]);
      // the presigned key still works afterwards
      expect(await uploadPost(p.body.upload, SAMPLES.jpeg)).toBe(204);
      expect((await complete(advisor, p.body.id)).status).toBe(200);
      expect(odooMedia(wo.id)).toHaveLength(1);
    });

    it.each([
      ['larger than declared', 'MEDIA_SIZE_MISMATCH', SAMPLES.jpeg.length - 100, {}, SAMPLES.jpeg],
      ['larger than MEDIA_MAX_BYTES', 'MEDIA_TOO_LARGE', 1000, {}, Buffer.concat([SAMPLES.jpeg, Buffer.alloc(MAX_BYTES)])],
      ['stored with another type', 'MEDIA_TYPE_MISMATCH', SAMPLES.jpeg.length, { 'Content-Type': 'image/png' }, SAMPLES.jpeg],
      ['a PDF declared as JPEG (magic number)', 'MEDIA_CONTENT_MISMATCH', SAMPLES.pdf.length, {}, SAMPLES.pdf],
      ['a PNG declared as JPEG (magic number)', 'MEDIA_CONTENT_MISMATCH', SAMPLES.png.length, {}, SAMPLES.png],
    ] as const)('%s → 422 %s', async (_what, code, declared, override, bytes) => {
      const wo = await workOrder();
      const p = await presign(advisor, wo.id, { filename: 'a.jpg', content_type: 'image/jpeg', size: declared });
      expect(p.status).toBe(201);
      expect(await uploadPost(p.body.upload, bytes, override)).toBe(204);
      expectProblem(await complete(advisor, p.body.id), 422, code);
      // final: the same answer again, the object is gone, Odoo has nothing
      expectProblem(await complete(advisor, p.body.id), 422, code);
      expect((await fetch(objectUrl(p.body.object_key), { method: 'HEAD' })).status).toBe(404);
      expect(odooMedia(wo.id)).toEqual([]);
      expect((await list(advisor, wo.id)).body.items).toEqual([]);
    });

    it('late: stored after the presign expired → 422 MEDIA_LATE', async () => {
      const wo = await workOrder();
      const u = await uploaded(advisor, wo.id, SAMPLES.jpeg);
      await h.bff.container.db.query(`UPDATE media_uploads SET expires_at = now() - interval '60 seconds' WHERE id = $1`, [u.id]);
      expectProblem(await complete(advisor, u.id), 422, 'MEDIA_LATE');
      expect(odooMedia(wo.id)).toEqual([]);
    });

    it('expired: completed after the window → 422 MEDIA_EXPIRED', async () => {
      const wo = await workOrder();
      const u = await uploaded(advisor, wo.id, SAMPLES.jpeg);
      await h.bff.container.db.query(`UPDATE media_uploads SET expires_at = now() - interval '1 hour' WHERE id = $1`, [u.id]);
      expectProblem(await complete(advisor, u.id), 422, 'MEDIA_EXPIRED');
      expect((await fetch(objectUrl(u.object_key), { method: 'HEAD' })).status).toBe(404);
      expect(odooMedia(wo.id)).toEqual([]);
    });

    it('Odoo refuses (work order cancelled meanwhile) → its 409, upload rejected for good', async () => {
      const wo = await workOrder();
      const u = await uploaded(advisor, wo.id, SAMPLES.jpeg);
      const cancel = await h.req('POST', `/api/v1/work-orders/${wo.id}/transitions`, { token: advisor, body: { action: 'cancel', reason: 'left' } });
      expect(cancel.status).toBe(200);
      expectProblem(await complete(advisor, u.id), 409, 'DRM_WO_STATE');
      expectProblem(await complete(advisor, u.id), 422, 'DRM_WO_STATE');
      expect(odooMedia(wo.id)).toEqual([]);
      expectProblem(await presign(advisor, wo.id, { filename: 'a.jpg', content_type: 'image/jpeg', size: 100 }), 409, 'DRM_WO_STATE');
    });

    it('unknown or malformed upload ids', async () => {
      expectProblem(await complete(advisor, '00000000-0000-4000-8000-000000000000'), 404, 'MEDIA_NOT_FOUND');
      expectProblem(await complete(advisor, 'not-a-uuid'), 400);
    });
  });

  it('a presign never completed leaves nothing in Odoo; housekeeping deletes its object and expires it', async () => {
    const wo = await workOrder();
    const u = await uploaded(advisor, wo.id, SAMPLES.jpeg);
    expect((await fetch(objectUrl(u.object_key), { method: 'HEAD' })).status).toBe(200);
    await h.bff.container.db.query(`UPDATE media_uploads SET expires_at = now() - interval '1 hour' WHERE id = $1`, [u.id]);
    expect(await h.bff.container.deps.media!.sweepStale()).toBeGreaterThanOrEqual(1);
    expect((await fetch(objectUrl(u.object_key), { method: 'HEAD' })).status).toBe(404);
    const { rows } = await h.bff.container.db.query<{ state: string }>('SELECT state FROM media_uploads WHERE id = $1', [u.id]);
    expect(rows[0]!.state).toBe('expired');
    expect(odooMedia(wo.id)).toEqual([]);
    expectProblem(await complete(advisor, u.id), 422, 'MEDIA_EXPIRED');
  });

  it("the shop's check-in photo minimum: start_diagnosis → 409 DRM_MEDIA_REQUIRED until enough check-in photos are completed", async () => {
    const company = h.odoo.orm.sudo().model('res.company');
    company.write([1], { drmoto_min_checkin_photos: 1 });
    try {
      const wo = await workOrder();
      const start = () => h.req('POST', `/api/v1/work-orders/${wo.id}/transitions`, { token: technician, body: { action: 'start_diagnosis' } });
      expectProblem(await start(), 409, 'DRM_MEDIA_REQUIRED');
      const u = await uploaded(advisor, wo.id, SAMPLES.jpeg, { kind: 'checkin_photo' });
      expect((await complete(advisor, u.id)).status).toBe(200);
      const ok = await start();
      expect(ok.status).toBe(200);
      expect(ok.body.status).toBe('diagnosing');
    } finally {
      company.write([1], { drmoto_min_checkin_photos: 0 });
    }
  });

  it('is in /openapi.json', async () => {
    const r = await h.req('GET', '/openapi.json');
    expect(Object.keys(r.body.paths)).toEqual(expect.arrayContaining(['/api/v1/work-orders/{id}/media/uploads', '/api/v1/media/{id}/complete', '/api/v1/work-orders/{id}/media']));
  });
});

describe('media without storage', () => {
  it('not configured → 503 MEDIA_NOT_CONFIGURED', async () => {
    const h = await startHarness();
    try {
      const t = await h.staffToken('advisor');
      expectProblem(await h.req('POST', '/api/v1/work-orders/1/media/uploads', { token: t, body: { filename: 'a.jpg', content_type: 'image/jpeg', size: 10 } }), 503, 'MEDIA_NOT_CONFIGURED');
      expectProblem(await h.req('GET', '/api/v1/work-orders/1/media', { token: t }), 503, 'MEDIA_NOT_CONFIGURED');
    } finally {
      await h.close();
    }
  });

  it('storage down → complete answers 503 STORAGE_UNAVAILABLE and the upload stays pending, nothing in Odoo', async () => {
    const h = await startHarness({ s3: true });
    try {
      const t = await h.staffToken('advisor');
      const wo = (await h.req('GET', '/api/v1/work-orders?limit=1', { token: t })).body.items[0].id as number;
      const p = await h.req('POST', `/api/v1/work-orders/${wo}/media/uploads`, { token: t, body: { filename: 'a.jpg', content_type: 'image/jpeg', size: SAMPLES.jpeg.length } });
      expect(p.status).toBe(201);
      await h.s3!.close();
      const r = await h.req('POST', `/api/v1/media/${p.body.id}/complete`, { token: t });
      expectProblem(r, 503, 'STORAGE_UNAVAILABLE');
      expect(r.headers.get('retry-after')).toBe('5');
      const { rows } = await h.bff.container.db.query<{ state: string }>('SELECT state FROM media_uploads WHERE id = $1', [p.body.id]);
      expect(rows[0]!.state).toBe('pending');
      expect(h.odoo.orm.sudo().model('drmoto.work.order.media').search([])).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

const pgUrl = process.env.DATABASE_URL;
(pgUrl ? describe : describe.skip)(pgUrl ? 'media uploads (pg)' : 'media uploads (pg) — skipped: DATABASE_URL not set', () => {
  it('the same flow with the BFF store on PostgreSQL: presign → upload → complete → listed; a rejection is kept', async () => {
    const h = await startHarness({ s3: true, databaseUrl: pgUrl });
    try {
      const t = await h.staffToken('advisor');
      const wo = (await h.req('GET', '/api/v1/work-orders?limit=1', { token: t })).body.items[0].id as number;
      const up = async (bytes: Buffer) => {
        const p = await h.req('POST', `/api/v1/work-orders/${wo}/media/uploads`, { token: t, body: { filename: 'a.jpg', content_type: 'image/jpeg', size: bytes.length, method: 'PUT' } });
        expect(p.status).toBe(201);
        const r = await fetch(p.body.upload.url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: bytes });
        expect(r.status).toBe(200);
        return p.body.id as string;
      };
      const good = await up(SAMPLES.jpeg);
      expect((await h.req('POST', `/api/v1/media/${good}/complete`, { token: t })).status).toBe(200);
      const bad = await up(SAMPLES.pdf);
      expectProblem(await h.req('POST', `/api/v1/media/${bad}/complete`, { token: t }), 422, 'MEDIA_CONTENT_MISMATCH');
      const { rows } = await h.bff.container.db.query<{ id: string; state: string; size: number }>('SELECT id, state, size FROM media_uploads ORDER BY created_at');
      expect(rows).toEqual([
        { id: good, state: 'completed', size: SAMPLES.jpeg.length },
        { id: bad, state: 'rejected', size: SAMPLES.pdf.length },
      ]);
      const l = await h.req('GET', `/api/v1/work-orders/${wo}/media`, { token: t });
      expect(l.body.items).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});
