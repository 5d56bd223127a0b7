/** `npx tsx mocks/wechatpay/main.ts`: the WeChat Pay mock on WECHATPAY_MOCK_PORT (default 8090); prints the BFF env. */
import { startWechatPayMock } from './server';

async function main(): Promise<void> {
  const mock = await startWechatPayMock({
    port: Number(process.env.WECHATPAY_MOCK_PORT ?? 8090),
    host: process.env.WECHATPAY_MOCK_HOST ?? '127.0.0.1',
    signWith: process.env.WECHATPAY_MOCK_SIGN_WITH === 'certificate' ? 'certificate' : 'public_key',
  });
  const env = mock.env(process.env.WECHATPAY_NOTIFY_URL ?? 'http://127.0.0.1:3000/api/v1/webhooks/wechatpay');
  process.stdout.write(`WeChat Pay mock on ${mock.url} (mchid ${mock.merchant.mchid}, signing with ${mock.signingKeyId}); control: POST ${mock.url}/__mock/pay {"out_trade_no": …}\n`);
  // Single quotes keep the JSON and the escaped PEM intact when pasted into a shell.
  for (const [k, v] of Object.entries(env)) process.stdout.write(`${k}='${v}'\n`);
  const stop = (): void => {
    void mock.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
