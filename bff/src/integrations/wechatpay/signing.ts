/**
 * WeChat Pay API v3 cryptography, pure (no I/O): request signatures, `wx.requestPayment` signatures,
 * response/notification signature checks against platform keys, and AEAD_AES_256_GCM resources.
 *
 * Everything here is byte-exact on purpose: WeChat signs the raw body, so callers must hand in the
 * exact bytes that went over the wire (never a re-serialized JSON object).
 */
import {
  X509Certificate,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

export const AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';
/** WeChat Pay sends probe traffic whose signature starts with this: it must always fail verification. */
export const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';
/** Responses and notifications older or newer than this are refused (WeChat's own rule is 5 minutes). */
export const DEFAULT_TOLERANCE_S = 300;

type PrivateKeyInput = KeyObject | string;

/** A PEM from an env var may arrive as one line with literal `\n`s (docker/k8s secrets). */
export function normalizePem(pem: string): string {
  const s = pem.trim().replace(/\\r\\n|\\n/g, '\n').replace(/\r\n/g, '\n');
  return s.endsWith('\n') ? s : s + '\n';
}

export function toPrivateKey(key: PrivateKeyInput): KeyObject {
  return typeof key === 'string' ? createPrivateKey(normalizePem(key)) : key;
}

/** A 32-hex-char random string (WeChat allows up to 32 chars for nonces). */
export function nonceStr(): string {
  return randomBytes(16).toString('hex');
}

/** Seconds since the epoch as WeChat wants them: 10 digits, never milliseconds. */
export function unixSeconds(nowMs: number = Date.now()): string {
  return String(Math.floor(nowMs / 1000));
}

export function signBase64(message: string | Buffer, privateKey: PrivateKeyInput): string {
  return sign('sha256', typeof message === 'string' ? Buffer.from(message, 'utf8') : message, toPrivateKey(privateKey)).toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Requests (merchant → WeChat Pay)

/** `METHOD\nURL\ntimestamp\nnonce\nbody\n`; URL = path + `?query` exactly as sent; body '' for GET. */
export function requestMessage(method: string, pathAndQuery: string, timestamp: string, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

export interface AuthorizationInput {
  mchid: string;
  serialNo: string;
  privateKey: PrivateKeyInput;
  method: string;
  /** Path plus query string, e.g. `/v3/pay/transactions/out-trade-no/WO1?mchid=1900000109`. */
  pathAndQuery: string;
  body: string;
  timestamp?: string;
  nonce?: string;
}

/** The `Authorization` header value: `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`. */
export function buildAuthorization(input: AuthorizationInput): string {
  const timestamp = input.timestamp ?? unixSeconds();
  const nonce = input.nonce ?? nonceStr();
  const signature = signBase64(requestMessage(input.method, input.pathAndQuery, timestamp, nonce, input.body), input.privateKey);
  return `${AUTH_SCHEMA} mchid="${input.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${input.serialNo}"`;
}

export interface ParsedAuthorization {
  mchid: string;
  nonce_str: string;
  signature: string;
  timestamp: string;
  serial_no: string;
}

/** Parses an Authorization header (the platform side: the mock verifies merchants with it). */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  if (!header?.startsWith(AUTH_SCHEMA + ' ')) return undefined;
  const fields: Record<string, string> = {};
  for (const m of header.slice(AUTH_SCHEMA.length + 1).matchAll(/([a-z_]+)="([^"]*)"/g)) fields[m[1] as string] = m[2] as string;
  const { mchid, nonce_str, signature, timestamp, serial_no } = fields;
  if (!mchid || !nonce_str || !signature || !timestamp || !serial_no) return undefined;
  return { mchid, nonce_str, signature, timestamp, serial_no };
}

// ---------------------------------------------------------------------------------------------
// Mini-program payment (`wx.requestPayment`)

export interface RequestPaymentParams {
  timeStamp: string;
  nonceStr: string;
  /** `prepay_id=…` */
  package: string;
  signType: 'RSA';
  paySign: string;
}

/** `paySign` = RSA-SHA256 over `appId\ntimeStamp\nnonceStr\npackage\n` with the merchant key; signType is not signed. */
export function requestPaymentMessage(appId: string, timeStamp: string, nonce: string, pkg: string): string {
  return `${appId}\n${timeStamp}\n${nonce}\n${pkg}\n`;
}

export function signRequestPayment(input: { appId: string; prepayId: string; privateKey: PrivateKeyInput; timeStamp?: string; nonceStr?: string }): RequestPaymentParams {
  const timeStamp = input.timeStamp ?? unixSeconds();
  const nonce = input.nonceStr ?? nonceStr();
  const pkg = `prepay_id=${input.prepayId}`;
  return { timeStamp, nonceStr: nonce, package: pkg, signType: 'RSA', paySign: signBase64(requestPaymentMessage(input.appId, timeStamp, nonce, pkg), input.privateKey) };
}

// ---------------------------------------------------------------------------------------------
// Responses and notifications (WeChat Pay → merchant)

/** `timestamp\nnonce\nbody\n` over the raw body bytes; an empty body (204) leaves just `\n` as the last line. */
export function responseMessage(timestamp: string, nonce: string, body: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body, Buffer.from('\n')]);
}

export type PlatformKeyKind = 'certificate' | 'public_key';

export interface PlatformKey {
  /** The platform certificate serial (hex) or the WeChat Pay public key id (`PUB_KEY_ID_…`). */
  id: string;
  key: KeyObject;
  kind: PlatformKeyKind;
}

