/**
 * A minimal self-signed X.509 v3 certificate writer (DER by hand), because node:crypto can parse
 * certificates but not create them, and the mock needs a "platform certificate" whose serial names
 * its key — the way WeChat Pay's platform-certificate mode works.
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const NULL = Buffer.from([0x05, 0x00]);

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1] as number) < 0x80) b = b.subarray(1);
  if ((b[0] as number) >= 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * (parts[0] as number) + (parts[1] as number)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  // UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2) + 'Z')) : tlv(0x18, Buffer.from(digits + 'Z'));
}

function name(attrs: [string, string][]): Buffer {
  return seq(...attrs.map(([type, value]) => set(seq(oid(type), tlv(0x0c, Buffer.from(value, 'utf8'))))));
}

const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), NULL);

/** A random positive 20-byte serial as uppercase hex (the form WeChat Pay uses for certificate serials). */
export function randomSerial(): string {
  const b = randomBytes(20);
  b[0] = ((b[0] as number) & 0x7f) | 0x10; // positive, no leading zero byte
  return b.toString('hex').toUpperCase();
}

export function selfSignedCertificate(opts: { publicKey: KeyObject; privateKey: KeyObject; serialHex: string; commonName: string; organization?: string; notBefore?: Date; notAfter?: Date }): string {
  const subject = name([
    ['2.5.4.6', 'CN'],
    ['2.5.4.10', opts.organization ?? 'Mock Tenpay'],
    ['2.5.4.3', opts.commonName],
  ]);
  const notBefore = opts.notBefore ?? new Date(Date.now() - 24 * 3600_000);
  const notAfter = opts.notAfter ?? new Date(Date.now() + 5 * 365 * 24 * 3600_000);
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // [0] EXPLICIT version v3
    integer(Buffer.from(opts.serialHex, 'hex')),
    SHA256_WITH_RSA,
    subject, // self-signed: issuer = subject
    seq(time(notBefore), time(notAfter)),
    subject,
    opts.publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, opts.privateKey);
  const der = seq(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
