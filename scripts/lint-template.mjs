// Build layer: `npm run lint:template` — cfn-lint (the linter `sam validate --lint` runs), informational checks
// included, on template.yaml. Without cfn-lint on the PATH it says how to install it and passes; .ci/run requires it.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const lint = spawnSync("cfn-lint", ["--include-checks", "I", "--", "template.yaml"], {
  cwd: root,
  stdio: "inherit",
});
if (lint.error?.code === "ENOENT") {
  console.log(
    "cfn-lint is not on the PATH: template.yaml not linted (install it with `pip install cfn-lint`).",
  );
} else if (lint.error !== undefined) {
  console.error(`cfn-lint could not run: ${lint.error.message}`);
  process.exitCode = 2;
} else {
  if (lint.status === 0) console.log("cfn-lint --include-checks I: template.yaml is clean");
  process.exitCode = lint.status ?? 2;
}
