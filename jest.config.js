/** Two projects: fast unit tests against mocked clients, integration tests against the local simulator. */
const transform = {
  "^.+\\.(t|j)s$": [
    "@swc/jest",
    { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
  ],
};

/** @type {import('jest').Config} */
module.exports = {
  coverageProvider: "v8",
  collectCoverageFrom: ["shared/**/*.ts"],
  coverageThreshold: {
    "./shared/": { lines: 95, branches: 95, functions: 95, statements: 95 },
  },
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      transform,
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      setupFilesAfterEnv: ["<rootDir>/test/setup-unit.ts"],
    },
    {
      displayName: "integration",
      testEnvironment: "node",
      transform,
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      setupFilesAfterEnv: ["<rootDir>/test/setup-integration.ts"],
    },
  ],
};
