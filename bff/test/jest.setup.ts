// Component tests start a real BFF (PGlite in WASM) and mock servers: their hooks need more than jest's 5 s.
jest.setTimeout(30_000);
