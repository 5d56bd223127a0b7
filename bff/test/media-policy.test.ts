import { createHmac } from 'node:crypto';
import { loadConfig, ConfigError } from '../src/config';
import { mediaConfigFromEnv, type MediaConfig } from '../src/integrations/s3/config';
import { sniff } from '../src/integrations/s3/magic';
import { ObjectStorage } from '../src/integrations/s3/storage';
import { normalizeType } from '../src/services/media.service';

const cfg: MediaConfig = {
  bucket: 'shop-media',
  region: 'ap-guangzhou',
  endpoint: 'http://10.0.0.5:9000',
  publicEndpoint: 'https://media.example.com',
  forcePathStyle: true,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  maxBytes: 10_000_000,
  uploadTtlS: 300,
  urlTtlS: 120,
};

/** SigV4: the signing key from the secret, date, region and service. */
function signingKey(secret: string, date: string, region: string): Buffer {
  const k = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
  return k(k(k(k(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
}

describe(ObjectStorage.name, () => {
  const storage = new ObjectStorage(cfg);
  afterAll(() => storage.close());

  describe('presignPost', () => {
    it('signs a policy with the exact bucket and key, the Content-Type, a size cap and a short expiration', async () => {
      const before = Date.now();
      const key = 'work-orders/42/0b6c1f0e-6a3f-4a8e-9d4e-2f1b7a8c9d10.jpg';
      const post = await storage.presignPost({ key, contentType: 'image/jpeg', maxBytes: 12_345, expiresS: 300 });
      expect(post.method).toBe('POST');
      // the client's endpoint, path style
      expect(post.url).toBe('https://media.example.com/shop-media');
      const policy = JSON.parse(Buffer.from(post.fields.Policy!, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
      const expiresAt = Date.parse(policy.expiration);
      expect(expiresAt).toBeGreaterThan(before + 299_000 - 1000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 300_000);
      expect(policy.conditions).toEqual(
        expect.arrayContaining([
          { bucket: 'shop-media' },
          { key },
          ['eq', '$Content-Type', 'image/jpeg'],
          ['content-length-range', 1, 12_345],
          { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
          { 'X-Amz-Credential': expect.stringMatching(/^AKIDEXAMPLE\/\d{8}\/ap-guangzhou\/s3\/aws4_request$/) },
        ]),
      );
      // nothing that would widen it: no starts-with on the key, no second key or bucket
      expect(JSON.stringify(policy.conditions)).not.toContain('starts-with');
      expect(policy.conditions.filter((c) => typeof c === 'object' && c !== null && !Array.isArray(c) && 'key' in c)).toHaveLength(1);
      expect(post.fields).toEqual(expect.objectContaining({ key, bucket: 'shop-media', 'Content-Type': 'image/jpeg' }));
      // the signature is the HMAC of the policy with the secret's SigV4 key
      const date = post.fields['X-Amz-Date']!.slice(0, 8);
      const expected = createHmac('sha256', signingKey(cfg.credentials!.secretAccessKey, date, cfg.region)).update(post.fields.Policy!).digest('hex');
      expect(post.fields['X-Amz-Signature']).toBe(expected);
    });
  });

  describe('presignPut', () => {
    it('signs Content-Type and Content-Length, carries no checksum, and expires as asked', async () => {
      const put = await storage.presignPut({ key: 'work-orders/7/x.mp4', contentType: 'video/mp4', size: 1000, expiresS: 600 });
      const url = new URL(put.url);
      expect(`${url.origin}${url.pathname}`).toBe('https://media.example.com/shop-media/work-orders/7/x.mp4');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
      expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
      expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
      expect(put.headers).toEqual({ 'Content-Type': 'video/mp4', 'Content-Length': '1000' });
    });
  });

  describe('signedGetUrl', () => {
    it('is a short-lived GET URL on the public endpoint naming the file', async () => {
      const url = new URL(await storage.signedGetUrl('work-orders/7/x.jpg', 120, '前轮 front.jpg'));
      expect(url.host).toBe('media.example.com');
      expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
      expect(url.searchParams.get('response-content-disposition')).toBe("inline; filename*=UTF-8''%E5%89%8D%E8%BD%AE%20front.jpg");
    });
  });
});

describe('sniff', () => {
  const bytes = (...parts: Array<number[] | string>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
  const ftyp = (major: string, ...compatible: string[]) => {
    const size = 16 + 4 * compatible.length;
    return bytes([0, 0, 0, size], 'ftyp', major, [0, 0, 0, 0], compatible.join(''), 'mdat');
  };

  it.each([
    ['JPEG', bytes([0xff, 0xd8, 0xff, 0xe1]), ['image/jpeg']],
    ['PNG', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), ['image/png']],
    ['GIF89a', bytes('GIF89a', [1, 0]), ['image/gif']],
    ['WEBP', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), ['image/webp']],
    ['HEIC (iPhone)', ftyp('heic', 'mif1', 'heic'), ['image/heic', 'image/heif']],
    ['HEIF (mif1 major, heic compatible)', ftyp('mif1', 'mif1', 'heic'), ['image/heic', 'image/heif']],
    ['MP4 (isom)', ftyp('isom', 'isom', 'iso2', 'avc1', 'mp41'), ['video/mp4']],
    ['MP4 (mp42)', ftyp('mp42', 'mp42', 'isom'), ['video/mp4']],
    ['QuickTime (qt brand)', ftyp('qt  ', 'qt  '), ['video/quicktime']],
    ['QuickTime (old, moov first)', bytes([0, 0, 0, 8], 'moov'), ['video/quicktime']],
    ['WebM', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f]), ['video/webm']],
  ])('%s', (_name, head, types) => {
    expect(sniff(head)).toEqual(types);
  });

  it.each([
    ['PDF', bytes('%PDF-1.7\n')],
    ['ZIP', bytes([0x50, 0x4b, 0x03, 0x04])],
    ['HTML', bytes('<!doctype html><script>')],
    ['SVG (script-capable, not allowed)', bytes('<svg xmlns="http://www.w3.org/2000/svg">')],
    ['truncated JPEG', bytes([0xff, 0xd8])],
    ['ftyp of an unknown brand', ftyp('crx ', 'crx ')],
    ['empty', Buffer.alloc(0)],
  ])('%s is none of ours', (_name, head) => {
    expect(sniff(head)).toEqual([]);
  });
});

describe('normalizeType', () => {
  it('lower-cases, drops parameters and maps the image/jpg alias', () => {
    expect(normalizeType(' Image/JPEG; charset=binary')).toBe('image/jpeg');
    expect(normalizeType('image/jpg')).toBe('image/jpeg');
    expect(normalizeType('video/QuickTime')).toBe('video/quicktime');
  });
});

describe('media configuration', () => {
  const base = { ODOO_URL: 'http://odoo:8069', ODOO_DB: 'd', ODOO_USER: 'u', ODOO_PASSWORD: 'p', JWT_SECRET: 'x'.repeat(32) };

  it('is off without S3_BUCKET and on with it', () => {
    expect(loadConfig(base).media).toBeUndefined();
    const c = loadConfig({ ...base, S3_BUCKET: 'shop-media', S3_ENDPOINT: 'http://minio:9000/', S3_FORCE_PATH_STYLE: 'true', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's' });
    expect(c.media).toEqual({
      bucket: 'shop-media',
      region: 'us-east-1',
      endpoint: 'http://minio:9000',
      publicEndpoint: undefined,
      forcePathStyle: true,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      maxBytes: 100 * 1024 * 1024,
      uploadTtlS: 300,
      urlTtlS: 300,
    });
  });

  it('refuses an upload expiry over 15 minutes, half a key pair, and storage settings without a bucket — all at once', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({ ...base, MEDIA_UPLOAD_TTL_S: '901', S3_BUCKET: 'Bad_Bucket' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems.map((p) => p.split(':')[0])).toEqual(expect.arrayContaining(['MEDIA_UPLOAD_TTL_S', 'S3_BUCKET']));
    expect(mediaConfigFromEnv({ S3_BUCKET: 'b-1', S3_REGION: 'r', S3_FORCE_PATH_STYLE: false, S3_ACCESS_KEY_ID: 'k', MEDIA_MAX_BYTES: 1, MEDIA_UPLOAD_TTL_S: 1, MEDIA_URL_TTL_S: 1 }).problems).toEqual([
      'S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY: set both or neither',
    ]);
    expect(mediaConfigFromEnv({ S3_ENDPOINT: 'http://minio:9000', S3_REGION: 'r', S3_FORCE_PATH_STYLE: false, MEDIA_MAX_BYTES: 1, MEDIA_UPLOAD_TTL_S: 1, MEDIA_URL_TTL_S: 1 }).problems).toEqual([
      'S3_BUCKET: is required when S3_ENDPOINT is set',
    ]);
  });
});
