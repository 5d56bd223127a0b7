import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './compose-file';

/**
 * docker/minio/init.sh (compose's storage-init) run by a POSIX sh with a fake `mc` that records its calls: what it asks
 * MinIO to do, with which policy, and what it refuses. (The real mc and MinIO are not on this machine.)
 */
describe('storage-init (docker/minio/init.sh)', () => {
  let dir: string;
  const run = (env: Record<string, string>, mcAttach = 'exit 0') => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    // Records each call; keeps the policy file it was given; `attach` answers as told.
    writeFileSync(
      path.join(bin, 'mc'),
      `#!/bin/sh\necho "$*" >> "${dir}/calls"\ncase "$*" in\n  "admin policy create"*) cat "$6" > "${dir}/policy.json" ;;\n  "admin policy attach"*) ${mcAttach} ;;\nesac\n`,
    );
    chmodSync(path.join(bin, 'mc'), 0o755);
    rmSync(path.join(dir, 'calls'), { force: true });
    const r = spawnSync('sh', [path.join(repoRoot, 'docker/minio/init.sh')], {
      env: { PATH: `${bin}:/usr/bin:/bin`, SECRETS_DIR: path.join(dir, 'secrets'), INIT_DIR: path.join(repoRoot, 'docker/minio'), TMPDIR: dir, S3_BUCKET: 'shop-media', S3_ACCESS_KEY_ID: 'drmoto-bff', ...env },
      encoding: 'utf8',
    });
    const calls = (() => {
      try {
        return readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    })();
    return { status: r.status, stderr: r.stderr, stdout: r.stdout, calls };
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'storage-init-'));
    mkdirSync(path.join(dir, 'secrets'));
    writeFileSync(path.join(dir, 'secrets/minio_root_user'), 'minio-root\n');
    writeFileSync(path.join(dir, 'secrets/minio_root_password'), 'root-password-123\n');
    writeFileSync(path.join(dir, 'secrets/s3_secret_access_key'), 'bff-secret-456\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the private bucket and the BFF user with the prefix-scoped policy, as root, never handing root to the BFF', () => {
    const r = run({});
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      'alias set local http://minio:9000 minio-root root-password-123',
      'mb --ignore-existing local/shop-media',
      'anonymous set none local/shop-media',
      `admin policy create local drmoto-bff-media ${dir}/bff-media-policy.json`,
      'admin user add local drmoto-bff bff-secret-456',
      'admin policy attach local drmoto-bff-media --user drmoto-bff',
    ]);
    expect(JSON.parse(readFileSync(path.join(dir, 'policy.json'), 'utf8'))).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'MediaObjects', Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], Resource: ['arn:aws:s3:::shop-media/work-orders/*'] },
        { Sid: 'MissingIs404', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::shop-media'] },
      ],
    });
  });

  it('runs again on an existing setup: an already attached policy is no error, any other failure is', () => {
    expect(run({}, 'echo "policy drmoto-bff-media is already attached" >&2; exit 1').status).toBe(0);
    const failed = run({}, 'echo "connection refused" >&2; exit 1');
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('connection refused');
  });

  it('refuses to make the root user the BFF user, and a short BFF secret', () => {
    const root = run({ S3_ACCESS_KEY_ID: 'minio-root' });
    expect([root.status, root.calls]).toEqual([1, []]);
    expect(root.stderr).toMatch(/not the root user/);
    writeFileSync(path.join(dir, 'secrets/s3_secret_access_key'), 'short\n');
    const short = run({});
    expect([short.status, short.calls]).toEqual([1, []]);
  });
});
