import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError } from '../../errors';
import type { MediaConfig } from './config';

/**
 * The only code that talks to object storage (any S3 API: AWS, MinIO, Tencent COS, Aliyun OSS, s3rver). Two SDK
 * clients: one for the BFF's own calls (S3_ENDPOINT) and one that only signs, for the URLs handed to clients
 * (S3_PUBLIC_ENDPOINT): a SigV4 URL signature covers the Host, so it must be signed for the host the client uses.
 */

export interface PresignedPostUpload {
  method: 'POST';
  url: string;
  /** Every field goes into the multipart form before the file (the file part is named `file`, last). */
  fields: Record<string, string>;
}

export interface PresignedPutUpload {
  method: 'PUT';
  url: string;
  /** Signed: the upload must send exactly these. */
  headers: Record<string, string>;
}

export interface ObjectHead {
  size: number;
  contentType: string | null;
  lastModified: Date | null;
}

/**
 * The POST policy conditions for one upload (besides the fields createPresignedPost adds itself: bucket, key,
 * X-Amz-*). Pure, so a unit test can assert them; the storage enforces them on a real S3.
 */
export function postPolicyConditions(p: { bucket: string; key: string; contentType: string; maxBytes: number }): unknown[] {
  return [
    { bucket: p.bucket },
    { key: p.key },
    ['eq', '$Content-Type', p.contentType],
    ['content-length-range', 1, p.maxBytes],
  ];
}

/** Any SDK failure that is not "no such object": the storage is unusable for this request → 503. */
function unavailable(e: unknown): AppError {
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = e instanceof Error ? e.name : 'Error';
  return new AppError('dependency_unavailable', 'Object storage is unavailable; try again shortly.', {
    code: 'STORAGE_UNAVAILABLE',
    retryAfterS: 5,
    cause: `${name}${status ? ` (HTTP ${status})` : ''}: ${e instanceof Error ? e.message : String(e)}`,
  });
}

const notFound = (e: unknown): boolean => {
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const name = e instanceof Error ? e.name : '';
  return status === 404 || name === 'NotFound' || name === 'NoSuchKey';
};

export class ObjectStorage {
  private readonly api: S3Client;
  private readonly signer: S3Client;

  constructor(private readonly cfg: MediaConfig, opts: { timeoutMs?: number } = {}) {
    const base = {
      region: cfg.region,
      forcePathStyle: cfg.forcePathStyle,
      ...(cfg.credentials ? { credentials: cfg.credentials } : {}),
      // Otherwise the SDK adds a CRC32 of the (empty) body to presigned PUTs, and every real upload fails on it.
      requestChecksumCalculation: 'WHEN_REQUIRED' as const,
      responseChecksumValidation: 'WHEN_REQUIRED' as const,
    };
    this.api = new S3Client({
      ...base,
      ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
      maxAttempts: 2,
      requestHandler: { connectionTimeout: Math.min(2000, opts.timeoutMs ?? 5000), requestTimeout: opts.timeoutMs ?? 5000, throwOnRequestTimeout: true },
    });
    const publicEndpoint = cfg.publicEndpoint ?? cfg.endpoint;
    this.signer = publicEndpoint === cfg.endpoint ? this.api : new S3Client({ ...base, ...(publicEndpoint ? { endpoint: publicEndpoint } : {}) });
  }

  get bucket(): string {
    return this.cfg.bucket;
  }

  /** A browser-style multipart POST (what `wx.uploadFile` sends): exact bucket and key, Content-Type, size cap. */
  async presignPost(p: { key: string; contentType: string; maxBytes: number; expiresS: number }): Promise<PresignedPostUpload> {
    try {
      const r = await createPresignedPost(this.signer, {
        Bucket: this.cfg.bucket,
        Key: p.key,
        Conditions: postPolicyConditions({ bucket: this.cfg.bucket, key: p.key, contentType: p.contentType, maxBytes: p.maxBytes }) as never,
        Fields: { 'Content-Type': p.contentType },
        Expires: p.expiresS,
      });
      return { method: 'POST', url: r.url, fields: r.fields };
    } catch (e) {
      throw unavailable(e);
    }
  }

  /** A presigned PUT with Content-Type and Content-Length in the signature. */
  async presignPut(p: { key: string; contentType: string; size: number; expiresS: number }): Promise<PresignedPutUpload> {
    try {
      const url = await getSignedUrl(this.signer, new PutObjectCommand({ Bucket: this.cfg.bucket, Key: p.key, ContentType: p.contentType, ContentLength: p.size }), {
        expiresIn: p.expiresS,
        signableHeaders: new Set(['content-type', 'content-length']),
      });
      return { method: 'PUT', url, headers: { 'Content-Type': p.contentType, 'Content-Length': String(p.size) } };
    } catch (e) {
      throw unavailable(e);
    }
  }

  /** A short-lived GET URL; `filename` becomes the download name. */
  async signedGetUrl(key: string, expiresS: number, filename?: string): Promise<string> {
    try {
      return await getSignedUrl(
        this.signer,
        new GetObjectCommand({
          Bucket: this.cfg.bucket,
          Key: key,
          ...(filename ? { ResponseContentDisposition: `inline; filename*=UTF-8''${encodeURIComponent(filename)}` } : {}),
        }),
        { expiresIn: expiresS },
      );
    } catch (e) {
      throw unavailable(e);
    }
  }

  /** Size, type and time of an object; null when there is none. */
  async head(key: string): Promise<ObjectHead | null> {
    try {
      const r = await this.api.send(new HeadObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
      return { size: Number(r.ContentLength ?? -1), contentType: r.ContentType ?? null, lastModified: r.LastModified ?? null };
    } catch (e) {
      if (notFound(e)) return null;
      throw unavailable(e);
    }
  }

  /** The first `n` bytes (a ranged GET: a large video is never downloaded). */
  async readHead(key: string, n: number): Promise<Buffer | null> {
    try {
      const r = await this.api.send(new GetObjectCommand({ Bucket: this.cfg.bucket, Key: key, Range: `bytes=0-${n - 1}` }));
      const bytes = Buffer.from((await r.Body?.transformToByteArray()) ?? new Uint8Array());
      // A server that ignores Range sends everything: keep only what was asked for.
      return bytes.subarray(0, n);
    } catch (e) {
      if (notFound(e)) return null;
      throw unavailable(e);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.api.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
    } catch (e) {
      if (!notFound(e)) throw unavailable(e);
    }
  }

  /** Creates the bucket when missing (demo and tests; production buckets are made by their owner). */
  async ensureBucket(): Promise<void> {
    try {
      await this.api.send(new HeadBucketCommand({ Bucket: this.cfg.bucket }));
      return;
    } catch (e) {
      if (!notFound(e)) throw unavailable(e);
    }
    try {
      await this.api.send(new CreateBucketCommand({ Bucket: this.cfg.bucket }));
    } catch (e) {
      throw unavailable(e);
    }
  }

  close(): void {
    this.api.destroy();
    if (this.signer !== this.api) this.signer.destroy();
  }
}
