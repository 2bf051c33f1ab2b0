// Bench layer: figure 1 — each function's bundle size and cold module load against the best achievable: a reference
// bundle of exactly the same AWS SDK and Powertools names, minified and tree-shaken (MainFields module,main),
// constructing the same clients, built in this run; the function is built with the template's own options.
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build, type BuildOptions, type Metafile } from "esbuild";
import ts from "typescript";
import { yamlParse } from "yaml-cfn";
import { figure, type Figure } from "./results";
import { median } from "./stats";

const run = promisify(execFile);

export const SIZE_TARGET = 1.1;
export const LOAD_TARGET = 1.15;

/** The packages whose value imports the reference keeps: the SDK and the Powertools pieces. */
const REFERENCE_PACKAGES = ["@aws-sdk/", "@aws-lambda-powertools/"];

/**
 * The reference's build: the floor any code importing these packages can reach — minified, and resolving packages'
 * ES module builds first so esbuild can tree-shake them. Format, platform, target and source map (an operational
 * choice: Lambda stack traces) follow the function's build, so they cost both sides alike.
 */
export function referenceBuildOptions(functionOptions: BuildOptions): BuildOptions {
  return { ...functionOptions, minify: true, mainFields: ["module", "main"] };
}

/** What scripts/build.mjs exports (it is plain JavaScript, so its shape is declared here). */
interface FunctionBuild {
  logicalId: string;
  entryPoint: string;
  folder: string;
  options: BuildOptions;
}
interface BuildScript {
  functionBuildsFrom(template: unknown): FunctionBuild[];
}

interface Template {
  Globals?: { Function?: { Environment?: { Variables?: Record<string, unknown> } } };
}

async function readTemplate(root: string): Promise<Template> {
  return yamlParse(await readFile(path.join(root, "template.yaml"), "utf8")) as Template;
}

/** The function builds of template.yaml, through the same code `npm run build` uses. */
export async function functionBuilds(root: string): Promise<FunctionBuild[]> {
  const script = (await import(pathToFileURL(path.join(root, "scripts", "build.mjs")).href)) as BuildScript;
  return script.functionBuildsFrom(await readTemplate(root));
}

/** NODE_OPTIONS the functions run with (template Globals), so bundles load here as they do in Lambda. */
export async function lambdaNodeOptions(root: string): Promise<string> {
  const value = (await readTemplate(root)).Globals?.Function?.Environment?.Variables?.NODE_OPTIONS;
  return typeof value === "string" ? value : "";
}

/** Value (not type-only) names a source file imports from each `@aws-sdk/*` and `@aws-lambda-powertools/*` package. */
export function sdkImportsOf(source: string, fileName = "source.ts"): Map<string, Set<string>> {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const imports = new Map<string, Set<string>>();
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const from = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    const kept = REFERENCE_PACKAGES.some((prefix) => from.startsWith(prefix));
    if (!kept || clause === undefined || clause.isTypeOnly) continue;
    const bindings = clause.namedBindings;
    if (clause.name !== undefined || (bindings !== undefined && !ts.isNamedImports(bindings))) {
      throw new Error(`${fileName}: only named imports from ${from} are supported by the reference bundle`);
    }
    const names = imports.get(from) ?? new Set<string>();
    for (const element of bindings?.elements ?? []) {
      if (!element.isTypeOnly) names.add((element.propertyName ?? element.name).text);
    }
    if (names.size > 0) imports.set(from, names);
  }
  return imports;
}

/** Our own source files esbuild put into the bundle (from its metafile), and the SDK names they import. */
export async function sdkImportsOfBundle(
  root: string,
  metafile: Metafile,
): Promise<Map<string, Set<string>>> {
  const all = new Map<string, Set<string>>();
  const ownSources = Object.keys(metafile.inputs).filter(
    (input) => !input.includes("node_modules/") && /\.ts$/.test(input),
  );
  for (const input of ownSources) {
    const imports = sdkImportsOf(await readFile(path.resolve(root, input), "utf8"), input);
    for (const [from, names] of imports) {
      const merged = all.get(from) ?? new Set<string>();
      for (const name of names) merged.add(name);
      all.set(from, merged);
    }
  }
  return all;
}

