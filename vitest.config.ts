import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Workers of the `unit` group: vitest's default in a run is one per core but one (kept for its own process), which on
 * a two-core CI machine is a single worker and an idle core for the whole unit group. Unit tests run in virtual time,
 * in temporary folders and on port 0, so two files side by side see what one sees (a core each; vitest's own process
 * only collects results); machines with more cores keep vitest's default.
 */
const UNIT_WORKERS = Math.max(2, availableParallelism() - 1);

/**
 * Workers of the last group: `topology`, `sip` and `package` side by side, a file each at a time (package's second
 * file, the systemd unit check, takes half a second). They use different resources: topology its own broker,
 * redis-server, ClickHouse and Sluice processes on ephemeral ports; sip Kamailio, SIPp, Sluice and Redis inside
 * `unshare --net`; package a temporary folder and podman. Vitest runs a group's files with one worker count shared by
 * its projects (each must name the same `maxWorkers`; `fileParallelism: false` would force 1), so a further file in one
 * of these projects would run beside the others: give a heavy one a group of its own.
 */
const LAST_GROUP_WORKERS = 3;

/**
 * Five projects: `unit` (beside the code, virtual time, no services),
 * `integration` (test/integration, real Kafka broker, redis-server and chDB,
 * started once by the global setup and stopped afterwards), `topology`
 * (test/topology: the deployed topology as separate processes, with its own services), `sip` (test/sip: Kamailio,
 * SIPp and Sluice in a private network namespace) and `package` (test/package: the npm package, the systemd unit and
 * the container image, as installed). Three groups run one after the other: unit, integration, then topology, sip
 * and package side by side.
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
          maxWorkers: UNIT_WORKERS,
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
          // `expect.poll` waits for what a server round trip or a browser repaint brings: 1 s (vitest's default) is a
          // timed test on a loaded two-core machine (the studio's deploy status missed it in CI). Polls end as soon
          // as they hold, so this costs nothing when things are quick; speed is the benchmarks' business.
          expect: { poll: { timeout: 10_000 } },
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'topology',
          // After the integration tests, beside sip and package (see LAST_GROUP_WORKERS): it runs its own broker,
          // redis-server, ClickHouse and seven Sluice processes.
          sequence: { groupOrder: 2 },
          maxWorkers: LAST_GROUP_WORKERS,
          include: ['test/topology/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'sip',
          // The telephony edge (Kamailio, SIPp, Sluice, Redis) in a private network namespace, beside topology and package.
          sequence: { groupOrder: 2 },
          maxWorkers: LAST_GROUP_WORKERS,
          include: ['test/sip/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'package',
          // What a platform engineer installs (issue 21): the npm package packed, installed into an empty folder and
          // started; the systemd unit checked by systemd-analyze; the container image built and started. Beside topology
          // and sip: its build and podman share no port, folder or service with them.
          sequence: { groupOrder: 2 },
          maxWorkers: LAST_GROUP_WORKERS,
          include: ['test/package/**/*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
