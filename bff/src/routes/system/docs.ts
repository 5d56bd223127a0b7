import { dirname } from 'node:path';
import express, { Router } from 'express';

/**
 * The API reference at /docs: Swagger UI from the swagger-ui-dist package (its prebuilt bundle, served from
 * node_modules: nothing from a CDN, works offline) reading /openapi.json. The page has no inline script, so the app's
 * helmet CSP (script-src 'self') stays as it is.
 */
export function docsRoutes(): Router {
  const r = Router();
  const dist = dirname(require.resolve('swagger-ui-dist/package.json'));
  const files = new Set(['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png']);
  r.get(['/docs', '/docs/'], (_req, res) => {
    res.type('html').setHeader('Cache-Control', 'no-cache').send(PAGE);
  });
  r.get('/docs/init.js', (_req, res) => {
    res.type('text/javascript').setHeader('Cache-Control', 'no-cache').send(INIT);
  });
  // Only the files the page uses (not the package's demo index.html with its inline script, nor the source maps).
  const assets = express.static(dist, { index: false, fallthrough: true, maxAge: '1d' });
  r.use('/docs/assets', (req, res, next) => (files.has(req.path.slice(1)) ? assets(req, res, next) : next()));
  return r;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>DrMoto BFF — API reference</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

// validatorUrl: null — the default badge would send the document to validator.swagger.io.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;
