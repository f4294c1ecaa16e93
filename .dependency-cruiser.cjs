/**
 * The floors of Sluice as rules that fail `npm test` (`npm run lint:deps`). The picture and the
 * reasons are in docs/architecture.md ("Rooms and floors"); in short, from the bottom:
 *
 *   core/                      imports nothing of ours
 *   adapters/, operators/      core/ only
 *   pipelines/ control/ workflow/ dashboards/ planner/
 *                              core/, adapters/, operators/; never each other
 *   simulator/                 the same, and also pipelines/ (the event types, the publisher, the topics it
 *                              feeds) and planner/ (it staffs its shifts with it): a floor above those two
 *   app/                       any room above; never cli/, bench/ or services/
 *   cli/                       the top: anything; nothing imports it
 *   bench/, services/          at the side: bench/ may import anything and only cli/ and tests import it;
 *                              services/ (throwaway Kafka, Redis and ClickHouse-over-HTTP for tests, benchmarks, `npm run kafka`, `npm run clickhouse`)
 *                              stays on core/ and adapters/; no room imports it
 *
 * Test code (`*.test.ts`, `*.contract.ts`, contract suites, `testing/`, `fixtures/`, `test/`)
 * follows the floor of the room it sits in, and may also import `test/support/`; product code never imports test
 * code.
 * Type-only imports count: a type that crosses a floor is a dependency all the same.
 *
 * Exceptions, each with its reason:
 * - cli/ → bench/: `sluice bench` and `sluice dashboards check` put the harness on the command line (cli is the
 *   top, so this points down, not up).
 * - bench/ → test code: the control benchmarks take their snapshots from control's test fixtures.
 */

/** Test code: tests, contract suites, test helpers and fixtures, the integration tests. */
const TEST_CODE = ['\\.test\\.ts$', '\\.contract\\.ts$', '/contract\\.ts$', '/contract-[a-z]+\\.ts$', '/testing/', '/fixtures/', '^test/'];

/** The domain rooms: one floor, and none of them imports another. */
const DOMAIN = '(pipelines|control|workflow|dashboards|simulator|planner)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one; split the shared piece out, below both.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing on disk.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'core-imports-nothing',
      severity: 'error',
      comment: 'core/ is the shared kernel under every room: it imports nothing of the project.',
      from: { path: '^core/' },
      to: { path: '^(adapters|operators|pipelines|control|workflow|dashboards|simulator|planner|app|cli|bench|services)/' },
    },
    {
      name: 'adapters-only-core',
      severity: 'error',
      comment: 'adapters/ (clock, bus, state store, ClickHouse, Redis) sit on core/ only.',
      from: { path: '^adapters/' },
      to: { path: '^(operators|pipelines|control|workflow|dashboards|simulator|planner|app|cli|bench|services)/' },
    },
    {
      name: 'operators-only-core',
      severity: 'error',
      comment: 'operators/ are generic RxJS operators: core/ only, no call-center words.',
      from: { path: '^operators/' },
      to: { path: '^(adapters|pipelines|control|workflow|dashboards|simulator|planner|app|cli|bench|services)/' },
    },
    {
      name: 'domain-rooms-not-across',
      severity: 'error',
      comment: 'A domain room never imports another; what two rooms share lives in core/ (e.g. core/messages.ts).',
      from: { path: `^${DOMAIN}/`, pathNot: '^simulator/' },
      to: { path: `^${DOMAIN}/`, pathNot: '^$1/' },
    },
    {
      name: 'simulator-above-pipelines-and-planner',
      severity: 'error',
      comment: 'simulator/ feeds the pipelines (their event types, publisher, topics) and staffs with planner/; nothing else across.',
      from: { path: '^simulator/' },
      to: { path: '^(control|workflow|dashboards)/' },
    },
    {
      name: 'rooms-not-up',
      severity: 'error',
      comment: 'No room below app/ imports app/, cli/, bench/ or services/.',
      from: { path: `^(core|adapters|operators|${DOMAIN.slice(1, -1)})/` },
      to: { path: '^(app|cli|bench|services)/' },
    },
    {
      name: 'app-not-up',
      severity: 'error',
      comment: 'app/ (the server, the composition root) may import the rooms, never cli/, bench/ or services/.',
      from: { path: '^app/' },
      to: { path: '^(cli|bench|services)/' },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment: 'cli/ is the top floor.',
      from: { pathNot: ['^cli/', ...TEST_CODE] },
      to: { path: '^cli/' },
    },
    {
      name: 'only-cli-imports-bench',
      severity: 'error',
      comment: 'bench/ is beside the product: only the CLI (sluice bench, dashboards check) and tests import it.',
      from: { pathNot: ['^bench/', '^cli/', ...TEST_CODE] },
      to: { path: '^bench/' },
    },
    {
      name: 'services-at-the-side',
      severity: 'error',
      comment: 'services/ starts throwaway brokers; it stays on core/ and adapters/.',
      from: { path: '^services/' },
      to: { path: '^(operators|pipelines|control|workflow|dashboards|simulator|planner|app|cli|bench)/' },
    },
    {
      name: 'studio-on-its-own',
      severity: 'error',
      comment:
        'studio/ is the browser page (issue 19): it speaks to Sluice over the HTTP API only, so it imports no room; the server serves its built files without importing them, and only tests import its build helper.',
      from: { path: '^studio/' },
      to: { path: '^(core|adapters|operators|pipelines|control|workflow|dashboards|simulator|planner|app|cli|bench|services|test)/' },
    },
    {
      name: 'only-tests-import-studio',
      severity: 'error',
      comment: 'Nothing of the product imports studio/ (app/ reads its built files from disk).',
      from: { pathNot: ['^studio/', '^test/'] },
      to: { path: '^studio/' },
    },
    {
      name: 'product-not-to-test-code',
      severity: 'error',
      comment: 'Product code never imports tests, contract suites, testing/ or fixtures/ (bench/ may: it is not product).',
      from: { pathNot: ['^bench/', ...TEST_CODE] },
      to: { path: TEST_CODE },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
  },
};
