/**
 * The S3_* and MEDIA_* environment: a zod shape to spread into the BFF's envSchema, and the step that turns the
 * parsed values into a MediaConfig (or "not configured": without S3_BUCKET the media endpoints answer 503).
 */
import { z } from 'zod';

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const httpUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.search && !u.hash;
  } catch {
    return false;
  }
}, 'must be an http(s) URL without query string');
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Spread into the BFF's envSchema: `z.object({ ...other, ...mediaEnvShape })`. */
export const mediaEnvShape = {
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3–63 of a-z 0-9 . -)')
    .optional()
    .describe('Bucket for work-order photos and videos. Unset → media uploads are off (the media endpoints answer 503 MEDIA_NOT_CONFIGURED).'),
  S3_REGION: z.string().min(1).default('us-east-1').describe('Region of the bucket (signing region; MinIO and s3rver accept any, e.g. `us-east-1`; Tencent COS `ap-guangzhou`, Aliyun OSS `oss-cn-hangzhou`).'),
  S3_ENDPOINT: httpUrl.optional().describe('S3 API endpoint the BFF calls (HeadObject, GetObject), e.g. http://minio:9000 or https://cos.ap-guangzhou.myqcloud.com. Unset → AWS S3 of S3_REGION.'),
  S3_PUBLIC_ENDPOINT: httpUrl
    .optional()
    .describe('Endpoint put into the URLs handed to clients (presigned POST/PUT, signed GET) when it differs from S3_ENDPOINT, e.g. https://media.example.com for a MinIO reached as http://minio:9000 inside the network. Default S3_ENDPOINT.'),
  S3_FORCE_PATH_STYLE: bool.default(false).describe('Path-style URLs (`<endpoint>/<bucket>/<key>`): true for MinIO and s3rver; false for AWS, COS and OSS (virtual-hosted `<bucket>.<endpoint>`).'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional().describe('Access key id of the BFF (needs s3:PutObject, s3:GetObject, s3:DeleteObject on its objects and s3:ListBucket on the bucket, so a missing object is a 404, not a 403). Unset → the AWS default credential chain (instance role, AWS_* variables).'),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional().describe('Secret access key belonging to S3_ACCESS_KEY_ID.'),
  MEDIA_MAX_BYTES: int(100 * 1024 * 1024, 1024, 2_147_483_647).describe('Largest photo or video accepted, in bytes (≤ 2 GiB − 1, an Odoo integer); a declared size over it → 422, and the POST policy caps the upload at the declared size.'),
  MEDIA_UPLOAD_TTL_S: int(300, 30, 900).describe('Lifetime of a presigned upload in seconds (≤ 900); `complete` is accepted for as long again after it.'),
  MEDIA_URL_TTL_S: int(300, 30, 3600).describe('Lifetime of the signed GET URLs in media listings, in seconds.'),
};

type MediaEnv = z.infer<z.ZodObject<typeof mediaEnvShape>>;

export interface MediaConfig {
  bucket: string;
  region: string;
  endpoint?: string;
  publicEndpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxBytes: number;
  uploadTtlS: number;
  urlTtlS: number;
}

export function mediaConfigFromEnv(e: MediaEnv): { problems: string[]; config?: MediaConfig } {
  const problems: string[] = [];
  if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
    problems.push('S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY: set both or neither');
  }
  if (!e.S3_BUCKET) {
    const stray = (['S3_ENDPOINT', 'S3_PUBLIC_ENDPOINT', 'S3_ACCESS_KEY_ID'] as const).filter((k) => e[k]);
    if (stray.length) problems.push(`S3_BUCKET: is required when ${stray.join(', ')} is set`);
    return { problems };
  }
  if (problems.length) return { problems };
  const trim = (u?: string) => u?.replace(/\/+$/, '');
  return {
    problems,
    config: {
      bucket: e.S3_BUCKET,
      region: e.S3_REGION,
      endpoint: trim(e.S3_ENDPOINT),
      publicEndpoint: trim(e.S3_PUBLIC_ENDPOINT),
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      credentials: e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY } : undefined,
      maxBytes: e.MEDIA_MAX_BYTES,
      uploadTtlS: e.MEDIA_UPLOAD_TTL_S,
      urlTtlS: e.MEDIA_URL_TTL_S,
    },
  };
}
