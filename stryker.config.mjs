// Tooling: mutation testing of the core (npm run mutate; one file: npm run mutate -- --mutate shared/policies.ts).
// Runs the unit project of jest.config.js only, the tests covering each mutant only (perTest), one process at a
// time; the HTML and JSON reports land in reports/mutation/. See docs/testing.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: "npm",
  mutate: ["shared/**/*.ts"],
  testRunner: "jest",
  jest: {
    projectType: "custom",
    configFile: "test/mutation/jest-unit.config.js",
    enableFindRelatedTests: true,
  },
  coverageAnalysis: "perTest",
  concurrency: 1,
  timeoutMS: 10000,
  plugins: ["@stryker-mutator/jest-runner", "./test/mutation/log-call-ignorer.mjs"],
  ignorers: ["log-call-arguments"],
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: "reports/.stryker-tmp",
  cleanTempDir: "always",
  thresholds: { high: 95, low: 90, break: 90 },
};
