import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages export their TypeScript source under the "source" condition, so tests run
  // against src/ without a build. Processes that tests spawn run the built dist/ (pnpm test builds).
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'bench/src/**/*.test.ts',
      'test/**/*.test.ts',
      'k8s/**/*.test.ts',
    ],
    globalSetup: ['./test/global-setup.ts'],
    // Files, and the tests in each, run in a random order, so no test leans on another having run
    // first. Vitest prints the order's seed ("Running tests with seed …"); `--sequence.seed=<seed>`
    // runs that order again (README, Tests).
    sequence: { shuffle: true },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
