import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Seeds the sample data once (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    // Integration and end-to-end tests share one database and FTP server: run files one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
