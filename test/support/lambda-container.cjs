// Test support (Lambda runtime emulator, child process): one warm "container" that requires a built bundle unmodified,
// as the nodejs runtime does for `index.handler`, and runs one invocation at a time with a Lambda-shaped context.
// Plain CommonJS on purpose: no TypeScript loader sits between Node.js and the bundle under test.
"use strict";

const { randomUUID } = require("node:crypto");

const bundlePath = process.argv[2];
let handler;
let initError;
try {
  const loaded = require(bundlePath);
  if (typeof loaded.handler !== "function") throw new TypeError(`${bundlePath} does not export handler`);
  handler = loaded.handler;
} catch (err) {
  // Lambda reports an init failure (e.g. a ConfigError at module scope) on every invocation of the container.
  initError = err;
}

function describe(err) {
  if (err instanceof Error) return { errorType: err.name, errorMessage: err.message, stack: err.stack };
  return { errorType: typeof err, errorMessage: String(err) };
}

function contextFor(request) {
  return {
    functionName: request.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: request.functionArn,
    memoryLimitInMB: String(request.memoryMb),
    awsRequestId: request.requestId || randomUUID(),
    logGroupName: `/aws/lambda/${request.functionName}`,
    logStreamName: `local/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
}

process.on("message", (request) => {
  const reply = (body) => process.send({ id: request.id, ...body });
  if (initError !== undefined) {
    reply({ ok: false, phase: "init", error: describe(initError) });
    return;
  }
  Promise.resolve()
    .then(() => handler(request.event, contextFor(request)))
    .then(
      (result) => reply({ ok: true, result: result === undefined ? null : result }),
      (err) => reply({ ok: false, phase: "invoke", error: describe(err) }),
    );
});

process.send({ ready: true });