/** The reference module: re-exports exactly these SDK names (so none is dropped), and nothing else. */
export function referenceSource(imports: Map<string, Set<string>>): string {
  return [...imports]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([from, names]) => `export { ${[...names].sort().join(", ")} } from "${from}";`)
    .join("\n")
    .concat("\n");
}

/**
 * The load-time baseline: the same re-exports, and each imported SDK client constructed once at module scope with
 * adaptive retry, plus a Powertools Logger and Metrics when those are imported — what every function sending these
 * commands and logging with Powertools must do at init. Against the imports-only reference (kept in the figure's
 * details) the extra is mostly this construction, not our code.
 */
export function referenceWithClientsSource(imports: Map<string, Set<string>>): string {
  const constructed = [...imports].flatMap(([from, names]) =>
    [...names]
      .filter((name) => name.endsWith("Client") || name === "Logger" || name === "Metrics")
      .map((name) => ({ from, name })),
  );
  const argumentsOf = (name: string) =>
    name === "Logger"
      ? '{ serviceName: "reference" }'
      : name === "Metrics"
        ? '{ namespace: "Reference", serviceName: "reference" }'
        : '{ retryMode: "adaptive", maxAttempts: 8 }';
  return referenceSource(imports).concat(
    constructed.map(({ from, name }, i) => `import { ${name} as Made${i} } from "${from}";\n`).join(""),
    `export const constructed = [${constructed
      .map(({ name }, i) => `new Made${i}(${argumentsOf(name)})`)
      .join(", ")}];\n`,
  );
}

interface Built {
  file: string;
  bytes: number;
  metafile: Metafile;
}

async function bundle(root: string, options: BuildOptions, entry: string, outfile: string): Promise<Built> {
  const result = await build({
    ...options,
    entryPoints: [entry],
    outfile,
    metafile: true,
    logLevel: "warning",
    absWorkingDir: root,
  });
  const output = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith(".js"));
  if (output === undefined) throw new Error(`esbuild wrote no JavaScript for ${entry}`);
  return { file: outfile, bytes: output[1].bytes, metafile: result.metafile };
}

/**
 * Milliseconds `require(file)` takes in a fresh Node.js process, timed inside that process (so Node's own
 * start-up, the same for both, is not counted), with the functions' NODE_OPTIONS (e.g. --enable-source-maps,
 * which makes Node read the bundle's source map at load). Node 20's SDK "upgrade to Node 22" warning is silenced
 * for both: Lambda runs nodejs22.x, where the SDK does not print it.
 */
async function loadTimeMs(file: string, nodeOptions: string): Promise<number> {
  const script =
    "const t=process.hrtime.bigint();require(process.argv[1]);" +
    "process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))";
  const { stdout } = await run(process.execPath, ["-e", script, file], {
    env: {
      PATH: process.env.PATH ?? "",
      AWS_REGION: "us-east-1",
      NODE_NO_WARNINGS: "1",
      NODE_OPTIONS: nodeOptions,
    },
  });
  const ms = Number(stdout);
  if (!Number.isFinite(ms)) throw new Error(`could not time the load of ${file}: ${stdout}`);
  return ms;
}

export interface BundleBenchOptions {
  root: string;
  outDir: string;
  /** Loads per bundle; function and reference alternate, starting with a different one each pair. */
  loads: number;
}

