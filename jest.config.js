// @ts-check
/** Root Jest config: one `unit` project (pure logic, *.spec.ts next to the code) and one
 * `integration` project (test/*.integration-spec.ts against real Kafka, Redis and Postgres
 * started by infra/local in globalSetup). Workspace packages resolve to their `src`, so no
 * build step is needed; @swc/jest transpiles. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', tsx: true, decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, react: { runtime: 'automatic' } },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

// PGlite's CommonJS build loads Node built-ins with import(), which Jest only allows under
// --experimental-vm-modules; transpiling it to require() lets it run in the CJS test runtime.
const swcCjs = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];

const moduleNameMapper = {
  '^@flywheel/contracts$': '<rootDir>/services/contracts/src/index.ts',
  '^@flywheel/platform$': '<rootDir>/services/platform/src/index.ts',
  '^@flywheel/platform/testing$': '<rootDir>/services/platform/src/testing/index.ts',
  '^@flywheel/platform/config$': '<rootDir>/services/platform/src/config/index.ts',
  '^@flywheel/platform/eval$': '<rootDir>/services/platform/src/eval/index.ts',
  '^@flywheel/platform/tracing$': '<rootDir>/services/platform/src/telemetry/tracing.ts',
  '^@flywheel/platform/flag-sync$': '<rootDir>/services/platform/src/flags/flag-sync.ts',
  // dynamic import() of a sibling names it `./x.js` (TypeScript's node16 rule); the file is x.ts
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

const common = {
  rootDir: __dirname,
  transform: { '^.+\\.(t|j)sx?$': swc, '/node_modules/@electric-sql/pglite/.+\\.cjs$': swcCjs },
  transformIgnorePatterns: ['/node_modules/(?!@electric-sql/pglite/)'],
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.cache/'],
  modulePathIgnorePatterns: ['<rootDir>/.cache/', '<rootDir>/.flywheel/'],
};

/** @type {import('jest').Config} */
module.exports = {
  // 2 on 2 cores. A third worker saved ~3 of 14 minutes in an earlier session, in files that
  // mostly wait (the dozen longest used 219 s of CPU in 549 s of wall), but the services these
  // specs run in-process lose their CPU with it: curator specs failed in one of three full runs
  // then, and a -w 3 run of the longest files (2026-12-04, on a busy host) had the gateway shed
  // the rollout spec's 10,000 users (503, its loop guard) and time out upstream calls (502). Time is
  // saved instead by ordering (testSequencer), fresh consumer groups starting at the topics' end
  // and recycled workers, which starve nothing.
  maxWorkers: 2,
  testTimeout: 60000,
  // a worker's heap grows by ~30 MB per integration file (each loads whole Nest apps, and what
  // leaks keeps old module registries alive): past 2 GB late in a full run, every major GC, and
  // the heap-measuring specs' forced ones, took seconds (memory-vote-store: 41 s in a full run,
  // 2 s alone). A worker above this after a file is replaced by a fresh one.
  workerIdleMemoryLimit: '800MB',
  // longest files first on a fresh clone too (recorded durations; see test-support/test-sequencer.js)
  testSequencer: '<rootDir>/test-support/test-sequencer.js',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/services/*/src/**/*.spec.ts', '<rootDir>/infra/local/**/*.spec.ts'],
      // the console is browser code: its specs run in the `console` project (jsdom)
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '<rootDir>/services/console/'],
    },
    {
      ...common,
      displayName: 'widget',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/web-widget/src/**/*.spec.ts?(x)'],
    },
    {
      ...common,
      displayName: 'console',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/services/console/src/**/*.spec.ts?(x)'],
    },
    {
      ...common,
      displayName: 'integration',
      testEnvironment: 'node',
      testMatch: [
        '<rootDir>/services/*/test/**/*.integration-spec.ts',
        '<rootDir>/web-widget/test/**/*.integration-spec.ts',
      ],
      globalSetup: '<rootDir>/test-support/global-setup.ts',
      globalTeardown: '<rootDir>/test-support/global-teardown.ts',
    },
  ],
};
