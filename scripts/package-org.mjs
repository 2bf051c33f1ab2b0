// Build layer: `npm run package:org` — the organization artifact (docs/org-rollout.md). From the bundles of
// `npm run build` and template.yaml it writes dist/org/<function>-<content hash>.zip and dist/org/template.json:
// plain CloudFormation, made by the official SAM translator, that a StackSet with service-managed permissions can
// deploy to every account and region, each stack taking the code from `${CodeBucketPrefix}-${AWS::Region}`.
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import yazl from "yazl";
import { yamlParse } from "yaml-cfn";
import { functionBuildsFrom } from "./build.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** StackSets take a template body of at most 51,200 bytes (CreateStackSet API reference, TemplateBody). */
const TEMPLATE_BODY_LIMIT_BYTES = 51_200;

/** Parameters added to template.yaml's: where each region's stacks find the zips. */
const CODE_PARAMETERS = {
  CodeBucketPrefix: {
    Type: "String",
    // <prefix>-<region> must be a bucket name (S3 bucket naming rules) in every region, the longest of which has 15
    // characters: at most 47 lowercase letters, digits and hyphens, and none of the reserved starts xn--, sthree-,
    // amzn-s3-demo-. No periods: they break virtual-hosted-style HTTPS.
    AllowedPattern: "^(?!xn-(-|$)|sthree(-|$)|amzn-s3-demo(-|$))[a-z0-9][a-z0-9-]{0,46}$",
    ConstraintDescription:
      "1-47 lowercase letters, digits and hyphens, starting with a letter or digit, such that <prefix>-<region> does not start with xn--, sthree- or amzn-s3-demo-",
    Description:
      "Each stack reads the function zips from the bucket <CodeBucketPrefix>-<its region> (see docs/org-rollout.md).",
  },
  CodeKeyPrefix: {
    Type: "String",
    Default: "ses-firehose-autowire/",
    AllowedPattern: "^([0-9A-Za-z!_.*'()-]+/)*$",
    ConstraintDescription: 'empty, or S3 key segments each ending with "/"',
    Description: "Key prefix of the function zips in those buckets, ending with /.",
  },
};

/** A fixed time and mode for every zip entry, so the same bundle always gives the same bytes (and name). */
const ZIP_ENTRY = {
  // Local-time components: the DOS timestamp yazl writes is then 1980-01-01 00:00 in every time zone.
  mtime: new Date(1980, 0, 1, 0, 0, 0),
  mode: 0o100644,
  compressionLevel: 9,
  forceDosTimestamp: true,
};

/** A zip of the given files, entries sorted by name, with fixed timestamps and permissions. */
function deterministicZip(files) {
  const zip = new yazl.ZipFile();
  for (const name of Object.keys(files).sort()) zip.addBuffer(files[name], name, ZIP_ENTRY);
  zip.end();
  const chunks = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on("data", (chunk) => chunks.push(chunk));
    zip.outputStream.on("error", reject);
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

class PackageError extends Error {}

/** The bundle of one function as a zip named `<function folder>-<first 16 hex of its SHA-256>.zip`. */
async function packageFunction(fn, dist) {
  const files = {};
  const names = fn.options.sourcemap ? ["index.js", "index.js.map"] : ["index.js"];
  for (const name of names) {
    const file = path.join(dist, fn.folder, name);
    if (!existsSync(file))
      throw new PackageError(
        `dist/${fn.folder}/${name} is missing: build the functions first (npm run build; npm run package:org does both)`,
      );
    files[name] = await readFile(file);
  }
  const zip = await deterministicZip(files);
  const hash = createHash("sha256").update(zip).digest("hex").slice(0, 16);
  return { ...fn, zipName: `${fn.folder}-${hash}.zip`, zip };
}

/** Lambda `Code` of a function in the organization template: the zip in the bucket of the stack's own region. */
function regionalCode(zipName) {
  return {
    S3Bucket: { "Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}" },
    S3Key: { "Fn::Sub": `\${CodeKeyPrefix}${zipName}` },
  };
}

/** template.yaml made ready for the translator: code in S3 (it refuses local paths), no esbuild Metadata. */
function translatorInput(template, packaged) {
  const input = JSON.parse(JSON.stringify(template));
  const taken = Object.keys(CODE_PARAMETERS).filter((name) => input.Parameters?.[name] !== undefined);
  if (taken.length > 0)
    throw new PackageError(
      `template.yaml already defines ${taken.join(", ")}: package:org adds these parameters`,
    );
  input.Parameters = { ...input.Parameters, ...CODE_PARAMETERS };
  delete input.Globals?.Function?.CodeUri;
  for (const fn of packaged) {
    const resource = input.Resources[fn.logicalId];
    const code = regionalCode(fn.zipName);
    resource.Properties = { ...resource.Properties, CodeUri: { Bucket: code.S3Bucket, Key: code.S3Key } };
    // The esbuild Metadata is for `sam build` (the zips are built already); the translator would copy it around.
    const metadata = { ...resource.Metadata };
    delete metadata.BuildMethod;
    delete metadata.BuildProperties;
    if (Object.keys(metadata).length > 0) resource.Metadata = metadata;
    else delete resource.Metadata;
  }
  return input;
}

/** Runs scripts/sam-translate.py (the official SAM translator) over a template. */
function samTranslate(template) {
  const result = spawnSync("python3", [path.join(root, "scripts", "sam-translate.py")], {
    input: JSON.stringify(template),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined)
    throw new PackageError(
      `could not run python3 (${result.error.message}): install Python 3, then pip install aws-sam-translator`,
    );
  if (result.status !== 0) {
    const error = new PackageError(result.stderr.trim() || `the SAM translator exited with ${result.status}`);
    error.exitCode = result.status;
    throw error;
  }
  return JSON.parse(result.stdout);
}

const PARTITION_ARN = "arn:${AWS::Partition}:";

/**
 * Every literal `arn:aws:` the translator wrote (managed-policy ARNs) becomes `arn:${AWS::Partition}:`, so the
 * template deploys in every partition: plain strings turn into Fn::Sub (escaping any `${`), Fn::Sub strings are edited.
 */
function withPartitionArns(value) {
  if (typeof value === "string")
    return value.includes("arn:aws:")
      ? { "Fn::Sub": value.replaceAll("${", "${!").replaceAll("arn:aws:", PARTITION_ARN) }
      : value;
  if (Array.isArray(value)) return value.map(withPartitionArns);
  if (value === null || typeof value !== "object") return value;
  const sub = value["Fn::Sub"];
  if (sub !== undefined && Object.keys(value).length === 1) {
    if (typeof sub === "string") return { "Fn::Sub": sub.replaceAll("arn:aws:", PARTITION_ARN) };
    const [text, variables] = sub;
    return { "Fn::Sub": [text.replaceAll("arn:aws:", PARTITION_ARN), withPartitionArns(variables)] };
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withPartitionArns(item)]));
}