/** Builds every function and its reference, measures sizes and load times; two figures per function. */
export async function benchBundles(options: BundleBenchOptions): Promise<Figure[]> {
  const { root, outDir, loads } = options;
  const figures: Figure[] = [];
  const nodeOptions = await lambdaNodeOptions(root);
  for (const fn of await functionBuilds(root)) {
    const dir = path.join(outDir, "bundles", fn.folder);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const own = await bundle(root, fn.options, fn.entryPoint, path.join(dir, "function", "index.js"));
    const imports = await sdkImportsOfBundle(root, own.metafile);
    // .mjs: plain ES module syntax esbuild reads, and outside what tsc checks.
    const referenceEntry = path.join(dir, "reference.mjs");
    await writeFile(referenceEntry, referenceSource(imports));
    const floor = referenceBuildOptions(fn.options);
    const reference = await bundle(root, floor, referenceEntry, path.join(dir, "reference", "index.js"));
    const withClientsEntry = path.join(dir, "reference-with-clients.mjs");
    await writeFile(withClientsEntry, referenceWithClientsSource(imports));
    const withClients = await bundle(
      root,
      floor,
      withClientsEntry,
      path.join(dir, "reference-with-clients", "index.js"),
    );

    const referenceNames = Object.fromEntries([...imports].map(([from, names]) => [from, [...names].sort()]));
    const inputs = {
      function: fn.logicalId,
      entryPoint: fn.entryPoint,
      esbuild: {
        format: fn.options.format,
        target: fn.options.target,
        minify: fn.options.minify,
        mainFields: fn.options.mainFields ?? "esbuild default (main,module for node)",
        sourcemap: fn.options.sourcemap,
      },
      referenceEsbuild: { minify: floor.minify, mainFields: floor.mainFields },
      referenceImports: referenceNames,
    };
    figures.push(
      figure({
        figure: `bundle-size/${fn.folder}`,
        description: `Bundle of ${fn.logicalId} (template build options) against the floor: only the same AWS SDK and Powertools imports, minified, MainFields module,main.`,
        inputs,
        value: own.bytes,
        unit: "bytes",
        baseline: reference.bytes,
        baselineDescription:
          "reference bundle: the same @aws-sdk and @aws-lambda-powertools imports, minified, MainFields module,main",
        maxRatio: SIZE_TARGET,
        details: { extraBytes: own.bytes - reference.bytes, breakdown: weightByPackage(own.metafile) },
      }),
    );

    // Rotate the order each round so a drift in machine load hits every bundle alike.
    const contenders = [own.file, reference.file, withClients.file];
    const times = new Map<string, number[]>(contenders.map((file) => [file, []]));
    for (let i = 0; i < loads; i += 1) {
      for (let k = 0; k < contenders.length; k += 1) {
        const file = contenders[(i + k) % contenders.length]!;
        times.get(file)!.push(await loadTimeMs(file, nodeOptions));
      }
    }
    const ownTimes = times.get(own.file)!;
    const referenceTimes = times.get(reference.file)!;
    const withClientsTimes = times.get(withClients.file)!;
    const pairRatios = ownTimes.map((ms, i) => ms / referenceTimes[i]!);
    figures.push(
      figure({
        figure: `cold-load/${fn.folder}`,
        description: `Fastest of ${loads} require()s of the bundle of ${fn.logicalId}, each in a fresh Node.js process.`,
        inputs: { ...inputs, loads, node: process.version, NODE_OPTIONS: nodeOptions },
        // The fastest load: on a shared machine noise only ever adds time (the medians here are bimodal and swing
        // by ±15% run to run), so the minimum is the stable estimate of what loading costs; medians are in details.
        value: Math.min(...ownTimes),
        unit: "ms",
        // The gate's baseline constructs the imported SDK clients, as any code sending those commands must: that
        // cost is the SDK's, not ours. The imports-only reference is kept beside it (details) and reported too.
        baseline: Math.min(...withClientsTimes),
        baselineDescription:
          "fastest load of the floor reference (same @aws-sdk and Powertools imports, minified, MainFields module,main) that also constructs the same clients, Logger and Metrics, alternating with the function",
        maxRatio: LOAD_TARGET,
        details: {
          medianOfPairRatios: median(pairRatios),
          ratioToImportsOnlyReference: Math.min(...ownTimes) / Math.min(...referenceTimes),
          medianRatioToImportsOnlyReference: median(ownTimes) / median(referenceTimes),
          medianRatioToReferenceWithClients: median(ownTimes) / median(withClientsTimes),
          functionMs: ownTimes.map((ms) => Math.round(ms * 10) / 10),
          referenceMs: referenceTimes.map((ms) => Math.round(ms * 10) / 10),
          referenceWithClientsMs: withClientsTimes.map((ms) => Math.round(ms * 10) / 10),
        },
      }),
    );
  }
  return figures;
}

/** Bytes in the output per npm package (our own code as "(project)"), largest first. */
export function weightByPackage(metafile: Metafile): Record<string, number> {
  const output = Object.values(metafile.outputs).find((entry) => entry.entryPoint !== undefined);
  const weights = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const key = match?.[1] ?? "(project)";
    weights.set(key, (weights.get(key) ?? 0) + bytesInOutput);
  }
  return Object.fromEntries([...weights].sort(([, a], [, b]) => b - a));
}
