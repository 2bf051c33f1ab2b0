// Build layer: `npm run build` — bundle each function exactly as `sam build` would (the options are read from the
// esbuild BuildProperties in template.yaml, so the two cannot drift), plus the CLI at dist/cli.js.
import { chmod, mkdir, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { yamlParse } from "yaml-cfn";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");

/** SAM's esbuild BuildProperties -> esbuild options (the subset SAM documents and this template uses). */
export function esbuildOptionsFrom(properties) {
  const known = new Set([
    "EntryPoints",
    "Format",
    "Platform",
    "Target",
    "Minify",
    "Sourcemap",
    "SourcesContent",
    "MainFields",
    "External",
  ]);
  const unknown = Object.keys(properties).filter((key) => !known.has(key));
  if (unknown.length > 0)
    throw new Error(
      `template.yaml: BuildProperties ${unknown.join(", ")} not supported by scripts/build.mjs`,
    );
  return {
    bundle: true,
    format: properties.Format ?? "cjs",
    platform: properties.Platform ?? "node",
    target: properties.Target ?? "es2020",
    minify: properties.Minify === true,
    sourcemap: properties.Sourcemap === true,
    // SAM's SourcesContent: false keeps the mappings (stack traces keep file and line) but not the sources.
    sourcesContent: properties.SourcesContent !== false,
    external: properties.External ?? [],
    // SAM passes MainFields to esbuild as --main-fields=<comma-separated list>; absent, esbuild's own default.
    ...(properties.MainFields === undefined
      ? {}
      : {
          mainFields: String(properties.MainFields)
            .split(",")
            .map((field) => field.trim()),
        }),
  };
}

/** Every AWS::Serverless::Function built with esbuild: its logical ID, entry point and options. */
export function functionBuildsFrom(template) {
  return Object.entries(template.Resources ?? {})
    .filter(
      ([, resource]) =>
        resource.Type === "AWS::Serverless::Function" && resource.Metadata?.BuildMethod === "esbuild",
    )
    .map(([logicalId, resource]) => {
      const properties = resource.Metadata.BuildProperties ?? {};
      const entryPoints = properties.EntryPoints ?? [];
      if (entryPoints.length !== 1)
        throw new Error(`template.yaml: ${logicalId} must have exactly one EntryPoint`);
      const entryPoint = entryPoints[0];
      return {
        logicalId,
        entryPoint,
        folder: path.basename(path.dirname(entryPoint)),
        options: esbuildOptionsFrom(properties),
      };
    });
}

async function main() {
  const template = yamlParse(await readFile(path.join(root, "template.yaml"), "utf8"));
  const functions = functionBuildsFrom(template);
  await rm(dist, { recursive: true, force: true });
  for (const fn of functions) {
    if (!existsSync(path.join(root, fn.entryPoint))) {
      console.warn(`note: ${fn.entryPoint} does not exist yet: ${fn.logicalId} not built`);
      continue;
    }
    await build({
      ...fn.options,
      entryPoints: [path.join(root, fn.entryPoint)],
      outfile: path.join(dist, fn.folder, "index.js"),
      logLevel: "warning",
    });
    console.log(`built ${fn.logicalId} -> dist/${fn.folder}/index.js`);
  }
  const cliEntry = path.join(root, "cli", "index.ts");
  if (!existsSync(cliEntry)) {
    console.warn("note: cli/index.ts does not exist yet: dist/cli.js not built (functions are complete)");
    return;
  }
  // The CLI runs where the user's Node.js is (>= 20), with the same options as the functions.
  const options = functions[0]?.options ?? esbuildOptionsFrom({});
  await mkdir(dist, { recursive: true });
  await build({
    ...options,
    entryPoints: [cliEntry],
    outfile: path.join(dist, "cli.js"),
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
  });
  await chmod(path.join(dist, "cli.js"), 0o755);
  console.log("built the CLI -> dist/cli.js");
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
