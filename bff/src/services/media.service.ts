import { randomUUID } from 'node:crypto';
import { principalKey, type Principal } from '../domain/principal';
import { AppError, isRefusal } from '../errors';
import type { Logger } from '../logger';
import type { MediaConfig } from '../integrations/s3/config';
import { isMediaType, MEDIA_TYPES, MEDIA_TYPE_LIST, sniff, SNIFF_BYTES, type MediaType } from '../integrations/s3/magic';
import type { ObjectStorage, PresignedPostUpload, PresignedPutUpload } from '../integrations/s3/storage';
import type { MediaGateway } from '../integrations/odoo/media';
import type { WorkOrderGateway, WoRow } from '../integrations/odoo/work-orders';
import type { MediaKind, MediaUpload, MediaUploadRepository } from '../store/media-uploads';

export const MEDIA_KINDS = ['checkin_photo', 'damage', 'repair_evidence', 'other'] as const satisfies readonly MediaKind[];
/** What a customer may upload to their own work order: their view of the damage, nothing that counts as shop evidence. */
export const CUSTOMER_KINDS: readonly MediaKind[] = ['damage', 'other'];
const STAFF_UPLOAD_ROLES = ['advisor', 'technician'] as const;
const CLOSED_STATES = ['closed', 'cancelled'];
/** Storage and BFF clocks may differ a little; Last-Modified has one-second precision. */
const CLOCK_SKEW_MS = 5_000;

export interface PresignInput {
  filename: string;
  content_type: string;
  size: number;
  method?: 'POST' | 'PUT';
  kind?: MediaKind;
}

export interface PresignResult {
  id: string;
  work_order_id: number;
  object_key: string;
  kind: MediaKind;
  filename: string;
  content_type: MediaType;
  size: number;
  expires_at: string;
  upload: PresignedPostUpload | PresignedPutUpload;
}

export interface CompletedMedia {
  id: string;
  media_id: number;
  work_order_id: number;
  object_key: string;
  kind: MediaKind;
  filename: string;
  content_type: string;
  size: number;
  completed_at: string;
  replayed: boolean;
}

export interface MediaItem {
  id: number;
  kind: MediaKind;
  filename: string;
  content_type: string;
  size: number;
  uploaded_at: string | null;
  uploaded_by: { kind: 'staff' | 'customer' | 'system'; name: string | null };
  url: string;
  url_expires_at: string;
}

/** A rejection of `complete`: stable code, 422, and the upload is never accepted afterwards. */
class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Photos and videos of a work order (DESIGN.md §10): presign → the client uploads straight to storage → complete checks
 * the object against the BFF's record of the upload and its own bytes → only then the metadata goes to Odoo.
 */
