// Component tests start a real BFF (PGlite in WASM) and mock servers: their hooks need more than jest's 5 s — and more
// than 30 s on a machine shared with other builds (TEST_TIMEOUT_MS).
jest.setTimeout(Number(process.env.TEST_TIMEOUT_MS) || 30_000);
