/**
 * One run for every suite: unit specs beside the code, integration tests
 * (test/integration), end-to-end tests that drive the built processes
 * (test/e2e). `npm test` builds first, since the end-to-end tests start dist/.
 * The global setup chooses the mode: the real PostgreSQL and RabbitMQ when
 * both answer, the embedded parts otherwise (test/support/mode.ts); the skip
 * reporter lists whatever did not run, and why.
 */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test', '<rootDir>/soak'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  moduleNameMapper: { '^@baton/(api|worker)$': '<rootDir>/apps/$1/src', '^@baton/(.*)$': '<rootDir>/libs/$1/src' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/skip-reporter.js'],
};
