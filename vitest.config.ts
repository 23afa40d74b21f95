import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'dist/**', 'coverage/**'],
    environment: 'node',
    // One child process per test file rather than worker threads: the DuckDB native addon (and
    // later gRPC for Pub/Sub) load once per process, and a crash stays inside its own file.
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Undo vi.stubEnv / vi.stubGlobal after each test.
    unstubEnvs: true,
    unstubGlobals: true,
  },
});