export class MediaService {
  constructor(
    private readonly uploads: MediaUploadRepository,
    private readonly media: MediaGateway,
    private readonly wos: WorkOrderGateway,
    private readonly logger: Logger,
    private readonly storage?: ObjectStorage,
    private readonly cfg?: MediaConfig,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get store(): { storage: ObjectStorage; cfg: MediaConfig } {
    if (!this.storage || !this.cfg) throw new AppError('not_configured', 'Media uploads are not configured on this server.', { code: 'MEDIA_NOT_CONFIGURED', retryAfterS: 3600 });
    return { storage: this.storage, cfg: this.cfg };
  }

  async presign(p: Principal, woId: number, input: PresignInput): Promise<PresignResult> {
    const { storage, cfg } = this.store;
    const kind = input.kind ?? (p.kind === 'customer' ? 'damage' : 'other');
    this.assertMayUpload(p, kind);
    const contentType = normalizeType(input.content_type);
    if (!isMediaType(contentType)) {
      throw new AppError('unprocessable', `Only photos and videos can be uploaded (${MEDIA_TYPE_LIST.join(', ')}), not ${input.content_type}.`, { code: 'MEDIA_TYPE_NOT_ALLOWED', details: { allowed: MEDIA_TYPE_LIST } });
    }
    if (input.size > cfg.maxBytes) {
      throw new AppError('unprocessable', `The file is ${input.size} bytes; the limit is ${cfg.maxBytes}.`, { code: 'MEDIA_TOO_LARGE', details: { max_bytes: cfg.maxBytes } });
    }
    const wo = await this.ownWorkOrder(p, woId);
    if (CLOSED_STATES.includes(wo.state)) throw new AppError('conflict', `Work order ${wo.name} is ${wo.state}; no more media can be added.`, { code: 'DRM_WO_STATE' });

    const id = randomUUID();
    const objectKey = `work-orders/${woId}/${id}.${MEDIA_TYPES[contentType]}`;
    const expiresAt = new Date(this.now().getTime() + cfg.uploadTtlS * 1000);
    const filename = baseName(input.filename);
    const method = input.method ?? 'POST';
    // Sign first: a failure leaves no record behind.
    const upload =
      method === 'PUT'
        ? await storage.presignPut({ key: objectKey, contentType, size: input.size, expiresS: cfg.uploadTtlS })
        : await storage.presignPost({ key: objectKey, contentType, maxBytes: input.size, expiresS: cfg.uploadTtlS });
    await this.uploads.create({ id, workOrderId: woId, shopId: wo.company_id, objectKey, filename, contentType, size: input.size, kind, method, principal: principalKey(p), expiresAt });
    return { id, work_order_id: woId, object_key: objectKey, kind, filename, content_type: contentType, size: input.size, expires_at: expiresAt.toISOString(), upload };
  }

  /** Idempotent: a completed upload answers the same again; a rejected one its rejection again. */
  async complete(p: Principal, uploadId: string): Promise<CompletedMedia> {
    const { storage, cfg } = this.store;
    const u = await this.uploads.get(uploadId);
    if (!u || (u.principal !== principalKey(p) && !(p.kind === 'staff' && p.roles.includes('manager')))) {
      throw new AppError('not_found', `Upload ${uploadId} not found.`, { code: 'MEDIA_NOT_FOUND' });
    }
    if (u.state === 'completed') return completed(u, true);
    if (u.state !== 'pending') throw rejectionError(u.rejectCode ?? 'MEDIA_REJECTED', u.rejectReason ?? 'The upload was rejected.');

    try {
      const now = this.now().getTime();
      if (now > u.expiresAt.getTime() + cfg.uploadTtlS * 1000) {
        throw new Rejection('MEDIA_EXPIRED', `The upload expired at ${u.expiresAt.toISOString()} and was not completed in time; presign again.`);
      }
      const head = await storage.head(u.objectKey);
      if (!head) {
        // Not (yet) there: the client may still be uploading, so this is not final.
        throw new AppError('conflict', `Nothing was uploaded to ${u.objectKey}; upload the file with the presigned request first.`, { code: 'MEDIA_NOT_UPLOADED' });
      }
      if (head.lastModified && head.lastModified.getTime() > u.expiresAt.getTime() + CLOCK_SKEW_MS) {
        throw new Rejection('MEDIA_LATE', `The object was stored at ${head.lastModified.toISOString()}, after the upload expired at ${u.expiresAt.toISOString()}.`);
      }
      if (head.size > cfg.maxBytes) throw new Rejection('MEDIA_TOO_LARGE', `The object is ${head.size} bytes; the limit is ${cfg.maxBytes}.`);
      if (head.size !== u.size) throw new Rejection('MEDIA_SIZE_MISMATCH', `The object is ${head.size} bytes, not the ${u.size} declared.`);
      const storedType = head.contentType === null ? null : normalizeType(head.contentType);
      if (storedType !== u.contentType) throw new Rejection('MEDIA_TYPE_MISMATCH', `The object was stored as ${head.contentType ?? 'no type'}, not ${u.contentType} as declared.`);
      const bytes = await storage.readHead(u.objectKey, SNIFF_BYTES);
      if (!bytes) throw new AppError('conflict', `Nothing was uploaded to ${u.objectKey}.`, { code: 'MEDIA_NOT_UPLOADED' });
      const seen = sniff(bytes);
      if (!seen.includes(u.contentType as MediaType)) {
        throw new Rejection('MEDIA_CONTENT_MISMATCH', `The file's content is ${seen.length ? seen.join(' or ') : 'not a photo or video we accept'}, not ${u.contentType}.`);
      }
    } catch (e) {
      if (e instanceof Rejection) throw await this.reject(u, e);
      throw e;
    }

    const vals = { object_key: u.objectKey, name: u.filename, content_type: u.contentType, size: u.size, kind: u.kind };
    let recorded: { media_id: number };
    try {
      recorded = await this.media.add(u.workOrderId, `media-${u.id}`, vals).catch((e: unknown) => {
        // A concurrent twin of this complete won the unique key in Odoo: the retry replays its record.
        if (e instanceof AppError && e.code === 'DRM_DUP_KEY') return this.media.add(u.workOrderId, `media-${u.id}`, vals);
        throw e;
      });
    } catch (e) {
      // Odoo refused for good (work order closed meanwhile, not allowed): the object goes. Unavailable: try again later.
      if (isRefusal(e)) {
        await this.reject(u, new Rejection(e.code ?? 'MEDIA_REFUSED', e.message), e);
      }
      throw e;
    }
    const done = await this.uploads.markCompleted(u.id, recorded.media_id);
    if (done.state !== 'completed') throw rejectionError(done.rejectCode ?? 'MEDIA_REJECTED', done.rejectReason ?? 'The upload was rejected.');
    this.logger.info('media completed', { upload_id: u.id, work_order_id: u.workOrderId, media_id: recorded.media_id, size: u.size, content_type: u.contentType });
    return completed(done, false);
  }

  async list(p: Principal, woId: number): Promise<{ items: MediaItem[] }> {
    const { storage, cfg } = this.store;
    await this.ownWorkOrder(p, woId);
    const rows = await this.media.list(woId);
    const expiresAt = new Date(this.now().getTime() + cfg.urlTtlS * 1000).toISOString();
    const items = await Promise.all(
      rows.map(async (r) => ({
        id: r.id,
        kind: r.kind,
        filename: r.name,
        content_type: r.content_type,
        size: r.size,
        uploaded_at: r.uploaded_at,
        uploaded_by: { kind: r.actor_kind, name: r.actor_user?.name ?? r.actor_partner?.name ?? null },
        url: await storage.signedGetUrl(r.object_key, cfg.urlTtlS, r.name || undefined),
        url_expires_at: expiresAt,
      })),
    );
    return { items };
  }

  /** Housekeeping: uploads never completed within their window lose their object (if any) and become `expired`. */
  async sweepStale(): Promise<number> {
    if (!this.storage || !this.cfg) return 0;
    const stale = await this.uploads.stale(new Date(this.now().getTime() - this.cfg.uploadTtlS * 1000));
    for (const u of stale) {
      await this.storage.delete(u.objectKey);
      await this.uploads.markExpired(u.id);
    }
    return stale.length;
  }

  private async reject(u: MediaUpload, r: Rejection, cause?: unknown): Promise<AppError> {
    const after = await this.uploads.markRejected(u.id, r.code, r.message);
    if (after.state === 'completed') return rejectionError('MEDIA_REJECTED', 'The upload was completed by another request.');
    try {
      await this.storage!.delete(u.objectKey);
    } catch (e) {
      this.logger.warn('rejected media object not deleted', { upload_id: u.id, key: u.objectKey, error: e instanceof Error ? e.message : String(e) });
    }
    this.logger.info('media rejected', { upload_id: u.id, work_order_id: u.workOrderId, code: r.code, reason: r.message, cause: cause instanceof Error ? cause.message : undefined });
    return rejectionError(r.code, r.message);
  }

  private async ownWorkOrder(p: Principal, woId: number): Promise<WoRow> {
    const wo = await this.wos.get(woId);
    if (!wo || (p.kind === 'customer' && wo.partner?.id !== p.partnerId)) throw new AppError('not_found', `Work order ${woId} not found.`);
    return wo;
  }

  private assertMayUpload(p: Principal, kind: MediaKind): void {
    if (p.kind === 'customer') {
      if (!CUSTOMER_KINDS.includes(kind)) throw new AppError('forbidden', `Customers may upload ${CUSTOMER_KINDS.join(' or ')} media, not ${kind}.`, { code: 'MEDIA_KIND_FORBIDDEN' });
      return;
    }
    if (p.kind !== 'staff' || (!p.roles.includes('manager') && !p.roles.some((r) => (STAFF_UPLOAD_ROLES as readonly string[]).includes(r)))) {
      throw new AppError('forbidden', `Uploading media needs one of the roles: ${STAFF_UPLOAD_ROLES.join(', ')}, manager.`);
    }
  }
}

function completed(u: MediaUpload, replayed: boolean): CompletedMedia {
  return {
    id: u.id,
    media_id: u.odooMediaId!,
    work_order_id: u.workOrderId,
    object_key: u.objectKey,
    kind: u.kind,
    filename: u.filename,
    content_type: u.contentType,
    size: u.size,
    completed_at: u.completedAt!.toISOString(),
    replayed,
  };
}

function rejectionError(code: string, message: string): AppError {
  return new AppError('unprocessable', message, { code });
}

/** `Image/JPEG; charset=x` → `image/jpeg`; the common `image/jpg` alias → `image/jpeg`. */
export function normalizeType(t: string): string {
  const base = t.split(';')[0]!.trim().toLowerCase();
  return base === 'image/jpg' || base === 'image/pjpeg' ? 'image/jpeg' : base;
}

/** The name without any directory part (a client may send a full path). */
function baseName(name: string): string {
  return name.split(/[\\/]/).pop()!.trim() || 'upload';
}
