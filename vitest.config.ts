import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (beside the code, virtual time, no services) and
 * `integration` (test/integration, real Kafka broker, redis-server and chDB,
 * started once by the global setup and stopped afterwards).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{operators,pipelines,control,workflow,simulator,planner,dashboards,bench,app,cli,adapters,services}/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