/** What a template deployed to any account, region and partition must not carry, with the reason. */
const FORBIDDEN_LITERALS = [
  { pattern: /arn:aws:/, what: "an ARN of the aws partition only (use ${AWS::Partition})" },
  { pattern: /(?<![\w-])\d{12}(?![\w-])/, what: "an account ID (use ${AWS::AccountId})" },
  {
    // The region names of every partition (the regionRegex of each in the AWS SDK's partitions data).
    pattern:
      /(?<![\w-])(us|eu|ap|sa|ca|me|af|il|mx|cn|eusc-de|us-iso[bf]?|eu-isoe|us-gov)-[a-z]+-\d+(?![\w-])/,
    what: "a region name (use ${AWS::Region})",
  },
];

/** The plain template, checked: no transform, no SAM type, no literal partition/account/region, code in S3. */
function organizationTemplate(translated, packaged) {
  const template = { ...translated };
  template.Resources = withPartitionArns(translated.Resources);
  if (translated.Outputs !== undefined) template.Outputs = withPartitionArns(translated.Outputs);
  if (template.Transform !== undefined)
    throw new PackageError("the translated template still has a Transform");
  const serverless = Object.entries(template.Resources).filter(([, r]) =>
    r.Type.startsWith("AWS::Serverless::"),
  );
  if (serverless.length > 0)
    throw new PackageError(
      `the translator left ${serverless.map(([id]) => id).join(", ")} as AWS::Serverless::*`,
    );
  for (const fn of packaged) {
    const code = template.Resources[fn.logicalId]?.Properties?.Code;
    if (JSON.stringify(code) !== JSON.stringify(regionalCode(fn.zipName)))
      throw new PackageError(`${fn.logicalId}: the translator did not keep the regional code location`);
  }
  const body = JSON.stringify(template);
  for (const { pattern, what } of FORBIDDEN_LITERALS) {
    const match = pattern.exec(body);
    if (match !== null)
      throw new PackageError(
        `the organization template contains "${match[0]}" (near …${body.slice(Math.max(0, match.index - 60), match.index + 30)}…): ${what}`,
      );
  }
  const bytes = Buffer.byteLength(body);
  if (bytes >= TEMPLATE_BODY_LIMIT_BYTES)
    throw new PackageError(
      `the organization template is ${bytes} bytes; a StackSet template body must stay under ${TEMPLATE_BODY_LIMIT_BYTES} bytes`,
    );
  return { template, body, bytes };
}

async function main() {
  const { values } = parseArgs({ options: { out: { type: "string", default: path.join("dist", "org") } } });
  const out = path.resolve(root, values.out);
  const template = yamlParse(await readFile(path.join(root, "template.yaml"), "utf8"));
  const functions = functionBuildsFrom(template);
  const unbuilt = Object.entries(template.Resources)
    .filter(
      ([id, r]) => r.Type === "AWS::Serverless::Function" && !functions.some((fn) => fn.logicalId === id),
    )
    .map(([id]) => id);
  if (unbuilt.length > 0)
    throw new PackageError(
      `${unbuilt.join(", ")}: no esbuild BuildMethod in template.yaml, nothing to package`,
    );
  const packaged = [];
  for (const fn of functions) packaged.push(await packageFunction(fn, path.join(root, "dist")));
  const { body, bytes } = organizationTemplate(samTranslate(translatorInput(template, packaged)), packaged);

  // Everything is checked before anything is written: a failed run leaves no half-made dist/org.
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  for (const fn of packaged) {
    await writeFile(path.join(out, fn.zipName), fn.zip);
    console.log(`${fn.logicalId} -> ${path.relative(root, out)}/${fn.zipName} (${fn.zip.length} bytes)`);
  }
  await writeFile(path.join(out, "template.json"), body);
  console.log(
    `${path.relative(root, out)}/template.json: ${bytes} bytes, ${TEMPLATE_BODY_LIMIT_BYTES - bytes} under the StackSet limit of ${TEMPLATE_BODY_LIMIT_BYTES}`,
  );
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof PackageError ? err.message : err);
    process.exit(err.exitCode ?? 1);
  });
}
