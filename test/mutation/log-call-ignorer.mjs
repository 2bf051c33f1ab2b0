// Tooling: a Stryker ignore plugin (npm run mutate) — mutants inside the arguments of a logger call are not run.
// A log line's text and its structured keys are for the reader of the logs, not behaviour a test should pin:
// `logger.info("created role", { roleName })` changed to `logger.info("", {})` still creates the same role.
// The call itself stays mutated through its enclosing block, so removing a whole branch is still caught.
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";

const LOG_LEVELS = new Set(["debug", "info", "warn", "error"]);

/** A log level: `.warn`, or computed, `[expected ? "warn" : "error"]` (which Stryker may have mutated already). */
function isLogLevel(property, computed) {
  return computed || (property.type === "Identifier" && LOG_LEVELS.has(property.name));
}

/** True for `logger.info(...)`, `deps.logger.warn(...)`, `run.deps.logger[level](...)` and the like. */
function isLoggerCall(node) {
  if (node.type !== "CallExpression" || node.callee.type !== "MemberExpression") return false;
  const { object, property, computed } = node.callee;
  if (!isLogLevel(property, computed)) return false;
  const receiver = object.type === "MemberExpression" ? object.property : object;
  return receiver.type === "Identifier" && receiver.name === "logger";
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "log-call-arguments", {
    shouldIgnore(path) {
      const parent = path.parentPath?.node;
      if (parent && isLoggerCall(parent) && parent.arguments.includes(path.node))
        return "log text, not behaviour";
      return undefined;
    },
  }),
];