/**
 * Loads a platform key from a PEM: a WeChat Pay public key (`-----BEGIN PUBLIC KEY-----`) or a platform
 * certificate (`-----BEGIN CERTIFICATE-----`, whose serial must then equal the id). Throws with a
 * human reason when the PEM is unusable.
 */
export function loadPlatformKey(id: string, pem: string): PlatformKey {
  const text = normalizePem(pem);
  if (text.includes('BEGIN CERTIFICATE')) {
    const cert = new X509Certificate(text);
    if (cert.serialNumber.toUpperCase() !== id.toUpperCase()) throw new Error(`certificate serial ${cert.serialNumber} does not match id ${id}`);
    return { id, key: assertRsa(cert.publicKey), kind: 'certificate' };
  }
  return { id, key: assertRsa(createPublicKey(text)), kind: 'public_key' };
}

function assertRsa(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`expected an RSA key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/** Platform keys by id (case-insensitive: serials come in either case). Several at once during a rotation. */
export class PlatformKeyring {
  private readonly byId = new Map<string, PlatformKey>();

  constructor(keys: Iterable<PlatformKey>) {
    for (const k of keys) this.byId.set(k.id.toUpperCase(), k);
  }

  static fromPems(entries: { id: string; pem: string }[]): PlatformKeyring {
    return new PlatformKeyring(entries.map((e) => loadPlatformKey(e.id, e.pem)));
  }

  get(id: string): PlatformKey | undefined {
    return this.byId.get(id.toUpperCase());
  }

  get ids(): string[] {
    return [...this.byId.values()].map((k) => k.id);
  }
}

export type SignatureCheck = 'ok' | 'signtest' | 'unknown_serial' | 'bad_signature';

/** Checks a Wechatpay-Signature against the key named by Wechatpay-Serial. Never throws. */
export function verifyPlatformSignature(input: { keyring: PlatformKeyring; serial: string; signature: string; timestamp: string; nonce: string; body: Buffer | string }): SignatureCheck {
  if (input.signature.startsWith(SIGNTEST_PREFIX)) return 'signtest';
  const key = input.keyring.get(input.serial);
  if (!key) return 'unknown_serial';
  return verifyBase64(responseMessage(input.timestamp, input.nonce, input.body), input.signature, key.key) ? 'ok' : 'bad_signature';
}

/** RSA-SHA256 (PKCS#1 v1.5) check of a base64 signature; false on any malformed input. */
export function verifyBase64(message: string | Buffer, signatureB64: string, publicKey: KeyObject | string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureB64)) return false;
  try {
    const key = typeof publicKey === 'string' ? createPublicKey(normalizePem(publicKey)) : publicKey;
    return verify('sha256', typeof message === 'string' ? Buffer.from(message, 'utf8') : message, key, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** Whether a Wechatpay-Timestamp (seconds) is within ±toleranceS of now. */
export function timestampFresh(timestamp: string, nowMs: number, toleranceS = DEFAULT_TOLERANCE_S): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  return Math.abs(nowMs / 1000 - Number(timestamp)) <= toleranceS;
}

// ---------------------------------------------------------------------------------------------
// AEAD_AES_256_GCM (notification resources, refund and transaction payloads)

export interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  /** base64(ciphertext ‖ 16-byte tag) */
  ciphertext: string;
  /** 12 characters, used as UTF-8 bytes (not base64) */
  nonce: string;
  associated_data?: string;
  original_type?: string;
}

const TAG_BYTES = 16;

/** The APIv3 key is used as its 32 UTF-8 bytes, not decoded. */
export function apiV3KeyObject(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key;
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length !== 32) throw new Error('the APIv3 key must be exactly 32 bytes');
  return createSecretKey(bytes);
}

export class DecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptError';
  }
}

/** Decrypts a resource; throws DecryptError when the tag does not verify (tampering or wrong key). */
export function decryptResource(resource: Pick<EncryptedResource, 'ciphertext' | 'nonce' | 'associated_data'>, apiV3Key: string | KeyObject): string {
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length <= TAG_BYTES) throw new DecryptError('ciphertext too short');
  const nonce = Buffer.from(resource.nonce, 'utf8');
  if (nonce.length === 0) throw new DecryptError('empty nonce');
  try {
    const decipher = createDecipheriv('aes-256-gcm', apiV3KeyObject(apiV3Key), nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (e) {
    throw new DecryptError(e instanceof Error ? e.message : 'decryption failed');
  }
}

/** The platform side of decryptResource (the mock and tests). */
export function encryptResource(plaintext: string, apiV3Key: string | KeyObject, opts: { nonce?: string; associatedData?: string; originalType?: string } = {}): EncryptedResource {
  const nonce = opts.nonce ?? randomBytes(6).toString('hex');
  const associated = opts.associatedData ?? '';
  const cipher = createCipheriv('aes-256-gcm', apiV3KeyObject(apiV3Key), Buffer.from(nonce, 'utf8'), { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associated, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext: ct.toString('base64'), nonce, associated_data: associated, ...(opts.originalType ? { original_type: opts.originalType } : {}) };
}

/** `2025-05-20T13:29:35+08:00`: RFC 3339 with an explicit offset and whole seconds, as WeChat requires. */
export function rfc3339(date: Date, offsetMinutes = 480): string {
  const local = new Date(Math.floor(date.getTime() / 1000) * 1000 + offsetMinutes * 60_000);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return local.toISOString().slice(0, 19) + off;
}
