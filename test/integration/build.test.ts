// Test (build layer): after `npm run build`, every bundle of docs/contract.md loads in Node.js, exports `handler`, was built
// with the template's esbuild options, and carries no devDependency.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { loadTemplate, ROOT, serverlessFunctions } from "../support/cfn-template";

const template = loadTemplate();
const bundles = serverlessFunctions(template).map(([logicalId, fn]) => {
  const properties = (fn.Metadata as { BuildProperties: { EntryPoints: string[] } }).BuildProperties;
  const folder = path.basename(path.dirname(properties.EntryPoints[0]!));
  return { logicalId, folder, file: path.join(ROOT, "dist", folder, "index.js") };
});
const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};
const DEV_DEPENDENCIES = Object.keys(packageJson.devDependencies).filter(
  (name) => !name.startsWith("@types/"),
);

/** Source paths esbuild put into the bundle, from its source map. */
function bundledSources(file: string): string[] {
  return (JSON.parse(readFileSync(`${file}.map`, "utf8")) as { sources: string[] }).sources;
}

describe("function bundles (dist/<function folder>/index.js)", () => {
  it("exist for the six functions of the contract (docs/contract.md)", () => {
    expect(bundles.map(({ folder }) => folder).sort()).toEqual([
      "backfill",
      "on-configuration-set-created",
      "on-configuration-set-deleted",
      "on-configuration-set-tagged",
      "reconcile",
      "stack-lifecycle",
    ]);
    for (const { file } of bundles) expect(existsSync(file)).toBe(true);
  });

  it.each(bundles)("$folder loads in a fresh Node.js process and exports handler", ({ file }) => {
    // Act: CommonJS require, as the Lambda runtime does for index.handler
    const output = execFileSync(
      process.execPath,
      ["-e", `const m = require(${JSON.stringify(file)}); process.stdout.write(typeof m.handler);`],
      {
        env: { PATH: process.env.PATH, AWS_REGION: "us-east-1" },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // Assess
    expect(output).toBe("function");
  });

  it.each(bundles)(
    "$folder is minified CommonJS with a source map, as the template's Metadata says",
    ({ file }) => {
      const code = readFileSync(file, "utf8");
      expect(code.startsWith('"use strict";')).toBe(true);
      // Minified: whitespace gone, so lines are long (only newlines inside template literals remain).
      expect(code.length / code.split("\n").length).toBeGreaterThan(2000);
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
    },
  );

  it.each(bundles)(
    "$folder takes the SDK's ES module builds (MainFields module,main), which esbuild can tree-shake",
    ({ file }) => {
      const sdk = bundledSources(file).filter(
        (source) => source.includes("node_modules/@aws-sdk/client-") && source.endsWith(".js"),
      );
      expect(sdk.length).toBeGreaterThan(0);
      expect(sdk.filter((source) => !source.includes("/dist-es/"))).toEqual([]);
    },
  );

  it.each(bundles)("$folder bundles the AWS SDK and the shared core, and no devDependency", ({ file }) => {
    const sources = bundledSources(file);
    expect(sources.some((source) => source.includes("node_modules/@aws-sdk/client-sesv2/"))).toBe(true);
    expect(sources.some((source) => source.endsWith("shared/reconcile.ts"))).toBe(true);
    for (const name of DEV_DEPENDENCIES) {
      expect(`${name}: ${sources.filter((source) => source.includes(`node_modules/${name}/`)).length}`).toBe(
        `${name}: 0`,
      );
    }
    expect(sources.some((source) => /(^|\/)test\//.test(source.replace(/.*node_modules\//, "")))).toBe(false);
  });
});

describe("the CLI bundle (dist/cli.js)", () => {
  const cli = path.join(ROOT, "dist", "cli.js");

  it("is an executable script with a node shebang", () => {
    expect(readFileSync(cli, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(statSync(cli).mode & 0o111).not.toBe(0);
  });

  it("carries no devDependency", () => {
    const sources = bundledSources(cli);
    for (const name of DEV_DEPENDENCIES) {
      expect(`${name}: ${sources.filter((source) => source.includes(`node_modules/${name}/`)).length}`).toBe(
        `${name}: 0`,
      );
    }
  });
});
