// Tooling: the unit project of jest.config.js as a standalone config, for Stryker (stryker.config.mjs). Its jest
// environment has to be the top-level one to record which test covers which mutant, so no `projects` here.
//
// MUTATION_TESTS (space-separated paths or globs, e.g. "test/unit/policies.test.ts") narrows the run from every
// unit test file that imports the mutated file to that file's own tests: minutes instead of an hour on two cores,
// and a stricter figure, since a mutant then counts as killed only by those tests.
const { projects } = require("../../jest.config.js");

const unit = projects.find((project) => project.displayName === "unit");
const only = (process.env.MUTATION_TESTS ?? "").split(/\s+/).filter((pattern) => pattern !== "");

/** @type {import('jest').Config} */
module.exports = {
  ...unit,
  rootDir: "../..", // relative to this file
  testMatch: only.length > 0 ? only.map((pattern) => `<rootDir>/${pattern}`) : unit.testMatch,
};
