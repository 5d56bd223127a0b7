import { AppError } from '../../errors';
import type { Logger } from '../../logger';

export interface WechatConfig {
  appId: string;
  secret?: string;
  apiBase: string;
  timeoutMs: number;
}

interface WxError {
  errcode?: number;
  errmsg?: string;
}

/** jscode2session: a mini-program login code → openid (the session key stays here, unused). */
export interface WechatSession {
  openid: string;
  unionid?: string;
}

/**
 * The mini-program server APIs the BFF uses: login (`jscode2session`), the access token and the
 * phone-number flow (`getuserphonenumber`). The only file that speaks to api.weixin.qq.com.
 */
export class WechatClient {
  private token?: { value: string; expiresAt: number };
  private tokenPromise?: Promise<string>;

  constructor(
    private readonly cfg: WechatConfig,
    private readonly logger: Logger,
  ) {}

  get appId(): string {
    return this.cfg.appId;
  }

  async code2Session(code: string): Promise<WechatSession> {
    const url = new URL('/sns/jscode2session', this.cfg.apiBase);
    url.search = new URLSearchParams({ appid: this.cfg.appId, secret: this.cfg.secret ?? '', js_code: code, grant_type: 'authorization_code' }).toString();
    const body = await this.getJson<WxError & { openid?: string; unionid?: string; session_key?: string }>(url);
    if (body.errcode) {
      // 40029 invalid code, 40163 code already used, 45011 rate limit: all the user's code, not our server.
      if ([40029, 40163, 40226].includes(body.errcode)) throw new AppError('unauthenticated', 'The WeChat login code is invalid or already used.', { code: `WX_${body.errcode}` });
      if (body.errcode === 45011) throw new AppError('rate_limited', 'WeChat login is rate limited; try again shortly.', { code: 'WX_45011', retryAfterS: 10 });
      throw this.upstream('jscode2session', body);
    }
    if (!body.openid) throw this.upstream('jscode2session', body);
    return { openid: body.openid, unionid: body.unionid };
  }

  /** Phone-number flow: the `getPhoneNumber` button's code → the verified phone. */
  async phoneNumber(code: string): Promise<{ phone: string; countryCode: string }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const url = new URL('/wxa/business/getuserphonenumber', this.cfg.apiBase);
      url.search = new URLSearchParams({ access_token: await this.accessToken() }).toString();
      const body = await this.postJson<WxError & { phone_info?: { phoneNumber: string; purePhoneNumber: string; countryCode: string; watermark?: { appid?: string } } }>(url, { code });
      if (body.errcode === 40001 || body.errcode === 42001) {
        this.token = undefined; // token expired or revoked elsewhere: fetch a new one once
        continue;
      }
      if (body.errcode === 40029) throw new AppError('unprocessable', 'The phone-number code is invalid or expired.', { code: 'WX_40029' });
      if (body.errcode || !body.phone_info) throw this.upstream('getuserphonenumber', body);
      if (body.phone_info.watermark?.appid && body.phone_info.watermark.appid !== this.cfg.appId) {
        throw new AppError('unprocessable', 'The phone number was issued to another app.', { code: 'WX_APPID' });
      }
      return { phone: body.phone_info.phoneNumber, countryCode: body.phone_info.countryCode };
    }
    throw new AppError('dependency_unavailable', 'WeChat refused the access token.', { code: 'WX_TOKEN', retryAfterS: 5 });
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt > Date.now()) return this.token.value;
    this.tokenPromise ??= (async () => {
      try {
        // stable_token: several BFF replicas share one token instead of invalidating each other's.
        const url = new URL('/cgi-bin/stable_token', this.cfg.apiBase);
        const body = await this.postJson<WxError & { access_token?: string; expires_in?: number }>(url, {
          grant_type: 'client_credential',
          appid: this.cfg.appId,
          secret: this.cfg.secret ?? '',
        });
        if (!body.access_token) throw this.upstream('stable_token', body);
        // Renew five minutes early.
        this.token = { value: body.access_token, expiresAt: Date.now() + Math.max(60, (body.expires_in ?? 7200) - 300) * 1000 };
        return body.access_token;
      } finally {
        this.tokenPromise = undefined;
      }
    })();
    return this.tokenPromise;
  }

  private upstream(api: string, body: WxError): AppError {
    this.logger.warn('wechat api error', { api, errcode: body.errcode, errmsg: body.errmsg });
    return new AppError('upstream_error', `WeChat ${api} failed.`, { code: `WX_${body.errcode ?? 'UNKNOWN'}` });
  }

  private getJson<T>(url: URL): Promise<T> {
    return this.request<T>(url, { method: 'GET' });
  }

  private postJson<T>(url: URL, body: unknown): Promise<T> {
    return this.request<T>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  private async request<T>(url: URL, init: RequestInit): Promise<T> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.cfg.timeoutMs) });
    } catch (e) {
      throw new AppError('dependency_unavailable', 'WeChat is unreachable.', { code: 'WX_UNAVAILABLE', retryAfterS: 5, cause: e });
    }
    if (!res.ok) throw new AppError('dependency_unavailable', `WeChat answered HTTP ${res.status}.`, { code: 'WX_UNAVAILABLE', retryAfterS: 5 });
    try {
      return (await res.json()) as T;
    } catch (e) {
      throw new AppError('upstream_error', 'WeChat answered without JSON.', { code: 'WX_BAD_RESPONSE', cause: e });
    }
  }
}
