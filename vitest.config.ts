import { defineConfig } from 'vitest/config';

/**
 * Five projects: `unit` (beside the code, virtual time, no services),
 * `integration` (test/integration, real Kafka broker, redis-server and chDB,
 * started once by the global setup and stopped afterwards), `topology`
 * (test/topology: the deployed topology as separate processes, with its own services), `sip` (test/sip: Kamailio,
 * SIPp and Sluice in a private network namespace) and `package` (test/package: the npm package, the systemd unit and
 * the container image, as installed).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // Unit tests first, then the integration tests on their own: those run real services and processes
          // whose timing-sensitive paths (shutdown deadlines, limiters under load) should not share the CPU.
          sequence: { groupOrder: 0 },
          include: [
            '{core,operators,pipelines,control,workflow,simulator,planner,dashboards,bench,app,cli,adapters,services,studio}/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'topology',
          // After the integration tests, alone: it runs its own broker, redis-server, ClickHouse and seven Sluice processes.
          sequence: { groupOrder: 2 },
          include: ['test/topology/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'sip',
          // The telephony edge (Kamailio, SIPp, Sluice, Redis) in a private network namespace, alone, after the rest.
          sequence: { groupOrder: 3 },
          include: ['test/sip/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'package',
          // What a platform engineer installs (issue 21): the npm package packed, installed into an empty folder and
          // started; the systemd unit checked by systemd-analyze; the container image built and started. Last, alone.
          sequence: { groupOrder: 4 },
          include: ['test/package/**/*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
