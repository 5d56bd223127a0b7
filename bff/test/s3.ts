import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real S3-compatible server (s3rver) for tests and the demo: one bucket, created on start, files in a temporary
 * directory removed on close. s3rver accepts SigV4 requests without checking the signature, and enforces neither POST
 * policies nor expiry — the BFF's `complete` checks are what reject a bad upload here.
 */
/**
 * The bucket's CORS rule, as README's "Media" section tells users to set on a real bucket: a browser page (the demo
 * H5 on the BFF's origin) uploads with the presigned POST/PUT and shows the signed GET URLs. Wide open: local only.
 */
const LOCAL_CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

export interface LocalS3 {
  url: string;
  bucket: string;
  /** The BFF's S3_* environment for this server. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

// s3rver has no type declarations; this is the part we use.
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverInstance;

/** s3rver's built-in account. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startLocalS3(opts: { bucket?: string; port?: number; host?: string; directory?: string; anyPortIfBusy?: boolean } = {}): Promise<LocalS3> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as S3rverCtor;
  const bucket = opts.bucket ?? 'drmoto-media';
  const ownDir = opts.directory === undefined;
  const directory = opts.directory ?? mkdtempSync(path.join(os.tmpdir(), 'drmoto-s3-'));
  const host = opts.host ?? '127.0.0.1';
  const start = async (port: number) => {
    const server = new S3rver({ address: host, port, silent: true, directory, configureBuckets: [{ name: bucket, configs: [LOCAL_CORS] }] });
    return { server, addr: await server.run() };
  };
  const { server, addr } = await start(opts.port ?? 0).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE' || !opts.anyPortIfBusy) throw e;
    return start(0);
  });
  const url = `http://${host}:${addr.port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    bucket,
    env: () => ({
      S3_BUCKET: bucket,
      S3_ENDPOINT: url,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    }),
    close() {
      closed ??= (async () => {
        await server.close();
        if (ownDir) rmSync(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
